"""The operator's contact, per language: PHARE_OPERATOR_CONTACT_FR, PHARE_OPERATOR_CONTACT_EN, falling back to
PHARE_OPERATOR_CONTACT. With none, the onboarding says, in the user's language, that none was configured."""

from __future__ import annotations

from collections.abc import Mapping


class OperatorContact(str):
    """The plain contact (PHARE_OPERATOR_CONTACT), carrying the per-language ones: it goes wherever a contact
    string goes, and the speaker picks the reader's language from it."""

    by_locale: dict[str, str]

    def __new__(cls, plain: str, by_locale: Mapping[str, str | None]) -> OperatorContact:
        contact = super().__new__(cls, plain)
        contact.by_locale = {locale: value for locale, value in by_locale.items() if value}
        return contact


def contact_for(contact: str, locale: str) -> str:
    """The contact to show a reader of `locale`; "" when none is configured for them."""
    if isinstance(contact, OperatorContact):
        return contact.by_locale.get(locale) or str(contact)
    return contact
