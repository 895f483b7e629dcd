"""The self-compassion self-check's scoring, through the pure engine and the real dialogue file.

Each facet is the mean of its two statements; the total is the mean of the six facet means, with the three
negative facets (self_judgment, isolation, over_identification) reversed as 6 - x on the 1-5 scale.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from dialogues.engine import Engine
from dialogues.loader import Library, load_library
from dialogues.results import End, Input, RecordMeasure, Result
from dialogues.texts import Context

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EN = Context(locale="en")
FR = Context(locale="fr", address="vous")
FACETS = ("self_kindness", "self_judgment", "common_humanity", "isolation", "mindfulness", "over_identification")
ITEMS = ("sk1", "sk2", "sj1", "sj2", "ch1", "ch2", "is1", "is2", "mi1", "mi2", "oi1", "oi2")


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library()


def run_selfcheck(library: Library, answers: dict[str, int], ctx: Context = EN) -> tuple[dict[str, float], str]:
    """Answer every statement by its saved name (the order is the file's); return the measures and all text."""
    assert set(answers) == set(ITEMS)
    engine = Engine(library)
    results: list[Result] = [engine.start("selfcheck", ctx, NOW)]
    state = results[-1].state
    for _ in range(40):
        if state.status == "ended":
            break
        step = engine.step_of(state)
        assert step is not None
        if step.kind == "scale":
            assert step.save in answers, f"unexpected scale step {step.id}"
            inp = Input(text=str(answers[step.save]))
        else:
            inp = Input(option="continue")
        results.append(engine.handle(state, inp, ctx, NOW))
        assert results[-1].accepted, f"answer refused at {step.id}"
        state = results[-1].state
    assert state.status == "ended" and state.outcome == "completed"
    effects = [e for r in results for e in r.effects]
    assert End("completed") in effects
    measures = {e.name: e.value for e in effects if isinstance(e, RecordMeasure)}
    text = "\n".join(say.text for r in results for say in r.replies)
    return measures, text


def answers_from(**by_facet: tuple[int, int]) -> dict[str, int]:
    prefix = {"self_kindness": "sk", "self_judgment": "sj", "common_humanity": "ch", "isolation": "is",
              "mindfulness": "mi", "over_identification": "oi"}  # fmt: skip
    out: dict[str, int] = {}
    for facet, (first, second) in by_facet.items():
        out[prefix[facet] + "1"], out[prefix[facet] + "2"] = first, second
    return out


def test_all_threes_give_three_everywhere(library: Library) -> None:
    measures, text = run_selfcheck(library, {item: 3 for item in ITEMS})
    for facet in FACETS:
        assert measures[f"selfcheck_{facet}"] == 3.0
    # reversed negative facets: 6 - 3 = 3, so the total is 3.0 as well
    assert measures["selfcheck_total"] == 3.0
    assert "Overall: 3 out of 5" in text


def test_distinct_facets_hand_computed(library: Library) -> None:
    answers = answers_from(
        self_kindness=(4, 5),  # mean 4.5
        self_judgment=(2, 3),  # mean 2.5 -> reversed 6 - 2.5 = 3.5
        common_humanity=(4, 4),  # mean 4.0
        isolation=(2, 1),  # mean 1.5 -> reversed 6 - 1.5 = 4.5
        mindfulness=(3, 4),  # mean 3.5
        over_identification=(3, 2),  # mean 2.5 -> reversed 3.5
    )
    measures, text = run_selfcheck(library, answers)
    assert measures["selfcheck_self_kindness"] == 4.5
    assert measures["selfcheck_self_judgment"] == 2.5
    assert measures["selfcheck_common_humanity"] == 4.0
    assert measures["selfcheck_isolation"] == 1.5
    assert measures["selfcheck_mindfulness"] == 3.5
    assert measures["selfcheck_over_identification"] == 2.5
    # total = (4.5 + 3.5 + 4.0 + 4.5 + 3.5 + 3.5) / 6 = 23.5 / 6 = 3.91666… -> 3.9167 (rounded to 4 places)
    assert measures["selfcheck_total"] == 3.9167
    assert "Self-kindness: 4.5" in text and "Isolation: 1.5" in text
    assert "Overall: 3.92 out of 5" in text


def test_negative_facets_weigh_against_positive_ones(library: Library) -> None:
    answers = answers_from(
        self_kindness=(2, 3),  # 2.5
        self_judgment=(5, 4),  # 4.5 -> reversed 1.5
        common_humanity=(1, 2),  # 1.5
        isolation=(4, 4),  # 4.0 -> reversed 2.0
        mindfulness=(2, 2),  # 2.0
        over_identification=(5, 5),  # 5.0 -> reversed 1.0
    )
    measures, _ = run_selfcheck(library, answers)
    assert [measures[f"selfcheck_{f}"] for f in FACETS] == [2.5, 4.5, 1.5, 4.0, 2.0, 5.0]
    # total = (2.5 + 1.5 + 1.5 + 2.0 + 2.0 + 1.0) / 6 = 10.5 / 6 = 1.75
    assert measures["selfcheck_total"] == 1.75


def test_extremes_most_and_least_self_compassionate(library: Library) -> None:
    kindest = answers_from(self_kindness=(5, 5), self_judgment=(1, 1), common_humanity=(5, 5),
                           isolation=(1, 1), mindfulness=(5, 5), over_identification=(1, 1))  # fmt: skip
    measures, _ = run_selfcheck(library, kindest)
    assert [measures[f"selfcheck_{f}"] for f in FACETS] == [5.0, 1.0, 5.0, 1.0, 5.0, 1.0]
    assert measures["selfcheck_total"] == 5.0  # 5, 6-1, 5, 6-1, 5, 6-1: all 5

    harshest = answers_from(self_kindness=(1, 1), self_judgment=(5, 5), common_humanity=(1, 1),
                            isolation=(5, 5), mindfulness=(1, 1), over_identification=(5, 5))  # fmt: skip
    measures, _ = run_selfcheck(library, harshest)
    assert [measures[f"selfcheck_{f}"] for f in FACETS] == [1.0, 5.0, 1.0, 5.0, 1.0, 5.0]
    assert measures["selfcheck_total"] == 1.0  # 1, 6-5, 1, 6-5, 1, 6-5: all 1

    all_fives = {item: 5 for item in ITEMS}
    measures, _ = run_selfcheck(library, all_fives)
    assert all(measures[f"selfcheck_{f}"] == 5.0 for f in FACETS)
    assert measures["selfcheck_total"] == 3.0  # (5 + 1 + 5 + 1 + 5 + 1) / 6: answering 5 to everything is average


def test_french_shows_decimal_commas(library: Library) -> None:
    answers = answers_from(self_kindness=(4, 5), self_judgment=(2, 3), common_humanity=(4, 4),
                           isolation=(2, 1), mindfulness=(3, 4), over_identification=(3, 2))  # fmt: skip
    _, text = run_selfcheck(library, answers, FR)
    assert "Bienveillance envers soi\u00a0: 4,5" in text
    assert "Ensemble\u00a0: 3,92 sur 5" in text
    assert "ce n'est pas l'échelle validée" in text and "self-compassion.org" in text
    assert text.count("échelle validée") == 1, "one plain disclaimer, not three"
    bands = text.replace("\u00a0", " ")
    assert "en dessous de 2,5, plutôt bas ; de 2,5 à moins de 3,5, modéré ; à partir de 3,5, élevé" in bands


def test_statements_alternate_facets(library: Library) -> None:
    dialogue = library.get("selfcheck")
    order: list[str] = []
    step = dialogue.step(dialogue.start)
    while step.next is not None and step.kind != "score":
        step = dialogue.step(step.next)
        if step.kind == "scale":
            order.append(str(step.save)[:2])
    assert len(order) == 12 and sorted(order) == sorted(i[:2] for i in ITEMS)
    assert all(a != b for a, b in itertools.pairwise(order)), order


def test_comparison_with_last_time_only_when_known(library: Library) -> None:
    answers = {item: 3 for item in ITEMS}
    _, first = run_selfcheck(library, answers)
    assert "Last time" not in first
    again = Context(locale="en", vars={"prev_selfcheck_total": 3.9167})  # type: ignore[dict-item]
    _, second = run_selfcheck(library, answers, again)
    assert "Last time → today, overall: 3.92 → 3." in second
