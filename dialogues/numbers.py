"""Read a number the way people type it: "7", " 7 ", "7/10", "7 sur 10", "sept", "seven"."""

from __future__ import annotations

import re
import unicodedata

_WORDS = {
    # French
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16, "vingt": 20, "cent": 100,
    # English
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "twenty": 20,
    "hundred": 100, "none": 0, "nothing": 0,
}  # fmt: skip

_OUT_OF = r"(?:\s*(?:/|sur|out\s+of|of)\s*\d+)?"
_PREFIX = r"(?:(?:i'm|im|i am)\s+(?:at\s+)?|about\s+|around\s+|environ\s+|je suis a\s+|c'est\s+)?"
_NUMBER = re.compile(rf"^{_PREFIX}(-?\d+|[a-z]+){_OUT_OF}\s*[.!]?$")


def fold(text: str) -> str:
    """Lower case without accents, for matching what people type against labels and keywords."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def parse_number(text: str) -> int | None:
    """The whole number a message states, or None when it is not one number (words, emoji, decimals)."""
    folded = re.sub(r"\s+", " ", fold(text).replace("’", "'"))
    match = _NUMBER.match(folded)
    if match is None:
        return None
    token = match.group(1)
    if token.lstrip("-").isdigit():
        return int(token) if len(token) <= 6 else None
    return _WORDS.get(token)
