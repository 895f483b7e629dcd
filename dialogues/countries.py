"""The countries Phare knows (dialogues/data/countries.yaml): names, time zones, crisis lines, emergency numbers.

One file, read once: the onboarding and settings pickers (`options_from: countries` in a dialogue), the check-in
time-zone suggestions and the crisis check all read it, so adding a country touches nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from dialogues.texts import Text, TextError, parse_text
from dialogues.yamlfile import read_yaml

COUNTRIES_FILE = Path(__file__).resolve().parent / "data" / "countries.yaml"
OTHER = "OTHER"  # "another country": the international answer


class CountryError(ValueError):
    """The countries file is malformed: nothing that reads it would be right."""


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2, upper case
    name: Text
    zones: tuple[str, ...]  # IANA time zones, the most likely first
    crisis: Text  # the crisis lines, a few bullet lines
    emergency: Text  # the emergency numbers, shown first when it is urgent
    aliases: tuple[str, ...] = ()  # other codes people or platforms use (UK for GB)


@cache
def countries(path: Path = COUNTRIES_FILE) -> dict[str, Country]:
    raw: Any = read_yaml(path)
    if not isinstance(raw, dict) or not raw:
        raise CountryError(f"{path.name}: a mapping of country codes")
    problems: list[str] = []
    found: dict[str, Country] = {}
    for code, entry in raw.items():
        where = f"{path.name}: {code}"
        if not isinstance(code, str) or len(code) != 2 or not code.isupper() or not isinstance(entry, dict):
            problems.append(f"{where}: a two-letter upper-case code with its fields")
            continue
        zones = entry.get("zones")
        if not isinstance(zones, list) or not zones or not all(isinstance(z, str) and "/" in z for z in zones):
            problems.append(f"{where}: zones must list IANA time zones")
            continue
        texts: dict[str, Text] = {}
        for field in ("names", "crisis", "emergency"):
            try:
                texts[field] = parse_text(entry.get(field))
            except TextError as exc:
                problems.append(f"{where} {field}: {exc}")
        if len(texts) == 3:
            aliases = tuple(str(a).upper() for a in entry.get("aliases") or ())
            found[code] = Country(code, texts["names"], tuple(zones), texts["crisis"], texts["emergency"], aliases)
    if problems:
        raise CountryError("; ".join(problems))
    return found


def country_of(code: str | None) -> Country | None:
    """The country a stored code names (aliases and case forgiven); None when unknown, unset or "another"."""
    wanted = (code or "").strip().upper()
    known = countries()
    if wanted in known:
        return known[wanted]
    return next((c for c in known.values() if wanted in c.aliases), None)
