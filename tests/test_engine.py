"""The pure engine: every step kind, every bad input, every validation error. No I/O, no clock reads."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dialogues.engine import Engine, scale_problem
from dialogues.loader import DialogueError, Library, load_dialogue, load_library
from dialogues.numbers import parse_number, read_numbers
from dialogues.results import Action, Collect, End, Input, Offer, RecordMeasure, SaveNote, SetProfile, Wait
from dialogues.state import RunState
from dialogues.texts import Context

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FR = Context(locale="fr", address="vous")
FR_TU = Context(locale="fr", address="tu")
EN = Context(locale="en")

T = '{en: "%s", fr_vous: "%s (vous)", fr_tu: "%s (tu)"}'


def text(word: str) -> str:
    return T % (word, word, word)


TOY = f"""
id: toy
version: 1
title: {text("Toy")}
summary: {text("A toy")}
start: hello
steps:
  hello:
    kind: say
    say: {text("Hello")}
    next: pick
  pick:
    kind: choose
    say: {text("Pick one")}
    save: picked
    options:
      - id: calm
        label: {{en: "Calm", fr: "Calme"}}
        next: rate
        effects: [{{set: address, value: tu}}]
      - id: busy
        label: {{en: "Busy", fr: "Occupé"}}
        next: note
      - id: tutoie
        locale: fr
        label: {{en: "Call me tu", fr: "Me tutoyer"}}
        next: note
  rate:
    kind: scale
    say: {text("How much")}
    min: 0
    max: 10
    save: level
    measure: level
    branches:
      - {{range: [0, 4], next: low}}
      - {{range: [5, 10], next: rest}}
  low:
    kind: say
    say: {text("Low {level}")}
    continue: {{en: "Go", fr: "Allez"}}
    next: note
  rest:
    kind: pause
    say: {text("Breathe")}
    seconds: 30
    done: {text("Time")}
    next: note
  note:
    kind: text
    say: {text("Write")}
    save: words
    max_length: 20
    optional: true
    collect: supervision
    next: sub
  sub:
    kind: call
    dialogue: inner
    next: bye
  bye:
    kind: end
    say: {text("Bye {picked} {level}")}
    offer: [inner]
    effects: [{{action: history}}]
"""

INNER = f"""
id: inner
version: 1
title: {text("Inner")}
summary: {text("Inner one")}
start: ask
steps:
  ask:
    kind: say
    say: {text("Inside")}
    continue: {{en: "Ok", fr: "Ok"}}
    next: done
  done:
    kind: end
    say: {text("Inner done")}
    offer: [toy]
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Library:
    directory = tmp_path_factory.mktemp("toy")
    (directory / "toy.yaml").write_text(TOY, encoding="utf-8")
    (directory / "inner.yaml").write_text(INNER, encoding="utf-8")
    engine_texts = Path(__file__).parents[1] / "dialogues" / "_engine.yaml"
    (directory / "_engine.yaml").write_text(engine_texts.read_text(encoding="utf-8"), encoding="utf-8")
    return load_library(directory)


def test_say_chains_into_the_next_waiting_step(toy: Library) -> None:
    result = Engine(toy).start("toy", EN, NOW)
    assert [r.text for r in result.replies] == ["Hello", "Pick one"]
    assert [c.id for c in result.replies[-1].options] == ["calm", "busy"]
    assert result.state.top.step_id == "pick"


def test_choose_by_button_number_and_label(toy: Library) -> None:
    engine = Engine(toy)
    start = engine.start("toy", FR, NOW).state
    for answer in (Input(option="busy", seq=start.seq), Input(text="2"), Input(text="  OCCUPE ")):
        result = engine.handle(start, answer, FR, NOW)
        assert result.state.top.step_id == "note", answer
        assert result.state.top.values["picked"] == "busy"


def test_choose_effects_change_the_address_at_once(toy: Library) -> None:
    engine = Engine(toy)
    start = engine.start("toy", FR, NOW).state
    result = engine.handle(start, Input(text="1"), FR, NOW)
    assert SetProfile("address", "tu") in result.effects
    assert result.replies[-1].text == "How much (tu)"


def test_unknown_choice_reprompts_and_keeps_state(toy: Library) -> None:
    engine = Engine(toy)
    start = engine.start("toy", EN, NOW).state
    result = engine.handle(start, Input(text="banana"), EN, NOW)
    assert result.state == start and not result.accepted
    assert "which one you mean" in result.replies[0].text
    assert result.replies[-1].options, "the question is shown again with its buttons"


def test_an_option_for_one_language_is_shown_and_counted_in_that_language_only(toy: Library) -> None:
    engine = Engine(toy)
    in_english = engine.start("toy", EN, NOW)
    assert [c.id for c in in_english.replies[-1].options] == ["calm", "busy"]
    assert not engine.handle(in_english.state, Input(text="3"), EN, NOW).accepted, "no third option in English"
    assert not engine.handle(in_english.state, Input(text="Call me tu"), EN, NOW).accepted
    in_french = engine.start("toy", FR, NOW)
    assert [c.id for c in in_french.replies[-1].options] == ["calm", "busy", "tutoie"]
    assert engine.handle(in_french.state, Input(text="3"), FR, NOW).state.top.values["picked"] == "tutoie"


PLACES = f"""
id: places
version: 1
title: {text("Places")}
summary: {text("Places")}
start: where
steps:
  where:
    kind: choose
    say: {text("Where")}
    save: where
    options:
      - {{id: safe, label: {{en: "A safe place", fr: "Un lieu sûr"}}, next: done}}
      - {{id: figure, label: {{en: "A compassionate figure", fr: "Une figure bienveillante"}}, next: done}}
      - {{id: sea, label: {{en: "A place by the sea", fr: "Un lieu au bord de la mer"}}, next: done}}
  done:
    kind: end
"""


@pytest.mark.parametrize(
    ("typed", "chosen"),
    [("safe place", "safe"), ("Safe place.", "safe"), ("compassionate", "figure"), ("by the sea", "sea"),
     ("lieu sûr", "safe"), ("LIEU SUR", "safe"), ("bienveillante", "figure"), ("a safe place", "safe")],
)  # fmt: skip
def test_a_typed_part_of_one_label_chooses_it(tmp_path: Path, typed: str, chosen: str) -> None:
    (tmp_path / "places.yaml").write_text(PLACES, encoding="utf-8")
    engine_texts = Path(__file__).parents[1] / "dialogues" / "_engine.yaml"
    (tmp_path / "_engine.yaml").write_text(engine_texts.read_text(encoding="utf-8"), encoding="utf-8")
    engine = Engine(load_library(tmp_path))
    result = engine.handle(engine.start("places", EN, NOW).state, Input(text=typed), EN, NOW)
    assert result.accepted and result.state.top.values["where"] == chosen, typed


@pytest.mark.parametrize("typed", ["place", "lieu", "a", "2 places", "sea place"])
def test_a_part_that_fits_several_labels_or_none_chooses_nothing(tmp_path: Path, typed: str) -> None:
    (tmp_path / "places.yaml").write_text(PLACES, encoding="utf-8")
    engine_texts = Path(__file__).parents[1] / "dialogues" / "_engine.yaml"
    (tmp_path / "_engine.yaml").write_text(engine_texts.read_text(encoding="utf-8"), encoding="utf-8")
    engine = Engine(load_library(tmp_path))
    start = engine.start("places", FR, NOW).state
    result = engine.handle(start, Input(text=typed), FR, NOW)
    assert not result.accepted and result.state == start, typed
    if typed in ("place", "lieu"):
        assert "plusieurs choix" in result.replies[0].text, "said to fit more than one, not 'not understood'"
    assert result.replies[-1].options, "the question again, with its choices"


def test_stale_and_forged_buttons_change_nothing(toy: Library) -> None:
    engine = Engine(toy)
    start = engine.start("toy", EN, NOW).state
    moved = engine.handle(start, Input(text="1"), EN, NOW).state
    stale = engine.handle(moved, Input(option="busy", seq=start.seq), EN, NOW)
    assert stale.state == moved and not stale.accepted
    assert "earlier question" in stale.replies[0].text
    forged = engine.handle(start, Input(option="nope", seq=start.seq), EN, NOW)
    assert forged.state == start and not forged.accepted


@pytest.mark.parametrize(
    "typed",
    ["5", " 5 ", "5/10", "5 sur 10", "cinq", "five", "I'm at 5", "5 out of 10", "cinq sur dix", "five out of ten",
     "je dirais 5 aujourd'hui", "I'd say a 5 today", "probably 5/10, maybe", "5.", "Cinq."],
)  # fmt: skip
def test_scale_accepts_what_people_type(toy: Library, typed: str) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", EN, NOW).state, Input(text="1"), EN, NOW).state
    result = engine.handle(at_rate, Input(text=typed), EN, NOW)
    assert result.accepted, typed
    assert RecordMeasure("level", 5) in result.effects
    assert result.state.top.step_id == "rest"
    assert result.replies[0].text == "Breathe", "a plain answer gets no remark"


@pytest.mark.parametrize(
    ("typed", "ctx", "level", "said"),
    [("4.5", EN, 5, "Noted as 5"), ("4,5", FR, 5, "4,5 est arrondi"), ("5,5", FR, 6, "Je note 6"),
     ("cinq et demi", FR, 6, "5,5"), ("four and a half", EN, 5, "4.5 is rounded"), ("0.4", EN, 0, "Noted as 0")],
)  # fmt: skip
def test_a_decimal_is_rounded_half_up_and_said_so(
    toy: Library, typed: str, ctx: Context, level: int, said: str
) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", ctx, NOW).state, Input(text="1"), ctx, NOW).state
    result = engine.handle(at_rate, Input(text=typed), ctx, NOW)
    assert result.accepted and RecordMeasure("level", level) in result.effects, typed
    assert said in result.replies[0].text.replace("\u00a0", " ")
    assert "no number" not in result.replies[0].text and "pas trouvé" not in result.replies[0].text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12", "12 is outside"), ("douze", "12 is outside"), ("-1", "-1 is outside"), ("10.5", "10.5 is outside"),
     ("bof", "didn't catch a number"), ("🙂", "didn't catch a number"), ("4 or 5", "two numbers there, 4 and 5"),
     ("entre 4 et 5", "4 and 5"), ("7 ou 8", "7 and 8"), ("4-5", "4 and 5"), ("between four and five", "4 and 5"),
     ("3, 4 or 5", "several numbers")],
)  # fmt: skip
def test_scale_bad_input_reprompts_kindly(toy: Library, typed: str, expected: str) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", EN, NOW).state, Input(text="1"), EN, NOW).state
    result = engine.handle(at_rate, Input(text=typed), EN, NOW)
    assert result.state == at_rate and not result.accepted
    assert expected in result.replies[0].text
    assert result.replies[-1].scale == (0, 10)


def test_scale_reprompt_is_in_the_users_language(toy: Library) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", FR_TU, NOW).state, Input(text="1"), FR_TU, NOW).state
    result = engine.handle(at_rate, Input(text="beaucoup"), FR_TU, NOW)
    assert "donnerais-tu" in result.replies[0].text
    two = engine.handle(at_rate, Input(text="entre 4 et 5"), FR_TU, NOW)
    assert "deux nombres, 4 et 5" in two.replies[0].text


def test_an_empty_line_asks_the_question_again_and_a_sticker_is_said_unreadable(toy: Library) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", EN, NOW).state, Input(text="1"), EN, NOW).state
    empty = engine.handle(at_rate, Input(text="   "), EN, NOW)
    assert not empty.accepted and empty.state == at_rate
    assert [r.text for r in empty.replies] == ["How much"] and empty.replies[0].scale == (0, 10)
    sticker = engine.handle(at_rate, Input(), EN, NOW)
    assert "only read text" in sticker.replies[0].text and sticker.replies[-1].text == "How much"


def test_scale_branches_and_values_fill_texts(toy: Library) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", EN, NOW).state, Input(text="1"), EN, NOW).state
    low = engine.handle(at_rate, Input(text="3"), EN, NOW)
    assert low.state.top.step_id == "low"
    assert low.replies[-1].text == "Low 3"


def test_pause_stores_its_due_time_and_wakes_only_when_due(toy: Library) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", EN, NOW).state, Input(text="1"), EN, NOW).state
    paused = engine.handle(at_rate, Input(text="7"), EN, NOW)
    assert Wait(NOW + timedelta(seconds=30)) in paused.effects
    state = RunState.from_dict(paused.state.to_dict())  # survives a restart
    assert state.wake_at == NOW + timedelta(seconds=30)
    early = engine.wake(state, EN, NOW + timedelta(seconds=29))
    assert early.state == state and not early.replies
    due = engine.wake(state, EN, NOW + timedelta(seconds=30))
    assert [r.text for r in due.replies][:1] == ["Time"]
    assert due.state.top.step_id == "note" and due.state.wake_at is None


def test_pause_can_be_ended_early_and_cancel_voids_it(toy: Library) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", EN, NOW).state, Input(text="1"), EN, NOW).state
    paused = engine.handle(at_rate, Input(text="7"), EN, NOW).state
    early = engine.handle(paused, Input(option="continue", seq=paused.seq), EN, NOW)
    assert early.state.top.step_id == "note"
    cancelled = engine.cancel(paused, EN)
    assert cancelled.state.status == "ended" and cancelled.state.wake_at is None
    assert End("cancelled") in cancelled.effects
    assert not engine.wake(cancelled.state, EN, NOW + timedelta(hours=1)).replies


def test_text_written_during_a_pause_is_never_the_answer_to_the_step_after_it(toy: Library) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", EN, NOW).state, Input(text="1"), EN, NOW).state
    paused = engine.handle(at_rate, Input(text="7"), EN, NOW).state
    during = engine.handle(paused, Input(text="I'll be back in 30 seconds"), EN, NOW + timedelta(seconds=12))
    assert not during.accepted and during.state == paused, "the pause runs on"
    assert "still running" in during.replies[0].text and "about 20 seconds" in during.replies[0].text
    assert [c.id for c in during.replies[-1].options] == ["continue"], "with Continue to go on now"
    assert not any(isinstance(e, SaveNote) for e in during.effects)
    woken = engine.wake(during.state, EN, NOW + timedelta(seconds=30))
    assert woken.state.top.step_id == "note" and "words" not in woken.state.top.values
    for typed in ("continue", "Continue.", "1"):  # Continue typed, or its number as the console shows it
        typed_continue = engine.handle(paused, Input(text=typed), EN, NOW + timedelta(seconds=5))
        assert typed_continue.accepted and typed_continue.state.top.step_id == "note", typed
    empty = engine.handle(paused, Input(text=""), EN, NOW + timedelta(seconds=5))
    assert not empty.accepted and "still running" in empty.replies[0].text


def test_text_read_after_the_pause_ended_but_before_its_wake_ends_the_pause_and_is_not_an_answer(
    toy: Library,
) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", EN, NOW).state, Input(text="1"), EN, NOW).state
    paused = engine.handle(at_rate, Input(text="7"), EN, NOW).state
    late = engine.handle(paused, Input(text="ok I'm back"), EN, NOW + timedelta(seconds=31))
    assert late.accepted and late.state.top.step_id == "note"
    assert [r.text for r in late.replies] == ["Time", "Write"], "the pause's end, then the next question"
    assert "words" not in late.state.top.values and not any(isinstance(e, SaveNote) for e in late.effects)


def test_text_limits_skip_and_notes(toy: Library) -> None:
    engine = Engine(toy)
    at_note = engine.handle(engine.start("toy", EN, NOW).state, Input(text="2"), EN, NOW).state
    too_long = engine.handle(at_note, Input(text="x" * 21), EN, NOW)
    assert too_long.state == at_note and "21 characters" in too_long.replies[0].text
    written = engine.handle(at_note, Input(text="kind words"), EN, NOW)
    assert SaveNote("words", "kind words") in written.effects
    assert Collect("supervision", "kind words") in written.effects
    skipped = engine.handle(at_note, Input(option="skip", seq=at_note.seq), EN, NOW)
    assert not [e for e in skipped.effects if isinstance(e, SaveNote)]
    assert skipped.state.top.dialogue_id == "inner"


def test_call_runs_another_dialogue_and_comes_back(toy: Library) -> None:
    engine = Engine(toy)
    at_note = engine.handle(engine.start("toy", EN, NOW).state, Input(text="2"), EN, NOW).state
    inside = engine.handle(at_note, Input(text="words"), EN, NOW)
    assert inside.state.top.dialogue_id == "inner" and len(inside.state.frames) == 2
    done = engine.handle(inside.state, Input(text="ok"), EN, NOW)
    texts = [r.text for r in done.replies]
    assert texts == ["Inner done", "Bye busy —"]
    assert done.state.status == "ended"
    assert Offer(("inner",)) in done.effects and Action("history") in done.effects
    assert End("completed") in done.effects
    assert Offer(("toy",)) not in done.effects, "a called dialogue's offers are not shown"


@pytest.mark.parametrize("word", ["/cancel", "stop", "annuler", "Arrêter", "STOP"])
def test_cancel_words_at_any_step(toy: Library, word: str) -> None:
    engine = Engine(toy)
    start = engine.start("toy", FR, NOW).state
    result = engine.handle(start, Input(text=word), FR, NOW)
    assert result.state.status == "ended" and result.state.outcome == "cancelled"
    assert "gardé" in result.replies[0].text


def test_help_explains_the_current_step_and_keeps_it(toy: Library) -> None:
    engine = Engine(toy)
    at_rate = engine.handle(engine.start("toy", EN, NOW).state, Input(text="1"), EN, NOW).state
    result = engine.handle(at_rate, Input(text="/help"), EN, NOW)
    assert result.state == at_rate
    assert "whole number" in result.replies[0].text and "/cancel" in result.replies[0].text


def test_pause_and_resume(toy: Library) -> None:
    engine = Engine(toy)
    start = engine.start("toy", EN, NOW).state
    paused = engine.pause(start)
    assert paused.status == "paused"
    resumed = engine.resume(paused, EN)
    assert resumed.state.status == "active" and resumed.state.top.step_id == "pick"
    assert resumed.replies[-1].options


def test_expire_keeps_the_run_as_incomplete_history(toy: Library) -> None:
    engine = Engine(toy)
    start = engine.start("toy", EN, NOW).state
    assert engine.is_stale(start, NOW, NOW + timedelta(hours=24))
    assert not engine.is_stale(start, NOW, NOW + timedelta(hours=23))
    result = engine.expire(start, EN)
    assert End("expired") in result.effects and result.state.status == "ended"


def test_a_changed_dialogue_ends_an_old_run_gently(toy: Library) -> None:
    engine = Engine(toy)
    start = engine.start("toy", EN, NOW).state
    old = RunState.from_dict({**start.to_dict(), "frames": [{"d": "toy", "v": 0, "s": "pick", "x": {}}]})
    result = engine.handle(old, Input(text="1"), EN, NOW)
    assert result.state.status == "ended" and End("incomplete") in result.effects
    assert "updated" in result.replies[0].text


def test_numbers() -> None:
    assert parse_number("sept") == 7
    assert parse_number("Zéro") == 0
    assert parse_number("10/10") == 10
    assert parse_number("sept sur dix") == 7
    assert parse_number("7.5") is None
    assert parse_number("") is None
    assert parse_number("5 ou 6") is None
    assert parse_number("je dirais 6") is None, "a number that picks a choice is the whole answer"


@pytest.mark.parametrize(
    ("typed", "numbers"),
    [("sept sur dix", (7,)), ("cinq sur dix", (5,)), ("5,5", (5.5,)), ("4.5", (4.5,)), ("5,5/10", (5.5,)),
     ("entre 4 et 5", (4, 5)), ("7 ou 8", (7, 8)), ("4 ou 5 sur 10", (4, 5)), ("seven or eight", (7, 8)),
     ("je dirais 6 aujourd'hui", (6,)), ("I'd say a 6 today", (6,)), ("c'est une journée à 3", (3,)),
     ("nothing much, maybe 2", (2,)), ("7, oui 7", (7,)), ("après la séance de 16h30, 4", (4,)),
     ("pas sûr, 5 ou 6", (5, 6)), ("bof", ()), ("", ()), ("none", (0,)), ("un", (1,))],
)  # fmt: skip
def test_numbers_read_the_way_people_write_them(typed: str, numbers: tuple[float, ...]) -> None:
    assert read_numbers(typed) == tuple(float(n) for n in numbers)


@pytest.mark.parametrize(
    ("typed", "numbers"),
    [
        # number words, with the Belgian and Swiss tens, and round numbers said in words
        ("dix-sept", (17,)), ("vingt et un sur dix", (21,)), ("quatre-vingt-dix", (90,)), ("septante-deux", (72,)),
        ("huitante", (80,)), ("nonante sur dix !", (90,)), ("soixante et onze", (71,)), ("twenty one", (21,)),
        ("like a hundred", (100,)), ("genre un million", (1_000_000,)), ("eightish", (8,)), ("7-ish", (7,)),
        # halves and decimals said in words
        ("huit et demie", (8.5,)), ("three and half", (3.5,)), ("6 1/2", (6.5,)), ("2½", (2.5,)),
        ("quatre virgule cinq", (4.5,)), ("six point five", (6.5,)),
        # the scale named, with or without the answer's number before it
        ("sur dix ? six", (6,)), ("out of ten, maybe 3", (3,)), ("5 on 10", (5,)), ("a 7 on a scale of 1 to 10", (7,)),
        ("je me mets à 2 sur une échelle de 0 à 10", (2,)), ("de 0 à 10 je dirais 8", (8,)), ("9/10", (9,)),
        # numbers that count something, beside the rating
        ("3 annulations aujourd'hui, je dirais 5", (5,)), ("after my 4 sessions, a 6", (6,)),
        ("douze heures de garde, donc 9", (9,)), ("two long calls this morning, so 3", (3,)),
        ("zéro sommeil mais anxiété à 8", (8,)), ("a 10 hour day, 7", (7,)), ("mes 2 gosses malades, 6", (6,)),
        # hesitations between two values, however they are joined
        ("3 pis 4", (3, 4)), ("3 voire 4", (3, 4)), ("two, maybe three", (2, 3)), ("2 until 3", (2, 3)),
        ("4/5", (4, 5)), ("entre un 3 et un 4", (3, 4)), ("8 or maybe 9", (8, 9)), ("7 sinon 8 jsp", (7, 8)),
        ("trois quatre", (3, 4)), ("4 mais 5", (4, 5)),
        # a number taken back for the next, or said of another day
        ("5 mais plutôt 6", (6,)), ("3, non 4", (4,)), ("8 no wait 7", (7,)), ("six, disons sept", (7,)),
        ("hier 8, aujourd'hui 5", (5,)), ("it was 9 this morning, now a 6", (6,)),
        # out of range, negative, percent
        ("minus 3", (-3,)), ("moins 1", (-1,)), ("minus one", (-1,)), ("6 outta 10", (6,)), ("two over ten", (2,)),
        ("au moins 8", (8,)), ("plus ou moins 5", (5,)),
        ("80 pour cent", (80,)), ("un 6 bien tassé", (6,)), ("honnêtement ? 4.", (4,)),
    ],
)  # fmt: skip
def test_numbers_in_sentences_number_words_and_hesitations(typed: str, numbers: tuple[float, ...]) -> None:
    assert read_numbers(typed) == tuple(float(n) for n in numbers)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("8", None), ("entre 2 et 3", "scale_two_numbers"), ("2, 3 ou 4", "scale_several_numbers"),
     ("onze", "scale_out_of_range"), ("-1", "scale_out_of_range"), ("aucune idée", "scale_reprompt"),
     ("3,5", None), ("après 3 séances, 12", "scale_out_of_range")],
)  # fmt: skip
def test_what_a_scale_step_says_to_the_numbers_read(typed: str, problem: str | None) -> None:
    assert scale_problem(read_numbers(typed), 0, 10) == problem


# --- validation ---------------------------------------------------------------------------------------


def _problems(tmp_path: Path, body: str, name: str = "bad") -> list[str]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    with pytest.raises(DialogueError) as info:
        load_dialogue(path)
    return info.value.problems


HEAD = f"""
id: bad
version: 1
title: {text("Bad")}
summary: {text("Bad")}
start: a
"""


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("  a: {kind: say, say: %s, next: nowhere}\n" % text("x"), "step a: unknown step 'nowhere'"),
        (
            "  a: {kind: say, say: %s, next: z}\n  lost: {kind: end}\n  z: {kind: end}\n" % text("x"),
            "step lost: unreachable",
        ),
        (
            "  a: {kind: choose, say: %s, options: [{id: o, label: %s, next: b}, {id: p, label: %s, next: z}]}\n"
            "  b: {kind: say, say: %s, continue: %s, next: b2}\n  b2: {kind: say, say: %s, continue: %s, next: b}\n"
            "  z: {kind: end}\n" % (text("x"), text("o"), text("p"), text("x"), text("c"), text("y"), text("c")),
            "step b: dead end",
        ),
        ("  a: {kind: say, say: {en: Hi, fr_vous: Salut}, next: z}\n  z: {kind: end}\n", "missing translation: fr_tu"),
        ("  a: {kind: say, say: {fr: Salut}, next: z}\n  z: {kind: end}\n", "missing translation: en"),
        ("  a: {kind: say, say: Hello, next: z}\n  z: {kind: end}\n", "bare string has no translation"),
        (
            "  a: {kind: choose, say: %s, options: [{id: o, label: %s}]}\n  z: {kind: end}\n" % (text("x"), text("o")),
            "option o: option without target",
        ),
        (
            "  a: {kind: scale, say: %s, save: n, branches: [{range: [0, 4], next: z}]}\n  z: {kind: end}\n"
            % text("x"),
            "no branch for [5, 6, 7, 8, 9, 10]",
        ),
        (
            "  a: {kind: scale, say: %s, save: n, branches: [{range: [0, 6], next: z}, {range: [5, 10], next: z}]}\n"
            "  z: {kind: end}\n" % text("x"),
            "scale branches overlap",
        ),
        ("  a: {kind: wobble, next: z}\n  z: {kind: end}\n", "unknown kind 'wobble'"),
        ("  a: {kind: say, say: %s, next: z}\n  z: {kind: end}\n" % text("{nothing}"), "unknown value {nothing}"),
        (
            "  a: {kind: branch, cases: [{known: n, next: b}], next: b}\n"
            "  b: {kind: branch, cases: [{known: n, next: a}], next: z}\n  z: {kind: end}\n",
            "case on unknown value 'n'",
        ),
    ],
)
def test_validation_names_file_and_step(tmp_path: Path, steps: str, expected: str) -> None:
    problems = _problems(tmp_path, HEAD + "steps:\n" + steps)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("bad.yaml: ") for p in problems), problems


def test_validation_rejects_a_loop_that_never_waits(tmp_path: Path) -> None:
    steps = "  a: {kind: say, say: %s, next: b}\n  b: {kind: say, say: %s, next: a}\n  z: {kind: end}\n" % (
        text("x"),
        text("y"),
    )
    problems = _problems(tmp_path, HEAD + "steps:\n" + steps)
    assert any("never wait" in p for p in problems), problems


def test_library_rejects_unknown_calls_and_offers(tmp_path: Path) -> None:
    (tmp_path / "lone.yaml").write_text(
        HEAD.replace("id: bad", "id: lone")
        + "steps:\n  a: {kind: call, dialogue: ghost, next: z}\n  z: {kind: end, offer: [phantom]}\n",
        encoding="utf-8",
    )
    with pytest.raises(DialogueError) as info:
        load_library(tmp_path)
    text_ = "\n".join(info.value.problems)
    assert "calls unknown dialogue 'ghost'" in text_ and "offers unknown dialogue 'phantom'" in text_


def test_the_shipped_dialogues_load_and_lint_clean() -> None:
    from dialogues.lint import lint_library

    library = load_library()
    assert "compassion_break" in library.dialogues and "anchor" in library.dialogues
    assert lint_library(library) == []


def test_a_typed_number_picks_a_validated_steps_suggestion() -> None:
    """At the time-zone question, "1" is no zone: it picks the first zone suggested, as a button would."""
    engine = Engine(load_library())
    ctx = Context(locale="fr", vars={"country": "FR"})
    state = engine.start("checkin", ctx, NOW).state
    state = engine.handle(state, Input(text="1"), ctx, NOW).state
    assert state.top.step_id == "hour"
    state = engine.handle(state, Input(text="8h30"), ctx, NOW).state
    assert state.top.step_id == "zone"
    picked = engine.handle(state, Input(text="1"), ctx, NOW)
    assert picked.accepted and picked.state.top.values["timezone"] == "Europe/Paris"
    wrong = engine.handle(state, Input(text="7"), ctx, NOW)
    assert not wrong.accepted and wrong.state == state
