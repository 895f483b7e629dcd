"""The crisis check's second stage: a linear model over word and character n-grams, trained on Phare's corpus.

Why this model: the rules miss crisis messages that say the thing in words nobody listed (situations, preparation,
passive wishes); a statistical reader generalises over wordings and spellings. A logistic regression over TF-IDF
word 1-2-grams and character 3-5-grams was chosen on the development split (docs/crisis-taxonomy.md gives the
comparison): it catches paraphrases and typos through shared character runs, runs in pure Python in well under a
millisecond, and its weights are a plain file in the repository that anyone can retrain with one command
(`python -m bot.care.train`). No network, no download, no GPU.

Scoring is exactly the training featurisation (`features`), so what the model file says is what runs. The whole
message is scored as one: on the dev split, scoring windows of two sentences and keeping the highest lost a fifth
of the recall at the same false-alarm rate (ordinary sentences out of context look alarming).
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from bot.care.rules import CrisisRules

MODEL_FILE = Path(__file__).resolve().with_name("crisis_model.json.gz")
FORMAT = 1
CHAR_SIZES = (3, 4, 5)
MAX_CHARS = 2_000  # a pasted page is read in chunks of about this size
_WORD_CACHE = 20_000
MIN_WORDS = 3  # below this many content words (set phrases left out) the model gives no opinion
# Words that carry no content of their own, in both languages, as the rules spell them (accents folded, doubled
# letters collapsed): counted out when deciding whether a message says enough for the model to weigh.
_FUNCTION_WORD_LIST = (
    "je j me m moi tu te t toi il ele on nous vous ils eles le la les l un une des du de d au aux a et ou mais donc "
    "or ni car que qu qui quoi ce c cet cete ces mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs "
    "en y ne n pas plus tres trop bien si avec sans pour par sur sous dans chez ai as a avons avez ont suis es est "
    "somes etes sont fais fait faire ca cela ici la "
    "i me my mine you your he him his she her it its we us our they them their a an the and or but so of to in on "
    "at for with from by as is am are was were be ben being have has had do does did not no this that these those "
    "there here what which who just very too really it s"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_LIST.split())


def word_grams(word: str) -> list[str]:
    """A word's character 3-5-grams, the word padded with a space on each side."""
    padded = f" {word} "
    size = len(padded)
    return ["c:" + padded[start : start + n] for n in CHAR_SIZES for start in range(size - n + 1)]


def sentence_features(sentence: str) -> Counter[str]:
    found: Counter[str] = Counter()
    previous = "<s>"
    for word in sentence.split():
        found["w:" + word] += 1
        found["b:" + previous + " " + word] += 1
        found.update(word_grams(word))
        previous = word
    found["b:" + previous + " </s>"] += 1
    return found


def features(sentences: Iterable[str]) -> Counter[str]:
    """Word 1-2-grams and character 3-5-grams of normalised sentences (as the rules read them)."""
    found: Counter[str] = Counter()
    for sentence in sentences:
        found.update(sentence_features(sentence))
    return found


class CrisisModel:
    """Scores of a message: the probability that the writer is at risk, and that it is urgent."""

    def __init__(self, data: dict[str, object], rules: CrisisRules) -> None:
        if data.get("format") != FORMAT:
            raise ValueError("crisis model: unknown format")
        vocabulary = data["vocabulary"]
        assert isinstance(vocabulary, dict)
        heads = data["heads"]
        assert isinstance(heads, dict)
        self.head_names: tuple[str, ...] = tuple(heads)
        # feature -> (idf, weight for each head): one look-up per feature, whatever the number of heads
        self._table: dict[str, tuple[float, ...]] = {
            feature: tuple(float(v) for v in values) for feature, values in vocabulary.items()
        }
        self._idf = self._table  # membership is all the reading side needs
        self._biases = tuple(float(heads[name]["bias"]) for name in self.head_names)
        thresholds = data["thresholds"]
        assert isinstance(thresholds, dict)
        self.thresholds: dict[str, float] = {str(k): float(v) for k, v in thresholds.items()}
        self._rules = rules
        self._grams: dict[str, tuple[str, ...]] = {}

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> CrisisModel:
        return _load(path)

    def _known_grams(self, word: str) -> tuple[str, ...]:
        """The word's character n-grams that the model knows (others weigh nothing): cached, bounded."""
        known = self._grams.get(word)
        if known is None:
            if len(self._grams) >= _WORD_CACHE:
                self._grams.clear()
            idf = self._idf
            known = self._grams[word] = tuple(g for g in word_grams(word) if g in idf)
        return known

    def _sentence(self, sentence: str) -> Counter[str]:
        """`sentence_features`, restricted to what the model knows."""
        idf = self._idf
        # Listed in order, then counted at once: the same counts in the same order (the order the scores add up
        # in) as counting feature by feature, without a Counter update for every word.
        known: list[str] = []
        previous = "<s>"
        for word in sentence.split():
            for feature in ("w:" + word, "b:" + previous + " " + word):
                if feature in idf:
                    known.append(feature)
            known.extend(self._known_grams(word))
            previous = word
        if "b:" + previous + " </s>" in idf:
            known.append("b:" + previous + " </s>")
        return Counter(known)

    def _probabilities(self, counts: Counter[str]) -> dict[str, float]:
        table = self._table
        size = len(self.head_names)
        norm = 0.0
        if size == 2:
            # Two heads (risk and urgent, as shipped) unrolled: the same operations in the same order as the loop
            # below, so the same floats, at half the cost.
            dot0 = dot1 = 0.0
            log = math.log
            for feature, count in counts.items():
                idf, weight0, weight1 = table[feature]
                value = idf if count == 1 else (1.0 + log(count)) * idf
                norm += value * value
                dot0 += value * weight0
                dot1 += value * weight1
            dots = [dot0, dot1]
        else:
            dots = [0.0] * size
            for feature, count in counts.items():
                values = table[feature]
                value = values[0] if count == 1 else (1.0 + math.log(count)) * values[0]
                norm += value * value
                for i in range(size):
                    dots[i] += value * values[i + 1]
        scale = 1.0 / math.sqrt(norm) if norm else 0.0
        return {
            name: 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, bias + dot * scale))))
            for name, bias, dot in zip(self.head_names, self._biases, dots, strict=True)
        }

    def scores(self, text: str) -> dict[str, float]:
        """Per head, the probability for the whole message (all naught when the model has no opinion)."""
        return self.opinion(text) or dict.fromkeys(self.head_names, 0.0)

    def opinion(self, text: str) -> dict[str, float] | None:
        """Per head, the probability for the whole message, or None when it says too little to weigh; a pasted
        page is read in chunks of a few sentences and its highest chunk counts, so one sentence of crisis is not
        drowned in pages of notes."""
        best = dict.fromkeys(self.head_names, 0.0)
        sentences = self._rules.for_model(text)
        if sum(1 for s in sentences for w in s.split() if w not in _FUNCTION_WORDS) < MIN_WORDS:
            return None  # too little to weigh, and scores swing: "4", "/start", "je fais de mon mieux avec ce que j'ai"
        for chunk in _chunks(sentences):
            counts: Counter[str] = Counter()
            for sentence in chunk:
                counts.update(self._sentence(sentence))
            if not counts:
                continue
            for name, value in self._probabilities(counts).items():
                best[name] = max(best[name], value)
        return best


def _chunks(sentences: list[str]) -> list[list[str]]:
    """Consecutive sentences up to about MAX_CHARS each (a normal message is one chunk)."""
    chunks: list[list[str]] = [[]]
    size = 0
    for sentence in sentences:
        if chunks[-1] and size + len(sentence) > MAX_CHARS:
            chunks.append([])
            size = 0
        chunks[-1].append(sentence)
        size += len(sentence) + 1
    return chunks


@lru_cache(maxsize=2)
def _load(path: Path) -> CrisisModel:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return CrisisModel(data, CrisisRules.load())
