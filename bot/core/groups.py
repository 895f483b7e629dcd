"""Supervision groups: what Phare does in a group chat (settings by an admin, sessions and their phases, rounds,
the guided pause, membership) and in private for a group (the agenda, a round answer, the settings dialogue).

Pure like the rest of the core: the writer hands in the groups concerned (`GroupView`s, the batch's working
copies, updated here as decisions are made so the next message of the batch sees the group as it now is) and
gets back turns with replies and `GroupChanges` to commit. Nothing a member writes in private is posted with
their name unless they asked; a round shows nothing below three answers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.care.identifiers import identifying_details
from bot.commands import Command
from bot.core.exercises import Exercises
from bot.core.group_plan import (
    DEFAULT_REMINDERS,
    FORMATS,
    FREQUENCIES,
    PACES,
    aggregate,
    anchor_for,
    next_session,
    phases,
)
from bot.core.jobs import ACTION_PREFIX, private_chat
from bot.core.speaker import Speaker
from bot.core.turn import Turn
from bot.messages import Button, Incoming, Outgoing
from dialogues.engine import Engine
from dialogues.numbers import read_numbers
from dialogues.state import RunState
from dialogues.texts import Context
from storage.group_records import AgendaItem, GroupChanges, GroupRecord, GroupView, RoundAnswer
from storage.records import RunRecord, UserRecord, new_id

SETUP, AGENDA, GROUP_PAUSE = "supervision", "agenda", "group_pause"
PRIVATE_DIALOGUES = (SETUP, AGENDA)  # run in a member's private chat, for a group named in the run's state
GROUP_COMMANDS = frozenset({"supervision", "session", "group_pause"})  # what Phare answers in a group
PRIVATE_COMMANDS = frozenset({"agenda", "round", "supervision", "session", "group_pause"})
ROUND_PREFIX = ACTION_PREFIX + "round:"  # a score tapped under a round's question in the group
AGENDA_PREFIX = ACTION_PREFIX + "agenda_group:"  # which group an agenda topic is for
NO_GROUP_BUTTONS = frozenset({"matrix"})  # Matrix groups have no buttons: answers come in private
WORD_MAX = 80
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")  # fmt: skip
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")  # fmt: skip


def needs_groups(msg: Incoming, run: RunRecord | None, command: Command | None) -> bool:
    """Whether a private message concerns the person's groups (the writer then loads them)."""
    if command is not None and (command.name in PRIVATE_COMMANDS or command.payload.lower() in PRIVATE_COMMANDS):
        return True
    if msg.option is not None and msg.option.startswith(AGENDA_PREFIX):
        return True
    return run is not None and run.dialogue_id in PRIVATE_DIALOGUES


class Groups:
    def __init__(self, speaker: Speaker, exercises: Exercises) -> None:
        self.speaker = speaker
        self.library = speaker.library
        self.exercises = exercises
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
        group = view.group if view is not None else None
        if view is not None:
            for key in msg.members:  # everyone in the room, where the platform says (Matrix)
                self._member(view, key, changes, now)
        if command.name == "supervision":
            if not msg.admin:
                turns.append(self._group_only(msg, user, "supervision_admins_only"))
                return turns
            if group is None:
                group = self._new_group(msg, user, now)
                view = views[group.id] = GroupView(group)
                changes.save(group, new=True)
            elif view is not None and msg.chat_title and msg.chat_title != group.title:
                group = replace(group, title=msg.chat_title, updated_at=now)
                view.group = group
                changes.save(group)
            assert view is not None
            for key in (msg.user_key, *msg.members):
                self._member(view, key, changes, now)
            if known:
                # The settings dialogue runs in the admin's private chat: a group is no place for a form.
                private = Turn(user=user.clone(), run=None, chat_key=private_chat(msg.user_key), platform=msg.platform)
                self._start_private(SETUP, private, group, now, current=None)
                turns.append(private)
                self.post(turns, group, self.say(group, "supervision_sent_private"))
            else:
                button = Button("private", self.say(group, "open_private"), "private:")
                self.post(turns, group, self.say(group, "supervision_write_first"), (button,))
            return _attach(turns, changes)
        if command.name == "group_pause":
            if not msg.admin:
                turns.append(self._group_only(msg, user, "group_pause_admins_only"))
                return turns
            if group is None:
                group = self._new_group(msg, user, now)
                view = views[group.id] = GroupView(group)
                changes.save(group, new=True)
            assert view is not None
            self._member(view, msg.user_key, changes, now)
            self._pause_start(view, turns, changes, now)
            return _attach(turns, changes)
        # /session …: the facilitator steers
        if not msg.admin:
            turns.append(self._group_only(msg, user, "session_admins_only"))
            return turns
        if group is None:
            group = self._new_group(msg, user, now)
            view = views[group.id] = GroupView(group)
            changes.save(group, new=True)
        assert view is not None
        for key in (msg.user_key, *msg.members):
            self._member(view, key, changes, now)
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
        return _attach(turns, changes)

    def _carrier(self, msg: Incoming, user: UserRecord, changes: GroupChanges) -> Turn:
        """A turn with no reply that only carries changes to the group (a member joined, a score tapped)."""
        turn = Turn(user=user.clone(), run=None, chat_key=msg.chat_key, platform=msg.platform, store=False,
                    touches_run=False)  # fmt: skip
        turn.groups = changes
        return turn

    def _carrier_for(self, group: GroupRecord) -> Turn:
        placeholder = UserRecord(id="", platform=group.platform, external_id="", locale=group.locale,
                                 address="vous", created_at=group.created_at)  # fmt: skip
        return Turn(user=placeholder, run=None, chat_key=group.chat_key, platform=group.platform, store=False,
                    touches_run=False)  # fmt: skip

    def _group_only(self, msg: Incoming, user: UserRecord, key: str) -> Turn:
        turn = Turn(user=user.clone(), run=None, chat_key=msg.chat_key, platform=msg.platform, store=False,
                    touches_run=False)  # fmt: skip
        turn.replies.append(Outgoing(self.speaker.render(key, user), group=True))
        return turn

    def _new_group(self, msg: Incoming, user: UserRecord, now: datetime) -> GroupRecord:
        return GroupRecord(id=new_id(), platform=msg.platform, chat_key=msg.chat_key, locale=user.locale,
                           created_at=now, updated_at=now, title=msg.chat_title)  # fmt: skip

    def _member(self, view: GroupView, user_key: str, changes: GroupChanges, now: datetime) -> None:
        if user_key and user_key not in view.members:
            view.members.add(user_key)
            changes.members_added.append((view.group.id, user_key, now))

    # --- sessions and their phases ----------------------------------------------------------------------

    def _session_start(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        group = view.group
        session = group.state.get("session")
        if session:
            plan = phases(group.settings)
            phase = plan[min(int(session["phase"]), len(plan) - 1)]
            self.post(turns, group, self.say(group, "session_already", phase=self._phase_name(group, phase.key)))
            return
        session = {"id": new_id(), "phase": 0, "started_at": now.isoformat(), "round": None}
        self._set_state(view, changes, now, session=session)
        self.post(turns, view.group, self.say(view.group, "session_opening"))
        self._post_agenda(view, turns, changes, now, only_new=False)
        self._enter_phase(view, turns, changes, now)

    def _enter_phase(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        group = view.group
        session = dict(group.state["session"])
        plan = phases(group.settings)
        index = int(session["phase"])
        phase = plan[index]
        ends = now + timedelta(minutes=phase.minutes)
        session.update(ends_at=ends.isoformat(), paused_left=None)
        text = self.say(group, "phase_announce", number=index + 1, total=len(plan),
                        name=self._phase_name(group, phase.key), minutes=phase.minutes,
                        guide=self.say(group, f"phase_{phase.key}"))  # fmt: skip
        buttons: tuple[Button, ...] = ()
        if phase.key in ("checkin", "closing"):
            round_ = "opening" if phase.key == "checkin" else "closing"
            session["round"] = round_
            hint = self.command_hint(group.platform, "round", group=False, locale=group.locale)
            # Where a group has no buttons (Matrix), the opening question does not offer any.
            key = f"round_{round_}_question" + (
                "_private" if group.platform in NO_GROUP_BUTTONS and round_ == "opening" else ""
            )
            text += "\n\n" + self.say(group, key, cmd=hint)
            if group.platform not in NO_GROUP_BUTTONS:
                ref = f"{session['id']}:{round_}"
                buttons = tuple(Button(f"{ROUND_PREFIX}{n}", str(n), ref) for n in range(11))
        self._set_state(view, changes, now, session=session)
        changes.set_timer(group.id, _phase_key(session["id"], index), ends)
        self.post(turns, view.group, text, buttons)

    def _close_round(self, view: GroupView, turns: list[Turn], changes: GroupChanges) -> None:
        group = view.group
        session = group.state.get("session") or {}
        round_ = session.get("round")
        if not round_:
            return
        answers = [a for a in view.answers if a.session_id == session["id"] and a.round == round_]
        result = aggregate([a.score for a in answers], [a.word or "" for a in answers], f"{session['id']}:{round_}")
        if not result.shown:
            self.post(turns, group, self.say(group, "round_too_few", count=result.count))
        else:
            lines = [self.say(group, "round_result", count=result.count)]
            if result.median is not None:
                median = f"{result.median:g}".replace(".", "," if group.locale == "fr" else ".")
                lines.append(self.say(group, "round_scores", median=median, low=result.low, high=result.high))
            if result.words:
                lines.append(self.say(group, "round_words", words=" · ".join(_escape(w) for w in result.words)))
            self.post(turns, group, "\n".join(lines))
        session = {**session, "round": None}
        self._set_state(view, changes, None, session=session)

    def _session_next(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        group = view.group
        session = group.state.get("session")
        if not session:
            self.post(turns, group, self.say(group, "session_none"))
            return
        changes.clear_timer(group.id, _phase_key(session["id"], int(session["phase"])))
        self._close_round(view, turns, changes)
        session = dict(view.group.state["session"])
        if int(session["phase"]) + 1 >= len(phases(group.settings)):
            self._session_end(view, turns, changes, now)
            return
        session["phase"] = int(session["phase"]) + 1
        self._set_state(view, changes, now, session=session)
        self._enter_phase(view, turns, changes, now)

    def _session_pause(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        group = view.group
        session = group.state.get("session")
        if not session:
            self.post(turns, group, self.say(group, "session_none"))
            return
        if session.get("paused_left") is not None:
            self.post(turns, group, self.say(group, "session_already_paused"))
            return
        left = max(0, int((datetime.fromisoformat(session["ends_at"]) - now).total_seconds()))
        changes.clear_timer(group.id, _phase_key(session["id"], int(session["phase"])))
        self._set_state(view, changes, now, session={**session, "paused_left": left})
        self.post(turns, view.group, self.say(view.group, "session_paused", minutes=max(1, round(left / 60))))

    def _session_resume(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        group = view.group
        session = group.state.get("session")
        if not session or session.get("paused_left") is None:
            self.post(turns, group, self.say(group, "session_not_paused"))
            return
        ends = now + timedelta(seconds=int(session["paused_left"]))
        self._set_state(view, changes, now, session={**session, "paused_left": None, "ends_at": ends.isoformat()})
        changes.set_timer(group.id, _phase_key(session["id"], int(session["phase"])), ends)
        left = max(1, round(int(session["paused_left"]) / 60))
        self.post(turns, view.group, self.say(view.group, "session_resumed", minutes=left))

    def _session_end(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        group = view.group
        session = group.state.get("session")
        if not session:
            self.post(turns, group, self.say(group, "session_none"))
            return
        changes.clear_timer(group.id, _phase_key(session["id"], int(session["phase"])))
        self._close_round(view, turns, changes)
        # What was said for this session goes now: the answers, and the agenda items already posted.
        changes.answers_cleared.append((group.id, session["id"]))
        changes.agenda_cleared.append(group.id)
        view.answers = [a for a in view.answers if a.session_id != session["id"]]
        view.agenda = [a for a in view.agenda if a.posted_at is None]
        self._set_state(view, changes, now, session=None)
        self.post(turns, view.group, self.say(view.group, "session_closed"))

    def _phase_name(self, group: GroupRecord, key: str) -> str:
        return self.say(group, f"phase_name_{key}")

    def _set_state(self, view: GroupView, changes: GroupChanges, now: datetime | None, **values: Any) -> None:
        state = {k: v for k, v in {**view.group.state, **values}.items() if v is not None}
        view.group = replace(view.group, state=state, updated_at=now or view.group.updated_at)
        changes.save(view.group, new=view.group.id in changes.new_groups)

    # --- rounds -------------------------------------------------------------------------------------------

    def _tap(self, view: GroupView, msg: Incoming, changes: GroupChanges, now: datetime) -> None:
        session = view.group.state.get("session") or {}
        assert msg.option is not None
        score = msg.option[len(ROUND_PREFIX) :]
        if not session.get("round") or msg.ref != f"{session['id']}:{session['round']}" or not score.isdigit():
            return  # a button of a round that has closed, or forged: nothing to record
        if not 0 <= int(score) <= 10:
            return
        previous = next((a for a in view.answers if a.session_id == session["id"] and a.round == session["round"]
                         and a.user_key == msg.user_key), None)  # fmt: skip
        answer = RoundAnswer(view.group.id, session["id"], session["round"], msg.user_key, int(score),
                             previous.word if previous else None, now)  # fmt: skip
        self._record(view, answer, changes)

    def _record(self, view: GroupView, answer: RoundAnswer, changes: GroupChanges) -> None:
        view.answers = [
            a for a in view.answers
            if (a.session_id, a.round, a.user_key) != (answer.session_id, answer.round, answer.user_key)
        ] + [answer]  # fmt: skip
        changes.answers.append(answer)

    def round_answer(self, command: Command, turn: Turn, views: dict[str, GroupView], now: datetime) -> None:
        """`/round 7 a word` in private: the person's answer to the round open in their group."""
        user = turn.user
        key = user.external_id
        open_ = [v for v in views.values() if key in v.members and (v.group.state.get("session") or {}).get("round")]
        if not open_:
            turn.replies.append(self.speaker.text("round_none_open", user))
            return
        view = open_[0]
        session = view.group.state["session"]
        numbers = read_numbers(command.payload)
        score = numbers[0] if numbers else None
        if score is None or not 0 <= score <= 10:
            hint = self.command_hint(turn.platform, "round", group=False, locale=user.locale)
            turn.replies.append(self.speaker.text("round_how", user, cmd=hint))
            return
        words = command.payload.strip()
        # what follows the number is the word (or a few words); the number itself is not repeated
        rest = words.split(maxsplit=1)[1] if len(words.split(maxsplit=1)) > 1 else ""
        if rest.lower().startswith(("/10", "sur 10", "out of 10")):
            rest = rest.split("10", 1)[1].strip()
        rest = rest[:WORD_MAX].strip()
        if rest and identifying_details(rest):
            turn.replies.append(self.speaker.text("round_identifying", user))
            return
        answer = RoundAnswer(view.group.id, session["id"], session["round"], key, round(score), rest or None, now)
        turn.groups = turn.groups or GroupChanges()
        self._record(view, answer, turn.groups)
        name = view.group.title or self.speaker.render("group_unnamed", user)
        turn.replies.append(self.speaker.text("round_noted", user, group=_escape(name)))

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

    # --- reminders and timers -------------------------------------------------------------------------------

    def _plan_reminders(self, view: GroupView, changes: GroupChanges, now: datetime) -> None:
        """The next session's reminders, and a timer at the session's time that plans the one after."""
        group = view.group
        for key in list(group.state.get("timers", [])):
            changes.clear_timer(group.id, key)
        when = next_session(group.settings, now)
        if when is None:
            self._set_state(view, changes, now, timers=None)
            return
        keys = []
        for minutes in group.settings.get("reminders", []):
            due = when - timedelta(minutes=int(minutes))
            if due > now:
                key = f"remind:{when.isoformat()}:{int(minutes)}"
                changes.set_timer(group.id, key, due)
                keys.append(key)
        key = f"plan:{when.isoformat()}"
        changes.set_timer(group.id, key, when)
        keys.append(key)
        self._set_state(view, changes, now, timers=keys)

    def timer(self, key: str, view: GroupView, now: datetime) -> list[Turn]:
        """A group's timer is due (claimed once by the scheduler)."""
        turns: list[Turn] = []
        changes = GroupChanges()
        group = view.group
        kind, _, rest = key.partition(":")
        if kind == "remind":
            when_iso, _, minutes = rest.rpartition(":")
            when = datetime.fromisoformat(when_iso)
            if when <= now:
                return [self._carrier_for(group)]  # fired late, after the session itself (Phare was down): moot
            reminders = [int(m) for m in group.settings.get("reminders", [])]
            hint = self.command_hint(group.platform, "agenda", group=False, locale=group.locale)
            text = self.say(group, "reminder", when=self._when(when, group.settings, group.locale), cmd=hint)
            self.post(turns, group, text + "\n\n" + self.say(group, "confidentiality"))
            if reminders and int(minutes) == min(reminders):
                self._post_agenda(view, turns, changes, now, only_new=True)
        elif kind == "plan":
            self._plan_reminders(view, changes, now)
        elif kind == "phase":
            session = group.state.get("session") or {}
            session_id, _, index = rest.partition(":")
            if (
                session.get("id") == session_id
                and str(session.get("phase")) == index
                and session.get("paused_left") is None
            ):
                self._session_next(view, turns, changes, now)
        elif kind == "pause":
            self._pause_wake(view, rest, turns, changes, now)
        if not turns:
            turns.append(self._carrier_for(group))
        return _attach(turns, changes)

    def _post_agenda(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime,
                     *, only_new: bool) -> None:  # fmt: skip
        group = view.group
        items = [a for a in view.agenda if a.posted_at is None or not only_new]
        if not items:
            if only_new:
                hint = self.command_hint(group.platform, "agenda", group=False, locale=group.locale)
                self.post(turns, group, self.say(group, "agenda_empty", cmd=hint))
            return
        lines = [self.say(group, "agenda_header")]
        anonymous = self.say(group, "agenda_anonymous")
        for item in items:
            lines.append(f"• {_escape(item.text)} — {_escape(item.name) if item.name else anonymous}")
            if item.posted_at is None:
                item.posted_at = now
                changes.agenda_posted.append((item.id, now))
        lines.append(self.say(group, "agenda_no_details"))
        self.post(turns, group, "\n".join(lines))

    # --- the guided group pause -------------------------------------------------------------------------------

    def _pause_start(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        group = view.group
        if group.state.get("pause"):
            self.post(turns, group, self.say(group, "group_pause_running"))
            return
        result = self.engine.start(GROUP_PAUSE, self.ctx(group), now)
        pause_id = new_id()[:12]
        self._pause_apply(view, pause_id, result.state, [s.text for s in result.replies], turns, changes, now)

    def _pause_wake(self, view: GroupView, rest: str, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        pause = view.group.state.get("pause") or {}
        pause_id, _, seq = rest.partition(":")
        if pause.get("id") != pause_id or str(pause.get("seq")) != seq:
            return
        state = RunState.from_dict(pause["engine"])
        result = self.engine.wake(state, self.ctx(view.group), now)
        self._pause_apply(view, pause_id, result.state, [s.text for s in result.replies], turns, changes, now)

    def _pause_apply(self, view: GroupView, pause_id: str, state: RunState, texts: list[str], turns: list[Turn],
                     changes: GroupChanges, now: datetime) -> None:  # fmt: skip
        for text in texts:
            self.post(turns, view.group, text)
        if state.status == "ended" or state.wake_at is None:
            self._set_state(view, changes, now, pause=None)
            return
        self._set_state(view, changes, now, pause={"id": pause_id, "seq": state.seq, "engine": state.to_dict()})
        changes.set_timer(view.group.id, f"pause:{pause_id}:{state.seq}", state.wake_at)


_SESSION_ALIASES = {
    "demarrer": "start", "démarrer": "start", "debut": "start", "début": "start", "commencer": "start",
    "suivante": "next", "suivant": "next", "pause": "pause", "reprendre": "resume", "fin": "end",
    "terminer": "end", "stop": "end",
}  # fmt: skip


def _attach(turns: list[Turn], changes: GroupChanges) -> list[Turn]:
    """The changes ride on the first turn: the writer commits them with the batch."""
    turns[0].groups = changes
    return turns


def _phase_key(session_id: str, index: int) -> str:
    return f"phase:{session_id}:{index}"


def _values(run: RunRecord) -> dict[str, Any]:
    state = RunState.from_dict(run.state["engine"])
    return dict(state.frames[-1].values) if state.frames else {}


def _escape(text: str) -> str:
    """What people wrote, shown as typed: light-markup markers escaped (dialogues/markup.py)."""
    from dialogues.markup import escape

    return escape(text)
