"""The transport contract: each scenario written once, run against the console, the Telegram Bot API double
and a real Synapse through one driver interface (tests/contract/drivers.py). Every check is something the
person (or their colleagues in a group) would notice; the stored step only confirms it."""

from __future__ import annotations

import csv
import io
import json
import logging

import pytest

from tests.contract.drivers import Driver, Person, needs

GREETING = "Bonjour, je suis Phare"  # onboarding's first words (dialogues/onboarding.yaml)
SITUATION = "Laquelle s'en rapproche le plus"  # the break's first question
BRING_TO_MIND = "Laissez revenir la situation"
INTENSITY = "Quelle est son intensité"
GROUP_HELP = "En groupe, je reste discret"
POINTER = "Continuons en privé"
CRISIS = "je veux mourir"
CRISIS_OPENING = "Ce que vous écrivez semble très lourd"  # the private crisis answer (dialogues/_crisis.yaml)
KIND_SENTENCE = "Je fais de mon mieux avec ce que j'ai."


def said(replies: list[str]) -> str:
    return "\n".join(replies)


async def onboard(person: Person) -> None:
    """French, vous, the two pages of notice, consent, France (crisis lines: 3114)."""
    assert GREETING in said(person.greeting)
    for option in ("fr", "vous", "continue", "continue", "yes"):
        await person.choose(option)
    await person.choose("fr")
    assert await person.step() is None, "onboarding is over"


async def whole_break(person: Person, *, before: str = "4", after: str = "3", sentence: str = KIND_SENTENCE) -> str:
    """/break, a situation, the intensity, through to the end; the closing words."""
    asked = await person.say("/break")
    assert SITUATION in said(asked) and await person.step() == "situation"
    await person.choose("patient_stuck")
    assert INTENSITY in said(await person.choose("continue"))
    await person.choose(before)
    assert await person.step() == "mindfulness"
    await person.choose("continue")  # mindfulness → common humanity
    await person.choose("continue")  # → soothing touch
    await person.choose("done")  # → kindness
    await person.choose("continue")
    assert await person.step() == "kind_sentence"
    assert INTENSITY in said(await person.say(sentence))
    closing = said(await person.choose(after))
    assert await person.step() is None, "the exercise is over"
    return closing


# --- scenarios ---------------------------------------------------------------------------------------------


async def test_contract_a_whole_self_compassion_break_shows_before_and_after(driver: Driver) -> None:
    person = await driver.person("fr")
    await onboard(person)
    closing = await whole_break(person, before="4", after="3")
    assert "4/10" in closing and "3/10" in closing, closing
    assert closing.index("4/10") < closing.index("3/10") and "→" in closing, "before → after"


async def test_contract_a_restart_between_two_steps_loses_nothing(driver: Driver) -> None:
    person = await driver.person("fr")
    await onboard(person)
    await person.say("/break")
    assert BRING_TO_MIND in said(await person.choose("tense_relationship"))
    await driver.restart()
    shown = said(await person.heard())
    # The console's `phare console` says /start at each start: welcome back, and the same question again.
    assert GREETING not in shown, "not a newcomer again"
    assert not shown or BRING_TO_MIND in shown, shown
    resumed = said(await person.choose("continue"))
    assert INTENSITY in resumed and GREETING not in resumed, "the answer given before the restart still counts"
    assert await person.step() == "intensity_before"
    await person.choose("5")
    assert await person.step() == "mindfulness"


async def test_contract_a_personal_command_in_a_group_gets_a_pointer_to_a_private_chat(driver: Driver) -> None:
    needs(driver, "groups")
    person = await driver.person("fr")
    await onboard(person)
    group = await driver.group(person)
    pointer = await group.ask(person, "break")
    assert len(pointer) == 1 and POINTER in pointer[0], pointer
    private = await group.follow(person)
    assert SITUATION in said(private), "the exercise asked for in the group starts in private"
    assert await person.step() == "situation"
    assert group.texts() == pointer, "nothing more in the group"
    assert SITUATION not in said(group.texts())


async def test_contract_export_arrives_as_files(driver: Driver) -> None:
    person = await driver.person("fr")
    await onboard(person)
    await whole_break(person, before="4", after="3", sentence="Une phrase pour moi.")
    replies = await person.say("/export")
    assert "Voici tout ce que je garde sur vous" in said(replies)
    files = await person.files()
    assert sorted(name.rsplit(".", 1)[1] for name in files) == ["csv", "json"], list(files)
    exported = json.loads(next(data for name, data in files.items() if name.endswith(".json")))
    assert [entry["exercise"] for entry in exported["history"]] == ["compassion_break"]
    assert exported["history"][0]["measures"] == {"intensity_before": 4, "intensity_after": 3}
    assert "Une phrase pour moi." in json.dumps(exported["history"][0]["notes"], ensure_ascii=False)
    measures = next(data for name, data in files.items() if name.endswith(".csv")).decode("utf-8")
    rows = list(csv.reader(io.StringIO(measures)))
    assert any("4" in row for row in rows) and any("3" in row for row in rows), measures


async def test_contract_a_rate_limit_storm_loses_no_reply_and_keeps_order(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    needs(driver, "rate limits")
    caplog.set_level(logging.INFO)  # the Dispatcher logs each 429 it waits out
    person = await driver.person("fr")
    await onboard(person)
    await driver.storm()
    replies = await person.burst(["/about", "/help", "/history", "/about"])
    assert driver.pushed_back() > 0, "the platform did push back"

    def what(reply: str) -> str:
        if driver.operator in reply:
            return "about"
        if "Voici ce que vous pouvez taper" in reply:
            return "help"
        if "historique" in reply:
            return "history"
        return reply

    assert [what(r) for r in replies] == ["about", "help", "history", "about"], replies


async def test_contract_no_token_and_no_user_text_in_the_logs(
    unopened: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the whole run, from Phare's start to its stop
    driver = unopened
    await driver.open()
    words = ["Zéphyrine", "Quetzalcoatl", "Xylophénix"]
    person = await driver.person("fr")
    await onboard(person)
    menu = await person.say(f"{words[0]} m'a parlé de {words[1]}")
    assert menu, "Phare answered (outside an exercise: the menu)"
    await whole_break(person, sentence=f"{words[2]}, tu fais de ton mieux.")
    await driver.restart()
    await person.say("/history")
    secrets = driver.secrets
    await driver.close()
    logs = driver.logs
    assert len(caplog.records) > 50 and "DEBUG" in logs, "the loggers really were capturing, at DEBUG"
    for word in words:
        assert word not in logs, f"{word!r} reached a log"
    for secret in secrets:
        assert secret not in logs, "a token or a password reached a log"


async def test_contract_crisis_words_in_a_group_get_the_lines_in_private_and_nothing_personal_there(
    driver: Driver,
) -> None:
    needs(driver, "groups")
    person = await driver.person("fr")
    await onboard(person)
    group = await driver.group(person)
    helped = await group.ask(person, "help")
    assert len(helped) == 1 and GROUP_HELP in helped[0], helped
    in_group = await group.address(person, CRISIS)
    assert in_group == [], "nothing posted in the group"
    private = await person.heard()
    assert len(private) == 1, private
    assert "3114" in private[0] and CRISIS_OPENING in private[0], "the crisis lines, in private, once"
    assert group.texts() == helped, "the group still shows only the help"
    assert "3114" not in said(group.texts()) and "mourir" not in said(group.texts())
