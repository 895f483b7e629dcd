"""The crisis check: the user's own crisis always shows the lines, talk about patients rarely does.

The figures on the corpus's test split are printed by bench/crisis_figures.py; the sentences in tests/data/ are
regression cases the rules were first written from, kept so that no change loses them.
"""

from __future__ import annotations

import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.care.detector import CrisisDetector
from bot.care.rules import PATTERNS_FILE, CrisisRules, PatternError, collapse
from bot.care.taxonomy import CATEGORIES
from bot.crisis_hook import load_safety
from bot.safety import SafetyVerdict
from dialogues.texts import Context
from tests.harness import App, User, text_of

DATA = Path(__file__).resolve().parent / "data"
MIN_SENTENCES = 45
TAKEOVERS_PER = 40  # at most one clinical sentence in 40 may take over
CHECKS_PER = 10  # at most one in 10 may be asked "is this about you?"
FR, FR_TU, EN = Context("fr", "vous"), Context("fr", "tu"), Context("en")


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector.load()


@pytest.fixture(scope="module")
def rules() -> CrisisRules:
    return CrisisRules.load()


def sentences(name: str) -> list[str]:
    lines = (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


# --- the four regression files ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["crisis_fr", "crisis_en", "clinical_fr", "clinical_en"])
def test_each_file_has_enough_distinct_sentences(name: str) -> None:
    lines = sentences(name)
    assert len(lines) >= MIN_SENTENCES, f"{name}: {len(lines)} sentences"
    assert len(set(lines)) == len(lines), f"{name}: duplicates"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_crisis_sentence_shows_the_lines(detector: CrisisDetector, lang: str) -> None:
    lines = sentences(f"crisis_{lang}")
    missed = [line for line in lines if not detector.check(line).shows_lines]
    assert not missed, f"recall {lang}: {len(lines) - len(missed)}/{len(lines)} caught; missed: {missed}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_clinical_sentences_rarely_take_over_or_ask(detector: CrisisDetector, lang: str) -> None:
    lines = sentences(f"clinical_{lang}")
    verdicts = [detector.check(line) for line in lines]
    takeovers = [line for line, v in zip(lines, verdicts, strict=True) if v.takeover]
    checks = [line for line, v in zip(lines, verdicts, strict=True) if v.level == "check"]
    assert len(takeovers) * TAKEOVERS_PER <= len(lines), f"{lang}: {len(takeovers)} takeovers: {takeovers}"
    assert len(checks) * CHECKS_PER <= len(lines), f"{lang}: {len(checks)} questions: {checks}"


def test_the_verdict_never_carries_the_text(detector: CrisisDetector, rules: CrisisRules) -> None:
    assert [f.name for f in fields(SafetyVerdict)] == ["level", "reason", "in_exercise"]  # a bool: no text
    rule_ids = {rule.id for rule in rules.rules} | {"me_too"}
    for line in sentences("crisis_fr") + sentences("crisis_en"):
        verdict = detector.check(line)
        assert verdict.level in ("urgent", "crisis", "check")
        assert verdict.reason in (*CATEGORIES, "model"), "a category name, nothing from the message"
        for finding in rules.findings(line):  # what tests and figures see: rule names, never words
            assert finding.rule in rule_ids and finding.category in CATEGORIES
    assert detector.check("Bonne journée à toutes et à tous") == SafetyVerdict()


# --- the rules and the reader -------------------------------------------------------------------------------


def test_every_rule_catches_its_own_examples(rules: CrisisRules) -> None:
    problems = []
    for rule in rules.rules:
        assert rule.examples, f"{rule.id} has no examples for reviewers"
        for example in rule.examples:
            found = rules.findings(example)
            if not any(f.rule == rule.id and f.outcome == "user" for f in found):
                problems.append(f"{rule.id}: {example!r} -> {found}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # the brief's hard cases, and the documented decisions
        ("my patient spoke of suicide", None),
        ("une patiente a fait une tentative de suicide", None),
        ("we assessed his suicide risk", None),
        ("elle a des idées suicidaires, je l'ai orientée", None),
        ("I'm exhausted after a session about self-harm", None),
        ("je suis morte de rire", None),
        ("this paperwork is killing me", None),
        ("j'ai envie de mourir de honte", None),  # "mourir de X" means "very X": an idiom, not a wish
        ("I could die for a coffee", None),
        ("je n'ai pas d'idées suicidaires", None),
        ("I'm not suicidal", None),
        ("Ma patiente m'a dit : « je veux mourir »", None),
        ("My patient keeps saying I want to die", None),
        ("Mme D. a des idées suicidaires", None),
        ("pt : veut mourir, IDS sans scénario", None),  # clinical shorthand is a patient's
        ("je n'en peux plus", None),  # exhaustion alone is the exercises' ground
        ("my patient wants to die, and honestly so do I", "crisis"),
        ("ma patiente veut mourir et moi aussi parfois", "crisis"),
        ("Ma patiente veut mourir. Moi aussi.", "crisis"),
        ("je ne dis pas que je veux mourir", "crisis"),  # a hedged denial is no denial
        ("I can't stop thinking about dying", "crisis"),  # the negation belongs to "stop"
        ("je n'arrive pas à arrêter de penser à mourir", "crisis"),
        ("je me demande comment en finir", "crisis"),  # reflexive: "I wonder", not someone asking me
        ("Elle m'a dit « je veux mourir » et j'ai pensé que moi aussi", "crisis"),
        ("I told my supervisor I want to die", "crisis"),
        ("mdr je veux mourir", "check"),  # irony? ask, with the lines
        ("I'd rather be dead than do this paperwork", "check"),
        ("J'ai fait une TS il y a quinze ans.", "check"),  # long ago: is it now?
        ("the pills are lined up on the counter in front of me", "urgent"),
        ("je suis sur le pont, l'eau est noire", "urgent"),
        ("j'ai peur de ce que je pourrais faire ce soir", "urgent"),
        ("I took all my pills an hour ago", "urgent"),
    ],
)
def test_hard_cases(detector: CrisisDetector, text: str, level: str | None) -> None:
    assert detector.check(text).level == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # words quoted after a verb of saying or a colon were said or written at some moment: ask, never take over
        ("j'ai écrit « je veux mourir » dans un mail à ma copine", "check"),
        ("Une usagère m'a laissé un message vocal : « j'ai tout pris, je veux plus être là »", "check"),
        ("I said 'I would rather die' to my manager", "check"),
        # quoted words with no verb of saying are the writer's own thoughts
        ('I keep thinking "I want to die"', "crisis"),
        ("j'ai envie de mourir", "crisis"),
        # long ago, however it is said: ask
        ("Il y a longtemps je voulais mourir.", "check"),
        ("years ago I wanted to die", "check"),
        ("il y a presque vingt ans, je me scarifiais", "check"),
        ("on en rit avec la secrétaire mais j'ai envie de me jeter par la fenêtre", "check"),
        # telegraphic and SMS forms of not being safe and of self-harm
        ("jsuis pas safe là. vraiment pas", "urgent"),
        ("je me sens pas en sécurité ce soir", "urgent"),
        ("Self-harmed at work today. In the staff toilet.", "crisis"),
        ("C'est pas des idées suicidaires, c'est de la rage.", None),
        # the last person named before a colon or a quote may be who it is said TO: the words are the writer's
        ("I want to say something I cannot say to my colleagues: I wish I was not alive.", "crisis"),
        ("Elle m'a dit « je veux mourir »", None),
        # a patient named right after the quote owns it
        ("'I don't want to be here anymore' — pt in bed 4, every night at 3am", None),
        # passive wishes and death as a way out, said plainly
        ("I would rather not be around for any of it.", "crisis"),
        ("mon cerveau me propose de mourir comme solution à chaque problème", "crisis"),
        # a question put to oneself and answered no at once is a denial; a statement followed by "no" is not
        ("Burnt out? yes. Suicidal? no. I just need a day off", None),
        ("est-ce que j'ai des idées suicidaires ? Non. J'ai vérifié honnêtement.", None),
        ("Is it normal that I want to die?", "crisis"),
        ("I want to die. No. I really do.", "crisis"),
        ("My attempt was 3 weeks ago and today I couldn't breathe.", "crisis"),
    ],
)
def test_rules_alone_on_quotes_long_ago_and_short_forms(rules: CrisisRules, text: str, level: str | None) -> None:
    assert rules.check(text).level == level


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("J'ai envie d'en finir.", "wish_dead"),
        ("Je me scarifie encore", "self_harm"),
        ("I've been cutting again", "self_harm"),
        ("Je vais me tuer ce soir", "intent"),
        ("j'ai donné mes affaires et trouvé une famille pour mon chat", "preparation"),
        ("I'm standing on the ledge", "dangerous_place"),  # the most serious sign wins
    ],
)
def test_the_reason_is_a_category(rules: CrisisRules, text: str, reason: str) -> None:
    assert rules.check(text).reason == reason


def test_waking_only_the_patterns_whose_words_are_there_misses_nothing(rules: CrisisRules) -> None:
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    every_pattern = CrisisRules(data, wake_up=False)
    lines = [e for rule in rules.rules for e in rule.examples]
    for name in ("crisis_fr", "crisis_en", "clinical_fr", "clinical_en"):
        lines += sentences(name)
    for line in lines:
        assert rules.findings(line) == every_pattern.findings(line), line


def test_reading_folds_case_accents_repeats_and_sms(rules: CrisisRules) -> None:
    detector = rules
    assert detector.normalise("J’AI ENVIE DE MOURRRIR!!! Vraiment.") == ["j ai envie de mourir", "vraiment"]
    assert detector.normalise("I don't wanna be here, I'm done") == ["i do not want to be here , i am done"]
    assert detector.normalise("chui à bout, jveux plu") == ["je suis a bout , je veux plus"]
    assert detector.normalise("«je veux» m'a-t-elle dit") == ['" je veux " m a t ele dit']
    assert collapse(r"\bkill(?:ing)?\s+myself") == r"\bkil(?:ing)?\s+myself"


def test_empty_or_odd_messages_are_safe(detector: CrisisDetector) -> None:
    for text in ("", "   ", "🙂", "...", "/resume", "4/10", "'''", '"', "a" * 5000):
        assert detector.check(text) == SafetyVerdict()


def test_it_is_fast_enough_for_every_message(detector: CrisisDetector) -> None:
    lines = sentences("clinical_fr") + sentences("clinical_en") + sentences("crisis_fr") + sentences("crisis_en")
    for line in lines:  # warm the word cache as a running bot would be
        detector.check(line)
    start = time.perf_counter()
    for _ in range(5):
        for line in lines:
            detector.check(line)
    mean = (time.perf_counter() - start) / (5 * len(lines))
    assert mean < 0.005, f"{mean * 1e6:.0f} µs per message"  # loose: bench/crisis_figures.py gives the p99


def test_a_broken_patterns_file_refuses_to_load(rules: CrisisRules) -> None:
    data: dict[str, Any] = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    data["rules"][0]["category"] = "sadness"
    with pytest.raises(PatternError):
        CrisisRules(data)
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    data["rules"][0]["patterns"] = ["(unclosed"]
    with pytest.raises(PatternError):
        CrisisRules(data)
    with pytest.raises(PatternError):
        CrisisDetector(rules, None, {})  # a catalog without the crisis texts


def test_the_app_loads_this_detector() -> None:
    assert isinstance(load_safety(), CrisisDetector)


# --- resources ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "numbers"),
    [
        ("FR", ["3114", "15", "112", "0805 23 23 36"]),
        ("BE", ["0800 32 123", "112"]),
        ("CH", ["143", "144"]),
        ("CA", ["988", "1 866 APPELLE", "277-3553"]),
        ("US", ["988"]),
        ("GB", ["116 123"]),
        ("IE", ["116 123"]),
        ("DE", ["findahelpline.com", "112"]),
        (None, ["3114", "0805 23 23 36", "findahelpline.com"]),
        ("fr", ["3114"]),
        ("UK", ["116 123"]),
    ],
)
def test_resources_give_the_country_lines(detector: CrisisDetector, country: str | None, numbers: list[str]) -> None:
    for ctx in (FR, FR_TU, EN):
        text = detector.resources(country, ctx)
        for number in numbers:
            assert number in text, f"{country} {ctx.locale}: {number} missing"


def test_resources_do_not_mix_countries(detector: CrisisDetector) -> None:
    assert "3114" not in detector.resources("BE", FR)
    assert "findahelpline.com" not in detector.resources("FR", FR)
    assert "116 123" not in detector.resources("US", EN)


def test_resources_speak_the_users_language_and_say_it_is_a_bot(detector: CrisisDetector) -> None:
    fr, tu, en = (detector.resources("FR", ctx) for ctx in (FR, FR_TU, EN))
    assert len({fr, tu, en}) == 3
    assert "vous" in fr and "vous" not in tu
    assert "bot" in fr and "bot" in en
    assert "\u00a0:" in fr  # French typography: a non-breaking space before the colon


# --- through the writer -------------------------------------------------------------------------------------


async def test_a_crisis_mid_exercise_shows_the_lines_and_pauses(app: App) -> None:
    user = User(app)
    await user.onboard(country="fr")
    await user.send("/break")
    await user.tap("other")
    assert await user.step() == "situation_other"
    replies = await user.send("j'ai plus envie de vivre")
    assert "3114" in text_of(replies) and "0805 23 23 36" in text_of(replies)
    assert "findahelpline.com" not in text_of(replies)
    dialogue, state = await user.run_state()
    assert dialogue == "compassion_break" and state is not None
    assert state.status == "paused" and state.top.step_id == "situation_other"
    hint = await user.send("4")
    assert "/resume" in text_of(hint)
    await user.send("/resume")
    _, state = await user.run_state()
    assert state is not None and state.status == "active" and state.top.step_id == "situation_other"


async def test_talk_about_a_patient_is_an_ordinary_answer(app: App) -> None:
    user = User(app)
    await user.onboard(country="fr")
    await user.send("/break")
    await user.tap("other")
    replies = await user.send("Une patiente a fait une tentative de suicide et je me sens coupable.")
    assert "3114" not in text_of(replies)
    _, state = await user.run_state()
    assert state is not None and state.status == "active" and state.top.step_id == "bring_to_mind"


async def test_a_crisis_in_english_shows_the_english_lines(app: App) -> None:
    user = User(app, locale="en")
    await user.onboard(language="en", country="gb")
    replies = await user.send("honestly I don't want to be here anymore")
    assert "116 123" in text_of(replies) and "bot" in text_of(replies)


async def test_a_crisis_before_start_gets_the_lines_at_once(app: App) -> None:
    user = User(app)
    replies = await user.send("je veux mourir")
    text = text_of(replies)
    assert "3114" in text and "findahelpline.com" in text


def test_no_denies_a_thought_of_it_and_a_bare_yaml_no_is_refused(tmp_path: Path) -> None:
    rules = CrisisRules.load()
    for denial in ("No thoughts of hurting myself, promise.", "I have no intention of ending my life"):
        assert rules.check(denial).level is None, denial
    assert rules.check("no, I want to die").level == "crisis", "a 'no' that answers something denies nothing"
    broken = tmp_path / "rules.yaml"
    broken.write_text(PATTERNS_FILE.read_text(encoding="utf-8").replace('"no"]', "no]"), encoding="utf-8")
    with pytest.raises(PatternError, match="quote them"):
        CrisisRules.load(broken)


def test_a_command_addressed_to_the_bot_is_not_read_as_words() -> None:
    detector = CrisisDetector.load()
    for command in ("/help@phare_test_bot", "/history@some_clinic_bot", "/break"):
        assert detector.check(command) == SafetyVerdict(), command
    assert detector.check("/start je veux en finir ce soir").level == "crisis", "what follows a command is read"
