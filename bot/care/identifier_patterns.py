"""Patterns of the patient-identifier guard that read numbers and structure: emails, handles and plates, phone
and record numbers (with their check digits), birth dates, street addresses. Names and context are read in
bot/care/identifiers.py."""

from __future__ import annotations

import datetime
import re


def _words(text: str) -> frozenset[str]:
    """A word list written as one string, which keeps long lists readable."""
    return frozenset(text.split())


# ---------------------------------------------------------------------------------------------------------------
# Emails, handles, plates
# ---------------------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}")
_EMAIL_SPELT = re.compile(
    r"\b[\w.-]+\s?(?:\(at\)|\[at\]|\{at\}| at | arobase )\s?[\w-]+\s?(?:\.|\(dot\)|\[dot\]| dot | point )\s?"
    r"(?:com|fr|be|ch|ca|uk|org|net|co\.uk)\b",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,28}[A-Za-z0-9_])?(?![\w@])")
_SOCIAL_URL = re.compile(
    r"\b(?:facebook|fb|instagram|tiktok|twitter|x|linkedin|snapchat|youtube|onlyfans)\.com/(?!\s)[\w.@-]+",
    re.IGNORECASE,
)
# "insta : lili_danse91", "son pseudo Twitch c'est darkangel93": a handle needs a digit, "_" or "." to be one.
_HANDLE_KEY = re.compile(
    r"\b(?:insta(?:gram)?|snap(?:chat)?|tik\s?tok|twitter|facebook|fb|twitch|discord|pseudo|username|user\s?name"
    r"|handle)\b\s*(?:is|est|c['’]est|:|=)?\s*(?P<handle>(?=[\w.]*(?:\d|_|\.\w))[A-Za-z][\w.]{2,29})\b",
    re.IGNORECASE,
)
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
_PLATE = re.compile(
    r"\b[A-HJ-NP-TV-Z]{2}[- ]\d{3}[- ][A-HJ-NP-TV-Z]{2}\b"  # France since 2009: AB-123-CD
    r"|\b[1-9]-[A-Z]{3}-\d{3}\b"  # Belgium: 1-ABC-234
    r"|\b[A-Z]{2}\d{2}\s[A-Z]{3}\b"  # Great Britain: AB12 CDE
    r"|\b\d{2,4}\s[A-Z]{2,3}\s(?:\d{2}|2[AB])\b"  # France before 2009: 1234 AB 56
)
_PLATE_KEY = re.compile(
    r"\b(?:plaques?(?:\s+d['’]immatriculation)?|immat(?:riculation)?|(?:number\s+|licen[cs]e\s+|registration\s+)?"
    r"plates?|reg|registration)\b[^\w\n]{0,4}(?:(?:of|de|du|sa|son|his|her|the|la|le|voiture|car|number|est|is)"
    r"\W{0,3}){0,3}(?P<code>(?=[A-Z0-9 -]{4,10}\b)(?=[A-Z0-9 -]*\d)(?=[A-Z0-9 -]*[A-Z])[A-Z0-9]+(?:[ -][A-Z0-9]+)"
    r"{0,2})\b",
    re.IGNORECASE,
)

# ---------------------------------------------------------------------------------------------------------------
# Numbers: identifiers and phones
# ---------------------------------------------------------------------------------------------------------------

# The NIR (French social security number): sex, year, month, département (2A/2B in Corsica), commune, order, key.
# The key (97 - number mod 97) is not required: people retyping a number, and writers of examples, get it wrong,
# and a NIR-shaped number with a wrong key is still one to keep out of the bot.
_NIR = re.compile(
    r"(?<![\w+])[1-478][ .-]?\d{2}[ .-]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .-]?(?:\d{2}|2[AaBb])[ .-]?\d{3}[ .-]?\d{3}"
    r"(?:[ .-]?\d{2})?(?!\w)"
)
_BELGIAN_NN = re.compile(r"(?<!\d)\d{2}\.?\d{2}\.?\d{2}[- ]\d{3}\.?\d{2}(?!\d)")
_SWISS_AVS = re.compile(r"(?<!\d)756[. ]?\d{4}[. ]?\d{4}[. ]?\d{2}(?!\d)")
_US_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
_UK_NINO = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b")
_RAMQ = re.compile(r"\b[A-Z]{4}\s?\d{2}(?:0[1-9]|1[0-2]|5[1-9]|6[0-2])\s?\d{4}\b")
_STRUCTURED_IDS = (_NIR, _BELGIAN_NN, _SWISS_AVS, _US_SSN, _UK_NINO, _IBAN, _RAMQ)

# Keywords that announce a record number. The specific ones need 3 digits after them, the generic ones 4 or 5.
_ID_KEY_SPECIFIC = re.compile(
    r"\b(?:IPP|NDA|NIP|INS|NIR|MRN|NHS|CHI|SSN|SIN|NAS|NINO|RAMQ|OHIP|RiO|EMIS|SystmOne|matricule|immatriculation"
    r"|sécu|secu|sécurité\s+sociale|securite\s+sociale|social\s+security|national\s+insurance|carte\s+vitale"
    r"|allocataire|medicare|medicaid|health\s+card|passport|passeport|CPAM)\b",
    re.IGNORECASE,
)
_ID_KEY_GENERIC = re.compile(
    r"\b(?:dossier|séjour|sejour|identifiant|hospital|record|case|ref|réf|reference|référence|id|chart|file|unit"
    r"|insurance|policy|member|adhérent|adherent|mutuelle|CAF)\b",
    re.IGNORECASE,
)
_ID_KEY_NUMBER = re.compile(r"(?:\b(?:numéro|numero|number|n°|nº|no\.|num\.?)|#)", re.IGNORECASE)
_ID_KEYS = ((_ID_KEY_SPECIFIC, 3), (_ID_KEY_GENERIC, 4), (_ID_KEY_NUMBER, 5))
_ID_TAIL = re.compile(
    r"(?:[\s:#°º.,'’(-]*(?:numbers?|num|nos?|n°|nº|numéro|numero|de|du|d|is|est|c|le|la|ref|id|code|of|hospitalier"
    r"|hospitalière|patient|sa|son|his|her|their|leur|admission|entrée|séjour|sejour|hospitalisation|venue|épisode"
    r"|episode|encounter|visit|at|au|à|the|du|(?-i:[A-Z]{2,6}))\b)*[\s:#°º.,'’(-]*"
    r"(?P<code>#?[A-Za-z]{0,5}[-\s]?\d[\dA-Za-z]*(?:[-/.][\dA-Za-z]+)*(?:\s\d{2,4}\b)*)",
    re.IGNORECASE,
)

# A run of digits with the separators people type inside phone numbers.
_RUN = re.compile(
    r"(?<![\w/.,+-])(?P<plus>\+\s?|00(?=[1-9]\d{0,2}[\s.-]))?(?:\(\d{1,4}\)\s?)?\d+"
    r"(?:(?:[ .\u00a0-]|/(?=\d))?(?:\(\d{1,4}\)\s?)?\d+)*(?![\w/]|[.,]\d)"
)
_UNIT_AFTER = re.compile(
    r"\s?(?:€|\$|£|euros?|eur|dollars?|livres?|pounds?|mg|g|kg|km|m|cm|ml|l|pas|steps|vues|views|abonnés|followers"
    r"|habitants|inhabitants|personnes|people|ans|years|jours|days|semaines|weeks|mois|months|séances|sessions|fois"
    r"|times|heures|hours|minutes|pages|mots|words|%)(?!\w)",
    re.IGNORECASE,
)

# Crisis and help lines the bot itself hands out: repeating them back must never look like a patient's number.
_HELPLINES = _words(
    """
    3114 15 17 18 112 115 119 116123 116111 116117 116006 988 999 111 911 143 147 1813 85258 0972394050 0145394000
    0140444645 0805232336 0800858858 080032123 0800235236 0800111111 08001111 18002738255 8002738255 18664563663
    18334564566
    """
)
_NANP_TOLL_FREE = _words("800 888 877 866 855 844 833 900")


def _nhs_valid(digits: str) -> bool:
    """The NHS number's mod-11 check digit (weights 10 down to 2)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _looks_like_date(groups: list[str]) -> bool:
    lengths = [len(g) for g in groups]
    return len(groups) == 3 and ((lengths[2] in (2, 4) and max(lengths[:2]) <= 2) or lengths == [4, 2, 2])


def _is_phone(digits: str, groups: list[str], plus: bool) -> bool:
    """Whether a digit run reads as a phone number in the countries our users live in, or any with a +code."""
    if digits in _HELPLINES:
        return False
    if plus:
        # Premium and free numbers (+33 8, +32 800, +44 800) belong to services, not to patients.
        return 8 <= len(digits) <= 15 and not digits.startswith(("338", "3280", "4480", "4487"))
    if digits.startswith("00"):
        return len(groups) > 1 and 11 <= len(digits) <= 15
    if digits[0] == "0":
        if digits[1] == "8" and not (len(digits) == 9 and digits[2] != "0" and len(groups) > 1):
            return False  # free and premium numbers: help lines and firms (not Belgian landlines: 081 22 33 44)
        if len(digits) == 10:
            return True  # France, Belgian mobiles, Switzerland
        if len(digits) == 9:
            return len(groups) > 1  # Belgian landlines: 02 512 34 56
        return len(digits) == 11 and digits[1] in "127"  # United Kingdom
    if len(digits) == 11 and digits[0] == "1":
        return digits[1:4] not in _NANP_TOLL_FREE and digits[1] not in "01"
    if len(digits) == 10 and digits[0] not in "01":
        # North America. Writers of examples use the fictional 555 exchanges, so the exchange is not checked.
        return digits[:3] not in _NANP_TOLL_FREE and (len(groups) > 1 or not _nhs_valid(digits))
    return False


# Numbers that belong to the practice, a shop or a book, not to a patient: "facture n° 2024-0312", "ISBN 978-2-...",
# "mon numéro ADELI", "order #4581233".
_NOT_A_PATIENTS = re.compile(
    r"\b(?:factures?|invoices?|devis|quote|receipt|reçu|commande|order|isbn|vol|flight|ticket|billet|colis|parcel"
    r"|tracking|siret|siren|rpps|adeli|tva|vat|finess|ape|naf)\b[^\d\n]{0,16}$",
    re.IGNORECASE,
)


def _scan_numbers(text: str, found: set[str]) -> None:
    """Phones and identifiers among the digit runs (emails, handles and structured numbers already masked)."""
    for match in _RUN.finditer(text):
        run = match.group(0)
        digits = re.sub(r"\D", "", run)
        if len(digits) < 7 or _NOT_A_PATIENTS.search(text, max(0, match.start() - 30), match.start()):
            continue
        groups = re.findall(r"\d+", run)
        plus = bool(match.group("plus"))
        if not plus and (_looks_like_date(groups) or all(len(g) == 4 and g[:2] in ("19", "20") for g in groups)):
            continue  # a date, or a list of years
        lengths = [len(g) for g in groups]
        if not plus and _nhs_valid(digits) and lengths in ([10], [3, 3, 4]):
            found.add("id_number")
        elif _is_phone(digits, groups, plus):
            found.add("phone")
        elif plus or digits in _HELPLINES or _UNIT_AFTER.match(text, match.end()):
            continue
        elif len(groups) > 1 and (
            (digits[0] == "0" and 9 <= len(digits) <= 11)
            or (digits[-10:-7] in _NANP_TOLL_FREE and len(digits) in (10, 11))
        ):
            continue  # a service's number (0300, 0800, 1-800): help lines, not patients
        elif len(digits) >= 11 or len(groups) == 1:
            found.add("id_number")  # long numbers in a therapist's message are identifiers, not quantities


def _has_keyed_id(text: str) -> bool:
    """A record number announced by a keyword (IPP, MRN, n° de dossier...): it can be short or alphanumeric."""
    for pattern, min_digits in _ID_KEYS:
        for match in pattern.finditer(text):
            tail = _ID_TAIL.match(text, match.end(), min(len(text), match.end() + 48))
            if tail is None or _NOT_A_PATIENTS.search(text, max(0, match.start() - 30), tail.start("code")):
                continue
            code = tail.group("code").strip()
            digits = re.sub(r"\D", "", code)
            if len(digits) < min_digits or digits in _HELPLINES or re.fullmatch(r"(?:19|20)\d{2}", code):
                continue
            if code.isdigit() and _UNIT_AFTER.match(text, tail.end()):
                continue
            return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# Dates of birth
# ---------------------------------------------------------------------------------------------------------------

_MONTHS = (
    r"(?:janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
    r"|janv|févr|fevr|avr|juil|sept|oct|nov|déc|dec|january|february|march|april|may|june|july|august|september"
    r"|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep)\.?"
)
_DAY_WORDS = (
    r"(?:premier|un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize"
    r"|dix[- ]sept|dix[- ]huit|dix[- ]neuf|vingt(?:[- ]et[- ]un|[- ](?:deux|trois|quatre|cinq|six|sept|huit|neuf))?"
    r"|trente(?:[- ]et[- ]un)?|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
    r"|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth"
    r"|twenty[- ](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirty[- ]first)"
)
_DATE_EXPR = (
    r"(?:\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?"
    r"|(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}"
    r"|(?:the\s+)?(?:\d{1,2}(?:er|st|nd|rd|th)?|" + _DAY_WORDS + r")(?:\s+of)?\s+" + _MONTHS + r"(?:,?\s+\d{2,4})?"
    r"|" + _MONTHS + r"\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{2,4})?"
    r"|" + _MONTHS + r"\s+(?:19|20)\d{2})"
)
# A date with its year: a day and month alone ("le 12 mai", "05/21") is an appointment or an anniversary.
_YEAR = r"(?:(?:19|20)\d{2}|['’]?\d{2})\b(?!\s*(?:(?:ans|an|years?|h|heures|hours|mg)\b|:|%))"
_DATE_WITH_YEAR = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}"
    rf"|(?:the\s+)?(?:\d{{1,2}}(?:er|st|nd|rd|th)?|{_DAY_WORDS})(?:\s+of)?\s+{_MONTHS},?\s+{_YEAR}"
    rf"|{_MONTHS}\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}|{_MONTHS}\s+(?:19|20)\d{{2}}"
    rf"|(?:19|20)\d{{2}},?\s+(?:le\s+|on\s+)?(?:the\s+)?(?:\d{{1,2}}(?:er|st|nd|rd|th)?|{_DAY_WORDS})(?:\s+of)?\s+{_MONTHS})"
)
# A label that says the date is a birth date (DOB, ddn, date de naissance): the date may lack its year. A word that
# tells of a birth (né, born, birthday): the date needs its year, or it is a birthday like any other date.
# "né/née" is never the bare "ne" of French negation. An age then a day ("fête ses 40 ans le 12 mars") is a birth.
_BIRTH = re.compile(
    r"(?:\bdob\b|\bd\.o\.b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s?date\b|\bdate\s+(?:de\s+)?naissance\b|\bddn\b"
    r"|\b(?-i:DN)\b|\bd\.d\.n\b\.?|\bdate\s+naiss\b|\bnaissance\s*:|\bb\.(?=\s?\d)|\b(?:fête|fêtera|fetera|fete)\s+ses"
    r"\s+\d{1,3}\s+ans|\baura\s+\d{1,3}\s+ans|\bturns\s+\d{1,3}\s+on|\bwill\s+be\s+\d{1,3}\s+on)"
    r"[^.!?\n]{0,24}?\b" + _DATE_EXPR + r"|(?:\bn(?:é|ée|és|ées|ee|ees)\b|\bné\(e\)|\bborn\b"
    r"|\bbirthday\s*(?::|is|was|falls|on)|\banniversaire\s*(?::|est|c['’]est|tombe))[^.!?\n]{0,24}?\b"
    + _DATE_WITH_YEAR,
    re.IGNORECASE,
)
_FULL_DATE = re.compile(r"(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-]((?:19|20)\d{2})(?![\d/.-])")
# Words shortly before a full date that make it an event rather than a birth.
_EVENT_BEFORE = re.compile(
    r"\b(?:le|du|au|depuis|since|on|from|until|till|to|après|apres|avant|before|after|entre|between|et|and|dès|leave"
    r"|congé|conge|accident|rta|décès|deces|death|died|divorce|mariage|wedding|married|admission|admitted"
    r"|hospitalisation|hospitalization|arrêt|arret|sortie|discharged|rdv|appointment|séance|seance|session"
    r"|diagnostic|diagnosis|diagnosed|agression|assault|licenciement|perte|loss)\b",
    re.IGNORECASE,
)


def _has_birth_date(text: str) -> bool:
    if _BIRTH.search(text):
        return True
    # A full date with a year old enough to be a birth, set apart after a person ("Mr X, 09-07-1980, anxiety").
    this_year = datetime.date.today().year
    for match in _FULL_DATE.finditer(text):
        if not this_year - 100 <= int(match.group(1)) <= this_year - 14:
            continue
        before = text[max(0, match.start() - 40) : match.start()]
        if re.search(r"[,(]\s*$", before) and not _EVENT_BEFORE.search(before):
            return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------------------------------

_FR_STREET = (
    r"rue|avenue|av\.|boulevard|boul\.?|blvd|bvd|bd|bld|impasse|allée|allee|quai|chemin|chaussée|chaussee|faubourg|fbg"
    r"|drève|dreve"
    r"|ruelle|venelle|sentier|esplanade|parvis|lotissement|lieu-dit"
)
# Street words that are also common nouns ("3 places", "2 cours de yoga"): a capitalised name must follow.
_FR_STREET_AMBIGUOUS = (
    r"place|cours|route|passage|square|voie|cité|cite|résidence|residence|hameau|promenade|rang|montée"
)
_OF = r"(?:(?:de\s+la|de\s+l['’]|du|des|de|d['’])\s*)?"
_EN_STREET = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Grove|Crescent|Cres|Close|Court|Ct|Place|Pl|Square|Sq|Terrace"
    r"|Terr|Gardens|Gdns|Way|Walk|Row|Mews|Hill|Park|Rise|View|Green|Parade|Boulevard|Blvd|Highway|Hwy|Parkway|Pkwy"
    r"|Circle|Cir|Trail|Wharf|Yard|Vale|Gate|Broadway|Embankment|Grange|Meadows?|Heights|Chase|Fields?"
)
_US_STATES = (
    r"AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK"
    r"|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
_ADDRESS_PATTERNS = (
    # 12 rue des Lilas, 7 bis avenue Jean Jaurès
    re.compile(r"\b\d{1,4}(?:\s?(?:bis|ter|[A-Da-d]))?,?\s+(?:" + _FR_STREET + r")(?!\w)", re.IGNORECASE),
    re.compile(r"\b(?:Grand|Grande)[- '’]Rue\s+\d{1,4}\b", re.IGNORECASE),
    re.compile(r"\b\d{1,4}(?:\s?(?:bis|ter|[A-Da-d]))?,?\s+(?i:" + _FR_STREET_AMBIGUOUS + r")\s+" + _OF + r"[A-ZÀ-Ý]"),
    # rue de la Station 45, avenue Louise 230, Route de Genève 12 (Belgium, Switzerland)
    re.compile(
        r"\b(?i:" + _FR_STREET + "|" + _FR_STREET_AMBIGUOUS + r")\s+" + _OF + r"[A-ZÀ-Ý][\w'’-]*"
        r"(?:\s+[A-ZÀ-Ý][\w'’-]*){0,3},?\s+(?!(?:19|20)\d\d\b)\d{1,4}[a-z]?\b"
        r"(?!\s*(?:h\b|ans|fois|min|%|€|mg|km|m\b|x\b|jours|semaines|mois|heures|days|weeks|months|times|hours))"
    ),
    # Bahnhofstrasse 17
    re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]+(?:strasse|straße|gasse|weg|platz|allee|ring)\s+\d{1,4}\b"),
    # a street word, a few words, then a postcode and a town: 8 chemin des vignes 84200 carpentras. A 4-digit
    # postcode (Belgium, Switzerland) needs a capitalised town, or "à la rue depuis 2019 et" would be an address.
    re.compile(
        r"\b(?i:" + _FR_STREET + "|" + _FR_STREET_AMBIGUOUS + r")\b[^\d\n]{2,40}?"
        r"(?:\b(?:0[1-9]|[1-8]\d|9[0-8])\d{3}\s+[A-Za-zÀ-ÿ]|\b[1-9]\d{3},?\s+[A-ZÀ-Ý][a-zà-ÿ])"
    ),
    # 221 Baker Street, 3B Victoria Street, 1150 Sherbrooke St W
    re.compile(
        r"\b\d{1,5}[A-Za-z]?,?\s+(?:(?:[NSEW]\.?|North|South|East|West)\s+)?(?:(?:[A-Z][\w'’-]*|\d{1,3}(?:st|nd|rd|th))\s+)"
        r"{1,3}(?:" + _EN_STREET + r")\b(?!-)"
    ),
    # all in lowercase: 9 mill lane
    re.compile(
        r"\b\d{1,5}[a-z]?\s+(?!(?:the|a|an|of|to|and|or|in|on|at|my|his|her|more|other|minutes?|hours?|days?|weeks?"
        r"|months?|years?|miles?|times?|mins?|kms?|doors?|blocks?)\b)(?:[a-z][\w'’-]*\s+){1,2}"
        r"(?:street|road|avenue|lane|drive|crescent|grove|terrace|boulevard)\b"
    ),
    # postcodes that cannot be anything else: UK (LS6 2AB), Canada (H3A 2B9), US state and ZIP (NY 10001)
    re.compile(r"\b[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s\d[ABD-HJLNP-UW-Z]{2}\b"),
    re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s?\d[ABCEGHJ-NPRSTV-Z]\d\b"),
    re.compile(r"\b(?:" + _US_STATES + r"),?\s+\d{5}(?:-\d{4})?\b"),
    re.compile(
        r"\b(?i:apt\.?|app\.|p\.?\s?o\.?\s?box|boîte\s+postale)\s*#?\s?\d{1,5}[A-Za-z]?\b"
        r"(?![/.:h-]?\d|\s?(?i:am|pm|h\b|heures?|hours?))|\bSuite\s+#?\d{1,5}\b"
        r"|\b(?i:apartment|flat)\s+#?\d{1,4}[A-Za-z]?\b(?!\s*(?i:bed|room|pièce|piece))"
    ),
)
