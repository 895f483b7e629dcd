"""The engine: state + input + time → new state, replies, effects. Pure: no I/O, no clock, no globals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast

from dialogues.loader import Library
from dialogues.matching import matching_options
from dialogues.model import EffectSpec, Option, Step
from dialogues.numbers import fold, parse_number, read_numbers, shown
from dialogues.results import (
    Action,
    Choice,
    Collect,
    Effect,
    End,
    Input,
    Offer,
    RecordMeasure,
    Result,
    SaveNote,
    Say,
    SetProfile,
    Wait,
)
from dialogues.state import Frame, RunState
from dialogues.texts import Address, Context, Locale, fill
from dialogues.validators import VALIDATOR_FLAGS, suggestions, validate

CANCEL_WORDS = frozenset({"/cancel", "stop", "annuler", "arreter", "cancel", "/stop", "/annuler"})
CONTINUE_ID = "continue"
SKIP_ID = "skip"
EXPIRY = timedelta(hours=24)
_MAX_MOVES = 500  # a file with a loop of steps that never wait is rejected at load; this is the last guard


class EngineError(RuntimeError):
    pass


def scale_problem(found: tuple[float, ...], lo: int, hi: int) -> str | None:
    """What a scale step says back to the numbers read in an answer: None when it takes the one number, or
    the catalog text that asks again (no number, two, more than two, one outside lo..hi). The benchmark of the
    readers (bench/readings_figures.py) calls it too, so its figures are what people meet."""
    if not found:
        return "scale_reprompt"
    if len(found) == 2:
        return "scale_two_numbers"
    if len(found) > 2:
        return "scale_several_numbers"
    if not lo <= found[0] <= hi:
        return "scale_out_of_range"
    return None


@dataclass
class _Turn:
    """Accumulates one call's output; the context may change mid-turn (the user picks a language)."""

    ctx: Context
    now: datetime
    replies: list[Say] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    def result(self, state: RunState, accepted: bool = True) -> Result:
        return Result(state=state, replies=tuple(self.replies), effects=tuple(self.effects), accepted=accepted)


class Engine:
    def __init__(self, library: Library) -> None:
        self.library = library

    # --- entry points -------------------------------------------------------------------------------

    def start(self, dialogue_id: str, ctx: Context, now: datetime) -> Result:
        dialogue = self.library.get(dialogue_id)
        state = RunState(frames=(Frame(dialogue.id, dialogue.version, dialogue.start),))
        turn = _Turn(ctx, now)
        return turn.result(self._enter(state, turn))

    def handle(self, state: RunState, inp: Input, ctx: Context, now: datetime) -> Result:
        turn = _Turn(ctx, now)
        if state.status == "ended":
            return turn.result(state, accepted=False)
        typed = (inp.text or "").strip()
        folded = fold(typed)
        if folded in CANCEL_WORDS or folded.startswith("/cancel"):
            return self.cancel(state, ctx)
        if folded.startswith("/help") or folded in ("aide", "help", "/aide"):
            return self.help(state, ctx)
        step = self._step(state)
        if step is None:
            return self._changed(state, turn)
        if inp.option is not None and inp.seq is not None and inp.seq != state.seq:
            self._say(turn, "stale_option", state)
            self._prompt(state, step, turn)
            return turn.result(state, accepted=False)
        if state.status == "paused":
            return self.resume(state, ctx)
        if inp.option is None and not typed:
            if inp.text is None:  # a sticker, a photo, a voice message: nothing to read
                self._say(turn, "non_text", state)
            elif step.kind == "pause":
                return self._answer_pause(state, step, inp, typed, turn)
            self._prompt(state, step, turn)  # an empty line: the question again, as a question
            return turn.result(state, accepted=False)
        handler = {
            "say": self._answer_continue,
            "pause": self._answer_pause,
            "choose": self._answer_choose,
            "scale": self._answer_scale,
            "text": self._answer_text,
        }.get(step.kind)
        if handler is None:  # call and end never wait; a saved state pointing there is mid-move
            return turn.result(self._enter(state, turn))
        return handler(state, step, inp, typed, turn)

    def wake(self, state: RunState, ctx: Context, now: datetime) -> Result:
        """Called when a pause is due; does nothing if the run has moved on or the time has not come."""
        turn = _Turn(ctx, now)
        step = self._step(state)
        if state.status != "active" or step is None or step.kind != "pause" or state.wake_at is None:
            return turn.result(state, accepted=False)
        if now < state.wake_at:
            return turn.result(state, accepted=False)
        if step.done is not None:
            turn.replies.append(Say(step.done.render(turn.ctx, state.top.values)))
        return turn.result(self._go(state, step.next, turn))

    def cancel(self, state: RunState, ctx: Context) -> Result:
        turn = _Turn(ctx, datetime.min)
        self._say(turn, "cancelled", state)
        turn.effects.append(End("cancelled"))
        return turn.result(replace(state, status="ended", outcome="cancelled", wake_at=None))

    def expire(self, state: RunState, ctx: Context) -> Result:
        turn = _Turn(ctx, datetime.min)
        turn.effects.append(End("expired"))
        return turn.result(replace(state, status="ended", outcome="expired", wake_at=None))

    def is_stale(self, state: RunState, last_touched: datetime, now: datetime) -> bool:
        return state.status != "ended" and now - last_touched >= EXPIRY

    def help(self, state: RunState, ctx: Context) -> Result:
        turn = _Turn(ctx, datetime.min)
        step = self._step(state)
        if step is None:
            return self._changed(state, turn)
        text = step.help or self.library.text(f"help_{step.kind}")
        common = self.library.text("help_common").render(ctx)
        turn.replies.append(Say(text.render(ctx, self._values(state, step)) + "\n\n" + common))
        self._prompt(state, step, turn)
        return turn.result(state, accepted=False)

    def pause(self, state: RunState) -> RunState:
        """The safety layer steps in: the run waits, untouched, until the user resumes it."""
        return replace(state, status="paused", wake_at=None)

    def resume(self, state: RunState, ctx: Context, now: datetime | None = None) -> Result:
        turn = _Turn(ctx, now or datetime.min)
        step = self._step(state)
        if step is None:
            return self._changed(state, turn)
        state = replace(state, status="active", seq=state.seq + 1)
        self._say(turn, "resumed", state)
        if step.kind == "pause" and now is not None:
            return turn.result(self._enter(state, turn))
        self._prompt(state, step, turn)
        return turn.result(state)

    def current_prompt(self, state: RunState, ctx: Context) -> tuple[Say, ...]:
        """The current question again, e.g. after an input the core could not read (a sticker)."""
        turn = _Turn(ctx, datetime.min)
        step = self._step(state)
        if step is not None:
            self._prompt(state, step, turn)
        return tuple(turn.replies)

    def step_of(self, state: RunState) -> Step | None:
        return self._step(state)

    # --- answers ------------------------------------------------------------------------------------

    def _answer_continue(self, state: RunState, step: Step, inp: Input, typed: str, turn: _Turn) -> Result:
        return turn.result(self._go(state, step.next, turn))

    def _answer_pause(self, state: RunState, step: Step, inp: Input, typed: str, turn: _Turn) -> Result:
        """Continue goes on at once. Anything else written during a pause is not an answer: it would otherwise
        be taken as the answer to the step after the pause. If the time was already up, the pause ends now."""
        label = step.continue_label or self.library.text("continue")
        typed_continue = matching_options(typed, [label.variants().values()]) == [0] or parse_number(typed) == 1
        if inp.option == CONTINUE_ID or typed_continue:  # Continue tapped, typed, or its number ("1. Continue")
            return turn.result(self._go(state, step.next, turn))
        if state.wake_at is None:  # no timer runs for this pause (a run resumed without a clock): go on
            return turn.result(self._go(state, step.next, turn))
        if turn.now >= state.wake_at:
            if step.done is not None:
                turn.replies.append(Say(step.done.render(turn.ctx, state.top.values)))
            return turn.result(self._go(state, step.next, turn))
        left = (state.wake_at - turn.now).total_seconds()
        seconds = max(5, math.ceil(left / 5) * 5)  # "about 15 seconds": never "1 seconds"
        self._say(turn, "pause_running", state, seconds=seconds)
        self._prompt(state, step, turn, repeat=False)
        return turn.result(state, accepted=False)

    def _answer_choose(self, state: RunState, step: Step, inp: Input, typed: str, turn: _Turn) -> Result:
        chosen = None
        reprompt = "choose_reprompt"
        if inp.option is not None:
            chosen = next((o for o in step.options if o.id == inp.option), None)
            reprompt = "stale_option"
        elif typed:
            options = self._options(step, turn.ctx)
            number = parse_number(typed)
            if number is not None and 1 <= number <= len(options):
                chosen = options[number - 1]
            else:
                found = matching_options(typed, [(*o.label.variants().values(), o.id) for o in options])
                if len(found) == 1:
                    chosen = options[found[0]]
                elif found:
                    reprompt = "choose_ambiguous"
        if chosen is None:
            self._say(turn, reprompt, state)
            self._prompt(state, step, turn)
            return turn.result(state, accepted=False)
        state = self._run_effects(state, chosen.effects, turn)
        if step.save:
            state = state.with_top(state.top.with_value(step.save, chosen.id))
        return turn.result(self._go(state, chosen.next, turn))

    def _answer_scale(self, state: RunState, step: Step, inp: Input, typed: str, turn: _Turn) -> Result:
        """One number, read the way people write it; a decimal is rounded half up (and said so); two numbers
        or none are asked again."""
        found = read_numbers(inp.option if inp.option is not None else typed)
        locale = turn.ctx.locale
        problem = scale_problem(found, step.min, step.max)
        if problem is not None:
            said: dict[str, object] = {}
            if problem == "scale_two_numbers":
                said = {"first": shown(found[0], locale), "second": shown(found[1], locale)}
            elif problem == "scale_out_of_range":
                said = {"number": shown(found[0], locale)}
            self._say(turn, problem, state, lo=step.min, hi=step.max, **said)
            self._prompt(state, step, turn, repeat=False)
            return turn.result(state, accepted=False)
        number = math.floor(found[0] + 0.5)
        if number != found[0]:
            self._say(turn, "scale_rounded", state, value=shown(found[0], locale), number=number)
        assert step.save is not None
        state = state.with_top(state.top.with_value(step.save, number))
        if step.measure:
            turn.effects.append(RecordMeasure(step.measure, number))
        return turn.result(self._go(state, step.next_for(number), turn))

    def _answer_text(self, state: RunState, step: Step, inp: Input, typed: str, turn: _Turn) -> Result:
        if inp.option == SKIP_ID and step.optional:
            return turn.result(self._go(state, step.next, turn))
        if step.validate is not None:
            return self._answer_validated(state, step, inp, typed, turn)
        if inp.option is not None or not typed:
            self._say(turn, "text_empty", state)
            self._prompt(state, step, turn)
            return turn.result(state, accepted=False)
        if len(typed) > step.max_length:
            self._say(turn, "text_too_long", state, length=len(typed), max_length=step.max_length)
            return turn.result(state, accepted=False)
        assert step.save is not None
        state = state.with_top(state.top.with_value(step.save, typed))
        turn.effects.append(SaveNote(step.save, typed))
        if step.collect:
            turn.effects.append(Collect(step.collect, typed))
        return turn.result(self._go(state, step.next, turn))

    def _answer_validated(self, state: RunState, step: Step, inp: Input, typed: str, turn: _Turn) -> Result:
        """An hour, a time zone, a date or days: stored normalised (with a label to show back), or asked again."""
        assert step.validate is not None and step.save is not None
        answer = inp.option if inp.option is not None else typed
        found = validate(step.validate, answer, today=turn.now.date(), locale=turn.ctx.locale) if answer else None
        if found is None and typed.isdigit() and inp.option is None:
            # "1" where it is no valid answer itself picks the first suggestion shown, as on a choose step.
            country = str(turn.ctx.vars.get("country") or "") or None
            shown = suggestions(step.validate, today=turn.now.date(), locale=turn.ctx.locale, country=country)
            if 1 <= int(typed) <= len(shown):
                picked = shown[int(typed) - 1].value
                found = validate(step.validate, picked, today=turn.now.date(), locale=turn.ctx.locale)
        if found is None:
            self._say(turn, f"validate_{step.validate}", state)
            self._prompt(state, step, turn, repeat=False)
            return turn.result(state, accepted=False)
        frame = state.top.with_value(step.save, found.value).with_value(f"{step.save}_label", found.label)
        for flag in VALIDATOR_FLAGS.get(step.validate, ()):
            # e.g. timezone_fixed: a UTC offset, which does not follow daylight saving time ("" when not).
            frame = frame.with_value(f"{step.save}_{flag}", "yes" if flag in found.flags else "")
        state = state.with_top(frame)
        return turn.result(self._go(state, step.next, turn))

    # --- moving -------------------------------------------------------------------------------------

    def _go(self, state: RunState, step_id: str | None, turn: _Turn) -> RunState:
        if step_id is None:
            raise EngineError("a step without next was accepted at load")
        moved = state.moved(state.frames[:-1] + (state.top.at(step_id),))
        return self._enter(moved, turn)

    def _enter(self, state: RunState, turn: _Turn) -> RunState:
        """Enter the current step and keep going through steps that do not wait, until one waits or ends."""
        for _ in range(_MAX_MOVES):
            step = self._step(state)
            if step is None:
                return self._changed(state, turn).state
            state = self._run_effects(state, step.effects, turn)
            if step.kind == "call":
                assert step.dialogue is not None
                callee = self.library.get(step.dialogue)
                state = state.moved(state.frames + (Frame(callee.id, callee.version, callee.start),))
                continue
            if step.kind == "end":
                if step.say is not None:
                    turn.replies.append(Say(step.say.render(turn.ctx, self._values(state, step))))
                if len(state.frames) > 1:
                    parent = state.frames[-2]
                    call_step = self.library.get(parent.dialogue_id).steps[parent.step_id]
                    state = state.moved(state.frames[:-2] + (parent.at(cast(str, call_step.next)),))
                    continue
                if step.offer:
                    turn.effects.append(Offer(step.offer))
                turn.effects.append(End(step.outcome))
                return replace(state, status="ended", outcome=step.outcome, wake_at=None)
            if step.kind == "score":
                state = self._score(state, step, turn)
                continue
            if step.kind == "branch":
                known = {**turn.ctx.vars, **state.top.values}
                target = next((c.next for c in step.cases if known.get(c.known) not in (None, "")), step.next)
                state = state.moved(state.frames[:-1] + (state.top.at(cast(str, target)),))
                continue
            if step.kind == "say" and step.continue_label is None:
                if step.say is not None:
                    turn.replies.append(Say(step.say.render(turn.ctx, self._values(state, step))))
                state = state.moved(state.frames[:-1] + (state.top.at(cast(str, step.next)),))
                continue
            if step.kind == "pause":
                state = replace(state, wake_at=turn.now + timedelta(seconds=step.seconds))
                turn.effects.append(Wait(state.wake_at))  # type: ignore[arg-type]
            self._prompt(state, step, turn)
            return state
        raise EngineError(f"more than {_MAX_MOVES} steps without waiting in {state.top.dialogue_id}")

    def _score(self, state: RunState, step: Step, turn: _Turn) -> RunState:
        """Facet means, and a total that is the mean of facet means with negative facets reversed."""
        values = dict(state.top.values)
        adjusted: list[float] = []
        for facet in step.facets:
            answers = [float(values[i]) for i in facet.items if isinstance(values.get(i), int | float)]
            if not answers:
                continue
            mean = sum(answers) / len(answers)
            values[facet.name] = round(mean, 4)
            adjusted.append((step.min + step.max - mean) if facet.reverse else mean)
            if step.measure:
                turn.effects.append(RecordMeasure(f"{step.measure}_{facet.name}", round(mean, 4)))
        if adjusted and step.save:
            total = round(sum(adjusted) / len(adjusted), 4)
            values[step.save] = total
            if step.measure:
                turn.effects.append(RecordMeasure(f"{step.measure}_total", total))
        frame = replace(state.top, values=values)
        return state.moved(state.frames[:-1] + (frame.at(cast(str, step.next)),))

    def _prompt(self, state: RunState, step: Step, turn: _Turn, repeat: bool = True) -> None:
        """Show the step's question with its buttons (or only the buttons when the text was just said)."""
        text = step.say.render(turn.ctx, self._values(state, step)) if step.say is not None and repeat else ""
        options: tuple[Choice, ...] = ()
        scale = None
        if step.kind == "choose":
            options = tuple(Choice(o.id, o.label.render(turn.ctx)) for o in self._options(step, turn.ctx))
        elif step.kind in ("say", "pause"):
            label = step.continue_label or self.library.text("continue")
            options = (Choice(CONTINUE_ID, label.render(turn.ctx)),)
        elif step.kind == "text" and (step.optional or step.validate):
            if step.validate and (turn.now != datetime.min or step.validate != "date"):  # dates need today
                country = str(turn.ctx.vars.get("country") or "") or None
                found = suggestions(step.validate, today=turn.now.date(), locale=turn.ctx.locale, country=country)
                options = tuple(Choice(s.value, s.label) for s in found)
            if step.optional:
                options += (Choice(SKIP_ID, self.library.text("skip").render(turn.ctx)),)
        elif step.kind == "scale":
            scale = (step.min, step.max)
        if not text and not repeat and turn.replies:
            last = turn.replies.pop()
            text = last.text
        turn.replies.append(Say(text, options, scale, state.seq))

    def _run_effects(self, state: RunState, specs: tuple[EffectSpec, ...], turn: _Turn) -> RunState:
        for spec in specs:
            if spec.set is not None and spec.value is not None:
                # A value may name an answer given earlier in the run: `value: "{checkin_hour}"`.
                value = fill(spec.value, state.top.values, "en") if "{" in spec.value else spec.value
                turn.effects.append(SetProfile(spec.set, value))
                if spec.set == "language" and spec.value in ("fr", "en"):
                    turn.ctx = replace(turn.ctx, locale=cast(Locale, spec.value))
                elif spec.set == "address" and spec.value in ("vous", "tu"):
                    turn.ctx = replace(turn.ctx, address=cast(Address, spec.value))
            elif spec.action is not None:
                turn.effects.append(Action(spec.action))
        return state

    @staticmethod
    def _options(step: Step, ctx: Context) -> tuple[Option, ...]:
        """The options shown in this language (an option may be offered in one language only)."""
        return tuple(o for o in step.options if o.locale is None or o.locale == ctx.locale)

    def _step(self, state: RunState) -> Step | None:
        """The step a state points at, or None when the dialogue changed under a saved run."""
        frame = state.top
        dialogue = self.library.dialogues.get(frame.dialogue_id)
        if dialogue is None or dialogue.version != frame.version:
            return None
        return dialogue.steps.get(frame.step_id)

    def _changed(self, state: RunState, turn: _Turn) -> Result:
        self._say(turn, "dialogue_changed", state)
        turn.effects.append(End("incomplete"))
        return turn.result(replace(state, status="ended", outcome="incomplete", wake_at=None))

    def _values(self, state: RunState, step: Step) -> dict[str, object]:
        return dict(state.top.values)

    def _say(self, turn: _Turn, key: str, state: RunState, **extra: object) -> None:
        turn.replies.append(Say(self.library.text(key).render(turn.ctx, extra)))
