"""A test harness around the real writer, storage and dispatcher: send text, tap buttons, read replies."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.contact import contacts_by_locale
from bot.crisis_hook import load_safety
from bot.messages import Button, Delivery, Incoming, Outgoing
from bot.outbox import Dispatcher
from bot.retry import RetryPolicy
from bot.transports.base import Transport
from bot.transports.numbering import match_button
from bot.writer import Writer
from dialogues.loader import Library, load_library
from dialogues.state import RunState
from storage.crypto import Cipher, generate_key
from storage.db import Database
from storage.repo import Repository

TEST_KEY = generate_key()
TEST_OPERATOR = contacts_by_locale("Dr Test (test@example.org)")  # the same contact in every language
_LIBRARY: Library | None = None


def library() -> Library:
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = load_library()
    return _LIBRARY


class FakeClock:
    """Time that only moves when a test says so: pauses and expiry are tested without waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RecordingTransport(Transport):
    """Keeps what was delivered, per chat, in order; can be told to fail."""

    def __init__(self, platform: str = "test") -> None:
        self.platform = platform
        self.sent: list[Delivery] = []
        self.fail_next: list[Exception] = []

    async def deliver(self, delivery: Delivery) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.sent.append(delivery)

    def chat(self, chat_key: str) -> list[Outgoing]:
        # "@user:KEY" is "KEY's private chat" (bot/core/jobs.py): here the same chat as KEY.
        return [d.message for d in self.sent if d.chat_key in (chat_key, f"@user:{chat_key}")]

    def already_delivered(self, ids: Iterable[str]) -> set[str]:
        mine = {d.id for d in self.sent}
        return {i for i in ids if i in mine}


@dataclass
class App:
    db: Database
    writer: Writer
    transport: RecordingTransport
    dispatcher: Dispatcher
    clock: FakeClock
    repo: Repository

    async def close(self) -> None:
        await self.dispatcher.stop()
        await self.writer.stop()
        await self.db.dispose()

    async def settle(self) -> None:
        await self.writer.charts.drain()  # a /history chart is drawn in another process and queued after
        await self.dispatcher.drain()


async def make_app(
    url: str,
    *,
    clock: FakeClock | None = None,
    transport: RecordingTransport | None = None,
    key: str = TEST_KEY,
    safety: bool = True,
    migrate: bool = True,
    operator_contacts: Mapping[str, str] | None = None,
    retention_days: int | None = None,
) -> App:
    db = Database(url)
    if migrate:
        await db.migrate()
    clock = clock or FakeClock()
    repo = Repository(Cipher([key]))
    writer = Writer(
        db, repo, library(), clock=clock, safety=load_safety() if safety else None,
        operator_contacts=TEST_OPERATOR if operator_contacts is None else operator_contacts,
        retention_days=retention_days,
    )  # fmt: skip
    transport = transport or RecordingTransport()
    dispatcher = Dispatcher(transport, writer.mark_sent, retry=RetryPolicy(base=0.01))
    writer.on_commit(dispatcher.enqueue)
    await writer.start()
    await dispatcher.start(await writer.pending(transport.platform))
    return App(db, writer, transport, dispatcher, clock, repo)


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory / 'phare.db'}"


@dataclass
class User:
    """One person talking to Phare through the recording transport."""

    app: App
    key: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    locale: str | None = "fr"
    platform: str = "test"
    counter: int = 0
    seen: int = 0

    @property
    def chat(self) -> list[Outgoing]:
        return self.app.transport.chat(self.key)

    async def _submit(self, msg: Incoming) -> list[Outgoing]:
        await self.app.writer.submit(msg)
        await self.app.settle()
        new = self.chat[self.seen :]
        self.seen = len(self.chat)
        return new

    def _incoming(self, **fields: object) -> Incoming:
        self.counter += 1
        base: dict[str, object] = {
            "platform": self.platform,
            "user_key": self.key,
            "chat_key": self.key,
            "message_id": f"{self.key}-{self.counter}",
            "received_at": self.app.clock(),
            "locale": self.locale,
        }
        base.update(fields)
        return Incoming(**base)  # type: ignore[arg-type]

    async def send(self, text: str, **extra: object) -> list[Outgoing]:
        """Typed text; a typed number or label picks a shown button the way the console does."""
        return await self._submit(self._incoming(text=text, **extra))

    async def type(self, text: str) -> list[Outgoing]:
        button = match_button(text, self.last_buttons())
        if button is not None:
            return await self._submit(self._incoming(option=button.id, ref=button.ref, kind="option"))
        return await self.send(text)

    async def tap(self, option_id: str, *, ref: str | None = None) -> list[Outgoing]:
        button = self.button(option_id)
        return await self._submit(
            self._incoming(option=option_id, ref=ref if ref is not None else button.ref, kind="option")
        )

    async def other(self, kind: str) -> list[Outgoing]:
        return await self._submit(self._incoming(kind=kind))

    def last_buttons(self) -> tuple[Button, ...]:
        for message in reversed(self.chat):
            if message.buttons or message.scale:
                return message.buttons
        return ()

    def button(self, option_id: str) -> Button:
        for message in reversed(self.chat):
            for button in message.buttons:
                if button.id == option_id:
                    return button
        raise AssertionError(f"no button {option_id!r} shown; last buttons: {self.last_buttons()}")

    async def onboard(self, *, language: str = "fr", address: str = "vous", consent: bool = True,
                      country: str = "fr") -> None:  # fmt: skip
        await self.send("/start")
        await self.tap(language)
        if language == "fr":
            await self.tap(address)
        await self.tap("continue")
        await self.tap("continue")
        await self.tap("yes" if consent else "no")
        await self.tap(country)

    async def break_at_intensity(self, situation: str = "overload") -> None:
        """Open the self-compassion break on a situation and reach its first intensity question."""
        await self.send("/break")
        await self.tap(situation)
        await self.tap("continue")

    async def run_state(self) -> tuple[str | None, RunState | None]:
        async with self.app.db.begin() as conn:
            users = await self.app.repo.users_by_key(conn, [(self.platform, self.key)])
            user = users.get((self.platform, self.key))
            if user is None:
                return None, None
            runs = await self.app.repo.current_runs(conn, [user.id])
        run = runs.get(user.id)
        if run is None:
            return None, None
        return run.dialogue_id, RunState.from_dict(run.state["engine"])

    async def step(self) -> str | None:
        _, state = await self.run_state()
        return state.top.step_id if state else None


def text_of(messages: list[Outgoing]) -> str:
    return "\n".join(m.text for m in messages)


def require_services() -> bool:
    return os.environ.get("PHARE_REQUIRE_SERVICES") == "1"


async def wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def record_sleeps(monkeypatch: Any) -> list[float]:
    """Every asyncio.sleep from now on is recorded and skipped (a retry's waits, without waiting them)."""
    recorded: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        recorded.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return recorded
