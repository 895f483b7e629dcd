"""A click-through kit for dialogue authors: talk to the conversation core in memory, with no database.

    from bot.core.kit import Kit
    kit = Kit()
    me = kit.person(locale="en")
    me.onboard(language="en", country="gb")
    me.send("/break")
    me.tap("overload")
    print(me.last().text, [b.id for b in me.last().buttons])

Each call returns the replies Phare would send. Records live in dictionaries: what the writer would store is
kept as the core decided it (the user, the open run), so a whole exercise can be clicked through in a unit
test in milliseconds. Replies that read storage (/history, /export) come back as their placeholder "…".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

from bot.contact import contacts_by_locale
from bot.core.conversation import Conversation
from bot.core.jobs import Wake
from bot.core.turn import Turn
from bot.messages import Button, Incoming, Outgoing
from bot.safety import SafetyCheck
from dialogues.loader import Library, load_library
from storage.records import RunRecord, UserRecord


class Kit:
    def __init__(
        self, library: Library | None = None, *, safety: SafetyCheck | None = None, start: datetime | None = None
    ) -> None:
        self.core = Conversation(
            library or load_library(), safety=safety, operator_contacts=contacts_by_locale("the operator")
        )
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        self.users: dict[str, UserRecord] = {}
        self.runs: dict[str, RunRecord] = {}
        self._ids = count(1)

    def person(self, *, locale: str = "fr", platform: str = "kit") -> Person:
        return Person(self, f"kit{next(self._ids)}", locale, platform)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def _keep(self, turn: Turn) -> None:
        if not turn.store:
            return
        if turn.forget:
            self.users.pop(turn.user.external_id, None)
            self.runs.pop(turn.user.id, None)
            return
        self.users[turn.user.external_id] = turn.user
        if not turn.touches_run:
            return
        if turn.run is not None and turn.run.status != "ended":
            self.runs[turn.user.id] = turn.run
        else:
            self.runs.pop(turn.user.id, None)


@dataclass
class Person:
    kit: Kit
    key: str
    locale: str
    platform: str = "kit"
    seen: list[Outgoing] = field(default_factory=list)
    _count: int = 0

    def _incoming(self, **fields: object) -> Incoming:
        self._count += 1
        base: dict[str, object] = {
            "platform": self.platform,
            "user_key": self.key,
            "chat_key": self.key,
            "message_id": f"{self.key}-{self._count}",
            "received_at": self.kit.now,
            "locale": self.locale,
        }
        return Incoming(**{**base, **fields})  # type: ignore[arg-type]

    def _handle(self, msg: Incoming) -> list[Outgoing]:
        kit = self.kit
        user = kit.users.get(self.key)
        run = kit.runs.get(user.id) if user else None
        decision = kit.core.message(msg, user, run, kit.now)
        if decision.failed is not None:
            raise decision.failed
        replies: list[Outgoing] = []
        for turn in decision.turns:
            kit._keep(turn)
            replies.extend(turn.replies)
        self.seen.extend(replies)
        return replies

    def send(self, text: str, **extra: object) -> list[Outgoing]:
        return self._handle(self._incoming(text=text, **extra))

    def tap(self, option_id: str) -> list[Outgoing]:
        button = self.button(option_id)
        return self._handle(self._incoming(option=button.id, ref=button.ref, kind="option"))

    def wait(self, **delta: float) -> list[Outgoing]:
        """Let time pass; a paused step that is due wakes up."""
        kit = self.kit
        kit.advance(**delta)
        user = kit.users.get(self.key)
        run = kit.runs.get(user.id) if user else None
        if user is None or run is None or run.wake_at is None or run.wake_at > kit.now:
            return []
        turn = kit.core.timer(Wake(user.id, run.id), user, run, kit.now)
        if turn is None:
            return []
        kit._keep(turn)
        self.seen.extend(turn.replies)
        return turn.replies

    def button(self, option_id: str) -> Button:
        for message in reversed(self.seen):
            for button in message.buttons:
                if button.id == option_id:
                    return button
        raise AssertionError(f"no button {option_id!r} shown")

    def last(self) -> Outgoing:
        return self.seen[-1]

    def step(self) -> str | None:
        from dialogues.state import RunState

        user = self.kit.users.get(self.key)
        run = self.kit.runs.get(user.id) if user else None
        return RunState.from_dict(run.state["engine"]).top.step_id if run else None

    def onboard(
        self, *, language: str = "fr", address: str = "vous", consent: bool = True, country: str = "fr"
    ) -> None:
        self.send("/start")
        self.tap(language)
        if language == "fr":
            self.tap(address)
        self.tap("continue")
        self.tap("continue")
        self.tap("yes" if consent else "no")
        self.tap(country)
