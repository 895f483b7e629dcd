"""A supervision group's session (phases on timers, steered by the facilitator), its rounds (shown only in
aggregate), its reminders and agenda, and the guided group pause. Pure: see bot/core/groups.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.care.identifiers import identifying_details
from bot.commands import Command
from bot.core.group_plan import aggregate, next_session, phases
from bot.core.group_voice import GroupVoice, attach, escape_said
from bot.core.jobs import ROUND_PREFIX
from bot.core.turn import Turn
from bot.messages import Button, Incoming
from dialogues.numbers import read_numbers
from dialogues.state import RunState
from storage.group_records import GroupChanges, GroupView, RoundAnswer
from storage.records import new_id

GROUP_PAUSE = "group_pause"
NO_GROUP_BUTTONS = frozenset({"matrix"})  # Matrix groups have no buttons: answers come in private
WORD_MAX = 80


class GroupSessions(GroupVoice):
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
        changes.set_timer(group.id, _phase_key(session), ends)
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
                lines.append(self.say(group, "round_words", words=" · ".join(escape_said(w) for w in result.words)))
            self.post(turns, group, "\n".join(lines))
        session = {**session, "round": None}
        self._set_state(view, changes, None, session=session)

    def _running(self, view: GroupView, turns: list[Turn]) -> dict[str, Any] | None:
        """The session under way, or None after saying there is none."""
        session = view.group.state.get("session")
        if not session:
            self.post(turns, view.group, self.say(view.group, "session_none"))
            return None
        return dict(session)

    def _session_next(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        group = view.group
        session = self._running(view, turns)
        if session is None:
            return
        changes.clear_timer(group.id, _phase_key(session))
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
        session = self._running(view, turns)
        if session is None:
            return
        if session.get("paused_left") is not None:
            self.post(turns, group, self.say(group, "session_already_paused"))
            return
        left = max(0, int((datetime.fromisoformat(session["ends_at"]) - now).total_seconds()))
        changes.clear_timer(group.id, _phase_key(session))
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
        changes.set_timer(group.id, _phase_key(session), ends)
        left = max(1, round(int(session["paused_left"]) / 60))
        self.post(turns, view.group, self.say(view.group, "session_resumed", minutes=left))

    def _session_end(self, view: GroupView, turns: list[Turn], changes: GroupChanges, now: datetime) -> None:
        group = view.group
        session = self._running(view, turns)
        if session is None:
            return
        changes.clear_timer(group.id, _phase_key(session))
        self._close_round(view, turns, changes)
        # What was said for this session goes now: the answers, and the agenda items already posted.
        changes.answers_cleared.append((group.id, session["id"]))
        changes.agenda_cleared.append(group.id)
        view.answers = [a for a in view.answers if a.session_id != session["id"]]
        view.agenda = [a for a in view.agenda if a.posted_at is None]
        self._set_state(view, changes, now, session=None)
        self.post(turns, view.group, self.say(view.group, "session_closed"))

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
        turn.replies.append(self.speaker.text("round_noted", user, group=escape_said(name)))

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
        return attach(turns, changes)

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
            lines.append(f"• {escape_said(item.text)} — {escape_said(item.name) if item.name else anonymous}")
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


def _phase_key(session: dict[str, Any]) -> str:
    """The timer of the session's current phase."""
    return f"phase:{session['id']}:{int(session['phase'])}"
