"""Spotting free text that may identify a patient, so the user can pseudonymise it before it is stored.

Professional secrecy: a therapist should not type a patient's name, birth date, phone, email or address
into a bot. This is a warning, not a filter: the user may keep the text as written. Pseudonyms ("patient A",
"Mme X", "M. B") are what we suggest, so a single capital letter after a title is not flagged.
"""

from __future__ import annotations

import re

_NAME = r"[A-ZÀ-Ý][a-zà-ÿ'’-]{1,}(?:[ -][A-ZÀ-Ý][a-zà-ÿ'’-]+)?"
_TITLE = re.compile(
    r"\b(?:M\.|Mr\.?|Mrs\.?|Ms\.?|Mme\.?|Mlle\.?|Monsieur|Madame|Mademoiselle|Dr\.?|Docteur|"
    r"(?:mon |ma |my |le |la |the |un |une |a )?(?:patiente?|client(?:e)?|patient))\s+(" + _NAME + r")"
)
_DATE = re.compile(
    r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2})\b"
    r"|\b(?:née?|born)\s+(?:le\s+|on\s+)?\d{1,2}(?:er)?\s+[a-zéû]+\.?\s+(?:19|20)\d{2}\b",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<!\d)(?:\+\d{1,3}[\s.-]?)?(?:\(?0?\d\)?[\s.-]?)(?:\d{2}[\s.-]?){4}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_STREET = re.compile(
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|place|impasse|allée|allee|quai|"
    r"route|street|st\.|road|rd\.|lane|drive)\b",
    re.IGNORECASE,
)
_STREET_EN = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Boulevard|Blvd)\b"
)
# Words that follow "patient" without being a name (sentence starts, common nouns in capitals).
_NOT_NAMES = frozenset({"Il", "Elle", "He", "She", "They", "Ils", "Elles", "Je", "I", "Et", "And", "Mais", "But"})


def identifying_details(text: str) -> list[str]:
    """Which kinds of identifying detail the text seems to hold (empty when none): never the details."""
    found: list[str] = []
    for match in _TITLE.finditer(text):
        name = match.group(1)
        if name.split()[0] not in _NOT_NAMES:
            found.append("name")
            break
    if _DATE.search(text):
        found.append("date_of_birth")
    if _EMAIL.search(text):
        found.append("email")
    elif _PHONE.search(text):
        found.append("phone")
    if _STREET.search(text) or _STREET_EN.search(text):
        found.append("address")
    return found
