"""How Phare speaks in a supervision group: the group's language, posts marked for the group, commands as each
platform types them, dates in the group's time zone, and the state a group keeps. Shared by bot/core/groups.py
(what a message means) and bot/core/group_sessions.py (sessions, rounds, reminders, the guided pause)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.core.speaker import Speaker
from bot.core.turn import Turn
from bot.messages import Button, Outgoing
from dialogues.engine import Engine
from dialogues.texts import Context
from storage.group_records import GroupChanges, GroupRecord, GroupView
from storage.records import UserRecord

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")  # fmt: skip
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")  # fmt: skip


class GroupVoice:
    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
        self.library = speaker.library
        self.engine = Engine(speaker.library)

    # --- speaking to a group ----------------------------------------------------------------------------

    def ctx(self, group: GroupRecord) -> Context:
        # A group is addressed in the plural: "vous" in French.
        return Context(locale="en" if group.locale == "en" else "fr", address="vous", vars={})

    def say(self, group: GroupRecord, key: str, **values: object) -> str:
        return self.library.text(key).render(self.ctx(group), values)

    def post(self, turns: list[Turn], group: GroupRecord, text: str, buttons: tuple[Button, ...] = ()) -> None:
        """A message for the group itself (marked so: a transport posts nothing personal in a group)."""
        turn = next((t for t in turns if t.chat_key == group.chat_key and not t.store), None)
        if turn is None:
            turn = self._carrier_for(group)
            turns.append(turn)
        turn.replies.append(Outgoing(text, buttons, group=True))

    def command_hint(self, platform: str, name: str, *, group: bool, locale: str) -> str:
        """How a member types a command here: Matrix uses "!phare …" in a group and "!…" in private (Element
        keeps "/" for itself); elsewhere "/…"."""
        from bot.commands import BY_NAME, shown_name

        shown = shown_name(BY_NAME[name], locale) if name in BY_NAME else name
        if platform == "matrix":
            return f"!phare {shown}" if group else f"!{shown}"
        return f"/{shown}"

    def _carrier_for(self, group: GroupRecord) -> Turn:
        placeholder = UserRecord(id="", platform=group.platform, external_id="", locale=group.locale,
                                 address="vous", created_at=group.created_at)  # fmt: skip
        return Turn(user=placeholder, run=None, chat_key=group.chat_key, platform=group.platform, store=False,
                    touches_run=False)  # fmt: skip

    def _member(self, view: GroupView, user_key: str, changes: GroupChanges, now: datetime) -> None:
        if user_key and user_key not in view.members:
            view.members.add(user_key)
            changes.members_added.append((view.group.id, user_key, now))

    def _phase_name(self, group: GroupRecord, key: str) -> str:
        return self.say(group, f"phase_name_{key}")

    def _set_state(self, view: GroupView, changes: GroupChanges, now: datetime | None, **values: Any) -> None:
        state = {k: v for k, v in {**view.group.state, **values}.items() if v is not None}
        view.group = replace(view.group, state=state, updated_at=now or view.group.updated_at)
        changes.save(view.group, new=view.group.id in changes.new_groups)

    def _when(self, when: datetime | None, settings: dict[str, Any], locale: str) -> str:
        if when is None:
            return "—"
        from dialogues.validators import zone

        local = when.astimezone(zone(str(settings.get("zone") or "Europe/Paris")))
        day = self.library.text(f"weekday_{local.weekday()}").render(
            Context(locale="en" if locale == "en" else "fr", address="vous", vars={})
        )
        if locale == "en":
            return f"{day} {local.day} {MONTHS_EN[local.month - 1]}, {local.strftime('%H:%M')}"
        first = "1er" if local.day == 1 else str(local.day)
        return f"{day} {first} {MONTHS_FR[local.month - 1]} à {local.hour}h{local.minute:02d}"


def attach(turns: list[Turn], changes: GroupChanges) -> list[Turn]:
    """The changes ride on the first turn: the writer commits them with the batch."""
    turns[0].groups = changes
    return turns


def escape_said(text: str) -> str:
    """What people wrote, shown as typed: light-markup markers escaped (dialogues/markup.py)."""
    from dialogues.markup import escape

    return escape(text)
