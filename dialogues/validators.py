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

from dialogues.numbers import fold

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

_HOUR = re.compile(
    r"^(?:a\s+|at\s+|vers\s+)?(\d{1,2})\s*(?:(?:h|:|\.|heures?)\s*(\d{2})?)?\s*(am|pm|a\.m\.|p\.m\.)?\s*(?:h)?$"
)
_HOUR_WORDS = {"midi": "12:00", "noon": "12:00", "minuit": "00:00", "midnight": "00:00"}


def parse_hour(text: str) -> Valid | None:
    """'8', '8h', '8h30', '08:30', '20.15', '8 pm', '8:30am', 'midi' → 'HH:MM'."""
    folded = re.sub(r"\s+", " ", fold(text))
    if folded in _HOUR_WORDS:
        value = _HOUR_WORDS[folded]
        return Valid(value, value)
    match = _HOUR.match(folded)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridian = (match.group(3) or "").replace(".", "")
    if meridian:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridian == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    value = f"{hour:02d}:{minute:02d}"
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
