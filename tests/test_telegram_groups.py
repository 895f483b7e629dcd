"""Phare in Telegram groups, at the transport's edge: who administers the group (getChatMember, remembered for a
minute), who joins and leaves, the group's title. python-telegram-bot's real HTTP stack against the Bot API
double; the real writer on a SQLite file, behind a window that keeps what the transport handed it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import pytest

from bot.app import Phare, build
from bot.config import Settings
from bot.messages import Incoming
from bot.transports.base import Inbox
from bot.transports.telegram import TelegramService, options_from
from bot.transports.telegram.api import PhareBot
from bot.transports.telegram.members import ChatAdmins
from tests.telegram_double import (
    BOT_USERNAME,
    TOKEN,
    BotApiDouble,
    TgGroup,
    TgUser,
)

FAST = {"telegram_rate_overall": 10_000, "telegram_rate_private": 10_000, "telegram_rate_group": 10_000}


class Window:
    """The real writer, seen through a window: every Incoming the transport hands it is kept, in order."""

    def __init__(self, writer: Inbox) -> None:
        object.__setattr__(self, "_writer", writer)
        object.__setattr__(self, "seen", [])

    def enqueue(self, job: Incoming) -> Any:
        self.seen.append(job)
        return self._writer.enqueue(job)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)

    def __setattr__(self, name: str, value: Any) -> None:  # bot_username, set by the service at start
        setattr(self._writer, name, value)


@dataclass
class Env:
    double: BotApiDouble
    phare: Phare
    service: TelegramService
    window: Window
    users: int = 2000

    def person(self, name: str, language: str | None = "fr") -> TgUser:
        self.users += 1
        return TgUser(self.users, first_name=name, language_code=language)

    async def settle(self, *update_ids: int) -> list[Incoming]:
        """Wait until these updates are read and their steps committed; what the transport handed the writer."""
        before = len(self.window.seen)
        await self.double.wait_confirmed(max(update_ids))
        await self.service.idle()
        return self.window.seen[before:]


@pytest.fixture
async def env(double: BotApiDouble, tmp_path: Path) -> AsyncIterator[Env]:
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, telegram_token=TOKEN, telegram_base_url=double.base_url,
        operator_contact="Dr Test (test@example.org)", **FAST,
    )  # fmt: skip
    phare = await build(settings)
    window = Window(phare.writer)
    service = TelegramService(cast(Inbox, window), replace(options_from(settings), drain_timeout=1.0))
    await service.start()
    yield Env(double, phare, service, window)
    await service.stop()
    await phare.close()


def kinds(seen: list[Incoming]) -> list[tuple[str, str]]:
    return [(m.kind, m.user_key) for m in seen]


# --- who administers the group ------------------------------------------------------------------------------


async def test_supervision_commands_carry_whether_the_sender_administers_the_group(env: Env) -> None:
    double, group = env.double, TgGroup(-100201, title="Intervision du jeudi")
    owner, admin, member = env.person("Odile"), env.person("Anne"), env.person("Marc")
    double.members(group, creator=owner, admins=(admin,), members=(member,))
    seen = await env.settle(
        double.text(owner, f"/supervision@{BOT_USERNAME}", group=group),
        double.text(admin, "/session next", group=group),
        double.text(member, f"/supervision@{BOT_USERNAME}", group=group),
        double.text(member, "/break", group=group),
    )
    assert [(m.user_key, m.text, m.admin) for m in seen] == [
        (str(owner.id), f"/supervision@{BOT_USERNAME}", True),
        (str(admin.id), "/session next", True),
        (str(member.id), f"/supervision@{BOT_USERNAME}", False),
        (str(member.id), "/break", False),
    ]
    assert {(m.chat_key, m.private, m.chat_title) for m in seen} == {(str(group.id), False, "Intervision du jeudi")}
    asked = [(int(c.params["chat_id"]), int(c.params["user_id"])) for c in double.calls_to("getChatMember")]
    assert asked == [(group.id, owner.id), (group.id, admin.id), (group.id, member.id)], "once per person"


async def test_private_messages_replies_and_edits_ask_telegram_nothing(env: Env) -> None:
    double, group = env.double, TgGroup(-100202)
    admin = env.person("Anne")
    double.members(group, admins=(admin,))
    asked = double.text(admin, f"/help@{BOT_USERNAME}", group=group)
    await env.settle(asked)
    help_message = double.chat(group.id)[-1]
    calls = len(double.calls_to("getChatMember"))
    seen = await env.settle(
        double.text(admin, "/help"),  # in private
        double.text(admin, "merci", group=group, reply_to=help_message),
        double.edit_of(asked, f"/supervision@{BOT_USERNAME}", edit_date=1_900_000_000),
    )
    assert [(m.private, m.edited, m.admin) for m in seen] == [(True, False, False), (False, False, False),
                                                              (False, True, False)]  # fmt: skip
    assert seen[0].chat_title is None and seen[1].chat_title == group.title
    assert len(double.calls_to("getChatMember")) == calls, "only a new command in a group needs the admin flag"


async def test_the_admin_flag_is_asked_once_per_person_and_a_promotion_is_seen_at_once(env: Env) -> None:
    double, group = env.double, TgGroup(-100203)
    admin, member = env.person("Anne"), env.person("Marc")
    double.members(group, admins=(admin,), members=(member,), bot_admin=True)
    seen = await env.settle(*[double.text(admin, "/session next", group=group) for _ in range(5)])
    assert [m.admin for m in seen] == [True] * 5
    assert len(double.calls_to("getChatMember")) == 1, "a busy group does not ask for every command"
    seen = await env.settle(double.text(member, "/session next", group=group))
    assert [m.admin for m in seen] == [False] and len(double.calls_to("getChatMember")) == 2
    # Anne makes Marc an administrator: the chat_member update says so, and Phare asks again next time.
    assert await env.settle(double.set_status(group, member, "administrator", by=admin)) == []  # type: ignore[arg-type]
    seen = await env.settle(double.text(member, "/session next", group=group))
    assert [m.admin for m in seen] == [True] and len(double.calls_to("getChatMember")) == 3


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_what_telegram_said_is_kept_sixty_seconds_then_asked_again(double: BotApiDouble) -> None:
    group, admin = TgGroup(-100205), TgUser(31, first_name="Anne")
    double.members(group, admins=(admin,))
    bot, clock = PhareBot(TOKEN, base_url=double.base_url), Clock()
    async with bot:
        admins = ChatAdmins(bot, clock=clock)
        assert await admins.is_admin(group.id, admin.id)
        clock.now += 59
        assert await admins.is_admin(group.id, admin.id)
        assert len(double.calls_to("getChatMember")) == 1
        clock.now += 2
        double.set_status(group, admin, "member")  # demoted meanwhile (the bot is no admin: no update about it)
        assert not await admins.is_admin(group.id, admin.id)
        assert len(double.calls_to("getChatMember")) == 2


async def test_a_failed_lookup_counts_as_not_an_administrator_and_logs_no_words(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    double, group = env.double, TgGroup(-100204)
    admin = env.person("Anne")
    double.members(group, admins=(admin,))
    double.fail("getChatMember", 500)
    with caplog.at_level(logging.WARNING):
        seen = await env.settle(double.text(admin, "/supervision hebdomadaire le jeudi", group=group))
    assert [m.admin for m in seen] == [False]
    assert "getChatMember failed" in caplog.text and "jeudi" not in caplog.text
    seen = await env.settle(double.text(admin, "/supervision", group=group))
    assert [m.admin for m in seen] == [True], "a failure is not remembered"
