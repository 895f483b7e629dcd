"""What the conversation does with a crisis verdict (bot/care/): take over at once (urgent, crisis), or ask
"is this about you?" with the lines (check), and what a yes or a no to that question leads to."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.care.taxonomy import Level
from bot.core.exercises import Exercises, outgoing
from bot.core.jobs import ACTION_PREFIX
from bot.core.speaker import Speaker
from bot.core.turn import Turn
from bot.messages import Button, Incoming, Outgoing
from bot.safety import SafetyCheck, SafetyVerdict
from dialogues.numbers import plain_rating
from storage.records import UserRecord

CHECK_ME, CHECK_NOT_ME = "safety_me", "safety_not_me"  # the two answers to "is this about you?"
CHECK_PENDING = "safety_check"  # in the user's settings while the question waits for its answer
HELD = "safety_held"  # in the run's (encrypted) state: the words the question interrupted
QUIET = "safety_quiet"  # in the run's state: "not about me" was answered during this exercise
MODEL = "model"  # the reason of a verdict that only the statistical model raised
SAFE = SafetyVerdict()
_YES = frozenset({"oui", "yes", "c'est moi", "c’est moi", "moi", "oui c'est moi", "yes it's me", "me", "y", "o"})
_NO = frozenset({"non", "no", "n", "pas moi", "not me", "non merci", "no thanks"})


class SafetyFlow:
    def __init__(self, speaker: Speaker, exercises: Exercises, safety: SafetyCheck | None) -> None:
        self.speaker = speaker
        self.exercises = exercises
        self.safety = safety

    def verdict(self, msg: Incoming) -> SafetyVerdict:
        words = msg.words
        if not words or self.safety is None:
            return SAFE
        return self.safety.check(words)

    def settle(self, verdict: SafetyVerdict, msg: Incoming, turn: Turn) -> SafetyVerdict:
        """Inside an exercise, a question the model alone would ask is left out where the conversation knows
        better: the model's doubt is below the point read on answers typed inside exercises (1 in 10 of the
        ordinary ones asked), the person already said "not about me" during this exercise (exercises speak of
        hard things, and asking at every step would teach them to tap "no" without reading), or the message is a rating
        and nothing else at a step that asked for one ("je dirais 4 maintenant": the model reads words, not
        the question they answer). What the rules find, and every takeover, still counts."""
        run = turn.run
        if verdict.level != "check" or verdict.reason != MODEL or run is None or run.status != "active":
            return verdict
        if run.state.get(QUIET) or not verdict.in_exercise:
            return SAFE
        step = self.exercises.engine.step_of(self.exercises.state(turn))
        if step is not None and step.kind == "scale" and plain_rating(msg.words or ""):
            return SAFE
        return verdict

    def resources(self, user: UserRecord, level: Level) -> Outgoing:
        assert self.safety is not None
        return Outgoing(self.safety.resources(user.country, self.speaker.ctx(user), level), safety=level)

    def group_lines(self, user: UserRecord) -> str:
        """For the group, when the person cannot be reached in private: the lines, without a word about them."""
        assert self.safety is not None
        lines = self.safety.lines(user.country, self.speaker.ctx(user))
        return self.speaker.render("group_lines", user) + "\n\n" + lines

    def check_buttons(self, user: UserRecord) -> tuple[Button, ...]:
        return (
            Button(ACTION_PREFIX + CHECK_ME, self.speaker.render("check_me", user), "safety"),
            Button(ACTION_PREFIX + CHECK_NOT_ME, self.speaker.render("check_not_me", user), "safety"),
        )

    def ask(self, user: UserRecord) -> Outgoing:
        """The question, with the lines already in it, and its two buttons; the answer is awaited."""
        user.settings = {**user.settings, CHECK_PENDING: True}
        return replace(self.resources(user, "check"), buttons=self.check_buttons(user))

    def answer(self, verdict: SafetyVerdict, turn: Turn, now: datetime, *, held: str | None) -> None:
        """Urgent and crisis take over at once; check asks first, holding the words it interrupted so that a
        "no" loses nothing: they are then taken as the answer they were meant to be."""
        if verdict.takeover:
            self.take_over(turn, now, verdict.level or "crisis")
            return
        turn.replies.append(self.ask(turn.user))
        turn.safety.append(("check_asked", turn.user.country))
        if held is not None and turn.run is not None:
            turn.run = replace(turn.run, state={**turn.run.state, HELD: held})

    def pending_answer(self, msg: Incoming, turn: Turn, verdict: SafetyVerdict, now: datetime) -> bool:
        """If the question waits for an answer and this message gives it, act on it (True). Anything else
        closes the question: the new message is the one that counts."""
        user = turn.user
        if CHECK_PENDING not in user.settings:
            return False
        user.settings = {k: v for k, v in user.settings.items() if k != CHECK_PENDING}
        answer = _answer_of(msg)
        if answer is not None and not verdict.takeover:
            self._answered(answer, turn, now)
            return True
        self._release(turn)
        return False

    def _release(self, turn: Turn) -> str | None:
        if turn.run is None or HELD not in turn.run.state:
            return None
        held = str(turn.run.state[HELD])
        turn.run = replace(turn.run, state={k: v for k, v in turn.run.state.items() if k != HELD})
        return held

    def _answered(self, answer: str, turn: Turn, now: datetime) -> None:
        """The answer is kept as a fact (which button), never with the words that raised the question."""
        held = self._release(turn)
        if answer == CHECK_ME:
            turn.safety.append(("check_answered_me", turn.user.country))
            self.take_over(turn, now, "crisis")
            return
        turn.safety.append(("check_answered_not_me", turn.user.country))
        turn.replies.append(self.speaker.text("check_thanks", turn.user))
        if turn.run is None or turn.run.status != "active":
            return
        turn.run = replace(turn.run, state={**turn.run.state, QUIET: True})
        if held is not None:
            self.exercises.answer(turn, held, None, None, now)  # as if no question had come between
        else:
            ctx = self.speaker.run_ctx(turn.user, turn.run)
            for say in self.exercises.engine.current_prompt(self.exercises.state(turn), ctx):
                turn.replies.append(outgoing(say, turn.run))

    def take_over(self, turn: Turn, now: datetime, level: Level) -> None:
        """The lines at once; the exercise paused (/resume picks it up)."""
        user = turn.user
        turn.replies.append(self.resources(user, level))
        turn.safety.append((f"{level}_resources_shown", user.country))
        self._release(turn)
        if turn.run is not None and turn.run.status == "active":
            paused = self.exercises.engine.pause(self.exercises.state(turn))
            turn.run = replace(
                turn.run,
                status="paused",
                wake_at=None,
                state={**turn.run.state, "engine": paused.to_dict()},
                updated_at=now,
            )
            turn.replies.append(self.speaker.text("paused_for_safety", user))


def _answer_of(msg: Incoming) -> str | None:
    """A tap on the question's buttons, or a typed yes or no."""
    if msg.option is not None and msg.option.startswith(ACTION_PREFIX):
        action = msg.option[len(ACTION_PREFIX) :]
        return action if action in (CHECK_ME, CHECK_NOT_ME) else None
    typed = (msg.text or "").strip().strip(".!").casefold()
    if typed in _YES:
        return CHECK_ME
    if typed in _NO:
        return CHECK_NOT_ME
    return None
