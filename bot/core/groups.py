"""Supervision groups: what Phare does in a group chat (settings by an admin, sessions and their phases, rounds,
the guided pause, membership) and in private for a group (the agenda, a round answer, the settings dialogue).

Pure like the rest of the core: the writer hands in the groups concerned (`GroupView`s, the batch's working
copies, updated here as decisions are made so the next message of the batch sees the group as it now is) and
gets back turns with replies and `GroupChanges` to commit. Nothing a member writes in private is posted with
their name unless they asked; a round shows nothing below three answers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.commands import Command
from bot.core.exercises import Exercises
from bot.core.group_plan import (
    DEFAULT_REMINDERS,
    FORMATS,
    FREQUENCIES,
    PACES,
    anchor_for,
    next_session,
)
from bot.core.group_sessions import GroupSessions
from bot.core.group_voice import attach
from bot.core.jobs import ACTION_PREFIX, ROUND_PREFIX, private_chat
from bot.core.speaker import Speaker
from bot.core.turn import Turn
from bot.messages import Button, Incoming, Outgoing
from dialogues.state import RunState
from storage.group_records import AgendaItem, GroupChanges, GroupRecord, GroupView
from storage.records import RunRecord, UserRecord, new_id

SETUP, AGENDA = "supervision", "agenda"
PRIVATE_DIALOGUES = (SETUP, AGENDA)  # run in a member's private chat, for a group named in the run's state
GROUP_COMMANDS = frozenset({"supervision", "session", "group_pause"})  # what Phare answers in a group
PRIVATE_COMMANDS = frozenset({"agenda", "round", "supervision", "session", "group_pause"})
AGENDA_PREFIX = ACTION_PREFIX + "agenda_group:"  # which group an agenda topic is for


def needs_groups(msg: Incoming, run: RunRecord | None, command: Command | None) -> bool:
    """Whether a private message concerns the person's groups (the writer then loads them)."""
    if command is not None and (command.name in PRIVATE_COMMANDS or command.payload.lower() in PRIVATE_COMMANDS):
        return True
    if msg.option is not None and msg.option.startswith(AGENDA_PREFIX):
        return True
    return run is not None and run.dialogue_id in PRIVATE_DIALOGUES


class Groups(GroupSessions):
    def __init__(self, speaker: Speaker, exercises: Exercises) -> None:
        super().__init__(speaker)
        self.exercises = exercises

    # --- a message in a group -----------------------------------------------------------------------------

    def in_group(
        self, msg: Incoming, command: Command | None, user: UserRecord, known: bool, view: GroupView | None,
        now: datetime, views: dict[str, GroupView],
    ) -> list[Turn] | None:  # fmt: skip
        """Turns for a group message about supervision; None when it is none of this module's business. A turn
        with no reply only carries a change (a member noted): the ordinary answer, if any, comes as well."""
        changes = GroupChanges()
        turns: list[Turn] = []
        if view is not None and msg.kind in ("joined", "left"):
            if msg.kind == "left":
                view.members.discard(msg.user_key)
                view.agenda = [a for a in view.agenda if a.user_key != msg.user_key]
                view.answers = [a for a in view.answers if a.user_key != msg.user_key]
                changes.members_removed.append((view.group.id, msg.user_key))
            else:
                self._member(view, msg.user_key, changes, now)
            return [self._carrier(msg, user, changes)]
        if msg.kind in ("joined", "left"):
            return []
        if msg.option is not None and msg.option.startswith(ROUND_PREFIX):
            if view is not None:
                self._tap(view, msg, changes, now)
                self._member(view, msg.user_key, changes, now)
            return [self._carrier(msg, user, changes)]
        if command is None or msg.edited:
            return None  # ordinary chatter: nothing is stored from it
        if command.name not in GROUP_COMMANDS:
            if view is not None and msg.user_key not in view.members:
                # Someone who spoke to Phare here (/agenda, /help) is a member: /agenda in private lists the group.
                self._member(view, msg.user_key, changes, now)
                return [self._carrier(msg, user, changes)]
            return None
        # Every group command is the facilitators' (the admins').
        if not msg.admin:
            turns.append(self._group_only(msg, user, _ADMINS_ONLY[command.name]))
            return turns
        view = self._ensure_group(msg, user, view, views, changes, now, rename=command.name == "supervision")
        group = view.group
        if command.name == "supervision":
            if known:
                # The settings dialogue runs in the admin's private chat: a group is no place for a form.
                private = Turn(user=user.clone(), run=None, chat_key=private_chat(msg.user_key), platform=msg.platform)
                self._start_private(SETUP, private, group, now, current=None)
                turns.append(private)
                self.post(turns, group, self.say(group, "supervision_sent_private"))
            else:
                button = Button("private", self.say(group, "open_private"), "private:")
                self.post(turns, group, self.say(group, "supervision_write_first"), (button,))
            return attach(turns, changes)
        if command.name == "group_pause":
            self._pause_start(view, turns, changes, now)
            return attach(turns, changes)
        # /session …: the facilitator steers
        action = (command.payload.split() or ["help"])[0].lower()
        action = _SESSION_ALIASES.get(action, action)
        if action == "start":
            self._session_start(view, turns, changes, now)
        elif action == "next":
            self._session_next(view, turns, changes, now)
        elif action == "pause":
            self._session_pause(view, turns, changes, now)
        elif action == "resume":
            self._session_resume(view, turns, changes, now)
        elif action == "end":
            self._session_end(view, turns, changes, now)
        else:
            self.post(turns, view.group, self.say(view.group, "session_help",
                                                  cmd=self.command_hint(msg.platform, "session", group=True,
                                                                        locale=view.group.locale)))  # fmt: skip
        return attach(turns, changes)

    def _carrier(self, msg: Incoming, user: UserRecord, changes: GroupChanges) -> Turn:
        """A turn with no reply that only carries changes to the group (a member joined, a score tapped)."""
        turn = Turn(user=user.clone(), run=None, chat_key=msg.chat_key, platform=msg.platform, store=False,
                    touches_run=False)  # fmt: skip
        turn.groups = changes
        return turn

    def _group_only(self, msg: Incoming, user: UserRecord, key: str) -> Turn:
        turn = Turn(user=user.clone(), run=None, chat_key=msg.chat_key, platform=msg.platform, store=False,
                    touches_run=False)  # fmt: skip
        turn.replies.append(Outgoing(self.speaker.render(key, user), group=True))
        return turn

    def _ensure_group(
        self, msg: Incoming, user: UserRecord, view: GroupView | None, views: dict[str, GroupView],
        changes: GroupChanges, now: datetime, *, rename: bool,
    ) -> GroupView:  # fmt: skip
        """The group an admin's command is about, created on first use; the sender, and everyone the platform
        says is in the room (Matrix), are members; /supervision keeps the group's name current."""
        if view is None:
            group = self._new_group(msg, user, now)
            view = views[group.id] = GroupView(group)
            changes.save(group, new=True)
        elif rename and msg.chat_title and msg.chat_title != view.group.title:
            view.group = replace(view.group, title=msg.chat_title, updated_at=now)
            changes.save(view.group)
        for key in (msg.user_key, *msg.members):
            self._member(view, key, changes, now)
        return view

    def _new_group(self, msg: Incoming, user: UserRecord, now: datetime) -> GroupRecord:
        return GroupRecord(id=new_id(), platform=msg.platform, chat_key=msg.chat_key, locale=user.locale,
                           created_at=now, updated_at=now, title=msg.chat_title)  # fmt: skip

    # --- the agenda and the settings, in private ----------------------------------------------------------

    def private_command(self, command: Command, turn: Turn, views: dict[str, GroupView], now: datetime) -> None:
        user = turn.user
        if command.name == "round":
            self.round_answer(command, turn, views, now)
            return
        if command.name in ("supervision", "session"):
            turn.replies.append(self.speaker.text("supervision_in_group", user))
            return
        mine = [v for v in views.values() if user.external_id in v.members]
        if not mine:
            turn.replies.append(self.speaker.text("agenda_no_group", user))
        elif len(mine) == 1:
            self._start_private(AGENDA, turn, mine[0].group, now, current=turn.run)
        else:
            buttons = tuple(
                Button(AGENDA_PREFIX + v.group.id, v.group.title or self.speaker.render("group_unnamed", user), "app")
                for v in mine
            )
            turn.replies.append(Outgoing(self.speaker.render("agenda_which_group", user), buttons))

    def agenda_for(self, group_id: str, turn: Turn, views: dict[str, GroupView], now: datetime) -> None:
        view = views.get(group_id)
        if view is None or turn.user.external_id not in view.members:
            turn.replies.append(self.speaker.text("stale_idle", turn.user))  # a forged or outdated button
            return
        self._start_private(AGENDA, turn, view.group, now, current=turn.run)

    def _start_private(self, dialogue: str, turn: Turn, group: GroupRecord, now: datetime,
                       current: RunRecord | None) -> None:  # fmt: skip
        turn.run = current
        name = group.title or self.speaker.render("group_unnamed", turn.user)
        self.exercises.start(dialogue, turn, now, extra={"group": group.id, "group_name": name})

    def action(self, name: str, turn: Turn, views: dict[str, GroupView], now: datetime) -> None:
        """The end of the settings or agenda dialogue: its answers become the group's settings or an item."""
        finished = turn.ended[-1][0] if turn.ended else None
        if finished is None:
            return
        values = _values(finished)
        view = views.get(str(finished.state.get("group", "")))
        user = turn.user
        if view is None:
            turn.replies.append(self.speaker.text("group_gone", user))
            return
        changes = turn.groups = turn.groups or GroupChanges()
        if name == "agenda_save":
            topic = str(values.get("topic", "")).strip()
            shown = str(values.get("name", "")).strip() if values.get("shown") == "named" else ""
            item = AgendaItem(new_id(), view.group.id, user.external_id, topic, shown or None, now)
            view.agenda.append(item)
            changes.agenda_new.append(item)
            turn.replies.append(self.speaker.text("agenda_saved_named" if shown else "agenda_saved_anonymous", user))
            return
        settings = self._settings_from(values, view.group)
        settings["anchor"] = anchor_for(settings, now)
        group = replace(view.group, settings=settings, locale=str(values.get("language") or view.group.locale),
                        updated_at=now)  # fmt: skip
        view.group = group
        changes.save(group, new=group.id in changes.new_groups)
        self._plan_reminders(view, changes, now)
        when = next_session(settings, now)
        turn.replies.append(self.speaker.text("supervision_saved", user, when=self._when(when, settings, user.locale)))
        # The group sees its new calendar, and nothing about who set it.
        text = self.say(group, "supervision_summary", when=self._when(when, settings, group.locale),
                        format=self.say(group, f"format_{settings['format']}"))  # fmt: skip
        self.post(turn.also, group, text)

    def _settings_from(self, values: dict[str, Any], group: GroupRecord) -> dict[str, Any]:
        reminders = {"both": list(DEFAULT_REMINDERS), "day": [1440], "hour": [60], "none": []}
        return {
            **group.settings,
            "frequency": values.get("frequency") if values.get("frequency") in FREQUENCIES else "weekly",
            "weekday": int(str(values.get("weekday", "0"))[-1]) if str(values.get("weekday", "")) else 0,
            "time": str(values.get("hour") or "18:00"),
            "zone": str(values.get("zone") or "Europe/Paris"),
            "reminders": reminders.get(str(values.get("reminders")), list(DEFAULT_REMINDERS)),
            "format": values.get("format") if values.get("format") in FORMATS else "intervision",
            "pace": values.get("pace") if values.get("pace") in PACES else "standard",
        }


_ADMINS_ONLY = {
    "supervision": "supervision_admins_only", "session": "session_admins_only",
    "group_pause": "group_pause_admins_only",
}  # fmt: skip
_SESSION_ALIASES = {
    "demarrer": "start", "démarrer": "start", "debut": "start", "début": "start", "commencer": "start",
    "suivante": "next", "suivant": "next", "pause": "pause", "reprendre": "resume", "fin": "end",
    "terminer": "end", "stop": "end",
}  # fmt: skip


def _values(run: RunRecord) -> dict[str, Any]:
    state = RunState.from_dict(run.state["engine"])
    return dict(state.frames[-1].values) if state.frames else {}
