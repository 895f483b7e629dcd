"""Property: any sequence of inputs on any dialogue never raises and always leaves a valid state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogues.engine import Engine
from dialogues.results import Input
from dialogues.state import RunState
from dialogues.texts import Context
from tests.harness import library

LIB = library()
ENGINE = Engine(LIB)
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

typed = st.one_of(
    st.sampled_from(
        [
            "1",
            "2",
            "3",
            "5",
            "0",
            "10",
            "11",
            "-3",
            "cinq",
            "five",
            "4/10",
            "ok",
            "stop",
            "/help",
            "",
            " ",
            "🙂",
            "skip",
            "continue",
            "x" * 5000,
            "Oui",
            "Non",
        ]
    ),
    st.text(max_size=40),
    st.integers(-5, 20).map(str),
)
action = st.one_of(
    st.tuples(st.just("text"), typed),
    st.tuples(st.just("option"), st.integers(0, 12)),  # the nth option shown, if any
    st.tuples(st.just("stale"), st.text(max_size=10)),
    st.tuples(st.just("wait"), st.integers(0, 120)),
    st.tuples(st.just("pause_resume"), st.just("")),
)


def _valid(state: RunState) -> None:
    assert state.status in ("active", "paused", "ended")
    assert state.frames, "a state always has a frame"
    for frame in state.frames:
        dialogue = LIB.dialogues[frame.dialogue_id]
        assert frame.step_id in dialogue.steps, (frame.dialogue_id, frame.step_id)
    if state.status != "ended":
        step = LIB.dialogues[state.top.dialogue_id].steps[state.top.step_id]
        assert step.waits(), f"resting at a step that does not wait: {step.id}"
        assert (state.wake_at is not None) == (step.kind == "pause" and state.status == "active") or (
            state.status == "paused" and state.wake_at is None
        )
    RunState.from_dict(state.to_dict())  # always serialisable


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dialogue=st.sampled_from(sorted(LIB.dialogues)),
    locale=st.sampled_from(["fr", "en"]),
    address=st.sampled_from(["vous", "tu"]),
    actions=st.lists(action, max_size=40),
)
def test_random_inputs_never_break_a_run(
    dialogue: str, locale: str, address: str, actions: list[tuple[str, object]]
) -> None:
    ctx = Context(locale=locale, address=address)  # type: ignore[arg-type]
    now = START
    result = ENGINE.start(dialogue, ctx, now)
    state = result.state
    options = result.replies[-1].options if result.replies else ()
    _valid(state)
    for kind, value in actions:
        if state.status == "ended":
            break
        if kind == "text":
            result = ENGINE.handle(state, Input(text=str(value)), ctx, now)
        elif kind == "option":
            index = int(value)  # type: ignore[call-overload]
            if options and index < len(options):
                result = ENGINE.handle(state, Input(option=options[index].id, seq=state.seq), ctx, now)
            else:
                result = ENGINE.handle(state, Input(option=f"forged{index}", seq=state.seq), ctx, now)
        elif kind == "stale":
            result = ENGINE.handle(state, Input(option=str(value), seq=state.seq - 1), ctx, now)
        elif kind == "wait":
            now += timedelta(seconds=int(value))  # type: ignore[call-overload]
            result = ENGINE.wake(state, ctx, now)
        else:
            result = ENGINE.resume(ENGINE.pause(state), ctx, now)
        if not result.accepted:
            assert result.state.top == state.top, "a refused input leaves the run where it was"
        state = result.state
        shown = [r for r in result.replies if r.options or r.scale]
        if shown:
            options = shown[-1].options
        for reply in result.replies:
            assert isinstance(reply.text, str)
            assert "{" not in reply.text or "{{" in reply.text or "}" not in reply.text, reply.text
        _valid(state)
