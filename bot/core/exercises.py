"""Running exercises for one user: starting a dialogue, answering its steps, applying what the engine decided
(replies, measures, notes, profile settings, pauses, actions, offers) to the turn."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from bot import checkins
from bot.care.identifiers import identifying_details
from bot.core.jobs import ACTION_PREFIX, START_PREFIX
from bot.core.speaker import Speaker
from bot.core.turn import Turn
from bot.messages import Button, Outgoing
from dialogues.engine import Engine
from dialogues.results import Action, Collect, End, Input, Offer, RecordMeasure, Result, SaveNote, Say, SetProfile, Wait
from dialogues.state import RunState
from storage.records import KeptNote, RunRecord, UserRecord, new_id

NOTICE_VERSION = 1  # bump when the onboarding notice changes: consent is recorded against it
ONBOARDING, SETTINGS, FORGET = "onboarding", "settings", "forget"
# Actions whose replies read storage: the writer fills them in, in the batch's transaction.
DEFERRED = frozenset({"history", "export", "supervision_notes", "letters", "clear_supervision"})
STALE_AFTER = timedelta(hours=24)  # a run untouched this long is closed
# Actions that end a supervision group's dialogues (bot/core/groups.py handles them).
GROUP_ACTIONS = frozenset({"supervision_save", "agenda_save"})
_OWN_KEYS = frozenset({"engine", "measures", "notes", "held_text"})  # the exercise's own part of a run's state


class Exercises:
    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
        self.library = speaker.library
        self.engine = Engine(speaker.library)
        # Set by the conversation: the group module, which this one cannot import (it builds on this one).
        self.group_action: Callable[[str, Turn, datetime], None] | None = None

    def state(self, turn: Turn) -> RunState:
        assert turn.run is not None
        return RunState.from_dict(turn.run.state["engine"])

    def startable(self) -> set[str]:
        return {d.id for d in self.library.listed()}

    def start(self, dialogue_id: str, turn: Turn, now: datetime, extra: dict[str, str] | None = None) -> None:
        """`extra`: values the run keeps beside the engine's and its texts can use (a group's id and name)."""
        if dialogue_id not in self.library.dialogues:
            turn.replies.append(self.speaker.text("unknown_command", turn.user))
            return
        if turn.run is not None:
            state = self.state(turn)
            old_title = self.library.get(turn.run.dialogue_id).title.render(self.speaker.ctx(turn.user))
            turn.ended.append((turn.run, "incomplete"))
            if state.status != "ended":
                turn.replies.append(self.speaker.text("replaced_run", turn.user, title=old_title))
            turn.run = None
        ctx = self.speaker.ctx(turn.user, dialogue_id)
        if extra:
            ctx = replace(ctx, vars={**ctx.vars, **extra})
        result = self.engine.start(dialogue_id, ctx, now)
        turn.run = RunRecord(
            id=new_id(),
            user_id=turn.user.id,
            dialogue_id=dialogue_id,
            status="active",
            state={"engine": result.state.to_dict(), "measures": {}, "notes": {}, **(extra or {})},
            version=0,
            chat_key=turn.chat_key,
            started_at=now,
            updated_at=now,
        )
        turn.new_run = True
        self.apply(turn, result, now)

    def answer(self, turn: Turn, text: str | None, option: str | None, ref: str | None, now: datetime) -> None:
        """A typed answer or a tapped option for the current step of an active run."""
        assert turn.run is not None
        state = self.state(turn)
        step = self.engine.step_of(state)
        typed = text or ""
        free_text = step is not None and step.kind == "text" and option is None and not typed.startswith("/")
        if free_text and identifying_details(typed):
            self.hold(turn, typed)
            return
        seq = None
        if option is not None:
            seq = seq_from_ref(ref, turn.run)
            if seq is None:
                seq = -1  # forged or from another run: the engine treats it as a stale button
        ctx = self.speaker.run_ctx(turn.user, turn.run)
        self.apply(turn, self.engine.handle(state, Input(text, option, seq), ctx, now), now)

    def hold(self, turn: Turn, text: str) -> None:
        """Text that may identify a patient is held back (in the encrypted run state) until the user
        rephrases it or chooses to keep it."""
        assert turn.run is not None
        turn.run = replace(turn.run, state={**turn.run.state, "held_text": text})
        keep = Button(ACTION_PREFIX + "keep_text", self.speaker.render("keep_as_written", turn.user), "app")
        turn.replies.append(Outgoing(self.speaker.render("identifier_warning", turn.user), (keep,)))

    def keep_held_text(self, turn: Turn, now: datetime) -> None:
        if turn.run is None or not turn.run.state.get("held_text"):
            turn.replies.append(self.speaker.text("nothing_held", turn.user))
            return
        text = str(turn.run.state["held_text"])
        ctx = self.speaker.run_ctx(turn.user, turn.run)
        self.apply(turn, self.engine.handle(self.state(turn), Input(text=text), ctx, now), now)

    def expire_if_stale(self, turn: Turn, now: datetime) -> bool:
        if turn.run is None or now - turn.run.updated_at < STALE_AFTER:
            return False
        self.apply(turn, self.engine.expire(self.state(turn), self.speaker.run_ctx(turn.user, turn.run)), now)
        return True

    def wake(self, turn: Turn, now: datetime) -> None:
        self.apply(turn, self.engine.wake(self.state(turn), self.speaker.run_ctx(turn.user, turn.run), now), now)

    # --- applying an engine result ---------------------------------------------------------------------

    def apply(self, turn: Turn, result: Result, now: datetime) -> None:
        run = turn.run
        assert run is not None
        for say in result.replies:
            turn.replies.append(outgoing(say, run))
        measures = dict(run.state.get("measures", {}))
        notes = dict(run.state.get("notes", {}))
        end: End | None = None
        offers: tuple[str, ...] = ()
        actions_: list[str] = []
        wake_at = run.wake_at
        for effect in result.effects:
            if isinstance(effect, RecordMeasure):
                measures[effect.name] = effect.value
            elif isinstance(effect, SaveNote):
                notes[effect.key] = effect.text
            elif isinstance(effect, Collect):
                if turn.user.consented:
                    turn.kept.append(KeptNote(new_id(), turn.user.id, effect.collection, effect.text, now))
            elif isinstance(effect, SetProfile):
                set_profile(turn.user, effect, now)
            elif isinstance(effect, Wait):
                wake_at = effect.until
            elif isinstance(effect, Action):
                actions_.append(effect.name)
            elif isinstance(effect, Offer):
                offers = effect.dialogue_ids
            elif isinstance(effect, End):
                end = effect
        status = "ended" if result.state.status == "ended" else result.state.status
        moved = run.clone()  # as dataclasses.replace would make it, for less than half its cost (every message)
        moved.state = (
            {"engine": result.state.to_dict(), "measures": measures, "notes": notes}
            | ({"held_text": run.state["held_text"]} if "held_text" in run.state and not result.accepted else {})
            # what the conversation keeps in the run for itself (the safety question's memory) stays
            | {k: v for k, v in run.state.items() if k not in _OWN_KEYS}
        )
        moved.status = status
        moved.wake_at = result.state.wake_at if wake_at is not None and result.state.wake_at else None
        moved.updated_at = now if result.accepted or turn.new_run else run.updated_at
        turn.run = moved
        if end is not None:
            turn.ended.append((turn.run, end.outcome))
            finished = turn.run
            turn.run = None
            if turn.user.consented and measures and end.outcome == "completed":
                last = {**turn.user.settings.get("last", {}), finished.dialogue_id: measures}
                turn.user.settings = {**turn.user.settings, "last": last}
            if finished.dialogue_id == ONBOARDING and end.outcome == "completed":
                turn.user.onboarded = True
        for name in actions_:
            self.action(name, turn, now)
        if offers:
            self.offer(turn, offers)
        if end is not None and turn.run is None and not turn.forget:
            follow = turn.user.settings.get("after_onboarding")
            if follow and turn.user.onboarded:
                turn.user.settings = {k: v for k, v in turn.user.settings.items() if k != "after_onboarding"}
                if follow in self.startable():
                    self.start(str(follow), turn, now)

    def action(self, name: str, turn: Turn, now: datetime) -> None:
        user = turn.user
        if name == "forget":
            turn.forget = True
            turn.run = None
            turn.ended.clear()
            turn.replies.append(replace(self.speaker.text("forget_done", user), erase=True))
        elif name in DEFERRED:
            # These read what is stored: filled in within the same transaction, after the batch's messages.
            placeholder = Outgoing(text="…")
            turn.deferred[id(placeholder)] = name
            turn.replies.append(placeholder)
        elif name in GROUP_ACTIONS and self.group_action is not None:
            self.group_action(name, turn, now)
        elif name == "exercises":
            turn.replies.append(self.speaker.exercises(user))
        elif name == "checkin_reflection":
            turn.replies.append(self.speaker.text(checkins.reflection_for(user, now), user))
        elif name == "checkin_status":
            status = Outgoing(checkins.status_text(self.library, self.speaker.ctx(user), user))
            # Shown before the question that follows (when called from /settings), so its buttons stay last.
            at = next((i for i in range(len(turn.replies) - 1, -1, -1) if turn.replies[i].buttons), len(turn.replies))
            turn.replies.insert(at, status)

    def checkin_button(self, action: str, ref: str | None, turn: Turn, now: datetime) -> None:
        if action == "checkin_start":  # "yes" on a prompt: the check-in itself (unlisted, so not a start: button)
            self.start(checkins.PROMPT_DIALOGUE, turn, now)
            return
        reply = checkins.on_button(turn.user, action, ref, now)
        turn.replies.append(self.speaker.text(reply.key, turn.user, **reply.values))

    def offer(self, turn: Turn, dialogue_ids: tuple[str, ...]) -> None:
        ctx = self.speaker.ctx(turn.user)
        buttons = tuple(
            Button(START_PREFIX + d, self.library.get(d).title.render(ctx), "offer")
            for d in dialogue_ids
            if d in self.library.dialogues
        )
        turn.replies.append(Outgoing(self.speaker.render("offer", turn.user), buttons))


def outgoing(say: Say, run: RunRecord) -> Outgoing:
    ref = f"{run.id[:8]}.{say.seq}"
    buttons = tuple(Button(c.id, c.label, ref) for c in say.options)
    return Outgoing(say.text, buttons, say.scale, ref if say.scale else "")


def set_profile(user: UserRecord, effect: SetProfile, now: datetime) -> None:
    if effect.key == "language" and effect.value in ("fr", "en"):
        user.locale = effect.value
    elif effect.key == "address" and effect.value in ("vous", "tu"):
        user.address = effect.value
    elif effect.key == "country":
        # "Another country" is a fact worth keeping: it gets the international lines, not France's.
        user.country = None if effect.value in ("", "None") else effect.value.upper()
    elif effect.key in checkins.CHECKIN_KEYS:
        checkins.apply_setting(user, effect.key, effect.value, now)
    elif effect.key == "consent":
        if effect.value == "yes":
            user.consent_version, user.consent_at = NOTICE_VERSION, now
        else:
            user.consent_version, user.consent_at = None, None


def seq_from_ref(ref: str | None, run: RunRecord) -> int | None:
    """The step a button was shown at, if the button belongs to this run; None for anything else."""
    if not ref or "." not in ref:
        return None
    prefix, _, seq = ref.partition(".")
    if prefix != run.id[:8] or not seq.isdigit():
        return None
    return int(seq)
