"""Read numbers the way people type them: "7", " 7 ", "7/10", "sept sur dix", "seven", "5,5", "4.5",
"cinq et demi", "entre 4 et 5", "7 ou 8", "je dirais 6 aujourd'hui"."""

from __future__ import annotations

import re
import unicodedata

_WORDS = {
    # French
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16, "dix-sept": 17, "dix-huit": 18, "dix-neuf": 19, "vingt": 20, "cent": 100,
    # English
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "hundred": 100, "none": 0, "nothing": 0,
}  # fmt: skip
# Words that are numbers only when they are the whole answer: in a sentence they are articles or idioms
# ("je dirais un 6", "I'd give it a one-off 4", "nothing much, maybe 2").
_ONLY_ALONE = frozenset({"un", "une", "one", "none", "nothing", "cent", "hundred"})

_NUMBER_WORD = "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
_OUT_OF = rf"(?:\s*(?:/|sur|out\s+of|of)\s*(?:\d+|{_NUMBER_WORD}))?"
_PREFIX = r"(?:(?:i'm|im|i am)\s+(?:at\s+)?|about\s+|around\s+|environ\s+|je suis a\s+|c'est\s+)?"
_NUMBER = re.compile(rf"^{_PREFIX}(-?\d+|[a-z-]+){_OUT_OF}\s*[.!]?$")

# In a sentence: "/10", "sur dix", "out of 10" name the scale, not an answer.
_ANY = rf"\d+(?:[.,]\d+)?|\b(?:{_NUMBER_WORD})\b"
_DENOMINATOR = re.compile(rf"({_ANY})\s*(?:/|\bsur\b|\bout\s+of\b|\bof\b)\s*(?:\d+|\b(?:{_NUMBER_WORD})\b)(?![\d.,]\d)")
_HALF = re.compile(rf"(\d+|\b(?:{_NUMBER_WORD})\b)\s*(?:et\s+demie?|and\s+a\s+half|½)")
_RANGE = re.compile(r"(\d)\s*(?:-|–|—|à|a|to)\s*(?=\d)")
_TOKEN = re.compile(r"(?<![\w.,])(-?\d+(?:[.,]\d+)?)(?![\w]|[.,]\d)|\b([a-z]+(?:-[a-z]+)*)\b")


def fold(text: str) -> str:
    """Lower case without accents, for matching what people type against labels and keywords."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text).replace("’", "'"))


def parse_number(text: str) -> int | None:
    """The whole number a message states on its own ("7", "7/10", "sept sur dix", "seven"), or None when the
    message is anything else (a sentence, a decimal, two numbers): used where a number picks a choice."""
    match = _NUMBER.match(_normalised(text))
    if match is None:
        return None
    token = match.group(1)
    if token.lstrip("-").isdigit():
        return int(token) if len(token) <= 6 else None
    return _WORDS.get(token)


def read_numbers(text: str) -> tuple[float, ...]:
    """Every distinct number an answer names, in order, the scale's "/10" left out: () for none, one value
    for "je dirais 6" or "5,5", two for "entre 4 et 5" or "7 ou 8". Decimals keep their fraction."""
    alone = parse_number(text)
    if alone is not None:
        return (float(alone),)
    folded = _DENOMINATOR.sub(r"\1", _normalised(text))
    folded = _HALF.sub(lambda m: f" {_value(m.group(1)) + 0.5} ", folded)
    folded = _RANGE.sub(r"\1 ", folded)
    found: list[float] = []
    for match in _TOKEN.finditer(folded):
        digits, word = match.group(1), match.group(2)
        if digits is not None:
            found.append(float(digits.replace(",", ".")))
        elif word is not None:
            for part in [word] if word in _WORDS else word.split("-"):
                if part in _WORDS and part not in _ONLY_ALONE:
                    found.append(float(_WORDS[part]))
    return tuple(dict.fromkeys(found))


def _value(token: str) -> float:
    return float(token) if token.isdigit() else float(_WORDS.get(token, 0))


def shown(value: float, locale: str) -> str:
    """A number as people of that language write it: 4,5 in French, 4.5 in English; 4 rather than 4.0."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if locale == "fr" else text


# How people wrap a rating in words ("je dirais 4 maintenant", "I think it is a 6 today", "environ 5, bof"):
# hedges, time words and the scale's own words, in both languages. Nothing here carries a feeling.
_RATING_WORD_LIST = """
    je j moi on ca c est c'est ce cet cette serait dirais dirai dirait dis dit pense crois disons dire mettrais
    mets donnerais donne plutot environ a peu pres genre vers autour de du d un une la le sur dix maintenant
    aujourd hui aujourd'hui ce soir matin midi moment actuellement en encore toujours plus ou moins bof bon ben
    bah euh hmm mouais ouais oui ok okay alors juste petit gros bien disons quoi voila
    i i'd id i'm im am is it it's its a an the about around maybe perhaps probably like say would guess think
    feel feeling give today now tonight right this morning evening afternoon solid out of ten honestly tbh hmm
    um uh er well so yeah yes ok okay pretty much sort kind still more or less just at be i'll ill call put
"""
_RATING_WORDS = frozenset(_RATING_WORD_LIST.split())
_RATING_TOKEN = re.compile(r"[a-z']+")


def plain_rating(text: str) -> bool:
    """Whether a message is a rating and nothing else: one number, wrapped only in hedges and time words.
    "je dirais 4 maintenant" is; "3, tired of everything" is not (it says something besides the number)."""
    if len(read_numbers(text)) != 1:
        return False
    rest = _DENOMINATOR.sub(" ", _normalised(text))
    rest = re.sub(rf"\d+(?:[.,]\d+)?|\b(?:{_NUMBER_WORD})\b|[/.,!?;:()\-]", " ", rest)
    return all(word in _RATING_WORDS for word in _RATING_TOKEN.findall(rest))
