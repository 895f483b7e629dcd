"""How the crisis rules read a message: folded to plain lower-case ASCII, apostrophes and quotes resolved, and
the words each pattern needs worked out from the pattern itself (so reviewers keep no keyword list in step)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Any

# Characters folded before accents are stripped: typographic quotes and apostrophes, ligatures, spaces.
_FOLD = (
    ("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("`", "'"), ("\u00b4", "'"), ("\u2032", "'"),
    ("\u00ab", '"'), ("\u00bb", '"'), ("\u201c", '"'), ("\u201d", '"'), ("\u201e", '"'), ("\u201f", '"'),
    ("\u0153", "oe"), ("\u00e6", "ae"), ("\u2026", "."), ("\u00a0", " "), ("\u202f", " "),
    ("\u2013", " "), ("\u2014", " "),
)  # fmt: skip
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_KEPT = frozenset(_LETTERS + '0123456789",.!?;:')
# One character for one: str.translate stays on its fast path (a message is read on every turn).
_SPACE_OUT = str.maketrans({c: " " for c in map(chr, range(128)) if c not in _KEPT and c != "'"} | {"\n": "."})
_ELISIONS = frozenset(["j", "d", "l", "m", "t", "s", "n", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"])
_CONTRACTED = {"m": " am", "re": " are", "ve": " have", "ll": " will", "d": " would"}
_NOT = {"can": "can", "won": "will"}
# "she's" is "she is"; any other "'s" is a possessive and goes
_IS_BEFORE = frozenset(
    ["he", "she", "it", "that", "there", "what", "who", "where", "here", "life", "everything", "nothing", "this"]
)
_PIECES = re.compile(r"[a-z0-9]+|[^a-z0-9]")
_REPEAT = re.compile(r"([a-z])\1+")
_SENTENCE_END = frozenset(".!?;")
_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxz")


def collapse(pattern: str) -> str:
    """Collapse doubled letters in a regular expression as in messages, leaving escapes (\\b, \\w) whole."""
    out: list[str] = []
    previous = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(pattern[index : index + 2])
            previous = ""
            index += 2
            continue
        if "a" <= char <= "z" and char == previous:
            index += 1
            continue
        out.append(char)
        previous = char if "a" <= char <= "z" else ""
        index += 1
    return "".join(out)


def _apostrophes(text: str) -> str:
    """French elisions split (j'ai -> j ai), English contractions spelled out (don't -> do not, I'm -> i am)."""
    parts = text.split("'")
    pieces = [parts[0]]
    for previous, part in itertools.pairwise(parts):
        left = previous[len(previous.rstrip(_LETTERS)) :]
        right = part[: len(part) - len(part.lstrip(_LETTERS))]
        if left in _ELISIONS:
            pieces.append(" " + part)
        elif right == "t" and len(left) > 1 and left.endswith("n"):
            pieces[-1] = pieces[-1][: len(pieces[-1]) - len(left)] + _NOT.get(left, left[:-1]) + " not"
            pieces.append(part[1:])
        elif right in _CONTRACTED:
            pieces.append(_CONTRACTED[right] + part[len(right) :])
        elif right == "s":
            pieces.append((" is" if left in _IS_BEFORE else "") + part[1:])
        else:
            pieces.append(part)
    return "".join(pieces)


def fold(text: str) -> str:
    """Lower case, plain ASCII, apostrophes resolved, anything but words and punctuation made a space."""
    text = text.casefold()
    if not text.isascii():
        for char, plain in _FOLD:
            if char in text:
                text = text.replace(char, plain)
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    if "'" in text:
        text = _apostrophes(_single_quotes(text))
    return text.translate(_SPACE_OUT)


_OPENING = re.compile(r"(?<![a-z0-9])'(?=[a-z])")
_CLOSING = re.compile(r"(?<=[a-z0-9.!?,])'(?![a-z])")


def _single_quotes(text: str) -> str:
    """'Words in single quotes' are quoted speech: each opening quote with its closing one becomes a double
    quote. A lone apostrophe (patients' files) stays one, so it never opens a quote that hides what follows."""
    out: list[str] = []
    position = 0
    while (opening := _OPENING.search(text, position)) is not None:
        closing = _CLOSING.search(text, opening.end())
        if closing is None:
            break
        out.append(text[position : opening.start()] + '"' + text[opening.end() : closing.start()] + '"')
        position = closing.end()
    out.append(text[position:])
    return "".join(out)


def _required(items: Any) -> frozenset[str] | None:
    """Literal strings of which every match of this parsed regex contains at least one (None: no such set)."""
    candidates: list[frozenset[str]] = []
    run = ""
    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            run += chr(value)
            continue
        if run:
            candidates.append(frozenset({run}))
            run = ""
        found: frozenset[str] | None = None
        if name == "SUBPATTERN":
            found = _required(value[-1])
        elif name == "BRANCH":
            options = [_required(option) for option in value[1]]
            if all(option is not None for option in options):
                found = frozenset().union(*(o for o in options if o is not None))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and value[0] >= 1:
            found = _required(value[2])
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset({run}))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (min(_weight(_key(s)[1]) for s in c), -len(c)))


# Words in most messages make poor keys: a pattern keyed on "pas" or "want" would run on nearly every sentence.
# Only speed depends on this list, never what is found.
_COMMON = frozenset(
    ["a", "ai", "as", "de", "d", "je", "j", "me", "m", "pas", "plus", "que", "le", "la", "les", "un", "une", "est",
     "suis", "etre", "en", "et", "vais", "veux", "fait", "fais", "avec", "pour", "y", "tout", "ce", "ca", "ne",
     "i", "to", "the", "want", "am", "is", "be", "not", "do", "have", "of", "my", "me", "it", "and", "wil", "can",
     "would", "that", "like", "so", "just", "about", "in", "on", "go", "get", "got", "been", "was", "feel", "ned"]
)  # fmt: skip


def _weight(word: str) -> int:
    if not word:
        return -1  # a bare space or comma: never a key if anything else will do
    return 0 if word in _COMMON else len(word)


Key = tuple[str, str]  # (how a word must hold it: exact, prefix, suffix or infix; the letters)


def _key(literal: str) -> Key:
    """The longest word of a literal string, and how a message's word must hold it if the literal is there."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"[a-z0-9]+", literal)]
    if not spans:
        return ("infix", "")
    start, end = max(spans, key=lambda span: (_weight(literal[span[0] : span[1]]), span[1] - span[0]))
    closed_left, closed_right = start > 0, end < len(literal)
    kind = {(True, True): "exact", (True, False): "prefix", (False, True): "suffix"}.get(
        (closed_left, closed_right), "infix"
    )
    return (kind, literal[start:end])
