"""The three answer levels through the writer: urgent, crisis, and the "is this about you?" question."""

from __future__ import annotations

import pytest
from sqlalchemy import text as sql

from bot.care.detector import CrisisDetector
from bot.safety import SafetyVerdict
from tests.harness import App, User, text_of

UNSURE_FR = "J'ai fait une TS il y a quinze ans."  # long ago: the check asks whether it is now
URGENT_FR = "je suis sur le pont, l'eau est noire"


async def at_situation(app: App) -> User:
    """A French user in the break, at the question that takes their own words for the situation."""
    user = User(app)
    await user.onboard(country="fr")
    await user.send("/break")
    await user.tap("other")
    return user


async def safety_kinds(app: App) -> list[str]:
    async with app.db.begin() as conn:
        rows = await conn.execute(sql("SELECT kind FROM safety_events ORDER BY at"))
        return [str(r[0]) for r in rows]


async def test_urgent_puts_the_emergency_numbers_first_and_pauses(app: App) -> None:
    user = User(app)
    await user.onboard(country="fr")
    await user.break_at_intensity()
    replies = await user.send(URGENT_FR)
    first = replies[0]
    assert first.safety == "urgent"
    assert first.text.index("15") < first.text.index("3114"), "emergency numbers come before the crisis line"
    _, state = await user.run_state()
    assert state is not None and state.status == "paused"
    assert "urgent_resources_shown" in await safety_kinds(app)


async def test_urgent_in_another_country_gives_its_emergency_number(app: App) -> None:
    user = User(app, locale="en")
    await user.onboard(language="en", country="us")
    replies = await user.send("the pills are lined up on the counter in front of me")
    assert replies[0].safety == "urgent" and "911" in replies[0].text and "988" in replies[0].text


async def test_unsure_asks_with_the_lines_and_pauses_nothing(app: App) -> None:
    user = await at_situation(app)
    replies = await user.send(UNSURE_FR)
    question = replies[-1]
    assert question.safety == "check"
    assert "3114" in question.text, "the lines are already in the question"
    assert [b.id for b in question.buttons] == ["do:safety_me", "do:safety_not_me"]
    _, state = await user.run_state()
    assert state is not None and state.status == "active" and state.top.step_id == "situation_other"


async def test_no_takes_the_held_words_as_the_answer_they_were(app: App) -> None:
    user = await at_situation(app)
    await user.send(UNSURE_FR)
    replies = await user.tap("do:safety_not_me")
    assert "Reprenons" in text_of(replies)
    _, state = await user.run_state()
    assert state is not None and state.status == "active"
    assert state.top.step_id == "bring_to_mind", "the situation typed before the question was kept"
    kinds = await safety_kinds(app)
    assert kinds == ["check_asked", "check_answered_not_me"]


async def test_yes_gives_the_crisis_reply_and_pauses(app: App) -> None:
    user = await at_situation(app)
    await user.send(UNSURE_FR)
    replies = await user.tap("do:safety_me")
    assert replies[0].safety == "crisis" and "3114" in replies[0].text
    assert "/resume" in text_of(replies)
    _, state = await user.run_state()
    assert state is not None and state.status == "paused" and state.top.step_id == "situation_other"
    assert await safety_kinds(app) == ["check_asked", "check_answered_me", "crisis_resources_shown"]


async def test_a_typed_yes_answers_the_question(app: App) -> None:
    user = User(app, locale="en")
    await user.onboard(language="en", country="gb")
    await user.send("I attempted suicide when I was 19")
    replies = await user.send("yes")
    assert replies[0].safety == "crisis" and "116 123" in replies[0].text


async def test_a_stale_tap_on_an_answered_question_changes_nothing(app: App) -> None:
    user = User(app)
    await user.onboard(country="fr")
    await user.send(UNSURE_FR)
    await user.tap("do:safety_not_me")
    replies = await user.tap("do:safety_me")
    assert "déjà reçu sa réponse" in text_of(replies)
    assert "3114" not in text_of(replies)


async def test_the_stored_facts_never_hold_the_words(app: App) -> None:
    user = await at_situation(app)
    await user.send(UNSURE_FR)
    async with app.db.begin() as conn:
        for table in ("safety_events", "users"):
            rows = (await conn.execute(sql(f"SELECT * FROM {table}"))).all()
            assert "quinze" not in repr(rows) and "TS" not in repr(rows)


async def test_an_edit_is_never_an_answer_but_is_read_for_crisis(app: App) -> None:
    user = await at_situation(app)
    replies = await user.send("une réunion d'équipe tendue", edited=True)
    assert "nouveaux messages" in text_of(replies)
    assert await user.step() == "situation_other", "the edit did not answer the step"
    replies = await user.send("j'ai plus envie de vivre", edited=True)
    assert "3114" in text_of(replies)
    _, state = await user.run_state()
    assert state is not None and state.status == "paused"


async def test_another_country_is_kept_and_gets_the_international_lines(app: App) -> None:
    user = User(app)
    await user.onboard(country="other")
    replies = await user.send("je veux mourir")
    text = text_of(replies)
    assert "findahelpline.com" in text
    assert "3114" not in text and "/settings" not in text, "not France's lines, not advice to set a country"


# --- where the conversation knows better than the model ------------------------------------------------------

# Ordinary sentences the model, reading words alone, may still question; the test uses whichever the shipped
# model does question, so it keeps testing the conversation's behaviour after the model is retrained.
MODEL_ONLY_FR = (
    "Je me sens seule ce soir.",
    "Je me sens vide ce soir, la journée a été longue.",
    "Tout le corps est lourd, j'ai envie de m'allonger.",
    "Je ne sais plus trop où j'en suis avec tout ça.",
)


def a_model_question() -> str:
    detector = CrisisDetector.load()
    for sentence in MODEL_ONLY_FR:
        if detector.check(sentence) == SafetyVerdict("check", "model"):
            return sentence
    pytest.skip("the shipped model questions none of these sentences: nothing to quiet")


async def test_a_rating_wrapped_in_words_is_taken_as_the_rating_it_is(app: App) -> None:
    detector = CrisisDetector.load()
    user = User(app)
    await user.onboard(country="fr")
    await user.break_at_intensity()
    wrapped = "je dirais 4 maintenant"
    replies = await user.send(wrapped)
    assert not any(r.safety for r in replies), f"no question about a rating ({detector.check(wrapped)})"
    _, state = await user.run_state()
    assert state is not None and state.top.step_id != "intensity_before", "the rating moved the break on"
    assert "check_asked" not in await safety_kinds(app)


async def test_a_rating_that_says_more_is_still_read(app: App) -> None:
    user = User(app)
    await user.onboard(country="fr")
    await user.break_at_intensity()
    replies = await user.send("2. je veux plus être là")
    assert replies[0].safety == "crisis" and "3114" in replies[0].text


async def test_after_not_me_the_model_does_not_ask_again_in_that_exercise(app: App) -> None:
    ordinary = a_model_question()
    user = await at_situation(app)
    first = await user.send(ordinary)
    assert first[-1].safety == "check", "the first time, the question is asked"
    await user.tap("do:safety_not_me")
    _, state = await user.run_state()
    assert state is not None and state.top.step_id == "bring_to_mind"
    await user.tap("continue")
    again = await user.send(ordinary)
    assert not any(r.safety for r in again), "not asked twice in one exercise"
    # What the rules find still counts.
    replies = await user.send(URGENT_FR)
    assert replies[0].safety == "urgent"
    assert await safety_kinds(app) == ["check_asked", "check_answered_not_me", "urgent_resources_shown"]


async def test_a_new_exercise_asks_again(app: App) -> None:
    ordinary = a_model_question()
    user = await at_situation(app)
    await user.send(ordinary)
    await user.tap("do:safety_not_me")
    await user.send("/cancel")
    await user.send("/break")
    await user.tap("other")
    replies = await user.send(ordinary)
    assert replies[-1].safety == "check"


def test_inside_an_exercise_a_faint_doubt_of_the_model_is_not_asked() -> None:
    """The model's question carries whether it holds inside an exercise: below the point read on answers typed
    inside exercises it does not; the rules' questions and takeovers always hold."""
    from bot.care.detector import CrisisDetector
    from bot.safety import SafetyVerdict

    detector = CrisisDetector.load()
    points = detector.model.thresholds if detector.model is not None else {}
    assert points["check"] < points["check_in_exercise"] <= points["crisis"]
    faint = SafetyVerdict("check", "model", in_exercise=False)
    assert faint.shows_lines and not faint.takeover  # outside an exercise it is still asked
    verdicts = [detector.check(t) for t in ("Je veux mourir.", "I'm on the bridge and I'm going to jump")]
    assert all(v.in_exercise for v in verdicts)
