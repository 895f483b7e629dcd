"""Phare in Telegram groups, at the transport's edge: who administers the group (getChatMember, remembered for a
minute), who joins and leaves, the group's title. python-telegram-bot's real HTTP stack against the Bot API
double; the real writer on a SQLite file, behind a window that keeps what the transport handed it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import pytest
from telegram import Update
from telegram.error import BadRequest

from bot.app import Phare, build
from bot.config import Settings
from bot.messages import Incoming
from bot.transports.base import Inbox
from bot.transports.telegram import TelegramService, options_from
from bot.transports.telegram.api import PhareBot
from bot.transports.telegram.members import ChatAdmins
from bot.transports.telegram.polling import ALLOWED_UPDATES
from bot.transports.telegram.updates import UpdateReader
from tests.telegram_double import (
    BOT_ID,
    BOT_USERNAME,
    CHAT_NOT_FOUND,
    TOKEN,
    USER_NOT_FOUND,
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
        await asyncio.wait_for(self.service.idle(), 30)  # a writer that never commits fails the test, not CI
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


# --- who joins and leaves -----------------------------------------------------------------------------------


async def test_a_member_who_joins_or_leaves_is_one_incoming_per_message_and_per_update(env: Env) -> None:
    double, group = env.double, TgGroup(-100301, title="Balint")
    admin, newcomer = env.person("Anne"), env.person("Léa", language="en")
    double.members(group, admins=(admin,), bot_admin=True)  # an administrator gets chat_member updates
    seen = await env.settle(*double.join(newcomer, group))
    # Telegram says it twice (the service message and the chat_member update): "joined" states a membership.
    assert kinds(seen) == [("joined", str(newcomer.id))] * 2
    assert {(m.chat_key, m.private, m.chat_title, m.text, m.locale) for m in seen} == {
        (str(group.id), False, "Balint", None, "en")
    }
    assert len({m.message_id for m in seen}) == 2 and all("/joined/" in m.message_id for m in seen)
    seen = await env.settle(*double.leave(newcomer, group))
    assert kinds(seen) == [("left", str(newcomer.id))] * 2
    assert all(m.message_id.endswith(f"/left/{newcomer.id}") for m in seen)


async def test_someone_removed_by_an_admin_is_the_one_who_left(env: Env) -> None:
    double, group = env.double, TgGroup(-100302)
    admin, member = env.person("Anne"), env.person("Marc")
    double.members(group, admins=(admin,), members=(member,), bot_admin=True)
    seen = await env.settle(*double.leave(member, group, by=admin))
    assert kinds(seen) == [("left", str(member.id))] * 2, "the member, not the admin who removed them"
    assert double.status(group, member) == "kicked"


async def test_without_admin_rights_phare_reads_the_service_messages_and_a_hidden_one_is_the_update(env: Env) -> None:
    double, group = env.double, TgGroup(-100303)
    admin, member = env.person("Anne"), env.person("Marc")
    double.members(group, admins=(admin,))
    updates = double.join(member, group, by=admin)
    assert len(updates) == 1, "no chat_member update for a bot that does not administer the group"
    assert kinds(await env.settle(*updates)) == [("joined", str(member.id))]
    hidden = TgGroup(-100304)
    double.members(hidden, admins=(admin,), bot_admin=True)
    updates = double.join(member, hidden, shown=False)
    assert kinds(await env.settle(*updates)) == [("joined", str(member.id))], "join messages hidden: the update"


async def test_several_people_added_at_once_each_join_and_phare_itself_does_not(env: Env) -> None:
    double, group = env.double, TgGroup(-100305)
    admin, one, two = env.person("Anne"), env.person("Paul"), env.person("Inès")
    double.members(group, admins=(admin,))
    seen = await env.settle(*double.add((one, two), group, by=admin, bot=True))
    assert kinds(seen) == [("joined", str(one.id)), ("joined", str(two.id))]
    assert len({m.message_id for m in seen}) == 2


async def test_a_promotion_or_a_ban_after_leaving_is_no_one_coming_or_going(env: Env) -> None:
    double, group = env.double, TgGroup(-100306)
    admin, member = env.person("Anne"), env.person("Marc")
    double.members(group, admins=(admin,), members=(member,), bot_admin=True)
    assert await env.settle(double.set_status(group, member, "administrator", by=admin)) == []  # type: ignore[arg-type]
    assert await env.settle(*double.leave(member, group)) != []
    assert await env.settle(double.set_status(group, member, "kicked", by=admin)) == []  # type: ignore[arg-type]
    seen = await env.settle(double.set_status(group, member, "restricted", by=admin))  # type: ignore[arg-type]
    assert kinds(seen) == [("joined", str(member.id))], "restricted but still a member: back in the group"


async def test_a_membership_reads_the_same_after_the_webhook_server_parsed_it_and_on_redelivery() -> None:
    """The webhook hands updates over as python-telegram-bot parsed them (then back to JSON); Telegram may send
    one again: the same ids, so the writer drops the second."""
    double, group = BotApiDouble(), TgGroup(-100307)
    admin, member = TgUser(41), TgUser(42)
    double.members(group, admins=(admin,), members=(member,), bot_admin=True)
    ids = double.leave(member, group, by=admin)
    reader = UpdateReader(BOT_ID, BOT_USERNAME, lambda c, m, i: None)
    bot = PhareBot(TOKEN)
    for update_id in ids:
        raw = double.update(update_id)
        parsed = Update.de_json(json.loads(json.dumps(raw)), bot).to_dict()
        first, again = reader.read(raw), reader.read(parsed)
        assert first is not None and again is not None
        assert [(m.kind, m.user_key, m.message_id) for m in first.incomings] == [
            (m.kind, m.user_key, m.message_id) for m in again.incomings
        ]
        assert [m.kind for m in first.incomings] == ["left"]


# --- the double is as strict as Telegram ----------------------------------------------------------------------


async def test_get_chat_member_answers_as_telegram_does(double: BotApiDouble) -> None:
    group, admin, member, stranger = TgGroup(-100401), TgUser(51), TgUser(52), TgUser(53)
    double.members(group, creator=admin, members=(member,))
    double.text(stranger, "/start")  # Telegram knows this person; they are not in the group
    async with PhareBot(TOKEN, base_url=double.base_url) as bot:
        assert (await bot.get_chat_member(group.id, admin.id)).status == "creator"
        assert (await bot.get_chat_member(group.id, member.id)).status == "member"
        assert (await bot.get_chat_member(group.id, stranger.id)).status == "left"
        double.set_status(group, member, "administrator")
        assert (await bot.get_chat_member(group.id, member.id)).status == "administrator"
        double.set_status(group, member, "restricted")
        assert (await bot.get_chat_member(group.id, member.id)).status == "restricted"
        with pytest.raises(BadRequest, match=r"[Uu]ser not found"):
            await bot.get_chat_member(group.id, 999_999)
        with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
            await bot.get_chat_member(-100999, admin.id)
    assert USER_NOT_FOUND.endswith("user not found") and CHAT_NOT_FOUND.endswith("chat not found")
    with pytest.raises(AssertionError):
        double.join(member, group)  # already a member
    double.leave(member, group)
    with pytest.raises(AssertionError):
        double.text(member, "/help", group=group)  # someone who left cannot write there


async def test_chat_member_updates_are_served_only_when_asked_for(double: BotApiDouble) -> None:
    group, admin, member = TgGroup(-100402), TgUser(61), TgUser(62)
    double.members(group, admins=(admin,), bot_admin=True)
    async with PhareBot(TOKEN, base_url=double.base_url) as bot:
        ids = double.join(member, group, by=admin)
        served = await bot.raw_updates(None, 0, [])  # by default, no chat_member updates
        assert [u["update_id"] for u in served] == ids[:1]
        assert double.confirmed == 0
        await bot.raw_updates(ids[0] + 1, 0, [])
        assert double.confirmed == ids[-1], "an update never served has nothing to confirm"
        ids = double.leave(member, group)
        served = await bot.raw_updates(None, 0, list(ALLOWED_UPDATES))
        assert [next(k for k in u if k != "update_id") for u in served] == ["message", "chat_member"]
