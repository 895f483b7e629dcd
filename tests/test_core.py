"""The conversation core without a database, through the click-through kit (bot/core/kit.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.kit import Kit, Person
from bot.crisis_hook import load_safety
from dialogues.loader import load_library

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))


@pytest.fixture(scope="module")
def kit() -> Kit:
    return Kit(safety=load_safety())


def test_a_whole_break_clicks_through_in_memory(kit: Kit) -> None:
    me = kit.person(locale="en")
    me.onboard(language="en", country="gb")
    me.send("/break")
    me.tap("overload")
    me.tap("continue")
    assert me.step() == "intensity_before"
    me.send("4")
    for _ in range(12):
        if me.step() is None or me.step() == "intensity_after":
            break
        options = [b.id for b in me.last().buttons]
        me.tap(options[0]) if options else me.send("I'm doing what I can")
    if me.step() == "intensity_after":
        me.send("3")
    assert me.step() is None
    assert any("3/10" in r.text for r in me.seen[-3:]), "before → after is shown at the end"


def test_crisis_words_pause_the_exercise_and_a_no_to_the_question_loses_nothing(kit: Kit) -> None:
    me = kit.person()
    me.onboard()
    me.send("/break")
    me.tap("other")
    question = me.send("J'ai fait une TS il y a quinze ans.")[-1]
    assert question.safety == "check" and "3114" in question.text
    me.tap("do:safety_not_me")
    assert me.step() == "bring_to_mind"
    replies = me.send("je suis sur le pont, l'eau est noire")
    assert replies[0].safety == "urgent"


def test_a_group_message_never_touches_the_open_run(kit: Kit) -> None:
    me = kit.person()
    me.onboard()
    me.send("/break")
    me.send("/help@phare", private=False, chat_key="group-1")
    assert me.step() == "situation"


def _dialogues_reached(person: Person, kit: Kit, path: Path) -> set[str]:
    """Play a golden transcript's sends, taps and waits; note every dialogue that had an open run."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    reached: set[str] = set()
    for turn in data["turns"]:
        try:
            if "send" in turn:
                person.send(str(turn["send"]))
            elif "tap" in turn:
                person.tap(str(turn["tap"]))
            elif "wait" in turn:
                person.wait(seconds=float(turn["wait"]))
        except AssertionError:
            break  # a tap the in-memory kit cannot offer (a reply that reads storage): enough seen
        user = kit.users.get(person.key)
        run = kit.runs.get(user.id) if user else None
        if run is not None:
            reached.add(run.dialogue_id)
    return reached


def test_every_listed_dialogue_has_a_golden_transcript() -> None:
    kit = Kit(safety=load_safety())
    reached: set[str] = set()
    for path in TRANSCRIPTS:
        locale = str(yaml.safe_load(path.read_text(encoding="utf-8")).get("locale", "fr"))[:2]
        person = kit.person(locale=locale)
        person.onboard(language=locale)
        reached |= _dialogues_reached(person, kit, path)
    listed = {d.id for d in load_library().listed()}
    assert listed <= reached, f"no golden transcript reaches {sorted(listed - reached)}"


def test_help_lists_every_command_available_here_in_the_readers_language(kit: Kit) -> None:
    fr, en = kit.person(), kit.person(locale="en")
    fr.onboard()
    en.onboard(language="en", country="gb")
    text_fr = fr.send("/aide")[-1].text
    for name in ("/pause", "/exercices", "/reprendre", "/lettres", "/notes_supervision", "/bilan", "/oublier"):
        assert name in text_fr, name
    assert "/quit" not in text_fr and "/quitter" not in text_fr, "the console's commands only in the console"
    text_en = en.send("/help")[-1].text
    for name in ("/break", "/exercises", "/resume", "/letters", "/supervision_notes", "/checkin", "/forget"):
        assert name in text_en, name


def test_every_french_alias_reaches_its_command(kit: Kit) -> None:
    me = kit.person()
    me.onboard()
    me.send("/exercices")
    assert "/pause" in me.last().text or me.last().buttons, "the list of exercises"
    me.send("/ancrage")
    assert me.step() is not None
    me.send("/annuler")
    assert me.step() is None


def test_a_command_during_onboarding_says_onboarding_comes_first_and_asks_again(kit: Kit) -> None:
    me = kit.person()
    me.send("/start")
    me.tap("fr")
    asked = me.step()
    replies = me.send("/exercices")
    assert "présentations" in replies[0].text
    assert me.step() == asked, "onboarding goes on where it was, not from the start"
    assert replies[-1].buttons, "its question is asked again"


def test_resume_says_what_it_can_resume(kit: Kit) -> None:
    me = kit.person(locale="en")
    me.onboard(language="en", country="gb")
    reply = me.send("/resume")[-1].text
    assert "paused" in reply and "/break" in reply


def test_the_console_help_names_its_own_commands_and_advance_explains_itself(kit: Kit) -> None:
    me = kit.person(locale="en", platform="console")
    me.onboard(language="en", country="gb")
    assert "/quit" in me.send("/help")[-1].text
    assert "/advance 60" in me.send("/advance")[-1].text


def test_a_stale_tap_while_idle_is_explained_not_answered_with_the_bare_menu(kit: Kit) -> None:
    me = kit.person(locale="en")
    me.onboard(language="en", country="gb")
    me.send("/break")
    me.send("/cancel")
    replies = me.tap("overload")  # a button of the break's first question, tapped after it ended
    assert "earlier" in replies[0].text or "ended" in replies[0].text
    assert me.step() is None


def test_a_faint_doubt_of_the_model_is_asked_when_idle_but_not_mid_exercise(kit: Kit) -> None:
    """A sentence of the kind the limits exercise asks for, which the model faintly doubts: asked about outside
    an exercise; typed at the exercise's describe step, it is the answer and is taken as such. (Which of these
    answers the model doubts moves with each retraining: the test takes one it doubts below the exercise point.)"""
    from bot.crisis_hook import load_safety

    safety = load_safety()
    answers = ["Les trois dernières séances ont commencé en retard.", "Elle annule toujours au dernier moment.",
               "Il m'appelle le soir sur mon portable.", "La famille débarque sans prévenir au cabinet.",
               "Mon collègue me confie ses patients sans me demander.", "Elle part toujours sans payer."]  # fmt: skip
    faint = [a for a in answers if (v := safety.check(a)).level == "check" and not v.in_exercise]
    assert faint, "none of these answers is faintly doubted any more: pick new ones"
    sentence = faint[0]
    idle = kit.person()
    idle.onboard()
    assert idle.send(sentence)[0].safety == "check"
    me = kit.person()
    me.onboard()
    me.send("/limites")
    for _ in range(12):
        if me.step() == "describe":
            break
        options = [b.id for b in me.last().buttons]
        if me.last().scale:
            me.send("4")
        elif options:
            me.tap(options[0])
        else:
            me.send("Un patient qui arrive toujours en retard")
    assert me.step() == "describe"
    replies = me.send(sentence)
    assert not any(r.safety for r in replies) and me.step() != "describe"
