"""Typed answers that must mean something precise: an hour, a time zone, a date, days of the week.

Pure functions (no I/O, no clock: "today" is passed in). Each returns a normalised value with a label to
show back to the user, or None when the answer cannot be read; the engine then re-prompts kindly with the
catalog text `validate_<kind>`. Suggestions are values offered as buttons (e.g. the time zone of the
user's country); a tapped suggestion goes through the same validation as a typed answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dialogues.numbers import counts, digits_for_words, fold

VALIDATORS = ("hour", "timezone", "date", "days")
# Facts a validator may add about an answer, saved as `<save>_<flag>` ("yes", or "" when not): a dialogue can
# branch on them (`known: timezone_fixed`).
VALIDATOR_FLAGS: dict[str, tuple[str, ...]] = {"timezone": ("fixed",)}

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = "every"
WEEKDAYS = "weekdays"


@dataclass(frozen=True)
class Valid:
    value: str  # what is stored: "08:30", "Europe/Paris", "UTC+02:00", "2027-04-12", "mon,wed,fri"
    label: str  # what is shown back: "08:30", "Paris (Europe/Paris)", "12/04/2027", "lun., mer., ven."
    flags: tuple[str, ...] = ()  # e.g. ("fixed",) for a UTC offset, which ignores daylight saving time


@dataclass(frozen=True)
class Suggestion:
    value: str
    label: str


# --- hours --------------------------------------------------------------------------------------------

# Answers about time are first rewritten with their times in digits, "H:MM" where the words said the minutes
# ("neuf heures et demie" → "9:30", "quarter to nine" → "8:45", "midi et quart" → "12:15", "half seven" →
# "7:30"); then every time is found, bare numbers included ("à 7", "8 or 9am"); durations and counts are
# left out ("après 12h de garde", "my 8 hour shift", "mes 3 consultations"); "du soir", "pm", "at night" move
# a time to the afternoon or evening. One time is the answer; none, or two different ones, are not.
_MERIDIAN = re.compile(r"(?<=\d)\s*([ap])\.?\s?m\b\.?")  # "7 p.m.", "7PM", "7:30 a. m."
_OCLOCK = re.compile(r"\s*\bo\s*'?\s*clock\b")
_AFTERNOON = re.compile(r"\b(?:(?:de\s+)?l'?\s*)?(?:apres[-\s]?midi|aprem)\b")  # before "midi", which is noon
_NOON = re.compile(r"\b(?:midi|noon|midday|mid-day|minuit|midnight)(?:-?ish)?\b")
_ISH_HOUR = re.compile(r"(?<=\d)-?ish\b")
_ONE = re.compile(r"\b(?:une|un|one)\b(?=\s*(?:heures?|h\b|[ap]\.?\s?m\b|oclock\b))")
_AT_ONE = re.compile(r"\b(at|a|or|ou|vers|around)\s+one\b")
_CLOCK_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_HOUR_THEN_MINUTES = re.compile(rf"\b({_CLOCK_WORDS})-(?=(?:ten|fifteen|twenty|thirty|forty|fifty)\b)")  # seven-thirty
# "quarter to nine", "ten to eight", "twenty-five to 7": minutes before the hour, said in words (in digits,
# "5 to 6" is as often a span as 5:55).
_TO = re.compile(
    r"(?<!from\s)(?<!between\s)\b(a\s+quarter|quarter|five|ten|twenty|twenty[-\s]five|\d{1,2}\s+min(?:ute)?s?)\s+"
    rf"(?:to|till|til|of|before)\s+(\d{{1,2}}|{_CLOCK_WORDS}|noon|midnight)\b"
)
_PAST = re.compile(r"\b(a\s+quarter|quarter|half|\d{1,2})(?:\s+min(?:ute)?s?)?\s+(?:past|after)\s+(\d{1,2})h?\b")
_UK_HALF = re.compile(r"\bhalf\s+(\d{1,2})\b")  # "half seven" is 7:30 in Britain and Ireland
_AND_HALF = re.compile(r"\b(\d{1,2})\s*(?:h\b|heures?\b|hours?\b|oclock\b)?\s*(?:et|and)\s+(?:a\s+)?(?:demie?|half)\b")
_QUARTER = re.compile(r"\b(\d{1,2})\s*(?:h\b|heures?\b)?\s*et\s+quart\b")
_TO_QUARTER = re.compile(r"\b(\d{1,2})\s*(?:h\b|heures?\b)?\s*moins\s+(?:le\s+)?quart\b")
_MINUS = re.compile(r"\b(\d{1,2})\s*(?:h\b|heures?\b)\s*moins\s+(\d{1,2})\b")  # "8h moins 10" → 7:50
# Hours that are durations, not times: "après 12h de garde", "dans 2 heures", "my 8 hour shift", "after 10 hours";
# and dates ("le 12/03").
_DURATION_FR = re.compile(
    r"\b\d{1,2}\s*(?:h|heures?)\s+(?:de|d')\s*(?!(?:matin|mat|soir|soiree|nuit|la\s+nuit)\b)"
    r"|\b(?:dans|pendant|durant|depuis|il\s+y\s+a)\s+\d{1,2}\s*(?:h|heures?)(?![\w:.])(?!\s*\d)"
    r"|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
)
_DURATION_EN = re.compile(r"(?<!\bat\s)(?<!\bby\s)(?<!\baround\s)(?<!\babout\s)\b\d{1,2}[-\s]*(?:hours?|hrs?)\b")
_TIME = re.compile(
    r"(?<![\w:.,])(?:"
    r"(?P<hm>\d{1,2})\s*(?:h|:|\.|heures?|hours?)\s*(?P<mm>\d{2})(?:\s*(?:h|mn|min)\b)?"  # 19h30, 19:30, 19.30h
    r"|(?P<hhmm>\d{3,4})(?=\s[ap]m\b)"  # 730am, 1030pm
    r"|(?P<hu>\d{1,2})\s*(?:h|heures?|hours?|hrs?|oclock)(?!\w)"  # 8h, 8 heures, 8 o'clock
    r"|(?P<h2>\d{1,2})\s(?P<m2>[1-5]\d)"  # "nine thirty", "six forty-five", once in digits
    r"|(?P<bare>\d{1,4})"  # "à 7", "8 or 9am", "1500"
    r")(?![\w:]|[.,]\d)(?:\s(?P<meridian>[ap]m)\b)?"
)
# The part of the day said nearest to a bare hour moves it: "7 du soir" is 19:00, "10 at night" 22:00 ("2 at
# night" 2:00, "12 at night" 0:00); "le soir à 7, pas le matin" is 19:00, "le matin à 7, pas le soir" 7:00.
_PART_OF_DAY = re.compile(
    r"\b(?:(?P<later>soir|soiree|evening|eve|tonight|aprem|afternoon)|(?P<night>nuit|night)|(?P<early>matin|mat|morning))\b"
)
_WORD_OR_MARK = re.compile(r"[a-z]+(?:['-][a-z]+)*|\S")
# Between a bare number and a time, these make the number a time too: "8 or 9am", "between 7 and 7:30".
_TIME_LINKS = frozenset(["ou", "or", "et", "and", "a", "to", "till", "until", "pis", "sinon", "voire", "maybe",
                         "peut-etre", "ptet", "-", "–", "—", "/", ",", "~"])  # fmt: skip


@dataclass(frozen=True)
class _Time:
    hour: int
    minute: int
    marked: bool  # said as a time (h, :, am, o'clock, words), not a bare number
    meridian: str | None
    start: int
    end: int


def _hh_mm(hour: int, minute: int) -> str:
    return f"{hour}:{minute:02d}"


def _minutes(words: str) -> int:
    if "quarter" in words:
        return 15
    if words == "half":
        return 30
    found = re.search(r"\d+", digits_for_words(re.sub(r"[-\s]+", "-", words)))
    return int(found.group()) if found else 60


def _spoken_times(folded: str) -> str:
    """An answer about time with its times in digits ("H:MM" where words said the minutes)."""
    text = _OCLOCK.sub(" oclock", _AFTERNOON.sub(" aprem ", _HOUR_THEN_MINUTES.sub(r"\1 ", folded)))

    def to(match: re.Match[str]) -> str:
        hour = digits_for_words(match.group(2), articles=True).replace("noon", "12").replace("midnight", "24")
        minutes = _minutes(match.group(1))
        return _hh_mm(int(hour) - 1, 60 - minutes) if 1 <= int(hour) <= 24 and 0 < minutes < 60 else match.group(0)

    text = digits_for_words(_TO.sub(to, text))  # "vingt et une" first: "une heure" alone is one o'clock
    text = _AT_ONE.sub(r"\1 1", _ONE.sub("1", text))
    text = _NOON.sub(lambda m: " 0h " if m.group(0).startswith(("minuit", "midnight")) else " 12h ", text)
    text = _ISH_HOUR.sub("", _MERIDIAN.sub(r" \1m", text))

    def past(match: re.Match[str]) -> str:
        minutes = _minutes(match.group(1))
        return _hh_mm(int(match.group(2)), minutes) if minutes < 60 else match.group(0)

    text = _PAST.sub(past, text)
    text = _UK_HALF.sub(lambda m: _hh_mm(int(m.group(1)), 30), text)
    text = _AND_HALF.sub(lambda m: _hh_mm(int(m.group(1)), 30), text)
    text = _QUARTER.sub(lambda m: _hh_mm(int(m.group(1)), 15), text)
    text = _TO_QUARTER.sub(lambda m: _hh_mm((int(m.group(1)) - 1) % 24, 45), text)

    def minus(match: re.Match[str]) -> str:
        minutes = int(match.group(2))
        return _hh_mm((int(match.group(1)) - 1) % 24, 60 - minutes) if 0 < minutes < 60 else match.group(0)

    text = _MINUS.sub(minus, text)
    return _DURATION_EN.sub(" _ ", _DURATION_FR.sub(" _ ", text))


def _found_times(spoken: str) -> list[_Time]:
    found: list[_Time] = []
    for match in _TIME.finditer(spoken):
        meridian = match.group("meridian")
        if match.group("hm") is not None:
            hour, minute, marked = int(match.group("hm")), int(match.group("mm")), True
        elif match.group("hhmm") is not None:
            (hour, minute), marked = divmod(int(match.group("hhmm")), 100), True
        elif match.group("hu") is not None:
            hour, minute, marked = int(match.group("hu")), 0, True
        elif match.group("h2") is not None:
            hour, minute, marked = int(match.group("h2")), int(match.group("m2")), True
        else:
            bare = match.group("bare")
            (hour, minute), marked = divmod(int(bare), 100) if len(bare) > 2 else (int(bare), 0), False
            before = spoken[: match.start()].split()[-1:]
            after = _WORD_OR_MARK.findall(spoken[match.end() :])[:1]
            if counts(before[0] if before else "", after[0] if after else ""):
                continue  # "mes 3 consultations", "entre deux patients": a count, not a time
        found.append(_Time(hour, minute, marked or meridian is not None, meridian, match.start(), match.end()))
    if not any(t.marked for t in found):
        return found
    # With a time said as one, a bare number is a time only when tied to one: "8 or 9am", "noon or 1".
    kept = []
    for i, time in enumerate(found):
        tied = (
            found[j].marked and all(w in _TIME_LINKS for w in _WORD_OR_MARK.findall(spoken[a.end : b.start]))
            for j in (i - 1, i + 1)
            if 0 <= j < len(found)
            for a, b in [sorted((time, found[j]), key=lambda t: t.start)]
        )
        if time.marked or any(tied):
            kept.append(time)
    return kept


def _clock(time: _Time, parts: list[tuple[int, str]]) -> tuple[int, int] | None:
    """A time on the 24-hour clock, its am or pm, or else the part of the day said nearest to it, applied."""
    hour = time.hour
    part = min(parts, key=lambda p: abs(p[0] - time.start))[1] if parts else ""
    if time.meridian is not None:
        if 13 <= hour <= 23 and time.meridian == "pm":
            pass
        elif not 1 <= hour <= 12:
            return None
        else:
            hour = hour % 12 + (12 if time.meridian == "pm" else 0)
    elif (part == "later" and 1 <= hour <= 11) or (part == "night" and 6 <= hour <= 11):
        hour += 12
    elif part == "night" and hour == 12:
        hour = 0
    return (hour, time.minute) if 0 <= hour <= 23 and 0 <= time.minute <= 59 else None


def read_hours(text: str) -> tuple[tuple[int, int] | None, ...]:
    """Every distinct time an answer names, in order, as (hour, minute) on the 24-hour clock; None for one that
    cannot be ("25h", "8h75")."""
    spoken = _spoken_times(re.sub(r"\s+", " ", fold(text).replace("’", "'")))
    parts = [(m.start(), str(m.lastgroup)) for m in _PART_OF_DAY.finditer(spoken)]
    return tuple(dict.fromkeys(_clock(t, parts) for t in _found_times(spoken)))


def parse_hour(text: str) -> Valid | None:
    """The one time an answer names → 'HH:MM': '8', '8h', '8h30', '08:30', '20.15', '8 pm', '8:30am', 'midi',
    'dix-neuf heures', '9h moins le quart', 'midi et demi', '7 du soir', 'half past seven', 'quarter to nine',
    'vers 21h si possible', 'after my 3 sessions, 7pm'. None when it names no time, or two ('8h ou 9h')."""
    found = read_hours(text)
    if len(found) != 1 or found[0] is None:
        return None
    value = f"{found[0][0]:02d}:{found[0][1]:02d}"
    return Valid(value, value)


HOUR_SUGGESTIONS = ("08:00", "12:30", "18:00", "21:00")


# --- time zones ---------------------------------------------------------------------------------------


def country_zones(country: str | None) -> tuple[str, ...]:
    """The time zones of a country of dialogues/data/countries.yaml, the most likely first; Paris otherwise."""
    from dialogues.countries import country_of

    found = country_of(country)
    return found.zones if found is not None else ("Europe/Paris",)


# Cities people are likely to type (French and English spellings), folded, to their IANA zone.
CITIES: dict[str, str] = {
    **dict.fromkeys(
        ["paris", "lyon", "marseille", "toulouse", "bordeaux", "lille", "nantes", "strasbourg", "nice", "rennes",
         "montpellier", "grenoble", "dijon", "angers", "reims", "tours", "brest", "rouen", "metz", "nancy",
         "clermont-ferrand", "caen", "besancon", "limoges", "poitiers", "perpignan", "avignon", "annecy", "france"],
        "Europe/Paris",
    ),
    **dict.fromkeys(
        ["bruxelles", "brussels", "liege", "namur", "charleroi", "mons", "louvain-la-neuve", "gand", "ghent",
         "anvers", "antwerp", "belgique", "belgium"],
        "Europe/Brussels",
    ),
    **dict.fromkeys(
        ["geneve", "geneva", "lausanne", "zurich", "berne", "bern", "bale", "basel", "fribourg", "neuchatel",
         "sion", "lugano", "suisse", "switzerland"],
        "Europe/Zurich",
    ),
    **dict.fromkeys(
        ["montreal", "quebec", "laval", "gatineau", "sherbrooke", "trois-rivieres", "ottawa", "toronto",
         "longueuil", "saguenay"],
        "America/Toronto",
    ),
    **dict.fromkeys(["vancouver", "victoria", "kelowna"], "America/Vancouver"),
    **dict.fromkeys(["calgary", "edmonton"], "America/Edmonton"),
    **dict.fromkeys(["winnipeg"], "America/Winnipeg"),
    **dict.fromkeys(["halifax", "moncton", "fredericton"], "America/Halifax"),
    **dict.fromkeys(["new york", "boston", "washington", "miami", "atlanta", "philadelphia"], "America/New_York"),
    **dict.fromkeys(["chicago", "houston", "dallas", "minneapolis", "la nouvelle-orleans", "new orleans"],
                    "America/Chicago"),
    **dict.fromkeys(["los angeles", "san francisco", "seattle", "portland"], "America/Los_Angeles"),
    **dict.fromkeys(["londres", "london", "manchester", "edimbourg", "edinburgh", "glasgow", "bristol"],
                    "Europe/London"),
    **dict.fromkeys(["dublin", "cork", "galway", "irlande", "ireland"], "Europe/Dublin"),
    **dict.fromkeys(["luxembourg"], "Europe/Luxembourg"),
    **dict.fromkeys(["monaco"], "Europe/Monaco"),
    **dict.fromkeys(["casablanca", "rabat", "marrakech", "maroc", "morocco"], "Africa/Casablanca"),
    **dict.fromkeys(["alger", "algiers"], "Africa/Algiers"),
    **dict.fromkeys(["tunis"], "Africa/Tunis"),
    **dict.fromkeys(["dakar"], "Africa/Dakar"),
    **dict.fromkeys(["abidjan"], "Africa/Abidjan"),
    **dict.fromkeys(["beyrouth", "beirut"], "Asia/Beirut"),
    **dict.fromkeys(["saint-denis de la reunion", "la reunion", "reunion"], "Indian/Reunion"),
    **dict.fromkeys(["mayotte", "mamoudzou"], "Indian/Mayotte"),
    **dict.fromkeys(["fort-de-france", "martinique"], "America/Martinique"),
    **dict.fromkeys(["pointe-a-pitre", "guadeloupe"], "America/Guadeloupe"),
    **dict.fromkeys(["cayenne", "guyane"], "America/Cayenne"),
    **dict.fromkeys(["noumea", "nouvelle-caledonie"], "Pacific/Noumea"),
    **dict.fromkeys(["papeete", "tahiti"], "Pacific/Tahiti"),
}  # fmt: skip

_OFFSET = re.compile(r"^(?:utc|gmt|tu)?\s*([+-])\s*(\d{1,2})(?:\s*[:h]?\s*(\d{2}))?$")


@lru_cache(maxsize=1)
def _zones_by_city() -> dict[str, str]:
    """Every IANA zone by its last part ('tokyo' → Asia/Tokyo), plus the full names, folded."""
    found: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            continue
        found.setdefault(fold(name), name)
        found.setdefault(fold(name.rsplit("/", 1)[1].replace("_", " ")), name)
    return found


def offset_name(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone(name: str) -> tzinfo:
    """The tzinfo for a stored zone value: an IANA name, or a fixed offset written 'UTC+02:00'."""
    match = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", name)
    if match:
        minutes = int(match.group(2)) * 60 + int(match.group(3))
        return timezone(timedelta(minutes=minutes if match.group(1) == "+" else -minutes))
    return ZoneInfo(name)


def zone_label(name: str) -> str:
    if name.startswith("UTC"):
        return name
    city = name.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} ({name})"


def parse_timezone(text: str) -> Valid | None:
    """'Europe/Paris', 'Lyon', 'Montréal', 'Genève', 'UTC+2', '+02:00', 'GMT-5' → a zone value."""
    raw = text.strip()
    if raw in ("UTC", "GMT", "Z") or fold(raw) in ("utc", "gmt", "tu"):
        return Valid("UTC+00:00", "UTC+00:00", ("fixed",))
    try:
        if "/" in raw and not raw.startswith(("Etc/", "posix/", "right/")):
            ZoneInfo(raw)
            return Valid(raw, zone_label(raw))
    except (ZoneInfoNotFoundError, ValueError):
        pass
    folded = re.sub(r"\s+", " ", fold(raw)).replace("’", "'")
    match = _OFFSET.match(folded.replace(" ", ""))
    if match:
        hours, minutes = int(match.group(2)), int(match.group(3) or 0)
        if hours > 14 or minutes not in (0, 15, 30, 45):
            return None
        total = (hours * 60 + minutes) * (1 if match.group(1) == "+" else -1)
        name = offset_name(total)
        return Valid(name, name, ("fixed",))
    found = CITIES.get(folded) or CITIES.get(folded.replace(" ", "-"))
    if found:
        # Shown back with the city as typed: someone in Montréal reads "Montréal", not "Toronto".
        typed = re.sub(r"\s+", " ", raw)
        return Valid(found, f"{typed[:1].upper()}{typed[1:]} ({found})")
    found = _zones_by_city().get(folded) or _zones_by_city().get(folded.replace("-", " "))
    if found:
        return Valid(found, zone_label(found))
    return None


def timezone_suggestions(country: str | None) -> tuple[Suggestion, ...]:
    zones = country_zones(country)
    if (country or "").upper() == "CA":
        # Montréal shares Toronto's zone: offer it under the name people there use.
        return (Suggestion("America/Toronto", "Montréal / Toronto"), Suggestion("America/Vancouver", "Vancouver"))
    return tuple(Suggestion(z, zone_label(z).split(" (")[0]) for z in zones)


# --- dates ----------------------------------------------------------------------------------------------

_MONTHS = {
    "janvier": 1, "janv": 1, "january": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3, "mar": 3, "avril": 4, "avr": 4, "april": 4, "apr": 4, "mai": 5, "may": 5,
    "juin": 6, "june": 6, "jun": 6, "juillet": 7, "juil": 7, "july": 7, "jul": 7, "aout": 8, "august": 8,
    "aug": 8, "septembre": 9, "sept": 9, "september": 9, "sep": 9, "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11, "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?$")
_WORDY = re.compile(r"^(?:le\s+|on\s+|the\s+)?(\d{1,2})(?:er|st|nd|rd|th)?\s+([a-z]+)\.?(?:\s+(\d{4}))?$")
_WORDY_EN = re.compile(r"^(?:on\s+)?([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$")


def parse_date(text: str, today: date, locale: str = "fr") -> Valid | None:
    """A future date (after today): '2027-04-12', '12/04', '12/04/2027', '12 avril', 'April 12'.

    Numeric day/month follow the locale (English: month first only when the day cannot be a month).
    A date without a year is the next one to come. Dates more than a year ahead are refused.
    """
    folded = re.sub(r"\s+", " ", fold(text)).strip(" .")
    if folded in ("demain", "tomorrow"):
        found = today + timedelta(days=1)
        return Valid(found.isoformat(), date_label(found, locale))
    day: int | None = None
    month: int | None = None
    year: int | None = None
    if m := _ISO.match(folded):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _NUMERIC.match(folded):
        first, second = int(m.group(1)), int(m.group(2))
        day, month = first, second
        if locale == "en" and second > 12 >= first:
            day, month = second, first
        if m.group(3):
            year = int(m.group(3)) + (2000 if len(m.group(3)) == 2 else 0)
    elif m := _WORDY.match(folded):
        day, month = int(m.group(1)), _MONTHS.get(m.group(2))
        year = int(m.group(3)) if m.group(3) else None
    elif m := _WORDY_EN.match(folded):
        month, day = _MONTHS.get(m.group(1)), int(m.group(2))
        year = int(m.group(3)) if m.group(3) else None
    if day is None or month is None:
        return None
    try:
        found = date(year or today.year, month, day)
        if year is None and found <= today:
            found = date(today.year + 1, month, day)
    except ValueError:
        return None
    if found <= today or found > today + timedelta(days=366):
        return None
    return Valid(found.isoformat(), date_label(found, locale))


def date_label(value: date, locale: str) -> str:
    from babel.dates import format_date

    return str(format_date(value, format="EEEE d MMMM y", locale=locale))


def date_suggestions(today: date, locale: str) -> tuple[Suggestion, ...]:
    week, fortnight = today + timedelta(days=7), today + timedelta(days=14)
    return tuple(Suggestion(d.isoformat(), date_label(d, locale)) for d in (week, fortnight))


# --- days of the week -------------------------------------------------------------------------------

_DAY_WORDS = {
    "lundi": 0, "lun": 0, "monday": 0, "mon": 0, "mardi": 1, "mar": 1, "tuesday": 1, "tue": 1, "tues": 1,
    "mercredi": 2, "mer": 2, "wednesday": 2, "wed": 2, "jeudi": 3, "jeu": 3, "thursday": 3, "thu": 3,
    "thur": 3, "thurs": 3, "vendredi": 4, "ven": 4, "friday": 4, "fri": 4, "samedi": 5, "sam": 5,
    "saturday": 5, "sat": 5, "dimanche": 6, "dim": 6, "sunday": 6, "sun": 6,
}  # fmt: skip


def parse_days(text: str, locale: str = "fr") -> Valid | None:
    """'lundi, mercredi et vendredi', 'lun-ven', 'mon wed fri', '1 3 5' (1 = Monday) → 'mon,wed,fri'."""
    folded = fold(text).replace(" et ", " ").replace(" and ", " ").replace("&", " ")
    folded = re.sub(r"\s*(?:\ba\b|\bau\b|\bto\b|–)\s*", "-", folded)
    picked: set[int] = set()
    tokens = [t for t in re.split(r"[\s,;/.]+", folded) if t]
    if not tokens:
        return None
    for token in tokens:
        if "-" in token:
            ends = token.split("-")
            if len(ends) == 2 and ends[0] in _DAY_WORDS and ends[1] in _DAY_WORDS:
                lo, hi = _DAY_WORDS[ends[0]], _DAY_WORDS[ends[1]]
                span = range(lo, hi + 1) if lo <= hi else [*range(lo, 7), *range(0, hi + 1)]
                picked.update(span)
                continue
            return None
        if token in _DAY_WORDS:
            picked.add(_DAY_WORDS[token])
        elif token.isdigit() and 1 <= int(token) <= 7:
            picked.add(int(token) - 1)
        else:
            return None
    value = ",".join(DAY_NAMES[d] for d in sorted(picked))
    return Valid(value, days_label(value, locale))


def days_label(value: str, locale: str) -> str:
    from babel.dates import get_day_names

    if value == EVERY_DAY or value == ",".join(DAY_NAMES):
        return "tous les jours" if locale == "fr" else "every day"
    if value == WEEKDAYS or value == ",".join(DAY_NAMES[:5]):
        return "du lundi au vendredi" if locale == "fr" else "Monday to Friday"
    names = get_day_names("wide", locale=locale)
    return ", ".join(str(names[DAY_NAMES.index(d)]) for d in value.split(",") if d in DAY_NAMES)


# --- the engine's entry point ------------------------------------------------------------------------------


def validate(kind: str, text: str, *, today: date, locale: str = "fr") -> Valid | None:
    if kind == "hour":
        return parse_hour(text)
    if kind == "timezone":
        return parse_timezone(text)
    if kind == "date":
        return parse_date(text, today, locale)
    if kind == "days":
        return parse_days(text, locale)
    raise ValueError(f"unknown validator {kind!r}")


def suggestions(kind: str, *, today: date, locale: str = "fr", country: str | None = None) -> tuple[Suggestion, ...]:
    if kind == "hour":
        return tuple(Suggestion(h, h) for h in HOUR_SUGGESTIONS)
    if kind == "timezone":
        return timezone_suggestions(country)
    if kind == "date":
        return date_suggestions(today, locale)
    return ()
