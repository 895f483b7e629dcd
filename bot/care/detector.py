"""The crisis check Phare runs on every text: reviewed rules and a trained model, either of which can raise the level.

Levels and categories are in bot/care/taxonomy.py and docs/crisis-taxonomy.md. How the two stages combine:

- the rules (bot/care/rules.py) name a category and whose it is: the writer's gives that category's level, an
  uncertain owner (irony, someone else named nearby) gives ``check``, a patient's or a denial gives nothing;
- the model (bot/care/model.py) gives the probability that the writer is at risk: above its ``crisis`` point it
  takes over, between its ``check`` and ``crisis`` points it asks; its ``urgent`` head turns a takeover urgent;
- the stronger of the two answers wins. Nothing here writes or logs the text: the verdict holds a level and a
  category name. Short texts' verdicts are remembered in the process's memory only (`SHORT_TEXT`), like the rules'
  word cache, and go with it.

`resources` writes the reply for each level in the user's language, with the lines of their country.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.care.model import MODEL_FILE, CrisisModel
from bot.care.rules import DENIED, JUDGED, PATTERNS_FILE, SAFE, CrisisRules, PatternError
from bot.care.taxonomy import CATEGORY_LEVEL, Level, stronger
from bot.safety import SafetyVerdict
from dialogues.countries import countries, country_of
from dialogues.loader import DIALOGUE_DIR, load_catalog
from dialogues.texts import Context, Text

CATALOG_FILE = DIALOGUE_DIR / "_crisis.yaml"
MODEL_TAKEOVER_WORDS = 12  # under this many words the model may ask but not take over
# Short answers ("ok", "2", "oui", "/break") make up most of what people type in the exercises, and the same few
# come back all day: their verdicts are remembered (in memory only, bounded, like the rules' word cache) so that
# each is read once. Longer texts are rarely typed twice and are read every time.
SHORT_TEXT = 24
_VERDICTS = 4_096
_COMMAND = re.compile(r"^\s*/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
CATALOG_KEYS = (
    "crisis_opening",
    "crisis_closing",
    "crisis_other",
    "crisis_unknown",
    "urgent_opening",
    "urgent_other",
    "check_question",
    "check_closing",
)


@dataclass(frozen=True)
class Layers:
    """What each stage said of one message, for the figures (bench/crisis_figures.py)."""

    rules: SafetyVerdict
    model: SafetyVerdict
    combined: SafetyVerdict


class CrisisDetector:
    """Implements `bot.safety.SafetyCheck`."""

    def __init__(self, rules: CrisisRules, model: CrisisModel | None, catalog: Mapping[str, Text]) -> None:
        missing = [k for k in CATALOG_KEYS if k not in catalog]
        if missing:
            raise PatternError(f"_crisis.yaml lacks {', '.join(missing)}")
        self.rules = rules
        self.model = model
        self._catalog = dict(catalog)
        self._verdicts: dict[str, SafetyVerdict] = {}  # short texts (SHORT_TEXT) already read

    @classmethod
    def load(
        cls, patterns: Path = PATTERNS_FILE, model: Path | None = MODEL_FILE, catalog: Path = CATALOG_FILE
    ) -> CrisisDetector:
        return _load(patterns, model, catalog)

    def _model_verdict(self, text: str) -> tuple[SafetyVerdict, bool]:
        """The model's answer, and whether it read the message as ordinary (an opinion, below its check point)."""
        # A command's name is not something the person said: "/help@phare_test_bot" read as words is "help" and
        # three more, enough for the model to weigh (and it asked). Only what follows the command is read.
        text = _COMMAND.sub("", text)
        scores = self.model.opinion(text) if self.model is not None else None
        if self.model is None or scores is None:
            return SAFE, False
        points = self.model.thresholds
        risk = scores["risk"]
        if risk >= points["crisis"]:
            urgent = scores["urgent"] >= points["urgent"]
            return SafetyVerdict("urgent" if urgent else "crisis", "model"), False
        if risk >= points["check"]:
            firm = risk >= points.get("check_in_exercise", points["check"])
            return SafetyVerdict("check", "model", in_exercise=firm), False
        return SAFE, True

    def _echoed(self, text: str) -> bool:
        """An echo ("My patient wants to die. Me too."): the writer claims someone else's words for themself. The model
        cannot read that (the risk is in the patient's sentence, "me too" is harmless words), so its "ordinary"
        does not soften the rules' reading. Scanned again only in the rare case it matters."""
        return any(f.rule == "me_too" and f.outcome == "user" for f in self.rules.findings(text))

    def layers(self, text: str, by_rules: SafetyVerdict | None = None) -> Layers:
        if not text or not text.strip():
            return Layers(SAFE, SAFE, SAFE)
        raw_rules = by_rules = by_rules or self.rules.check(text)
        # The rules doubted whose or when: "check" for a category that is stronger on its own, or an attempt told
        # long ago or in jest. An attempt told with no such frame ("c'était une TS", "I overdosed on the 4th") is
        # "check" by its own category and doubts nothing: it does not hold the model's takeover back.
        doubted = by_rules.level == "check" and (
            CATEGORY_LEVEL.get(by_rules.reason or "") != "check" or self.rules.framed(text)
        )
        by_model, ordinary = self._model_verdict(text)
        short = len(text.split()) < MODEL_TAKEOVER_WORDS
        if ordinary and by_rules.level in ("urgent", "crisis") and not self._echoed(text):
            # The rules found a crisis phrase of the writer's, and the model, having read the whole message, finds
            # it ordinary: most often a denial, a patient's words or a past told in ways the rules do not parse.
            # The person is asked, with the lines in the question, rather than taken over. On writers left out
            # of training this asked 76 ordinary messages instead of taking them over, and 18 at-risk ones,
            # which still see the lines in the question.
            by_rules = SafetyVerdict("check", by_rules.reason)
        elif ordinary and by_rules.level == "check" and not short:
            # The rules doubted whose it is or when (long ago, irony, someone named nearby), and the model, on a
            # message long enough to carry its own frame ("fifteen years ago... today I'm the one doing the
            # assessments"), reads it as ordinary: no question. A bare "j'ai fait une TS il y a quinze ans" is
            # still asked about. Writers left out of training: 2 at-risk messages against 45 ordinary ones.
            by_rules = SAFE
        if by_rules.reason == DENIED.reason and short:
            by_model = SAFE  # "I'm not suicidal", "envie de mourir de honte": the words say it all
        elif by_model.takeover and (short or doubted or by_rules.reason in (JUDGED.reason, DENIED.reason)):
            # A few words are too little to take over on; and where the rules found the phrase and read it as a
            # patient's, a denial, an idiom or irony, the model (which reads words, not who says them) may ask
            # but does not overrule that reading.
            by_model = SafetyVerdict("check", by_model.reason)
        level: Level | None = stronger(by_rules.level, by_model.level)
        if level == "crisis" and by_model.level == "urgent":
            level = "urgent"  # the rules name the category, the model sees that it is happening now
        reason = by_rules.reason if by_rules.level else by_model.reason
        # A question the model alone raises keeps its word on whether it holds inside an exercise.
        firm = by_model.in_exercise if level == "check" and not by_rules.level else True
        combined = SafetyVerdict(level, reason, in_exercise=firm) if level else SAFE
        return Layers(raw_rules, by_model, combined)

    def check(self, text: str) -> SafetyVerdict:
        # Every layer, with no short cut on the rules' "urgent": the model may still turn it into a question (a
        # patient's "je fais quoi ?" read as the writer's call for help), and the bot answers what is measured.
        if len(text) > SHORT_TEXT:
            return self.layers(text).combined
        verdict = self._verdicts.get(text)
        if verdict is None:
            # rules and model never change once loaded: the same text, the same verdict
            verdict = self.layers(text).combined
            if len(self._verdicts) >= _VERDICTS:
                self._verdicts.clear()
            self._verdicts[text] = verdict
        return verdict

    # --- answering ---------------------------------------------------------------------------------------

    def resources(self, country: str | None, ctx: Context, level: Level = "crisis") -> str:
        """The reply for a level: emergency numbers first when urgent, the question when unsure, and always the
        crisis lines of the user's country (France's and a directory while it is unknown)."""
        lines, emergency = self._country_texts(country)
        if level == "urgent":
            parts = [self._catalog["urgent_opening"], *emergency, *lines, self._catalog["crisis_closing"]]
        elif level == "check":
            parts = [self._catalog["check_question"], *lines, self._catalog["check_closing"]]
        else:
            parts = [self._catalog["crisis_opening"], *lines, self._catalog["crisis_closing"]]
        return "\n\n".join(text.render(ctx) for text in parts)

    def lines(self, country: str | None, ctx: Context) -> str:
        # In a group nobody can act on "set your country in /settings": the directory replaces that advice.
        lines, _ = self._country_texts(country)
        unknown = self._catalog["crisis_unknown"]
        return "\n\n".join((self._catalog["crisis_other"] if t is unknown else t).render(ctx) for t in lines)

    def _country_texts(self, country: str | None) -> tuple[list[Text], list[Text]]:
        """The crisis lines and emergency numbers of a country (dialogues/data/countries.yaml)."""
        known = country_of(country)
        if known is not None:
            return [known.crisis], [known.emergency]
        if not (country or "").strip():  # not known yet: France's lines (most users) and a directory
            france = countries()["FR"]
            return [france.crisis, self._catalog["crisis_unknown"]], [france.emergency, self._catalog["urgent_other"]]
        return [self._catalog["crisis_other"]], [self._catalog["urgent_other"]]


@lru_cache(maxsize=4)
def _load(patterns: Path, model: Path | None, catalog: Path) -> CrisisDetector:
    # Immutable: the app and every test share one loaded copy per set of files.
    rules = CrisisRules.load(patterns)
    return CrisisDetector(rules, CrisisModel.load(model) if model is not None else None, load_catalog(catalog))
