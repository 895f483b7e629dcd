"""Read numbers the way people type them: "7", " 7 ", "7/10", "sept sur dix", "seven", "5,5", "4.5",
"cinq et demi", "entre 4 et 5", "7 ou 8", "je dirais 6 aujourd'hui", "nonante-neuf", "after 3 sessions, 4"."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case without accents, for matching what people type against labels and keywords."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text.replace("½", " and a half ")).replace("’", "'"))


# --- number words -------------------------------------------------------------------------------------

_FR_UNITS = ("zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
             "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf")  # fmt: skip
# France says soixante-dix, quatre-vingts, quatre-vingt-dix; Belgium and Switzerland septante and nonante,
# parts of Switzerland huitante (octante in older texts).
_FR_TENS = {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "septante": 70,
            "huitante": 80, "octante": 80, "nonante": 90}  # fmt: skip
_EN_UNITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")  # fmt: skip
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}  # fmt: skip
_BIG = {"cent": 100, "hundred": 100, "a hundred": 100, "one hundred": 100, "mille": 1000, "thousand": 1000,
        "a thousand": 1000, "un million": 1_000_000, "million": 1_000_000, "a million": 1_000_000,
        "a billion": 1_000_000_000, "un milliard": 1_000_000_000}  # fmt: skip
# Words that are numbers only when they are the whole answer: in a sentence they are articles or idioms
# ("je dirais un 6", "I'd give it a one-off 4", "nothing much, maybe 2").
_ONLY_ALONE = {"un": 1, "une": 1, "one": 1, "none": 0, "nothing": 0}


def _spellings() -> dict[str, int]:
    """Every way of writing 0 to 99 in words, French (with the Belgian and Swiss tens) and English, and a few
    round numbers above: "dix-neuf", "vingt et un", "quatre-vingt-dix", "nonante-neuf", "twenty-one"."""
    words = {w: n for n, w in enumerate(_FR_UNITS)}
    words.update({w: n for n, w in enumerate(_EN_UNITS)})
    for tens, value in _FR_TENS.items():
        words[tens] = value
        words[f"{tens} et un"] = words[f"{tens} et une"] = value + 1
        words.update({f"{tens}-{_FR_UNITS[n]}": value + n for n in range(2, 10)})
    words.update({f"soixante-{_FR_UNITS[n]}": 60 + n for n in range(10, 20)})  # soixante-dix … soixante-dix-neuf
    words["soixante et onze"] = 71
    words["quatre-vingt"] = words["quatre-vingts"] = 80
    words.update({f"quatre-vingt-{_FR_UNITS[n]}": 80 + n for n in range(1, 20)})
    for tens, value in _EN_TENS.items():
        words[tens] = value
        words.update({f"{tens}-{_EN_UNITS[n]}": value + n for n in range(1, 10)})
    words.update(_BIG)
    for alone in _ONLY_ALONE:
        words.pop(alone, None)
    return words


_WORDS = _spellings()
_BY_PARTS = {tuple(re.split(r"[-\s]+", w)): n for w, n in _WORDS.items()}


def _spelling_pattern(words: str) -> str:
    """A spelling as a regular expression: its parts joined by "-" or spaces, either way ("dix neuf")."""
    return r"[-\s]+".join(re.escape(part) for part in re.split(r"[-\s]+", words))


# Every number word, the articles included (plain_rating takes them out of what is left of a message).
_NUMBER_WORD = "|".join(_spelling_pattern(w) for w in sorted([*_WORDS, *_ONLY_ALONE], key=len, reverse=True))
_SPELLED = re.compile(
    r"(?<![\w'])(" + "|".join(_spelling_pattern(w) for w in sorted(_WORDS, key=len, reverse=True)) + r")(?![\w'])"
)
_SPELLED_ALONE = re.compile(r"(?<![\w'])(" + "|".join(_ONLY_ALONE) + r")(?![\w'])")


def digits_for_words(folded: str, *, articles: bool = False) -> str:
    """A folded text with its number words in digits: "dix-neuf heures" → "19 heures", "septante" → "70",
    "a hundred" → "100". "un", "une", "one", "none" and "nothing" stay words (in a sentence they are mostly
    articles or idioms) unless `articles` says the text is a number on its own."""
    found = _SPELLED.sub(lambda m: str(_BY_PARTS[tuple(re.split(r"[-\s]+", m.group(1)))]), folded)
    if articles:
        found = _SPELLED_ALONE.sub(lambda m: str(_ONLY_ALONE[m.group(1)]), found)
    return found


# --- one number on its own ------------------------------------------------------------------------------

_OUT_OF = r"(?:\s*(?:/|sur|out\s+of|of|on)\s*\d+)?"
_PREFIX = r"(?:(?:i'm|im|i am)\s+(?:at\s+)?|about\s+|around\s+|environ\s+|je suis a\s+|c'est\s+)?"
_NUMBER = re.compile(rf"^{_PREFIX}(-?\d+){_OUT_OF}\s*[.!]?$")


def parse_number(text: str) -> int | None:
    """The whole number a message states on its own ("7", "7/10", "sept sur dix", "seven"), or None when the
    message is anything else (a sentence, a decimal, two numbers): used where a number picks a choice."""
    match = _NUMBER.match(digits_for_words(_normalised(text), articles=True))
    if match is None:
        return None
    token = match.group(1)
    return int(token) if len(token.lstrip("-")) <= 6 else None


# --- the numbers of an answer ------------------------------------------------------------------------------

_ANY = rf"\d+(?:[.,]\d+)?|\b(?:{_NUMBER_WORD})\b"
# "/10", "sur dix", "out of 10", "on ten" after a number name the scale, not an answer.
_DENOMINATOR = re.compile(
    rf"({_ANY})\s*(?:/|\bsur\b|\bout\s+of\b|\bouta\b|\bouttae?\b|\bof\b|\bon\b|\bover\b)\s*"
    rf"(?:\d+|\b(?:{_NUMBER_WORD})\b)(?![\d.,]\d)"
)
# The scale named on its own: "sur une échelle de 0 à 10", "de 0 à 10", "on a scale of 1 to 10", "Sur dix ?".
_SCALE = re.compile(
    r"(?:\b(?:sur|on)\s+(?:une|an?|the|la|ma|my)\s+)?\b(?:echelle|scale)\s+(?:de|of|from)\s+[01]\s*(?:a|to|-|–)\s*10\b"
    r"|\b(?:de|from|entre|between)\s+[01]\s*(?:a|to|-|–|et|and)\s*10\b(?![.,]\d)"
    r"|(?:^|(?<=[^\d\s.,])|(?<=[^\d.,]\s))(?:/|\bsur\b|\bout\s+of\b|\bon\b)\s*10\b(?![.,]\d)"
)
_HALF = re.compile(r"(\d+)\s*(?:et\s+demie?\b|and\s+(?:a\s+)?half\b|\s1\s*[/⁄]\s*2\b)")  # "6 1/2" too
_NEIGHBOURS = re.compile(r"(?<![\d.,])(\d)\s*/\s*(\d)(?![\d.,])")  # "4/5" is "4 or 5" (but "9/10" is 9)
_MINUS = re.compile(r"^(?:minus|moins)\s+(?:(?=\d)|(un|une|one)\b)")  # "minus 2"; not "au moins 8"
_ISH = re.compile(r"\b([a-z\d]+)-?ish\b")  # "eight-ish", "7ish", "eightish"; not "english" or "wish"
_PERCENT = re.compile(r"\bpour\s*cent\b|\bper\s*cent\b")
_POINT = re.compile(r"(\d+)\s+(?:point|virgule)\s+(\d)\b")  # "six point five", "cinq virgule cinq"
# An answer's tokens, by kind: a number, a number stuck to letters ("16h30", "3pm": not a rating), a word, a mark.
_TOKEN = re.compile(r"(?<![\w.,])(-?\d+(?:[.,]\d+)?)(?![\w]|[.,]\d)|(\d\w*)|([a-z]+(?:['-][a-z]+)*)|([^\s\w])")
_NUM, _STUCK, _WORD, _MARK = 1, 2, 3, 4


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Between two numbers, only these make them one hesitation ("7 ou 8", "entre 5 pis 6", "Five, maybe six").
_LINKS = _wordset(
    """
    ou or et and a to till until pis puis voire voir sinon maybe perhaps possibly probably peut-etre peutetre ptet
    ptetre even genre like
    """
)
# ... and these make the second number take the first one back ("4, non 5", "7 no wait 6", "5 mais plutôt 6").
_TAKE_BACK = _wordset("non no nope nah enfin plutot actually rather wait sorry pardon correction disons mettons say")
_TAKE_BACK_TOO = _TAKE_BACK | _LINKS | _wordset("mais but i je veux dire mean make it that scratch let's oh en fait")
# Before a number, these say it is another day's ("hier 7, aujourd'hui 4", "it was 8 this morning, now 5").
_PAST = _wordset("hier yesterday earlier etait c'etait was avant-hier")
_LINK_MARKS = frozenset(",-–—/~")
# What may follow a rating without making it a count ("3 ce matin", "8 grave", "9 for sure", "7 jpense").
_AFTER_RATING = (
    _LINKS
    | _TAKE_BACK
    | _wordset(
        """
    je j jdirais jdi jdis jcrois jpense jsp jsais chais chepa sais pense crois dirais dis dirai dirait mettrais mets
    mettons dire donne donnerais environ peu pres au plus moins max maximum grand gros petit bon bien tout meme
    quand tranquille tranquillou facile facilement grave carrement franchement vraiment clairement style quoi voila
    bof bah ben euh hmm pff pfff mouais ouais oui ok okay alors juste seulement pas sans pile presque limite
    aujourd aujourd'hui aujd auj ajd ce cet cette soir matin midi nuit moment maintenant la ici actuellement encore
    toujours sur dix points point pts lol mdr ptdr jpp tkt trkl stp svp merci de du le les en c c'est est ca va
    comme suis etait sera serait certain tse hein
    i i'd id i'm im am is it it's its an the about around guess think reckon suppose feel feeling give gave today
    now tonight rn right this morning evening afternoon night out of ten honestly tbh um uh er eh ah well so yeah
    yes yep pretty much sort kind still more less just at be i'll ill call put only if that for sure no doubt
    question easy easily tops lmao haha really actually definitely me least most take sound nada then again though
    tho either way overall anyway ish thanks please pls plz works suits mais but
    """
    )
)
# What a number counts when it is not the rating ("30 patients", "my 3 sessions", "a 12 hour shift"); plurals
# are recognised by their ending.
_COUNTED = _wordset(
    """
    patient client seance session consultation consult entretien rdv rendez-vous dossier case appel call heure
    hour hr h minute min jour day nuit night semaine week mois month an annee year fois time garde shift enfant
    kid gosse cafe coffee mail email no-show annulation cancellation urgence admission famille family groupe group
    personne person people gens children bilan
    """
)
_POSSESSIVE = _wordset("mes tes ses nos vos leurs aux ces my our your his her their these those")
_BEFORE_COUNT = _POSSESSIVE | _wordset("les des the apres after avant before depuis since")


def counted(word: str, *, plurals: bool = True) -> bool:
    """Whether a word after a number says what it counts ("patients", "séances", "hour"): the number is then
    a quantity, not an answer on a scale or a time. With `plurals`, any plural counts ("3 no-shows")."""
    if word in _COUNTED or word.rstrip("sx") in _COUNTED:
        return True
    return plurals and len(word) >= 4 and word[-1] in "sx" and word not in _AFTER_RATING


def counts(before: str, after: str) -> bool:
    """Whether a number between these two words, in an answer about time, counts something rather than names
    an hour: "mes 3 consultations", "entre deux patients", "after 5" (but "vers les 8" is a time)."""
    return before in _POSSESSIVE or before in ("apres", "after") or counted(after, plurals=False)


def read_numbers(text: str) -> tuple[float, ...]:
    """Every distinct number an answer gives as its rating, in order, the scale's "/10" left out: () for none,
    one value for "je dirais 6" or "5,5", two for "entre 4 et 5" or "7 ou 8". Decimals keep their fraction.
    Numbers that count something ("j'ai vu 30 patients, disons 7", "after my 3 sessions, 4") are left out when
    another number is there to be the rating."""
    alone = parse_number(text)
    if alone is not None and not _neighbours(text):
        return (float(alone),)
    spoken = _ISH.sub(
        lambda m: m.group(1) if m.group(1) in _WORDS or m.group(1).isdigit() else m.group(0), _normalised(text)
    )
    spoken = digits_for_words(_PERCENT.sub("%", spoken))
    spoken = _MINUS.sub(lambda m: "-1" if m[1] else "-", spoken)
    spoken = _HALF.sub(lambda m: f" {int(m.group(1)) + 0.5} ", spoken)
    spoken = _NEIGHBOURS.sub(lambda m: f"{m[1]} ou {m[2]}" if int(m[2]) == int(m[1]) + 1 else m[0], spoken)
    spoken = _POINT.sub(r"\1.\2", spoken)
    spoken = _DENOMINATOR.sub(r"\1 ", spoken)
    spoken = _SCALE.sub(" ", spoken)
    tokens = [(m.lastindex or 0, m.group(m.lastindex or 0)) for m in _TOKEN.finditer(spoken)]
    groups = _hesitations(tokens)
    if not groups:
        return ()
    scored = [(_quantity(tokens, first, last), [float(tokens[i][1].replace(",", ".")) for i in members])
              for first, last, members in groups]  # fmt: skip
    least = min(score for score, _ in scored)
    return tuple(dict.fromkeys(v for score, values in scored if score == least for v in values))


def _neighbours(text: str) -> bool:
    """Whether an answer has two neighbouring numbers with a slash between them ("4/5"): a hesitation."""
    return any(int(m[2]) == int(m[1]) + 1 for m in _NEIGHBOURS.finditer(text))


def _hesitations(tokens: list[tuple[int, str]]) -> list[tuple[int, int, list[int]]]:
    """The numbers of an answer in runs that say one thing: a number alone, numbers with only "ou", "or", "-",
    "maybe"… between them, or a number taken back for the next ("4, non 5": 5). Each run as (first token, last
    token, its numbers)."""
    runs: list[tuple[int, int, list[int]]] = []
    for i, (kind, _) in enumerate(tokens):
        if kind != _NUM:
            continue
        between = tokens[runs[-1][1] + 1 : i] if runs else []
        words = {t for k, t in between if k == _WORD}
        marks_only = all(k == _WORD or (k == _MARK and t in _LINK_MARKS) for k, t in between)
        if runs and marks_only and words <= _LINKS:
            first, _, members = runs[-1]
            runs[-1] = (first, i, [*members, i])
        elif runs and marks_only and words & _TAKE_BACK and words <= _TAKE_BACK_TOO:
            runs[-1] = (runs[-1][0], i, [i])
        else:
            runs.append((i, i, [i]))
    return runs


def _quantity(tokens: list[tuple[int, str]], first: int, last: int) -> int:
    """How surely a run of numbers counts something rather than rates: 0 (nothing says so), 1 (a word that is no
    hedge follows: "zéro énergie"), 2 (it names what it counts, or "mes", "after", "hier" come before)."""
    if first > 0 and tokens[first - 1][0] == _WORD and tokens[first - 1][1] in _BEFORE_COUNT:
        return 2
    if any(kind == _WORD and word in _PAST for kind, word in tokens[max(0, first - 3) : first]):
        return 2
    after = [word if kind == _WORD else "" for kind, word in tokens[last + 1 : last + 3]]
    if not after or not after[0] or after[0] in _AFTER_RATING:
        return 0
    return 2 if counted(after[0]) or (len(after) > 1 and counted(after[1])) else 1


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
