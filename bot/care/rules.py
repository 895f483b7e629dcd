"""The crisis check's first stage: reviewed rules (`bot/care/crisis_rules.yaml`) over what people write.

The layered detector (`bot/care/detector.py`) runs these rules and a statistical model on every message; either
can raise the answer level. Pure Python and regular expressions: fast, predictable, and a clinician can review
every pattern (the rules, with examples) in the YAML file.

Design choices, for reviewers:

- Recall first. A false alarm costs one message and a paused exercise; a miss can cost a life. Whenever the
  detector cannot tell, it shows the lines: a crisis phrase with nobody named before it ("envie d'en finir",
  "wanna die") counts as the user's; a hedged denial ("je ne dis pas que je veux mourir, mais...",
  "I'm not saying I want to die") counts as no denial; past attempts and past self-harm told in the first
  person ("j'ai fait une TS il y a dix ans") show the lines too; so does "I'd rather be dead than...", and so do
  hyperboles that use "mourir"/"die" literally ("cette réunion me donne envie de mourir", "mdr je veux mourir",
  "lol kms"): irony does not survive in text.
- The user, not the patient. Therapists talk about suicide all day; that is work, not crisis. Who a phrase is
  about comes from the last person named before it in the same sentence: je/j'/moi/me/mon/I/my -> the user;
  il/elle/ma patiente/un client/he/she/they/my client -> someone else. A verb of saying after someone else
  ("elle m'a dit", "she told me", "my patient said") makes the "je/I" that follows theirs, until the next clause;
  so do quotes attributed to someone else, and a colon after such a verb ("Ma patiente m'a dit : je vais me
  tuer"). A phrase that can only be about the writer ("me suicider", "kill myself", "better off without me",
  "mes idées noires") is the user's unless it sits in someone else's quoted words.
- Mixed sentences. Someone else's crisis followed by "moi aussi", "moi non plus", "so do I", "me too",
  "same for me", "I am too" (same sentence, or at the start of the next one) is the user's crisis.
- Denials. "pas/plus/jamais/not/never/no" in the three words before a phrase denies it ("je n'ai pas envie de
  mourir", "I don't want to die"); phrases that already carry the negation are crisis phrases in their own
  right ("j'ai plus envie de vivre", "I don't want to live"). Denials that a pattern excludes by itself
  ("je n'ai pas d'idées suicidaires", "I'm not suicidal") never match.
- Idioms that do NOT trigger: "mourir de rire / de honte / de faim / d'ennui", "to die of embarrassment /
  laughing / boredom" — fixed phrases where "mourir de X" means "very X", a different sense of the verb, so
  "j'ai envie de mourir de honte" is not a crisis (shame alone is handled by the exercises; any other cue in
  the message still triggers); "je suis morte de rire", "je suis crevée", "ça me tue", "ce dossier me tue",
  "je me tue à la tâche", "this paperwork is killing me", "I'm killing myself trying to...", "I could die for a
  coffee", "I'm dying to see", "je vais me jeter à l'eau", "crever l'abcès", "disparaître sous terre",
  "en finir avec ce dossier", "cut back", "cut myself while cooking", "hurt myself at the gym",
  "ma superviseure va me tuer". Exhaustion alone ("je n'en peux plus", "I can't do this anymore",
  "I can't take it anymore") is burnout, the app's everyday ground, and does not trigger; "I can't go on
  living" and "je ne supporte plus de vivre" do. "kill me now" and "tuez-moi" are read as irony.
- Topics are not feelings: "suicide prevention", "risque suicidaire", "his suicide risk", "le suicide de mon
  patient", "l'envie de mourir chez les personnes âgées" do not trigger.

Reading a message: casefold, accents removed, doubled letters collapsed (mourrir, dieee), French elisions
split (j'ai -> j ai), English contractions spelled out (don't -> do not), SMS spellings and typos rewritten
(chui, g, jveux, wanna, kms), and both languages' rules run on every message (people switch languages).
The verdict carries a category (suicidal_ideation, self_harm, intent), never the text; nothing is logged.

Speed (it runs on every message): each written word is read once and kept in a small bounded cache, and each
pattern runs only on sentences holding one of the words it needs. Those words are worked out from the pattern
itself when the file is loaded, so reviewers never keep a keyword list in step with the patterns.
bench/crisis_figures.py gives the figures (about 10 µs for an everyday message, 30 µs for one about suicide).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from bot.care.reading import _CONSONANTS, _PIECES, _REPEAT, _SENTENCE_END, Key, _key, _required, collapse, fold
from bot.care.taxonomy import CATEGORY_LEVEL, RANK, Level
from bot.safety import SafetyVerdict
from dialogues.yamlfile import read_yaml

PATTERNS_FILE = Path(__file__).resolve().with_name("crisis_rules.yaml")
SAFE = SafetyVerdict()
_PARSER: Any = importlib.import_module("re._parser")  # no type stubs: used only to read the patterns

# user: the writer's own; unsure: maybe theirs (irony, someone else named nearby): ask; other, denied, idiom: none
Outcome = Literal["user", "unsure", "other", "denied", "idiom"]

_BLOCK = re.compile(r"\{([a-z_]+)\}")
_WORD_CACHE = 20_000
# How far around a phrase its subject, denial or "me too" is looked for: a sentence's own reach, and it keeps a
# long pasted message from costing time in proportion to its length squared.
_REACH = 240
_MAX_QUOTES = 20
# The last person named before a quote or a colon is its addressee, not its speaker, after "to" or "à": "I cannot
# say to my colleagues: I wish I was not alive".
# French "à" reads as "a", like the verb ("il m'a dit"): only "a" before a determiner is taken for "à".
_ADDRESSEE = re.compile(
    r"(?:^| )(?:to (?!(?:me|us) *$)(?:(?:my|the|our|your|a|an|some) )?"
    r"|(?:a|aux) (?:mes|mon|ma|les|la|le|l|nos|notre|vos|votre|des|un|une) )[a-z]+ *$"
)
# The whole of a sentence that answers no to the question just before it.
_BARE_NO = frozenset(
    {
        "non",
        "no",
        "nope",
        "nan",
        "pas du tout",
        "non pas du tout",
        "not at all",
        "no not at all",
        "absolutely not",
        "jamais",
        "non jamais",
        "never",
        "no never",
        "certainly not",
        "definitely not",
        "surement pas",
        "absolument pas",
    }
)
_SPEECH_REACH = 4  # words before a quote where a verb of saying introduces it ("j'ai écrit à ma copine « … »")
# A period after these is not the end of a sentence: "Mme D. a des idées suicidaires" is one sentence.
_ABBREVIATIONS = {"m": "monsieur", "madame": "madame", "mademoisele": "mademoisele", "mr": "mr", "mrs": "mrs",
                  "ms": "ms", "dr": "dr", "pr": "pr", "st": "st"}  # fmt: skip
# Spelled out before doubled letters collapse, which would make "Mme" the pronoun "me".
_TITLES = {"mme": "madame", "mmes": "mesdames", "mlle": "mademoiselle", "mlles": "mesdemoiselles"}


class PatternError(ValueError):
    """The patterns file is malformed: the detector refuses to start rather than run half-blind."""


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    subject: Literal["open", "self"]
    noun: bool
    patterns: tuple[tuple[int, re.Pattern[str]], ...]  # each with the bit that says its words are present
    unless_after: re.Pattern[str] | None
    examples: tuple[str, ...]
    # A cry for help has no denial form: in "can't do tonight on my own, pls help" the "not" is another verb's.
    deniable: bool = True
    # The pattern names the past itself and what came back since ("I used to cut at uni and did it again on
    # Sunday"): a long-ago frame in its sentence is that past, not a reason to doubt.
    relapse: bool = False


@dataclass(frozen=True)
class Finding:
    """One crisis phrase found, and whose it is judged to be; never the text itself."""

    rule: str
    category: str
    outcome: Outcome


def _alternation(items: Iterable[str]) -> str:
    return "|".join(f"(?:{item})" for item in items)


def _expand(pattern: str, blocks: Mapping[str, str]) -> str:
    """A pattern with its {blocks} written out (blocks may name blocks, a few levels deep)."""
    for _ in range(4):
        expanded = _BLOCK.sub(lambda m: blocks[m.group(1)], pattern)
        if expanded == pattern:
            break
        pattern = expanded
    if _BLOCK.search(pattern):
        raise PatternError(f"unresolved block in {pattern[:60]!r}")
    return collapse(pattern)


def _any_of(items: Iterable[object], blocks: Mapping[str, str]) -> str:
    """The patterns of a list, their {blocks} written out, as one alternation ("" for an empty list)."""
    return _alternation(_expand(str(p), blocks) for p in items)


def _whole_words(items: Iterable[str], blocks: Mapping[str, str]) -> re.Pattern[str]:
    """Any of the patterns, starting and ending at word edges."""
    return re.compile(rf"(?<![a-z])(?:{_any_of(items, blocks)})(?![a-z])")


def _after(items: Iterable[str], blocks: Mapping[str, str]) -> re.Pattern[str] | None:
    parts = _any_of(items, blocks)
    return re.compile(rf"^[ ,]*(?:{parts})") if parts else None


class CrisisRules:
    """The rules stage: `check` gives a level and a category from the phrases found and whose they are."""

    def __init__(self, data: Mapping[str, Any], *, wake_up: bool = True) -> None:
        """`wake_up=False` runs every pattern on every sentence: tests use it to show the shortcut misses nothing."""
        try:
            self._compile(data)
            if not wake_up:
                self._always = (1 << sum(len(rule.patterns) for rule in self.rules)) - 1
        except (KeyError, TypeError, AttributeError, re.error) as exc:
            raise PatternError(f"crisis patterns: {type(exc).__name__}: {exc}") from exc

    @classmethod
    def load(cls, patterns: Path = PATTERNS_FILE) -> CrisisRules:
        return _load(patterns)

    # --- building ---------------------------------------------------------------------------------------

    def _compile(self, data: Mapping[str, Any]) -> None:
        if data.get("version") != 1:
            raise PatternError("crisis patterns: unknown version")
        blocks = {str(k): str(v) for k, v in data["blocks"].items()}
        self._rewrite: dict[str, str] = {}
        for key, value in data["rewrite"].items():
            source, target = collapse(str(key)), collapse(str(value))
            if not re.fullmatch(r"[a-z0-9]+", source):
                raise PatternError(f"rewrite: {key!r} is not one plain word")
            if self._rewrite.get(source, target) != target:
                raise PatternError(f"rewrite: {key!r} collides with another word once letters are collapsed")
            self._rewrite[source] = target
        markers = data["markers"]
        groups = [
            f"(?P<{kind}>{_any_of(markers[kind], blocks)})"
            for kind in ("report_other", "other", "report", "first", "reset")
        ]
        self._markers = re.compile(rf"(?<![a-z])(?:{'|'.join(groups)})(?![a-z])")
        self._resets = frozenset(word for item in markers["reset"] for word in str(item).split("|") if " " not in word)
        self._me_too = _whole_words(data["me_too"], blocks)
        negation = data["negation"]
        for key in ("words", "not_after", "breakers", "no_nouns", "stop_before"):
            odd = [w for w in negation.get(key, ()) if not isinstance(w, str)]
            if odd:  # YAML reads a bare no, yes, on or off as a boolean: the word would silently vanish
                raise PatternError(f"negation.{key}: {odd!r} are not words; quote them")
        self._negations = frozenset(collapse(str(w)) for w in negation["words"])
        self._not_negation_after = frozenset(collapse(str(w)) for w in negation["not_after"])
        # "I can't STOP thinking about dying": a verb between the negation and the phrase takes the negation.
        self._breakers = frozenset(collapse(str(w)) for w in negation["breakers"])
        self._negation_reach = int(negation["reach"])
        self._no_nouns = frozenset(collapse(str(w)) for w in negation.get("no_nouns", ()))
        self._stops = frozenset(collapse(str(w)) for w in negation.get("stop_before", ()))
        self._denials = _whole_words(data["denials"], blocks)
        self._model_masks = _whole_words(data["model_masks"], blocks)
        self._unsure = _whole_words(data["unsure"], blocks)
        self._frames = re.compile(rf"(?:{_any_of(data['frames_before'], blocks)})$")
        # "cette pensée : « et si j'en finissais »": the words after name the writer's own thought, not speech
        self._own_thought = re.compile(rf"(?<![a-z])(?:{_any_of(data['own_thought_before'], blocks)})[ ,:]*$")
        self._hedges = _whole_words(data["hedges"], blocks)
        attribution = _after(data["attribution_after"], blocks)
        idioms, owner, topic = (_after(data[k], blocks) for k in ("idioms_after", "owner_after", "topic_after"))
        if attribution is None or idioms is None or owner is None or topic is None:
            raise PatternError("crisis patterns: attribution, idioms, owner and topic lists must not be empty")
        self._attribution, self._idioms, self._owner, self._topic = attribution, idioms, owner, topic
        rules: list[Rule] = []
        keys: list[tuple[int, Key]] = []
        always = 0
        keys_seen: list[str] = []
        seen: set[str] = set()
        for raw in data["rules"]:
            rule_id = str(raw["id"])
            if rule_id in seen:
                raise PatternError(f"rule {rule_id} defined twice")
            seen.add(rule_id)
            if raw["category"] not in CATEGORY_LEVEL or raw["subject"] not in ("open", "self"):
                raise PatternError(f"rule {rule_id}: unknown category or subject")
            parts = [_expand(str(p), blocks) for p in raw["patterns"]]
            compiled: list[tuple[int, re.Pattern[str]]] = []
            for part in parts:
                bit = 1 << len(keys_seen)
                keys_seen.append(part)
                compiled.append((bit, re.compile(rf"(?<![a-z])(?:{part})(?![a-z])")))
                literals = _required(_PARSER.parse(part).data)
                if literals is None or any(not _key(literal)[1] for literal in literals):
                    always |= bit  # no word is sure to be there: the pattern runs on every sentence
                else:
                    keys.extend((bit, _key(literal)) for literal in literals)
            rules.append(
                Rule(
                    id=rule_id,
                    category=str(raw["category"]),
                    subject=raw["subject"],
                    noun=bool(raw.get("noun", False)),
                    deniable=bool(raw.get("deniable", True)),
                    relapse=bool(raw.get("relapse", False)),
                    patterns=tuple(compiled),
                    unless_after=_after(raw.get("unless_after") or [], blocks),
                    examples=tuple(str(e) for e in raw.get("examples") or []),
                )
            )
        if not rules:
            raise PatternError("crisis patterns: no rules")
        self.rules: tuple[Rule, ...] = tuple(rules)
        # A rule runs on a sentence only if one of its words is there: most sentences run no rule at all.
        self._index: dict[str, dict[str, int]] = {"exact": {}, "prefix": {}, "suffix": {}, "infix": {}}
        for bit, (kind, letters) in keys:
            table = self._index[kind]
            table[letters] = table.get(letters, 0) | bit
        self._longest = max(len(letters) for _, (_, letters) in keys)
        self._always = always
        self._words: dict[str, tuple[tuple[str, ...], int]] = {}
        self._last: tuple[str, list[tuple[str, int, bool]]] | None = None
        self._woken_by_mask: dict[int, tuple[tuple[Rule, tuple[re.Pattern[str], ...]], ...]] = {}

    # --- reading -----------------------------------------------------------------------------------------

    def _word(self, raw: str) -> tuple[tuple[str, ...], int]:
        """One written word as the patterns read it (maybe several words, or punctuation), and the rules it wakes."""
        known = self._words.get(raw)
        if known is not None:
            return known
        words: list[str] = []
        for piece in _PIECES.findall(raw):
            if not piece[0].isalnum():
                words.append(piece)
                continue
            piece = _REPEAT.sub(r"\1", _TITLES.get(piece, piece))
            new = self._rewrite.get(piece)
            if new is None:
                if len(piece) > 1 and piece[0] == "j" and piece[1] in _CONSONANTS:
                    rest = piece[1:]  # SMS French glues "je" to the verb: jveux, jsuis, jme
                    new = "je " + self._rewrite.get(rest, rest)
                else:
                    new = piece
            words.extend(new.split())
        mask = 0
        for word in {w for w in words if w[0].isalnum()}:
            mask |= self._wakes(word)
        if len(self._words) >= _WORD_CACHE:
            self._words.clear()  # bounded: words people write stay in memory only briefly
        result = (tuple(words), mask)
        self._words[raw] = result
        return result

    def _wakes(self, word: str) -> int:
        """The patterns whose needed words this word holds (as itself, a prefix, a suffix or inside it)."""
        exact, prefix, suffix, infix = (self._index[k] for k in ("exact", "prefix", "suffix", "infix"))
        mask = exact.get(word, 0)
        size, longest = len(word), self._longest
        for length in range(1, min(size, longest) + 1):
            mask |= prefix.get(word[:length], 0) | suffix.get(word[size - length :], 0)
        for start in range(size):
            for end in range(start + 1, min(size, start + longest) + 1):
                mask |= infix.get(word[start:end], 0)
        return mask

    def _woken(self, mask: int) -> tuple[tuple[Rule, tuple[re.Pattern[str], ...]], ...]:
        """The rules a sentence's mask wakes, each with its woken patterns, in the file's order. A sentence wakes a
        few of several hundred patterns, and the same few come back: testing every bit cost more than the matching."""
        woken = self._woken_by_mask.get(mask)
        if woken is None:
            woken = tuple(
                (rule, regexes)
                for rule in self.rules
                if (regexes := tuple(regex for bit, regex in rule.patterns if mask & bit))
            )
            if len(self._woken_by_mask) >= _WORD_CACHE:
                self._woken_by_mask.clear()
            self._woken_by_mask[mask] = woken
        return woken

    def _sentences(self, text: str) -> list[tuple[str, int, bool]]:
        """The sentences of plain words, the rules' wake-up mask of each, and whether it was a question."""
        # The rules, the denial check and the model each read the same message in turn: read it once.
        last = self._last
        if last is not None and last[0] is text:
            return last[1]
        found = self._read_sentences(text)
        self._last = (text, found)
        return found

    def _read_sentences(self, text: str) -> list[tuple[str, int, bool]]:
        sentences: list[tuple[str, int, bool]] = []
        words: list[str] = []
        mask = self._always
        for raw in fold(text).split():
            found, wakes = self._word(raw)
            mask |= wakes
            for word in found:
                if word in _SENTENCE_END:
                    if word == "." and words and (len(words[-1]) == 1 or words[-1] in _ABBREVIATIONS):
                        words[-1] = _ABBREVIATIONS.get(words[-1], words[-1])  # an initial or a title
                        continue
                    if words:
                        sentences.append((" ".join(words), mask, word == "?"))
                    words, mask = [], self._always
                else:
                    words.append(word)
        if words:
            sentences.append((" ".join(words), mask, False))
        return sentences

    def normalise(self, text: str) -> list[str]:
        """The message as sentences of plain, spaced words, the way the patterns are written."""
        return [sentence for sentence, _, _ in self._sentences(text)]

    def for_model(self, text: str) -> list[str]:
        """The sentences the model reads: set phrases of everyday effort and fatigue ("je fais de mon mieux",
        "mort de fatigue", "this job is killing me") blanked out, as the rules read them as idioms. A model of
        word counts would otherwise lend them the weight their words carry in crisis messages."""
        masks = self._model_masks
        return [masks.sub(" ", sentence).strip() for sentence in self.normalise(text)]

    def _whose(self, text: str) -> tuple[str | None, bool]:
        """Who the end of `text` is about ("first", "other" or None) and whether we are inside reported speech."""
        state: str | None = None
        reported = False
        for match in self._markers.finditer(text):
            kind = match.lastgroup
            if kind == "reset":
                reported = False
            elif kind == "report_other":
                state, reported = "other", True
            elif kind == "report":
                reported = reported or state == "other"
            elif kind == "other":
                state, reported = "other", False
            elif not reported:
                state = "first"
        return state, reported

    def _reported_spans(self, sentence: str) -> list[tuple[int, int, bool]]:
        """Stretches of the sentence quoted as speech, and whether the speech is someone else's (True) or words the
        writer quotes as said or written at some moment ("j'ai écrit « je veux mourir » dans un mail")."""
        spans: list[tuple[int, int, bool]] = []
        # A few quotes in a sentence are speech; dozens are noise, and unread quotes only make the reading stricter.
        quotes = [i for i, c in enumerate(sentence) if c == '"'][:_MAX_QUOTES]
        for index in range(0, len(quotes), 2):
            start = quotes[index]
            end = quotes[index + 1] if index + 1 < len(quotes) else len(sentence)
            before = sentence[max(0, start - _REACH) : start]
            state, _ = self._speaker(before)
            if state == "other" or (state is None and self._attribution.match(sentence[end + 1 : end + _REACH])):
                spans.append((start, end, True))
            elif (start == 0 or self._introduces_speech(before)) and not self._own_thought.search(before):
                # Quoted after a verb of saying or a colon, the words were said or written at some moment, by the
                # writer or a voice they report: whose and when is worth a question, not a takeover. So are words
                # that open the sentence in quotes, with nobody named yet: a patient's line set down before it is
                # attributed ('"I want to die, I'm done." That was my first session.'). Quoted words after the
                # writer's own ('I keep thinking "what's the point"') stay the writer's.
                spans.append((start, end, False))
        colon = sentence.find(":")
        if colon >= 0:
            # "ma patiente m'a dit : …", and clinical notes: "pt : je veux mourir", "Mme D. : …"
            state, reported = self._speaker(sentence[max(0, colon - _REACH) : colon])
            if reported or state == "other":
                spans.append((colon, len(sentence), True))
        return spans

    def _speaker(self, before: str) -> tuple[str | None, bool]:
        """`_whose` for what follows a quote or a colon: the last person named after "to" or "à ma" is who the words
        are said TO ("ce que je n'ose pas dire à mes collègues : …"), and the words are the writer's."""
        state, reported = self._whose(before)
        if state == "other" and _ADDRESSEE.search(before):
            state = "first"
        return state, reported

    def _introduces_speech(self, before: str) -> bool:
        """Whether the words just before a quote introduce speech: a colon, or a verb of saying among the last few."""
        stripped = before.rstrip()
        if stripped.endswith(":"):
            return True
        tail = " ".join(stripped.split()[-_SPEECH_REACH:])
        return any(m.lastgroup in ("report", "report_other") for m in self._markers.finditer(tail))

    def _denied(self, before: str) -> bool:
        words = before.split()
        start = len(words)
        while start > 0 and words[start - 1] not in self._resets:
            start -= 1
        if start >= 2 and words[start - 1] in ("because", "car", "que") and words[start - 2] in self._negations:
            return not self._hedges.search(before)  # "not because I'm thinking of hurting myself"
        clause = words[start:]
        # The nearest negation in the clause, within reach, denies the phrase unless a verb between them
        # takes it ("je n'arrive pas à ARRÊTER de penser à mourir", "I can't STOP thinking about dying").
        for index in range(len(clause) - 1, max(-1, len(clause) - 1 - self._negation_reach), -1):
            word = clause[index]
            if word in self._breakers:
                return False
            if word not in self._negations:
                continue
            if index > 0 and clause[index - 1] in self._not_negation_after:
                continue
            if index > 0 and clause[index - 1] in self._stops:
                return False  # "j'arrête pas de penser à mourir": not stopping is going on
            if word == "no" and index != len(clause) - 1 and clause[index + 1] not in self._no_nouns:
                # "no" denies what follows it at once ("no wish to die", not "no, I want to die"), or a thought,
                # a plan or an intent of it ("no thoughts of hurting myself", "no intention of ending it")
                continue
            return not self._hedges.search(before)
        return False

    def _judge(self, rule: Rule, match: re.Match[str], sentence: str, spans: list[tuple[int, int, bool]]) -> Outcome:
        """Whose crisis one matched phrase is, or why it is none."""
        after = sentence[match.end() : match.end() + _REACH]
        if (rule.unless_after is not None and rule.unless_after.match(after)) or self._idioms.match(after):
            return "idiom"
        before = sentence[max(0, match.start() - _REACH) : match.start()]
        if rule.deniable and self._denied(before):
            return "denied"
        state, reported = self._whose(before)
        quoted = [theirs for a, b, theirs in spans if a <= match.start() < b]
        if any(quoted):
            outcome: Outcome = "other"
        elif quoted:
            outcome = "unsure"
        elif rule.noun and (self._owner.match(after) or self._topic.match(after)):
            outcome = "other"
        elif rule.subject == "self":
            outcome = "other" if reported else "user"
        else:
            outcome = "other" if state == "other" else "user"
        if outcome == "other" and self._me_too.search(after):
            outcome = "user"  # "my patient wants to die, and so do I"
        if outcome == "user" and not rule.relapse and self._unsure.search(sentence):
            outcome = "unsure"  # long ago, irony, a turn of phrase: ask rather than take over
        return outcome

    def framed(self, text: str) -> bool:
        """Whether any sentence sets the message long ago, in jest or as a turn of phrase (`unsure`)."""
        return any(self._unsure.search(sentence) for sentence in self.normalise(text))

    def findings(self, text: str) -> list[Finding]:
        """Every crisis phrase in the message and whose it is; for tests and figures (the text never leaves)."""
        return list(self._scan(text))

    def _scan(self, text: str) -> Iterator[Finding]:
        other_before: str | None = None  # someone else's crisis in the previous sentence
        sentences = self._sentences(text)
        for index, (sentence, mask, asked) in enumerate(sentences):
            # "Suicidal? No." / "est-ce que j'ai des idées suicidaires ? Non.": a question put to oneself and
            # answered no at once is a denial.
            answered_no = asked and index + 1 < len(sentences) and sentences[index + 1][0] in _BARE_NO
            # "I self-harmed in college. It's been 25 years.", "j'ai voulu mourir. C'était il y a douze ans.",
            # "I want to die. lol": the next sentence sets this one long ago or in jest.
            framed_after = index + 1 < len(sentences) and self._frames.match(sentences[index + 1][0]) is not None
            if other_before is not None:
                echo = self._me_too.search(sentence)
                if echo is not None and echo.start() < 40:
                    yield Finding("me_too", other_before, "user")
            other_before = None
            if not mask:
                continue
            spans: list[tuple[int, int, bool]] | None = None
            for rule, regexes in self._woken(mask):
                for regex in regexes:
                    for match in regex.finditer(sentence):
                        if spans is None:
                            spans = self._reported_spans(sentence)
                        outcome = self._judge(rule, match, sentence, spans)
                        if outcome == "user" and answered_no:
                            outcome = "denied"
                        elif outcome == "user" and framed_after:
                            outcome = "unsure"
                        if outcome == "other":
                            other_before = rule.category
                        yield Finding(rule.id, rule.category, outcome)

    def check(self, text: str) -> SafetyVerdict:
        if not text or not text.strip():
            return SAFE
        best: tuple[Level, str] | None = None
        judged: set[str] = set()
        for finding in self._scan(text):
            judged.add(finding.outcome)
            level = finding_level(finding)
            if level is not None and (best is None or RANK[level] > RANK[best[0]]):
                best = (level, finding.category)
                if level == "urgent":
                    break  # nothing is more serious: answer now
        if best:
            return SafetyVerdict(best[0], best[1])
        if self._denials.search(" . ".join(self.normalise(text))) and not self._hedges.search(fold(text)):
            return DENIED  # "je n'ai aucune pensée suicidaire": the writer says so in as many words
        if judged and judged <= {"denied", "idiom"}:
            return DENIED
        return JUDGED if judged else SAFE


# The rules read a crisis phrase and judged it someone else's: the model may still ask, but it does not overrule
# that reading with a takeover. DENIED: the writer denies it, or the phrase is an idiom ("mourir de honte").
JUDGED = SafetyVerdict(None, "judged_not_the_writer")
DENIED = SafetyVerdict(None, "denied_or_idiom")


def finding_level(finding: Finding) -> Level | None:
    if finding.outcome == "user":
        return CATEGORY_LEVEL[finding.category]
    if finding.outcome == "unsure":
        return "check"
    return None


@lru_cache(maxsize=4)
def _load(patterns: Path) -> CrisisRules:
    # The rules are immutable: the app and every test share one compiled copy per file.
    data = read_yaml(patterns)
    if not isinstance(data, dict):
        raise PatternError(f"{patterns.name}: not a mapping")
    return CrisisRules(data)
