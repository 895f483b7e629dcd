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

from bot.care.identifier_patterns import (
    _ADDRESS_PATTERNS,
    _EMAIL,
    _EMAIL_SPELT,
    _HANDLE,
    _HANDLE_KEY,
    _OF,
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
    _DETERMINERS,
    _ELISIONS,
    _EN_SUFFIXES,
    _FAMILY,
    _FAMOUS_SURNAMES,
    _NON_PERSON_TAILS,
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
# Context: a unique role in a small place, a named school, "the whole village knows him"
# ---------------------------------------------------------------------------------------------------------------

_COMMUNITY = (
    r"(?:village|town|island|isle|hamlet|parish|commune|bourg|hameau|île|ile|quartier|canton|valley|vallée|estate"
    r"|school|collège|college|lycée|lycee|école|ecole|street|rue|bled|coin|région|region|county|comté)"
)
# A proper noun: a capital then lowercase letters, so acronyms (CMP, A&E) and months are not places.
_PROPER = (
    r"(?-i:(?!(?:Noël|Christmas|Easter|Pâques|Janvier|January|Février|February|Mars|March|Avril|April|Mai|May|Juin"
    r"|June|Juillet|July|Août|August|Septembre|September|Octobre|October|Novembre|November|Décembre|December"
    r"|English|French|Maths|Math|History|Spanish|German|Science|Music|Art|Drama|Latin|Arabic|Anglais|Français"
    r"|Espagnol|Allemand|Health|Education|Justice)\b)[A-ZÀ-Ý][a-zà-ÿ'’-][\w'’-]*)"
)
_CONTEXT_PATTERNS = (
    # the only GP in Grassington, la seule boulangère de Saint-Ours, l'unique kiné du village
    re.compile(
        r"(?:\b(?:the|le|la|un|une)\s+|\bl['’])(?:seule?|unique|only|sole)\s+"
        r"(?:(?!who\b|qui\b|que\b|that\b|which\b|where\b|où\b)[\w'’-]+\s+){0,3}?"
        r"(?:de|du|des|d['’]|à|au|aux|in|on|at|of|from|sur)\s+(?:the\s+|la\s+|le\s+|l['’]|les\s+)?"
        r"(?:(?:Isle|Island)\s+of\s+)?(?:" + _COMMUNITY + r"\b|" + _PROPER + ")",
        re.IGNORECASE,
    ),
    # le notaire de Plougastel, the vicar of Much Wenlock: roles a small place has one of
    re.compile(
        r"\b(?:notaire|pharmacien(?:ne)?|boulang(?:er|ère)|bouch(?:er|ère)|maire|curé|pasteur|prêtre|rabbin|imam"
        r"|institut(?:eur|rice)|direct(?:eur|rice)\s+d['’]école|fact(?:eur|rice)|gendarme|vétérinaire|coiffeu(?:r|se)"
        r"|épici(?:er|ère)|buraliste|garagiste|vicar|priest|rector|pastor|rabbi|mayor|head\s?teacher|headmaster"
        r"|headmistress|postman|postwoman|postmistress|publican|baker|butcher)"
        r"\s+(?:du|de|d['’]|of|in|at|on)\s+(?:the\s+)?(?:(?:Isle|Island)\s+of\s+)?"
        r"(?!(?:Paris|Londres|London|Bruxelles|Brussels|Genève|Geneva|Lausanne|Zurich|Montréal|Montreal|Québec|Quebec"
        r"|Toronto|Lyon|Marseille|Lille|Toulouse|Bordeaux|Nantes|Nice|Strasbourg|Liège|Namur|Manchester|Birmingham"
        r"|Glasgow|Edinburgh|Leeds|Liverpool|Bristol|Cardiff|Belfast|Dublin|New\s+York|Chicago|Boston)\b)" + _PROPER,
        re.IGNORECASE,
    ),
    # l'école des Coquelicots, le collège Saint-Exupéry, lycée Henri-IV
    re.compile(
        r"\b(?:école|ecole|collège|college|lycée|lycee|groupe\s+scolaire)\s+"
        r"(?:(?:privée?|public|publique|primaire|maternelle|élémentaire)\s+)?" + _OF + r"(?!(?:Palo|Francfort"
        r"|Frankfurt|Chicago|Vienne|Genève|Milan|Montessori|Steiner|Freinet|Decroly|France|Normale|Polytechnique"
        r"|Centrale|Nationale|Supérieure|Pratique|Freudienne)\b)" + _PROPER,
        re.IGNORECASE,
    ),
    # St Mary's Primary, Kingsbridge Community College, Oakwood Academy
    re.compile(
        r"\b(?!(?:Medical|Business|Law|Summer|Sunday|Art|Film|Drama|Dance|Music|Language|Driving|Khan|Police|Royal"
        r"|Military|Naval|The|A)\s)[A-Z][\w'’]+(?:\s[A-Z][\w'’]+)?\s(?:Primary|Secondary|Academy|Grammar|Comprehensive"
        r"|High\sSchool|Community\sCollege|Sixth\sForm|Infant\sSchool|Junior\sSchool)\b"
    ),
    # the whole village knows him, tout le monde le connaît
    re.compile(
        r"\b(?:(?:the\s+)?whole\s+" + _COMMUNITY + r"|tout\s+le\s+(?:village|bourg|quartier|bled|coin|collège|lycée)"
        r"|toute\s+la\s+(?:ville|commune|région|cité|rue|école)|tout\s+le\s+monde|everyone|everybody)"
        r"\s+(?:(?:here|there|ici|là-bas)\s+|(?:in|au|dans|du)\s+(?:the\s+|le\s+|la\s+)?" + _COMMUNITY + r"\s+)?"
        r"(?:knows\s+(?:him|her|them)|le\s+conna[îi]t|la\s+conna[îi]t"
        r"|les\s+conna[îi]t|would\s+recogni[sz]e|recogni[sz]es|la\s+reconna[îi]t|le\s+reconna[îi]t"
        r"|sait\s+qu['’](?:elle|il)\s+vient)",
        re.IGNORECASE,
    ),
    # the town's only GP
    re.compile(r"\b" + _COMMUNITY + r"['’]s\s+(?:only|sole)\b", re.IGNORECASE),
    # she is a local councillor, il est conseiller municipal, la femme du maire: people a whole place knows
    re.compile(
        r"\b(?:est|is|was|était|etait|['’]s)\s+(?:a\s+|an\s+|une?\s+|la\s+|le\s+|l['’]|the\s+)?(?:local\s+)?"
        r"(?:conseill(?:er|ère)\s+municipale?|député|députée|sénat(?:eur|rice)|préfète?|maire|mairesse|bourgmestre"
        r"|échevine?|adjointe?\s+au\s+maire|councill?or|MP\s+for|MEP|mayor)\b"
        r"|\b(?:la\s+femme|le\s+mari|le\s+fils|la\s+fille|l['’]épouse|the\s+wife|the\s+husband|the\s+son"
        r"|the\s+daughter)\s+(?:du|de\s+la|de\s+l['’]|of\s+the)\s+(?:maire|député|préfet|curé|pasteur|notaire"
        r"|mayor|vicar|MP|head\s?teacher|headmaster|local\s+GP)\b",
        re.IGNORECASE,
    ),
    # champions, TV contestants, presenters and influencers are recognisable by what they are known for
    re.compile(
        r"\bchampionne?\s+(?:de\s+France|du\s+monde|d['’]Europe|olympique|de\s+Belgique|de\s+Suisse|du\s+Québec)"
        r"|\b(?:world|national|olympic|european|british)\s+(?:champion|medallist|medalist)"
        r"|\b(?:a\s+gagné|a\s+remporté|won|was\s+on|a\s+participé\s+à|était\s+dans)\s+(?:the\s+)?"
        r"(?:The\s+Voice|Koh[- ]Lanta|Top\s+Chef|Star\s+Academy|Secret\s+Story|Love\s+Island|Bake\s+Off"
        r"|X\s+Factor|Strictly|Big\s+Brother|Pékin\s+Express|L['’]amour\s+est\s+dans\s+le\s+pré|Masterchef)"
        r"|\b(?:présente|presents|reads)\s+(?:la\s+météo|le\s+JT|le\s+journal|the\s+news|the\s+weather)"
        r"|\b\d+(?:[.,]\d+)?\s?(?:k|K|M|000)\s+(?:followers|abonnés|subscribers)",
        re.IGNORECASE,
    ),
    # he runs the only pub in Tobermory, il entraîne l'équipe U15 de Mézières, elle tient la boulangerie de Bouillon
    re.compile(
        r"\b(?:entraîne|entraine|coache|dirige|tient|runs|manages|coaches|owns)\s+(?:l['’]|le\s+|la\s+|les\s+|the\s+)"
        r"(?:[\w'’-]+\s+){0,2}?(?:de|du|d['’]|in|at|of)\s+" + _PROPER,
        re.IGNORECASE,
    ),
)

# ---------------------------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------------------------

_TITLE = re.compile(
    r"(?<![\w.])(?P<title>M\.|MM\.|Mr\.?|Mrs\.?|Ms\.?|Mx\.?|Mme\.?|Mmes?|Mlle\.?|Mlles?|Madame|Monsieur|Mademoiselle"
    r"|Miss|Dr\.?|Docteure?|Doctor|Pr\.?|Prof\.?|Professeure?|Professor|Maître|Maitre)\s+"
    r"(?P<name>(?:O['’]|Mc|Mac|D['’]|N['’]|Le\s|La\s|De\s|Van\s|Von\s)?[^\W\d_][\w'’-]*)",
    re.IGNORECASE,
)
# Abbreviated titles are only ever followed by a name, so a lowercase name after them still counts ("m. haddad").
_SHORT_TITLES = _words("m. mr mr. mrs mrs. mme mme. mlle mlle. mmes mm.")
# Full titles that may be typed in lowercase before a lowercase name, when a verb then shows a person is meant.
_LOWERCASE_TITLES = _words("madame monsieur mademoiselle dr docteur doctor")

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
_WEAK_INTROS = _words(
    """
    avec with petit petite little young jeune j'ai|vu je|vois i|see i|saw seeing i'm|seeing pour for chez suivre
    suis reçu accompagne patient patiente client cliente the|patient the|client le|patient la|patiente called
    """
)
# What people do in session reports: after a word, it makes the word a person.
_PERSON_VERB = re.compile(
    r"\s*(?:m['’]a\b|m['’]avait\b|me\s+(?:dit|demande|raconte|parle|fait|confie|reproche|teste|écrit|ecrit)\b"
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
    r"said|says|told|tells|cried|wept|texted|emailed|rang|confided|disclosed|cancell?ed|m['’]a\s+(?:dit|raconté"
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
    r"|\bnommons[- ]l[ae]|\bl['’]appeler|\brefer\s+to\s+(?:him|her|them)\s+as|\bknown\s+here\s+as)\W*$",
    re.IGNORECASE,
)


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


def _intro(tokens: list[_Token], i: int, text: str) -> str:
    """How strongly the words just before token i announce a person: "strong", "weak" or ""."""
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
        if phrase in _WEAK_INTROS:
            strength = "weak"
    return strength


def _title_names(text: str) -> bool:
    for match in _TITLE.finditer(text):
        title, name = match.group("title"), match.group("name")
        bare = re.sub(r"^(?:O['’]|Mc|Mac|D['’]|N['’]|Le\s|La\s|De\s|Van\s|Von\s)", "", name)
        if len(bare) < 2 or (name.isupper() and len(name) <= 3):
            continue  # "Mme X", "M. B", "Mme JB": the pseudonyms and initials we suggest
        lowered = title.lower().rstrip(".")
        if lowered + "." not in _SHORT_TITLES and lowered not in _SHORT_TITLES and not name[0].isupper():
            # "madame rousseau refuse" and "dr smith said" are names; "madame pense que", "i miss home" are not.
            if lowered not in _LOWERCASE_TITLES or not (
                _PERSON_VERB.match(text, match.end()) or _WEAK_VERB.match(text, match.end())
            ):
                continue
        elif not title[0].isupper() and lowered not in _SHORT_TITLES and lowered + "." not in _SHORT_TITLES:
            continue  # "ms Symptoms", "prof Dupont" typed in lowercase are too ambiguous
        low = bare.lower()
        if low in _STOP or low in _NOT_NAMES or low in _TITLE_NOT_NAMES or low in _FAMOUS_SURNAMES:
            continue
        return True
    return False


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
        if i < skip_until or len(word) < 2 or word.isupper():
            continue  # inside a citation, an initial, an acronym
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
        figure_end = _public_figure_end(tokens, i)
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
            and (prev.raw in _PLACE_HEADS or prev.text.lower() in _PLACE_HEADS or prev.raw in _DETERMINERS)
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
    intro = _intro(tokens, i, text)
    if kind == "contextual":
        return capitalised and (
            intro == "strong" or bool(_ACTS.match(text, tok.end)) or _surname_follows(tokens, i, gap_after)
        )
    if kind == "wordlike" and not capitalised:
        return intro == "strong" or bool(_REPORTED.match(text, tok.end))
    if intro == "strong" or _PERSON_VERB.match(text, tok.end):
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
    r"n(?:é|ee)|born|dob|d\.o\.b|birth|naiss|ddn|\bb\.|anniversaire|\d[/.-]\d{1,2}[/.-](?:19|20)\d\d"
)
_CONTEXT_HINT = re.compile(
    r"seul|unique|only|sole|whole|tout le|toute la|everyone|everybody|école|ecole|collège|college|lycée|lycee"
    r"|scolaire|primary|secondary|academy|grammar|comprehensive|high school|sixth form|infant|junior|entra[îi]n|coach"
    r"|dirige|tient|runs|manages|owns|notaire|pharmacien|boulang|bouch|maire|curé|pasteur|prêtre|rabbi|imam|institut"
    r"|directeur|directrice|facteur|factrice|gendarme|vétérinaire|coiffeu|épici|buraliste|garagiste|vicar|priest"
    r"|rector|mayor|head|postm|postwoman|publican|baker|butcher|['’]s only|['’]s sole|conseill|député|sénat|préfet"
    r"|bourgmestre|échevin|councill|mp for|mep|femme du|mari du|fils du|fille du"
    r"|wife of|husband of|son of|daughter of|champion|medal|gagné|remporté|won|was on|participé|était dans|présente"
    r"|presents|reads|followers|abonnés|subscribers"
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
    if _CONTEXT_HINT.search(lower) and any(p.search(work) for p in _CONTEXT_PATTERNS):
        found.add("context")
    if _title_names(work) or _first_names(work):
        found.add("name")
    return [kind for kind in _ORDER if kind in found]
