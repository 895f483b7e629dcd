"""The operator's contact, per language: PHARE_OPERATOR_CONTACT_FR, PHARE_OPERATOR_CONTACT_EN, falling back to
PHARE_OPERATOR_CONTACT. With none, the onboarding says, in the user's language, that none was configured."""

from __future__ import annotations

LOCALES = ("fr", "en")


def contacts_by_locale(plain: str, **per_locale: str | None) -> dict[str, str]:
    """The contact to show a reader of each language: its own if given, else `plain`; "" when neither is."""
    return {locale: per_locale.get(locale) or plain for locale in LOCALES}
