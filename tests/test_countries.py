"""The countries file (dialogues/data/countries.yaml) is the one place a country lives."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.care.detector import CrisisDetector
from dialogues.countries import CountryError, countries, country_of
from dialogues.loader import load_library
from dialogues.texts import Context
from dialogues.validators import timezone_suggestions

FR, EN = Context("fr", "vous"), Context("en")


@pytest.mark.parametrize("code", list(countries()))
def test_each_country_is_complete(code: str) -> None:
    country = countries()[code]
    for zone in country.zones:
        ZoneInfo(zone)  # a real IANA zone
    for ctx in (FR, EN):
        assert country.name.render(ctx)
        assert re.search(r"\d{2,}", country.crisis.render(ctx)), "the lines have numbers"
        assert re.search(r"\d{2,}", country.emergency.render(ctx)), "so do the emergency numbers"


@pytest.mark.parametrize("dialogue", ["onboarding", "settings"])
def test_the_pickers_offer_every_country_then_another(dialogue: str) -> None:
    step = load_library().get(dialogue).steps["country"]
    assert [o.id for o in step.options] == [c.lower() for c in countries()] + ["other"]
    for option, code in zip(step.options, countries(), strict=False):
        assert [(e.set, e.value) for e in option.effects] == [("country", code)]


@pytest.mark.parametrize("code", list(countries()))
def test_the_crisis_reply_and_the_time_zone_come_from_the_file(code: str) -> None:
    country = countries()[code]
    detector = CrisisDetector.load()
    for ctx in (FR, EN):
        assert country.crisis.render(ctx) in detector.resources(code, ctx)
        urgent = detector.resources(code, ctx, "urgent")
        assert urgent.index(country.emergency.render(ctx)) < urgent.index(country.crisis.render(ctx))
    assert timezone_suggestions(code)[0].value == country.zones[0]


def test_aliases_and_case_are_forgiven() -> None:
    assert country_of("uk") is countries()["GB"]
    assert country_of("fr") is countries()["FR"]
    assert country_of("OTHER") is None and country_of(None) is None


def test_a_malformed_file_is_refused_with_where(tmp_path: Path) -> None:
    path = tmp_path / "countries.yaml"
    path.write_text("XX:\n  zones: [Nowhere]\n", encoding="utf-8")
    with pytest.raises(CountryError, match="XX"):
        countries(path)


def test_a_new_country_is_one_entry(tmp_path: Path) -> None:
    source = (Path(__file__).parent.parent / "dialogues" / "data" / "countries.yaml").read_text(encoding="utf-8")
    path = tmp_path / "countries.yaml"
    path.write_text(
        source + "LU:\n  names: {en: Luxembourg, fr: Luxembourg}\n  zones: [Europe/Luxembourg]\n"
        "  crisis: {en: '• 454545 — SOS Détresse', fr: '• 454545 — SOS Détresse'}\n"
        "  emergency: {en: '• 112', fr: '• 112'}\n",
        encoding="utf-8",
    )
    assert countries(path)["LU"].zones == ("Europe/Luxembourg",)
