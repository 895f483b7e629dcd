"""The conversation core's entry points: a message, a timer. Who may talk to Phare, what a group gets, which
command or step a private message reaches. Pure: records in, decisions out."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from bot import checkins
from bot.access import Access
from bot.care.taxonomy import Level
from bot.commands import Command, parse_command
from bot.core.exercises import DEFERRED, FORGET, ONBOARDING, SETTINGS, Exercises, outgoing
from bot.core.groups import AGENDA_PREFIX, PRIVATE_COMMANDS, Groups
from bot.core.jobs import ACTION_PREFIX, START_PREFIX, Expire, Notice, Wake, private_chat
from bot.core.safety import CHECK_ME, CHECK_NOT_ME, SafetyFlow
from bot.core.speaker import Speaker, locale_of
from bot.core.turn import Decision, Turn
from bot.messages import Button, Incoming, Outgoing
from bot.safety import SafetyCheck
from dialogues.loader import Library
from storage.group_records import GroupView
from storage.records import RunRecord, UserRecord, new_id

log = logging.getLogger(__name__)


class Conversation:
    def __init__(
        self,
        library: Library,
        *,
        safety: SafetyCheck | None = None,
        access: Access | None = None,
        operator_contacts: Mapping[str, str] | None = None,
        default_locale: str = "fr",
        bot_username: str | None = None,
    ) -> None:
        self.library = library
        self.speaker = Speaker(library, operator_contacts=operator_contacts)
        self.exercises = Exercises(self.speaker)
        self.safety = SafetyFlow(self.speaker, self.exercises, safety)
        self.groups = Groups(self.speaker, self.exercises)
        self.exercises.group_action = lambda name, turn, now: self.groups.action(name, turn, turn.views, now)
        self.access = access or Access()
        self.default_locale = default_locale
        self.bot_username = bot_username  # set by a transport that learns it (Telegram's getMe)

    # --- one message ------------------------------------------------------------------------------------

    def message(
        self, msg: Incoming, user: UserRecord | None, run: RunRecord | None, now: datetime,
        views: dict[str, GroupView] | None = None,
    ) -> Decision:  # fmt: skip
        """`user` and `run` as stored (None: Phare has never stored this person); never changed in place.
        `views`: the supervision groups this message may concern (the batch's working copies)."""
        views = views if views is not None else {}
        known = user is not None
        person = user.clone() if user is not None else self._newcomer(msg, now)
        decision = Decision(user=person)
        if not self.access.admits(person):
            if not self._invited(msg, person):
                decision.turns.append(self._refused(msg, person))
                return decision
            decision.user_changed = known
        if not known and not msg.private:
            # Someone in a group who never wrote to Phare in private: answer, but store nothing.
            decision.turns.extend(self._group(msg, person, views, now, known=False))
            return decision
        decision.new_user = not known
        if not msg.private:
            decision.turns.extend(self._group(msg, person, views, now, known=True))
            return decision
        # `person` is already this message's own copy: the turn works on it directly (a clone per message is
        # measurable on the hot path); a failed turn starts again from the stored record.
        pristine = user if user is not None else person.clone()
        turn = Turn(user=person, run=run.clone() if run else None, chat_key=msg.chat_key, platform=msg.platform,
                    views=views)  # fmt: skip
        try:
            self._route(msg, turn, now)
        except Exception as exc:  # noqa: BLE001 — any failure gets a kind reply, the batch goes on
            log_failure(exc)
            decision.failed = exc
            decision.user = pristine.clone()
            turn = Turn(user=decision.user, run=run.clone() if run else None, chat_key=msg.chat_key,
                        platform=msg.platform)  # fmt: skip
            turn.replies.append(self.speaker.text("error", turn.user))
        decision.turns.append(turn)
        return decision

    def _newcomer(self, msg: Incoming, now: datetime) -> UserRecord:
        return UserRecord(
            id=new_id(),
            platform=msg.platform,
            external_id=msg.user_key,
            locale=locale_of(msg.locale, self.default_locale),
            address="vous",
            created_at=now,
        )

    def _invited(self, msg: Incoming, user: UserRecord) -> bool:
        """`/start CODE` with a valid invite code admits a new user for good."""
        command = parse_command(msg.text, self.bot_username) if msg.text and msg.private else None
        if command is None or command.name != "start" or command.payload not in self.access.invite_codes:
            return False
        user.settings = {**user.settings, "invited": True}
        return True

    def _refused(self, msg: Incoming, user: UserRecord) -> Turn:
        """Not admitted on this instance: a kind answer, nothing stored (crisis resources all the same)."""
        turn = Turn(user=user, run=None, chat_key=msg.chat_key, platform=msg.platform, store=False)
        verdict = self.safety.verdict(msg)
        if verdict.shows_lines:
            # No question to someone who cannot answer here: the lines, at least at the crisis level.
            turn.replies.append(self.safety.resources(user, "urgent" if verdict.level == "urgent" else "crisis"))
        elif msg.private:
            turn.replies.append(self.speaker.text("access_denied", user))
        return turn

    def _group(
        self, msg: Incoming, user: UserRecord, views: dict[str, GroupView], now: datetime, *, known: bool
    ) -> list[Turn]:
        """A group message: the safety check first, then supervision (bot/core/groups.py), then the rest."""
        verdict_turn = self._group_safety(msg, user, store=known)
        if verdict_turn is not None:
            return [verdict_turn]
        command = parse_command(msg.text, self.bot_username) if msg.text else None
        view = next((v for v in views.values() if (v.group.platform, v.group.chat_key) == (msg.platform, msg.chat_key)),
                    None)  # fmt: skip
        turns = self.groups.in_group(msg, command, user, known, view, now, views)
        if turns is not None and any(t.replies for t in turns):
            return turns
        return [*(turns or []), self._group_plain(msg, user, store=known)]

    def _group_safety(self, msg: Incoming, user: UserRecord, *, store: bool) -> Turn | None:
        """In a group, nothing personal is ever posted: crisis resources go to the person in private (with a
        discreet fallback in the group for someone Phare cannot write to), personal commands are redirected to
        a private chat, and ordinary chatter gets no answer. An edit is read by the safety check only."""
        speaker = self.speaker
        verdict = self.safety.verdict(msg)
        if verdict.shows_lines:
            level: Level = verdict.level or "crisis"
            turn = Turn(user=user.clone(), run=None, chat_key=private_chat(msg.user_key), platform=msg.platform,
                        store=store, touches_run=False)  # fmt: skip
            reply = self.safety.ask(turn.user) if level == "check" else self.safety.resources(turn.user, level)
            button = Button("private", speaker.render("open_private", user), "private:")
            fallback = Outgoing(self.safety.group_lines(user), (button,), safety=level, group=True)
            turn.replies.append(replace(reply, fallback_chat=msg.chat_key, fallback=fallback))
            turn.safety.append((f"{level}_shown_private", user.country))
            return turn
        return None

    def _group_plain(self, msg: Incoming, user: UserRecord, *, store: bool) -> Turn:
        speaker = self.speaker
        turn = Turn(user=user.clone(), run=None, chat_key=msg.chat_key, platform=msg.platform, store=store,
                    touches_run=False)  # fmt: skip
        command = parse_command(msg.text, self.bot_username) if msg.text and not msg.edited else None
        if command is None:
            return turn
        if command.name in ("help", "about") or (command.name == "start" and not command.payload):
            if command.name == "about":
                turn.replies.append(replace(speaker.text("about", user), group=True))
            else:
                hints = {key: self.groups.command_hint(msg.platform, name, group=key != "agenda", locale=user.locale)
                         for key, name in (("supervision", "supervision"), ("session", "session"),
                                           ("pause", "group_pause"), ("agenda", "agenda"))}  # fmt: skip
                turn.replies.append(Outgoing(speaker.render("group_help", user, **hints), group=True))
        else:
            payload = command.name if command.name in self.library.dialogues else ""
            button = Button("private", speaker.render("open_private", user), f"private:{payload}")
            turn.replies.append(Outgoing(speaker.render("group_redirect", user), (button,), group=True))
        return turn

    # --- a private message ---------------------------------------------------------------------------------

    def _route(self, msg: Incoming, turn: Turn, now: datetime) -> None:
        user, speaker, exercises = turn.user, self.speaker, self.exercises
        if not user.active:
            user.active = True  # they write again after blocking Phare: deliveries may resume
        if exercises.expire_if_stale(turn, now):
            turn.replies.append(speaker.text("expired_notice", user))
        verdict = self.safety.settle(self.safety.verdict(msg), msg, turn)
        if msg.edited:
            # An edit is never an answer (the step it answered has moved on), but what it says is read.
            if verdict.shows_lines:
                self.safety.answer(verdict, turn, now, held=None)
            else:
                turn.replies.append(speaker.text("edit_not_an_answer", user))
            return
        if self.safety.pending_answer(msg, turn, verdict, now):
            return
        if verdict.shows_lines:
            takes_text = turn.run is not None and turn.run.status == "active" and msg.kind == "text"
            self.safety.answer(verdict, turn, now, held=msg.text if takes_text and msg.option is None else None)
            return
        command = parse_command(msg.text, self.bot_username) if msg.text else None
        if command is not None:
            self._command(command, turn, now)
            return
        if msg.option is not None and msg.option.startswith(START_PREFIX):
            target = msg.option[len(START_PREFIX) :]
            if target in exercises.startable():  # button data is not trusted: only listed exercises start
                exercises.start(target, turn, now)
            else:
                turn.replies.append(speaker.text("unknown_command", user))
            return
        if msg.option is not None and msg.option.startswith(ACTION_PREFIX) and self._app_button(msg, turn, now):
            return
        if turn.run is None:
            if not user.onboarded:
                exercises.start(ONBOARDING, turn, now)
            elif msg.kind not in ("text", "option"):
                turn.replies.append(speaker.text("non_text_idle", user))
            elif msg.option is not None:
                # A button of an exercise that has ended: say so rather than answer with the bare menu.
                turn.replies.append(speaker.text("stale_idle", user))
                turn.replies.append(speaker.menu(user))
            else:
                turn.replies.append(speaker.menu(user))
            return
        if turn.run.status == "paused":
            turn.replies.append(speaker.text("paused_hint", user))
            return
        if msg.kind not in ("text", "option"):
            exercises.answer(turn, None, None, None, now)
            return
        exercises.answer(turn, msg.text, msg.option, msg.ref, now)

    def _app_button(self, msg: Incoming, turn: Turn, now: datetime) -> bool:
        """A tap on one of Phare's own buttons (not a dialogue's option); False when it is none of them."""
        assert msg.option is not None
        action = msg.option[len(ACTION_PREFIX) :]
        if action == "keep_text":
            self.exercises.keep_held_text(turn, now)
        elif action in (CHECK_ME, CHECK_NOT_ME):
            turn.replies.append(self.speaker.text("check_expired", turn.user))  # a tap on an answered question
        elif action in DEFERRED:
            self.exercises.action(action, turn, now)
        elif msg.option.startswith(AGENDA_PREFIX):
            self.groups.agenda_for(msg.option[len(AGENDA_PREFIX) :], turn, turn.views, now)
        elif action in checkins.BUTTONS:
            self.exercises.checkin_button(action, msg.ref, turn, now)
        else:
            return False
        return True

    def _command(self, command: Command, turn: Turn, now: datetime) -> None:
        user, speaker, exercises = turn.user, self.speaker, self.exercises
        name = command.name
        if not user.onboarded and name not in ("start", "help", "about", "cancel"):
            # Onboarding comes first: say so and ask its question again, rather than silently starting over.
            turn.replies.append(speaker.text("onboarding_first", user))
            if turn.run is not None and turn.run.dialogue_id == ONBOARDING and turn.run.status == "active":
                ctx = speaker.run_ctx(user, turn.run)
                for say in exercises.engine.current_prompt(exercises.state(turn), ctx):
                    turn.replies.append(outgoing(say, turn.run))
            else:
                exercises.start(ONBOARDING, turn, now)
            return
        ctx = speaker.run_ctx(user, turn.run)
        active = turn.run is not None and turn.run.status == "active"
        if name == "start" and command.payload.lower() in PRIVATE_COMMANDS:
            # a group's "continue in private" button for /agenda
            self.groups.private_command(Command(command.payload.lower(), ""), turn, turn.views, now)
        elif name == "start":
            target = "" if command.payload in self.access.invite_codes else command.payload.lower()
            if not user.onboarded:
                if target in self.library.dialogues:
                    user.settings = {**user.settings, "after_onboarding": target}
                exercises.start(ONBOARDING, turn, now)
            elif target and target in exercises.startable():
                exercises.start(target, turn, now)
            elif active:
                assert turn.run is not None
                turn.replies.append(speaker.text("welcome_back", user))
                for say in exercises.engine.current_prompt(exercises.state(turn), ctx):
                    turn.replies.append(outgoing(say, turn.run))
            else:
                turn.replies.append(speaker.text("welcome_back", user))
                turn.replies.append(speaker.menu(user))
        elif name == "help":
            if active:
                exercises.apply(turn, exercises.engine.help(exercises.state(turn), ctx), now)
            else:
                turn.replies.append(speaker.help(user, turn.platform))
        elif name == "cancel":
            if turn.run is None:
                turn.replies.append(speaker.text("nothing_to_cancel", user))
            else:
                exercises.apply(turn, exercises.engine.cancel(exercises.state(turn), ctx), now)
        elif name == "resume":
            if turn.run is None or turn.run.status != "paused":
                turn.replies.append(speaker.text("nothing_to_resume", user))
            else:
                exercises.apply(turn, exercises.engine.resume(exercises.state(turn), ctx, now), now)
        elif name == "exercises":
            turn.replies.append(speaker.exercises(user))
        elif name in ("history", "export", "supervision_notes", "letters"):
            exercises.action(name, turn, now)
        elif name in _STARTS:
            exercises.start(_STARTS[name], turn, now)
        elif name == "about":
            turn.replies.append(speaker.text("about", user))
        elif name in PRIVATE_COMMANDS:
            self.groups.private_command(command, turn, turn.views, now)
        elif name == "advance":  # the console's clock, typed without its number of minutes
            turn.replies.append(speaker.text("command_advance", user))
        elif name in exercises.startable():
            exercises.start(name, turn, now)
        else:
            turn.replies.append(speaker.text("unknown_command", user))

    # --- timers -------------------------------------------------------------------------------------------

    def timer(self, job: Wake | Expire, user: UserRecord, run: RunRecord, now: datetime) -> Turn | None:
        """A pause is over, or a run was left for a day; None when the job no longer applies."""
        if run.id != job.run_id:
            return None
        turn = Turn(user=user.clone(), run=run.clone(), chat_key=run.chat_key, platform=user.platform)
        try:
            if isinstance(job, Wake):
                self.exercises.wake(turn, now)
            elif not self.exercises.expire_if_stale(turn, now):
                return None
        except Exception as exc:  # noqa: BLE001
            log_failure(exc)
            return None
        return turn

    def notice(self, job: Notice, user: UserRecord | None) -> Turn:
        """A transport's notice, in the person's language when Phare knows them, its default otherwise."""
        speaker = self.speaker
        ctx = speaker.ctx(user) if user is not None else speaker.default_ctx(self.default_locale)
        person = user or UserRecord(id="", platform=job.platform, external_id=job.user_key or "", locale=ctx.locale,
                                    address="vous", created_at=datetime.min)  # fmt: skip
        turn = Turn(user=person, run=None, chat_key=job.chat_key, platform=job.platform, store=False,
                    touches_run=False)  # fmt: skip
        turn.replies.append(Outgoing(self.library.text(job.text_key).render(ctx)))
        return turn

    def daily_prompt(self, user: UserRecord, day: str, round_: int) -> Outgoing:
        return checkins.daily_prompt(self.library, self.speaker.ctx(user), day, round_)


# Commands that open one of Phare's own dialogues.
_STARTS = {"forget": FORGET, "settings": SETTINGS, "checkin": checkins.SETTINGS_DIALOGUE}


def log_failure(exc: BaseException) -> None:
    # The exception's message may quote what the user wrote: log its type and where, never its text.
    frames = traceback.format_tb(exc.__traceback__)
    log.error("step failed with %s\n%s", type(exc).__name__, "".join(frames))
