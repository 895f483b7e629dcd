"""The patient-identifier guard: what it flags, what it leaves alone, and how the user chooses."""

from __future__ import annotations

import pytest

from bot.care.identifiers import identifying_details
from tests.harness import App, User, text_of


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Mme Durand ne vient plus à ses séances", "name"),
        ("M. Lefebvre m'a encore appelé", "name"),
        ("ma patiente Sophie a pleuré tout le long", "name"),
        ("Mr Thompson cancelled again", "name"),
        ("my client Jessica Brown was furious", "name"),
        ("né le 12 mars 1984, il pense que", "date_of_birth"),
        ("born on 3 June 1990", "date_of_birth"),
        ("sa date de naissance, 04/07/1979", "date_of_birth"),
        ("il m'a laissé son numéro 06 12 34 56 78", "phone"),
        ("call back +33 6 12 34 56 78", "phone"),
        ("elle m'écrit sur jdupont@example.org le soir", "email"),
        ("il habite 12 rue des Lilas", "address"),
        ("she lives at 221 Baker Street", "address"),
    ],
)
def test_identifying_details_are_flagged(text: str, kind: str) -> None:
    assert kind in identifying_details(text)


@pytest.mark.parametrize(
    "text",
    [
        "patient A ne vient plus",
        "Mme X m'a parlé de sa mère",
        "M. B a annulé deux fois",
        "une patiente qui n'avance pas depuis des mois",
        "Le patient Il faut que je m'organise",
        "my patient was angry and I felt it in my chest",
        "séance de 50 minutes à 18h30, je suis épuisée",
        "on a fait 10 séances en 2024",
        "I rated it 7/10 and then 4/10",
    ],
)
def test_ordinary_clinical_text_is_left_alone(text: str) -> None:
    assert identifying_details(text) == []


async def test_the_user_may_rephrase_or_keep_and_nothing_is_stored_before(app: App) -> None:
    user = User(app)
    await user.onboard()
    await user.send("/break")
    await user.tap("other")
    warned = await user.send("Mme Durand me fait douter de moi")
    assert "pseudonyme" in text_of(warned) and "Durand" not in text_of(warned)
    assert await user.step() == "situation_other"
    _, state = await user.run_state()
    assert state is not None and "situation_text" not in state.top.values, "nothing kept as an answer yet"
    await user.send("Patiente A me fait douter de moi")
    assert await user.step() == "bring_to_mind"
    _, state = await user.run_state()
    assert state is not None and state.top.values["situation_text"] == "Patiente A me fait douter de moi"


async def test_keeping_the_text_as_written(app: App) -> None:
    user = User(app)
    await user.onboard(language="en")
    await user.send("/break")
    await user.tap("other")
    warned = await user.send("Mrs Jones keeps testing my limits")
    assert "pseudonym" in text_of(warned)
    await user.tap("do:keep_text")
    assert await user.step() == "bring_to_mind"
    _, state = await user.run_state()
    assert state is not None and state.top.values["situation_text"] == "Mrs Jones keeps testing my limits"
