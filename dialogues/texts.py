"""Localised texts: English and French, the French in both forms of address."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from dialogues.markup import escape

Locale = Literal["fr", "en"]
Address = Literal["vous", "tu"]
LOCALES: tuple[Locale, ...] = ("fr", "en")
TEXT_KEYS = frozenset({"en", "fr", "fr_vous", "fr_tu"})
MISSING_VALUE = "—"


@dataclass(frozen=True)
class Context:
    """Who the text is rendered for; the engine never reads this from anywhere else."""

    locale: Locale = "fr"
    address: Address = "vous"
    vars: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Text:
    """One user-visible text in every variant; built only through `parse_text`, so it is complete."""

    en: str
    fr_vous: str
    fr_tu: str
    shared_fr: bool = False  # one `fr` for both forms: the checker makes sure it addresses no one

    def variant(self, locale: Locale, address: Address) -> str:
        if locale == "en":
            return self.en
        return self.fr_tu if address == "tu" else self.fr_vous

    def variants(self) -> dict[str, str]:
        return {"en": self.en, "fr_vous": self.fr_vous, "fr_tu": self.fr_tu}

    def render(self, ctx: Context, values: Mapping[str, object] | None = None) -> str:
        """The text for this reader, as light markup (dialogues/markup.py): the text's own *bold* and _italic_
        stay markup, the values put into it (what people wrote among them) read as written."""
        template = self.variant(ctx.locale, ctx.address)
        if "{" not in template and "}" not in template:
            return template  # as fill would return it, without first merging the values (most texts have none)
        return fill(template, {**(values or {}), **ctx.vars}, ctx.locale, markup=True)


class TextError(ValueError):
    pass


def parse_text(raw: object) -> Text:
    """Read a text from a dialogue file; the message says what is missing, for the checker's report."""
    if isinstance(raw, str):
        raise TextError("a bare string has no translation: give en and fr (or fr_vous and fr_tu)")
    if not isinstance(raw, Mapping):
        raise TextError(f"a text must be a mapping of languages, not {type(raw).__name__}")
    unknown = set(raw) - TEXT_KEYS
    if unknown:
        raise TextError(f"unknown language key(s) {sorted(unknown)}; use en, fr, fr_vous, fr_tu")
    for key, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise TextError(f"{key} must be a non-empty string")
    if "en" not in raw:
        raise TextError("missing translation: en")
    if "fr" in raw and ("fr_vous" in raw or "fr_tu" in raw):
        raise TextError("give either fr, or fr_vous and fr_tu, not both")
    if "fr" in raw:
        return Text(en=raw["en"], fr_vous=raw["fr"], fr_tu=raw["fr"], shared_fr=True)
    missing = [k for k in ("fr_vous", "fr_tu") if k not in raw]
    if missing:
        raise TextError(f"missing translation: {', '.join(missing)} (or one fr for both)")
    return Text(en=raw["en"], fr_vous=raw["fr_vous"], fr_tu=raw["fr_tu"])


class _Values(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return MISSING_VALUE


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        return escape(super().format_field(value, format_spec))


_FORMATTER = string.Formatter()
_ESCAPING_FORMATTER = _EscapingFormatter()


def _show(value: object, locale: str) -> object:
    if isinstance(value, float):
        shown = f"{value:.2f}".rstrip("0").rstrip(".")
        return shown.replace(".", ",") if locale == "fr" else shown
    return value


def fill(template: str, values: Mapping[str, object], locale: str = "en", *, markup: bool = False) -> str:
    """Put collected values into a text; a name never collected shows as a dash, never a crash.

    With `markup`, the template is light markup (dialogues/markup.py) and each value is escaped in it, so a
    value's asterisks and underscores are shown, never read as emphasis."""
    if "{" not in template and "}" not in template:
        return template
    safe = _Values({k: _show(v, locale) for k, v in values.items() if v is not None})
    try:
        return (_ESCAPING_FORMATTER if markup else _FORMATTER).vformat(template, (), safe)
    except (ValueError, IndexError, KeyError, AttributeError):
        return template


_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


def placeholders(template: str) -> set[str]:
    return set(_PLACEHOLDER.findall(template))
