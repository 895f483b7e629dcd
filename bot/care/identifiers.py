"""Spotting free text that may identify a patient, so the user can pseudonymise it before it is stored.

Professional secrecy: a therapist should not type a patient's name, birth date, phone, email, address or record
number into a bot. This is a warning, not a filter: the user may keep the text as written. Pseudonyms ("patient A",
"Mme X", "M. B") are what we suggest, so a single capital letter after a title is not flagged.

Kinds returned: "name", "date_of_birth", "email", "phone", "address", "id_number" (social security, hospital and
insurance numbers), "handle" (social accounts, licence plates) and "context" (a unique role in a small place or a
named school, which points to one person as surely as a name does).

Every free-text answer goes through this, so it stays cheap: regular expressions, one word list read once, and a
few checks on the structure of numbers (phone plans per country, the NIR's fields, the NHS check digit) so that
scores, doses, times, prices, years and the crisis lines the bot hands out stay quiet.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from bot.care.identifier_context import has_identifying_context
from bot.care.identifier_patterns import (
    _ADDRESS_PATTERNS,
    _EMAIL,
    _EMAIL_SPELT,
    _HANDLE,
    _HANDLE_KEY,
    _PLATE,
    _PLATE_KEY,
    _SOCIAL_URL,
    _STRUCTURED_IDS,
    _URL,
    _has_birth_date,
    _has_keyed_id,
    _scan_numbers,
    _words,
)
from bot.care.identifier_words import (
    _DESCRIPTORS,
    _DETERMINERS,
    _ELISIONS,
    _EN_SUFFIXES,
    _FAMILY,
    _FAMOUS_SURNAMES,
    _NON_PERSON_TAILS,
    _NOT_NAME_ENDINGS,
    _NOT_NAMES,
    _PLACE_HEADS,
    _PUBLIC_FIGURES,
    _STOP,
    _TITLE_NOT_NAMES,
)

_NAMES_FILE = Path(__file__).with_name("first_names.txt")


@dataclass(frozen=True, slots=True)
class _NameList:
    plain: frozenset[str]  # a name in any case and position
    wordlike: frozenset[str]  # also a common word: lowercase or sentence-initial, it needs a person's context
    contextual: frozenset[str]  # also a place, brand, month or virtue: a name only with a person's context


@functools.cache
def _names() -> _NameList:
    """The first-name list, read once: a few thousand lines that every message needs."""
    plain: set[str] = set()
    wordlike: set[str] = set()
    contextual: set[str] = set()
    for raw in _NAMES_FILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("!"):
            contextual.add(line[:-1])
        elif line.endswith("*"):
            wordlike.add(line[:-1])
        else:
            plain.add(line)
    return _NameList(frozenset(plain), frozenset(wordlike), frozenset(contextual))


@functools.cache
def _public_figures() -> dict[str, tuple[tuple[tuple[str, ...], int], ...]]:
    """Public figures keyed by each of their words (with its position), longest first, to match a citation whole."""
    by_word: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for figure in _PUBLIC_FIGURES.split(","):
        words = tuple(w for w in re.split(r"[\s'’-]+", figure.strip()) if w)
        for position, word in enumerate(words):
            by_word.setdefault(word, []).append((words, position))
    return {k: tuple(sorted(v, key=lambda fp: len(fp[0]), reverse=True)) for k, v in by_word.items()}


# ---------------------------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------------------------

_TITLE = re.compile(
    r"(?<![\w.@'’-])(?P<title>(?:M|MM)(?=\.)|(?-i:M)(?=\s(?-i:[A-ZÀ-Ý][a-zà-ÿ]))|Mr|Mrs|Ms|Mx|Mme|Mmes|Mlle|Mlles|Dr|Dre|Drs|Dres|Pr|Pre|Prof|Mgr|Rev"
    r"|Revd|Sgt|Cpl|Lt|Capt|Cllr|Insp|Det|Fr|Sr|Me|Madame|Monsieur|Mademoiselle|Miss|Docteure?|Doctor|Professeure?"
    r"|Professor|Maître|Maitre|Reverend|Révérend|Rabbi|Rabbin|Pastor|Pasteure?|Imam|Abbé|Sergeant|Sergent|Captain"
    r"|Capitaine|Lieutenant|Detective|Inspect(?:or|eur|rice)|Commissaire|Officer|Judge|Juge|Council?lor|Senator|Sénat(?:eur|rice)"
    r"|Nurse|Coach|Father|Sister|Brother|Père|S(?:œ|oe)ur|Frère|Dame|Sir|Lady|Lord)"
    # a dot may be glued to the name ("m.bérubé", "Dr.Lemieux"); without one, a space must follow
    r"(?P<dot>\.)?(?(dot)\s*|\s+)"
    # an initial before the surname: "Mme M. Vasseur", "Mr J Fletcher" (a lone initial is a pseudonym: "M. B")
    r"(?:(?-i:[A-Z])\.?\s+(?=(?-i:[A-ZÀ-Ý][a-zà-ÿ'’])))?"
    r"(?P<name>(?:O['’]|Mc|Mac|D['’]|N['’]|Le\s|La\s|De\s|Van\s|Von\s)?[^\W\d_][\w'’-]*)",
    re.IGNORECASE,
)
# Abbreviated titles are only ever followed by a name, so a lowercase name after them still counts ("m. haddad").
_SHORT_TITLES = _words("m. mr mr. mrs mrs. mme mme. mlle mlle. mlles mlles. mmes mmes. mm. dre dre. dr. ms. mx. pr.")
# Full titles that may be typed in lowercase before a lowercase name, when a verb then shows a person is meant.
_LOWERCASE_TITLES = _words("madame monsieur mademoiselle dr docteur docteure doctor ms")
# Lowercase titles that are still titles before a capitalised name ("madame Leclercq", "docteur Fontaine").
_LOWERCASE_BEFORE_CAPITAL = _words("madame monsieur mademoiselle docteur docteure dr dre professeur professeure")
# Titles that are also words or ranks (Father, Nurse, Coach, Lady, "Me" for Maître): a name only when both the
# title and the name are capitalised, or after "le", "la" for the clergy ("le père Girard").
_WORD_TITLES = _words(
    """
    mgr rev revd sgt cpl lt capt cllr insp det fr sr me reverend révérend rabbi rabbin pastor pasteur pasteure
    imam abbé sergeant sergent captain capitaine lieutenant detective inspector inspecteur inspectrice officer judge
    juge councillor councilor senator sénateur sénatrice nurse coach father sister brother père sœur soeur frère
    dame sir lady lord commissaire
    """
)
# Of those, the ones French writes in lowercase after an article: "le père Girard", "le juge Martinez".
_AFTER_ARTICLE = _words(
    "père sœur soeur frère abbé pasteur pasteure rabbin imam juge capitaine lieutenant inspecteur inspectrice"
    " commissaire"
)

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SENTENCE_BREAK = re.compile(r"[.!?:;«»\"“”(\n•]|(?:^|\s)[-–*]\s")

# Words just before a name that say a person is meant. Strong ones suffice for a capitalised word we do not know.
_STRONG_INTROS = _words(
    """
    ma|patiente mon|patient ma|cliente mon|client my|client my|patient my|clients our|client our|patient séance|avec
    séances|avec seance|avec rendez|vous|avec rdv|avec entretien|avec consultation|avec je|reçois je|recois
    session|with sessions|with appointment|with dear cher chère chere chers chères s'appelle se|prénomme prénommée
    prénommé atteste|suivre her|name|is his|name|is their|name|is she's|called he's|called named la|famille
    famille
    """
)
# Words that address someone: a name that is also a word or a place is a person after them ("lettre à Justine",
# "letter to Jordan"), but an unknown capitalised word may be an office ("letter to Social Services").
_ADDRESS_INTROS = _words(
    """
    lettre|à lettre|a lettre|pour letter|to letter|for note|to note|for mot|à mot|a mot|pour message|à message|a
    message|pour message|to message|for email|to mail|à mail|a courriel|à texto|à text|to écrire|à ecrire|à écrire|a
    écris|à write|to writing|to wrote|to dire|à dire|a annoncer|à expliquer|à répondre|à tell told reply|to
    respond|to answer|to say|to thank remind ask asked
    """
)
_WEAK_INTROS = _words(
    """
    avec with petit petite little young jeune j'ai|vu je|vois i|see i|saw seeing i'm|seeing pour for chez suivre
    suis reçu accompagne patient patiente client cliente the|patient the|client le|patient la|patiente called
    """
)
# What people do in session reports: after a word, it makes the word a person.
_PERSON_VERB = re.compile(
    r"\s*(?:m['’]a\b|m['’]avait\b|m\s?a\s+(?:dit|raconté|demandé|appelée?|écrit|confié|avoué|parlé|expliqué|envoyé"
    r"|texté|redit|répondu)\b|me\s+(?:dit|demande|raconte|parle|fait|confie|reproche|teste|écrit|ecrit)\b"
    r"|m['’](?:écrit|ecrit|appelle|envoie|explique)\b|a\s+(?:dit|pleuré|pleure|parlé|evoqué|évoqué|annulé|raconté"
    r"|demandé|avoué|confié|expliqué|refusé|rechuté|craqué|fondu|pu|réussi|arrêté|enfin|encore|toujours|osé|décidé"
    r"|appelé|écrit|envoyé|manqué|oublié|peur|honte|besoin|du\s+mal|tenté|été\s+hospitalisée?)\b"
    r"|est\s+(?:venue?|arrivée?|partie?|revenue?|restée?|en\s+(?:colère|larmes|retard)|très|toujours|encore|enfin)\b"
    r"|pleure\b|se\s+sent\b|se\s+plaint\b|s['’]est\b|ne\s+(?:vient|veut|dort|parle|mange|sait|supporte|comprend)\b"
    r"|n['’](?:est|a|ose|arrive)\b|culpabilise\b|refuse\b|veut\b|vient\b|revient\b|arrive\b|raconte\b|dit\b"
    r"|said\b|says\b|told\b|tells\b|cried\b|cries\b|wept\b|broke\s+down\b|disclosed\b|confided\b|texted\b"
    r"|emailed\b|rang\b|called\s+(?:me|the)\b|cancell?ed\b|missed\b|arrived\b|turned\s+up\b|came\s+in\b"
    r"|talked\b|spoke\b|asked\b|asks\b|mentioned\b|admitted\b|keeps\b|kept\b|wants\b|wanted\b|feels\b|felt\b"
    r"|thinks\b|seems\b|seemed\b|refuses\b|refused\b|won['’]t\b|doesn['’]t\b|didn['’]t\b|can['’]t\b|hasn['’]t\b"
    r"|has\s+(?:been|had|started|stopped|missed|cancell?ed|told)\b|had\s+(?:a|been|another)\b|is\s+(?:testing|still"
    r"|now|back|struggling|refusing|terrified|scared|angry|furious|doing|getting|going)\b|was\s+(?:tearful|angry"
    r"|furious|quiet|late|upset|crying|discharged|admitted|referred)\b)",
    re.IGNORECASE,
)
# At the start of a sentence, only a person's reported words or acts make an unknown capitalised word a name.
_REPORTED_ACTS = (
    r"said|says|told|tells|cried|wept|texted|emailed|rang|confided|disclosed|cancell?ed|m(?:['’]|\s)?a\s+(?:dit|raconté"
    r"|écrit|appelée?|confié|avoué)|m['’]écrit|me\s+dit|a\s+(?:pleuré|annulé|dit|raconté|confié|avoué)"
)
_REPORTED = re.compile(r"\s*(?:" + _REPORTED_ACTS + r")\b", re.IGNORECASE)
# What makes a name that is also a place, month or virtue (Victoria, May, Hope) a person.
_ACTS = re.compile(
    r"\s*(?:" + _REPORTED_ACTS + r"|asked|asks|wants|wanted|keeps|kept|refuses|refused|arrived|turned\s+up"
    r"|came\s+in|m['’]a|veut|refuse|ne\s+vient|est\s+(?:venue?|arrivée?|revenue?))\b",
    re.IGNORECASE,
)
# Capitalised sentence subjects that say and tell without being people to hide.
_AND = _words("et and puis then mais but alors so")
_NOT_SUBJECTS = _words(
    """
    reception admin management staff security pharmacy school work police research science literature
    supervision psychiatry evidence experience society everyone someone nobody mum dad maman papa accueil
    secrétariat secretariat direction hiérarchie équipe team hospital hôpital
    """
)
# Enough, with a capital, for a first name that is also a word (Rose, Claire) at the start of a sentence.
_WEAK_VERB = re.compile(
    r"\s*(?:a|avait|est|était|etait|sera|fait|va|pense|parle|semble|sait|reste|trouve|is|was|has|had|would|could"
    r"|should|might|gets|got|goes|went|came|comes|looks|looked|sounds|sounded)\b",
    re.IGNORECASE,
)
# The user already pseudonymised: the names in the text are the ones we asked for.
_PSEUDONYM_NOTE = re.compile(
    r"not\s+(?:his|her|their|the)\s+real\s+(?:name|initial)|pas\s+(?:son|sa|leur)\s+vrai\s+(?:nom|prénom|prenom)"
    r"|(?:prénom|prenom|nom|name)s?\s+(?:modifiée?s?|changée?s?|fictifs?|fictives?|inventée?s?|changed|altered)"
    r"|\bpseudo(?:nyme|nym)?s?\b|\bfictitious\b|\bnom\s+d['’]emprunt\b|\bmade[- ]up\s+name\b",
    re.IGNORECASE,
)
_CALLED_BEFORE = re.compile(
    r"(?:\bcall(?:ing)?\s+(?:him|her|them|this\s+\w+)|\bje\s+l['’]appel(?:le|lerai)|\bappelons[- ]l[ae]"
    r"|\bnommons[- ]l[ae]|\bl['’]appeler|\brefer\s+to\s+(?:him|her|them)\s+as|\bknown\s+here\s+as"
    r"|(?<!s['’])\b(?:j['’]|l['’]|on\s+l['’]|nous\s+l['’])?(?:appell?er(?:ai|ons|a)|nommer(?:ai|ons|a))(?:[- ]l[ae])?"
    r"|\b(?:aka|a\.k\.a\.?|alias|code\s?name(?:d)?|nom\s+de\s+code|dubbed|dite?)|\bcall\s+(?:him|her|them)"
    r"|\b(?:whom|who|that)\s+(?:I['’]ll|I\s+will|we['’]ll|I['’]m\s+going\s+to|I\s+shall)\s+call"
    # a pet's or a toy's name: "son chien Max", "her dog Bella", "sa poupée Lola"
    r"|\b(?:chien|chienne|chat|chatte|chaton|chiot|lapin|cheval|jument|poney|hamster|perroquet|tortue|dog|cat"
    r"|puppy|kitten|horse|pony|rabbit|bunny|parrot|tortoise|turtle|doudou|peluche|teddy|poupée|doll)s?)\W*$",
    re.IGNORECASE,
)
# A name, then an age: "Maxime, 16 ans", "Jayden, 15, got suspended", "Lina (14 ans)".
_AGE_AFTER = re.compile(
    r"(?:\s*,\s*|\s*\(\s*|\s+)\d{1,2}\s*(?:ans\b|an\b|years?\s+old\b|yrs?\b|y/?o\b|y\.o\.|-year-old\b|mois\b"
    r"|months?\s+old\b)(?!\s*(?:plus\s+tard|après|apres|later|ago|avant|before|de\b|d['’]|of\b|déjà|already"
    r"|d['’]|que\b|since|depuis))|\s*,\s*\d{1,2}\s*(?:[,;)]|$)|\s*\(\s*\d{1,2}\s*\)"
)
# Surnames shaped like no common word: McCarthy, MacLeod, O'Neill, FitzGerald, DiMaggio, LeBlanc.
_SURNAME_SHAPE = re.compile(r"(?:Mc|Mac|Fitz|Di|De|Le|La|Van)[A-Z][a-z]|O['’][A-Z][a-z]")


@dataclass(frozen=True, slots=True)
class _Token:
    text: str  # without elision or clitic: "Hélène" in "d'Hélène", "I" in "I'll"
    raw: str  # as written, lowercased, with straight apostrophes: "d'hélène"
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    for match in _WORD.finditer(text):
        word, start = match.group(0), match.start()
        raw = word.lower()
        if "'" in word or "’" in word:
            raw = raw.replace("’", "'")
            parts = raw.split("'")
            if parts[0] in _ELISIONS:
                start += len(parts[0]) + 1
                word = word[len(parts[0]) + 1 :]
                parts = parts[1:]
            if len(parts) > 1 and parts[-1] == "t":
                continue  # "don't", "won't", "can't": never a name
            if len(parts) > 1 and parts[-1] in _EN_SUFFIXES:
                word = word[: len(word) - len(parts[-1]) - 1]
        if word:
            out.append(_Token(word, raw, start, start + len(word)))
    return out


def _is_capitalised(word: str) -> bool:
    return word[0].isupper() and not (len(word) > 1 and word.isupper())


def _public_figure_end(tokens: list[_Token], i: int) -> int:
    """Where a public figure's name that token i belongs to ends (0 when it is no part of one)."""
    for figure, position in _public_figures().get(tokens[i].text.lower(), ()):
        start = i - position
        span = tokens[start : start + len(figure)] if start >= 0 else []
        if len(span) == len(figure) and all(t.text.lower() == w for t, w in zip(span, figure, strict=True)):
            return start + len(figure)
    if i + 1 < len(tokens) and tokens[i + 1].text.lower() in _FAMOUS_SURNAMES:
        return i + 2
    return 0


# Words around a first and last name that make it an author or a celebrity, not a patient: "Je relis Marcel Rufo",
# "As Anne Sexton wrote", "Byron Katie's book", "il admire Muhammad Ali". A first name alone is not settled by them.
_CITED_BEFORE = re.compile(
    r"(?:\b(?:selon|d['’]après|according\s+to|(?:re)?lu|(?:re)?lis|(?:re)?lire|(?:re)?lisait|relisant|lisant"
    r"|(?:re-?)?read(?:ing|s)?|quot(?:e|es|ed|ing)|cit(?:e|es|ed|ing|ait|é|ée)|admire[sd]?|admirait|idol[iâ]\w*"
    r"|fan\s+(?:de|of)|s['’]identifie\s+à|identifie[sd]\s+with|se\s+compar\w*\s+à|compar\w*\s+(?:herself|himself"
    r"|themselves|themself|myself|me|her|him)\s+to|se\s+prend\s+pour|thinks\s+(?:he|she)['’]s|écout\w*"
    r"|listen\w*\s+to|the\s+works?\s+of|books?\s+by|(?:a\s+)?quotes?\s+(?:from|by)|inspired\s+by|inspirée?s?"
    r"\s+(?:de|par)|(?:comme|ainsi\s+que)\s+(?:le\s+|l['’])?(?:dit|disait|dirait|écrit|écrivait|l['’]écrit)"
    r"|(?:livres?|ouvrages?|romans?|essais?|textes?|poèmes?|poésies?|chansons?|albums?|films?|citations?|théories?"
    r"|modèles?|concepts?|travaux|approches?|méthodes?|pyramide|échelle|courbe|triangle|biographie|conférences?"
    r"|podcasts?|vidéos?)\s+(?:de|d['’]))\s*$)",
    re.IGNORECASE,
)
_CITED_AFTER = re.compile(
    r"['’]s\s+(?:[\w-]+\s+)?(?:books?|novels?|poems?|poetry|songs?|lyrics|albums?|theory|model|concept|works?"
    r"|writings?|ideas?|quotes?|research|approach|method|framework|hierarchy|pyramid|stages|triangle|ladder|talks?"
    r"|lectures?|podcasts?|essays?|memoir|biography|films?|movies?|music|famous|classic|seminal|The\b)"
    r"|\s*,?\s+(?:wrote|writes|puts\s+it|put\s+it|argues|argued|taught|teaches|famously|would\s+(?:say|call"
    r"|have\s+said)|a\s+écrit|écrivait|disait|dirait|l['’]a\s+(?:dit|écrit)|le\s+disait|le\s+dit|le\s+dirait"
    r"|(?:c['’]est|is|was|c['’]était)\s+(?:l['’]|the\s+|le\s+|la\s+|une?\s+|an?\s+)?(?:auteure?|autrice|author"
    r"|écrivaine?|writer|novelist|romancière|romancier|poète|poétesse|poet|chanteur|chanteuse|singer|actrice|acteur"
    r"|actor|actress|rappeur|rappeuse|rapper|philosophe|philosopher|psychanalyste|psychiatre\s+célèbre))\b",
    re.IGNORECASE,
)
_PARTICLES = _words("de du des la le van von der den di da dos del ter ten")


def _cited_end(tokens: list[_Token], i: int, text: str) -> int:
    """Where a cited author's first and last name starting at token i ends (0 when it is not one)."""
    if not _is_capitalised(tokens[i].text):
        return 0
    j = i + 1
    while j < len(tokens) and text[tokens[j - 1].end : tokens[j].start] in (" ", "-"):
        word = tokens[j].text
        if not (_is_capitalised(word) or (word in _PARTICLES and j + 1 < len(tokens))):
            break
        j += 1
    while j > i and not _is_capitalised(tokens[j - 1].text):
        j -= 1  # "Bessel van der Kolk", never ending on "van"
    if j - i < 2:
        return 0
    before = text[max(0, tokens[i].start - 40) : tokens[i].start]
    if _CITED_BEFORE.search(before) or _CITED_AFTER.match(text, tokens[j - 1].end):
        return j
    return 0


def _intro(tokens: list[_Token], i: int, text: str) -> str:
    """How strongly the words just before token i announce a person: "strong", "address", "weak" or ""."""
    strength = ""
    for n in (3, 2, 1):
        if i < n:
            continue
        span = tokens[i - n : i]
        gaps = [text[a.end : b.start] for a, b in zip(span, [*span[1:], tokens[i]], strict=True)]
        if any(re.search(r"[.!?;\n]", gap) for gap in gaps):
            continue
        phrase = "|".join(t.raw for t in span)
        if phrase in _STRONG_INTROS:
            return "strong"
        if phrase in _ADDRESS_INTROS:
            strength = "address"
        elif phrase in _WEAK_INTROS and not strength:
            strength = "weak"
    return strength


def _title_names(text: str) -> bool:
    for match in _TITLE.finditer(text):
        title, name = match.group("title"), match.group("name")
        bare = re.sub(r"^(?:O['’]|Mc|Mac|D['’]|N['’]|Le\s|La\s|De\s|Van\s|Von\s)", "", name)
        if len(bare) < 2 or (name.isupper() and len(name) <= 3):
            continue  # "Mme X", "M. B", "Mme JB": the pseudonyms and initials we suggest
        if _quoted(text, match.start("name"), match.end("name")) or _PSEUDONYM_NOTE.search(text, match.end()):
            continue  # « Mme Alpha », "Mme Dupont (nom d'emprunt)": a pseudonym
        lowered = title.lower()
        dotted = lowered + "." if match.group("dot") else lowered
        if lowered in _WORD_TITLES:
            before = text[max(0, match.start() - 4) : match.start()].lower()
            clergy = lowered in _AFTER_ARTICLE and re.search(r"(?:\b(?:le|la)\s|\bl['’])$", before) is not None
            if not name[0].isupper() or not (title[0].isupper() or clergy) or (lowered == "me" and title != "Me"):
                continue  # "my father Said", "sir yes sir", "me", "le père de Léa"
        elif dotted not in _SHORT_TITLES and lowered not in _SHORT_TITLES and not name[0].isupper():
            # "madame rousseau refuse" and "dr smith said" are names; "madame pense que", "i miss home" are not.
            if lowered not in _LOWERCASE_TITLES or not (
                _PERSON_VERB.match(text, match.end()) or _WEAK_VERB.match(text, match.end())
            ):
                continue
        elif (
            not title[0].isupper()
            and dotted not in _SHORT_TITLES
            and lowered not in _SHORT_TITLES
            and lowered not in _LOWERCASE_BEFORE_CAPITAL
        ):
            continue  # "ms Symptoms", "prof Dupont" typed in lowercase are too ambiguous
        low = re.sub(r"^(?:le|la|de|van|von)\s", "", bare.lower())
        if any(
            w in _STOP or w in _NOT_NAMES or w in _TITLE_NOT_NAMES or w in _FAMOUS_SURNAMES for w in (low, name.lower())
        ):
            continue  # "M. le Maire", "Dr Who", "M. Macron"
        if re.match(r"[^\W\d_]+['’]", low) and low.replace("’", "'").split("'")[0] in _ELISIONS:
            continue  # "le Dr m'a dit": a pronoun, not a name
        return True
    return False


_OPENING_QUOTES = "«\"“‘'‹„"
_CLOSING_QUOTES = "»\"”’'›“"


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands alone between quotes: « Alpha », 'Bravo', "Delta" are chosen pseudonyms."""
    before = text[:start].rstrip(" \u00a0\u202f")
    after = text[end:].lstrip(" \u00a0\u202f")
    return bool(before) and before[-1] in _OPENING_QUOTES and bool(after) and after[0] in _CLOSING_QUOTES


def _known(low: str, names: _NameList) -> bool:
    return low in names.plain or low in names.wordlike or low in names.contextual


def _first_names(text: str) -> bool:
    """A first name from the list, or a capitalised word that the words around make a person."""
    if _PSEUDONYM_NOTE.search(text):
        return False
    names = _names()
    tokens = _tokens(text)
    skip_until = -1
    for i, tok in enumerate(tokens):
        word = tok.text
        if i < skip_until or len(word) < 2 or word.isupper() or _quoted(text, tok.start, tok.end):
            continue  # inside a citation, an initial, an acronym, a pseudonym in quotes (« Alpha », 'Bravo')
        low = word.lower()
        if low in names.plain:
            kind = "plain"
        elif low in names.wordlike:
            kind = "wordlike"
        elif low in names.contextual:
            kind = "contextual"
        elif word[0].isupper() and len(word) > 2 and not (low in _STOP or low in _NOT_NAMES or low in _PLACE_HEADS):
            kind = "unknown"
        else:
            continue
        if low in _FAMOUS_SURNAMES or (kind == "plain" and low in _NOT_NAMES):
            continue
        figure_end = _public_figure_end(tokens, i) or _cited_end(tokens, i, text)
        if figure_end:
            skip_until = figure_end
            continue
        prev = tokens[i - 1] if i else None
        gap_before = text[prev.end : tok.start] if prev else text[: tok.start]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if prev is not None and prev.raw == "the" and nxt is not None and nxt.raw in _FAMILY and word[0].isupper():
            return True  # "the Okonkwo family"
        if (
            prev is not None
            and gap_before.strip() in ("", "-", "'", "’")
            and (
                prev.raw in _PLACE_HEADS
                or prev.text.lower() in _PLACE_HEADS
                or (prev.raw in _DETERMINERS and not (kind == "plain" and prev.raw == "a"))
            )
        ):
            continue  # "rue Victor Hugo", "Saint-Pierre", "la Marine"
        gap_after = text[tok.end : nxt.start] if nxt else ""
        if nxt is not None and gap_after in (" ", "-", "'s ", "’s ") and nxt.text.lower() in _NON_PERSON_TAILS:
            continue  # "Victoria Station", "Valentine's Day"
        joined = prev is not None and prev.raw in ("et", "and")
        if i >= 2 and (joined or gap_before.strip() == "&"):
            other = tokens[i - 2] if joined else tokens[i - 1]
            other_low = other.text.lower()
            if _is_capitalised(other.text) and not (
                _known(other_low, names) or other_low in _STOP or other_low in _NOT_NAMES
            ):
                continue  # "Hayes et Wilson", "Young & Klosko": authors cited together
        if _is_person(kind, tokens, i, text, gap_before, gap_after) and not _CALLED_BEFORE.search(
            text, max(0, tok.start - 40), tok.start
        ):
            return True  # (not "I'll call her Tom": that is a pseudonym)
    return False


def _is_person(kind: str, tokens: list[_Token], i: int, text: str, gap_before: str, gap_after: str) -> bool:
    """Whether the context makes token i a person, given how ambiguous the word is on its own."""
    if kind == "plain":
        return True
    tok = tokens[i]
    capitalised = _is_capitalised(tok.text)
    if _AGE_AFTER.match(text, tok.end) and (
        kind != "unknown" or not (tok.text.lower() in _DESCRIPTORS or tok.text.lower().endswith(_NOT_NAME_ENDINGS))
    ):
        return True  # "Maxime, 16 ans", "Kenzo (15 ans)": a first name, then an age
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    if capitalised and nxt is not None and gap_after == " " and _SURNAME_SHAPE.match(nxt.text):
        return True  # "Aodhan McCarthy", "Tayla O'Neill": a surname no word looks like
    if (
        kind == "wordlike"
        and capitalised
        and nxt is not None
        and gap_after == "-"
        and _is_capitalised(nxt.text)
        and nxt.text.lower() not in _STOP
    ):
        return True  # "Marie-Pier", "Rose-Anne": a compound first name is no word
    intro = _intro(tokens, i, text)
    if kind == "contextual":
        return capitalised and (
            intro in ("strong", "address") or bool(_ACTS.match(text, tok.end)) or _surname_follows(tokens, i, gap_after)
        )
    if kind == "wordlike" and not capitalised:
        compound = nxt is not None and gap_after == "-" and _known(nxt.text.lower(), _names())
        return compound or intro in ("strong", "address") or bool(_REPORTED.match(text, tok.end))
    if intro == "strong" or _PERSON_VERB.match(text, tok.end) or (kind == "wordlike" and intro == "address"):
        if kind == "wordlike":
            return True
        # A name we do not know: after "ma patiente", "Dear", "s'appelle", or before "m'a dit", "said".
        if intro == "strong":
            return True
        # Otherwise only as the subject of a reported act, right after a comma, "et", "and" or a sentence start:
        # "Pôle Emploi a refusé" and "que Renault a annulé" are institutions.
        prev = tokens[i - 1] if i else None
        if tok.text.lower() in _NOT_SUBJECTS or not _REPORTED.match(text, tok.end):
            return False
        return prev is None or bool(_SENTENCE_BREAK.search(gap_before)) or "," in gap_before or prev.raw in _AND
    if kind == "unknown":
        prev = tokens[i - 1] if i else None
        return intro == "weak" and prev is not None and prev.raw in ("patient", "patiente", "client", "cliente")
    initial = i == 0 or bool(_SENTENCE_BREAK.search(gap_before))
    return not initial or bool(intro) or _surname_follows(tokens, i, gap_after) or bool(_WEAK_VERB.match(text, tok.end))


def _surname_follows(tokens: list[_Token], i: int, gap_after: str) -> bool:
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    return (
        nxt is not None
        and gap_after == " "
        and _is_capitalised(nxt.text)
        and nxt.text.lower() not in _STOP
        and nxt.text.lower() not in _NOT_NAMES
    )


# ---------------------------------------------------------------------------------------------------------------


def _mask(pattern: re.Pattern[str], text: str) -> tuple[str, bool]:
    """Blank out what a detector has claimed, so that later detectors do not read it again."""
    masked, count = pattern.subn(" ¤ ", text)
    return masked, count > 0


_DIGIT = re.compile(r"\d")
_DATES = re.compile(r"(?<!\d)(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{1,2}-\d{1,2})(?!\d)")
# Cheap look-outs, on the lowercased text, for words without which the slower patterns cannot match.
_BIRTH_HINT = re.compile(
    r"n(?:é|ee)|born|dob|d\.o\.b|birth|naiss|ddn|\bdn\b|d\.d\.n|\bb\.|anniversaire|f[êe]t\w* ses|aura \d|turns \d"
    r"|will be \d|\d[/.-]\d{1,2}[/.-](?:19|20)\d\d"
)
_ORDER = ("name", "date_of_birth", "email", "phone", "address", "id_number", "handle", "context")


def identifying_details(text: str) -> list[str]:
    """Which kinds of identifying detail the text seems to hold (empty when none): never the details."""
    found: set[str] = set()
    work = text
    if any(mark in work for mark in ("@", " at ", "(at)", "[at]", "{at}", "arobase", ".com/")):
        for pattern, kind in (
            (_EMAIL, "email"),
            (_EMAIL_SPELT, "email"),
            (_SOCIAL_URL, "handle"),
            (_HANDLE, "handle"),
        ):
            work, hit = _mask(pattern, work)
            if hit:
                found.add(kind)
    if "www." in work or "://" in work:
        work, _ = _mask(_URL, work)
    if _HANDLE_KEY.search(work):
        found.add("handle")
    lower = work.lower()
    if _BIRTH_HINT.search(lower) and _has_birth_date(work):
        found.add("date_of_birth")
    # Most messages hold no digit at all, and every number check needs one.
    if _DIGIT.search(work):
        if _PLATE.search(work) or _PLATE_KEY.search(work):
            found.add("handle")
        for pattern in _STRUCTURED_IDS:
            work, hit = _mask(pattern, work)
            if hit:
                found.add("id_number")
        if _has_keyed_id(work):
            found.add("id_number")
        # Dates are done with: masked, a range such as 22.12.2025-02.01.2026 is not one long number.
        _scan_numbers(_DATES.sub(" ¤ ", work), found)
        if any(p.search(work) for p in _ADDRESS_PATTERNS):
            found.add("address")
    if has_identifying_context(lower, work):
        found.add("context")
    if _title_names(work) or _first_names(work):
        found.add("name")
    return [kind for kind in _ORDER if kind in found]
