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

import datetime
import functools
import re
from dataclasses import dataclass
from pathlib import Path

_NAMES_FILE = Path(__file__).with_name("first_names.txt")


def _words(text: str) -> frozenset[str]:
    """A word list written as one string, which keeps long lists readable."""
    return frozenset(text.split())


# ---------------------------------------------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------------------------------------------

# Function words and sentence openers of both languages: after a title or a patient noun they are never a name.
_STOP = _words(
    """
    a à ai aie al alors après as au aucun aucune aussi autre aux avait avant avec avoir ayant c ça car ce ceci cela
    celle celui ces cet cette chacun chaque chez ci comme comment d dans de des donc dont du elle elles en encore
    entre et étais était été être eu eux fait faut hier ici il ils j je jamais jusqu l la là le les leur leurs lui m
    ma mais me même mes moi mon n ne ni non nos notre nous on ont or ou où oui par parce pas peu peut plus pour
    pourquoi quand que quel quelle quelque qui quoi s sa sans se ses si sien son sont sous suis sur t ta te tes toi
    ton tous tout toute toutes très tu un une vers vos votre vous y est sera seront avaient étaient ceux celles
    cependant puis ensuite enfin aujourd demain depuis pendant selon malgré voici voilà déjà bien mal rien personne
    quelqu tant trop assez tellement about after again all also am an and any are aren as at be because been before
    being but by can cannot could did do does doing done down during each either else even ever every few for from
    had has have having he her here hers herself him himself his how however i if in into is it its itself just let
    like may me might mine more most much must my myself never no nobody none nor not nothing now of off often on
    once one only or other our ours out over own perhaps please quite rather same she should since so some someone
    something still such than that the their theirs them then there these they this those though through thus to
    too under until up upon us very was we were what when where whether which while who whom whose why will with
    within without would yet you your yours today tomorrow yesterday everyone everybody anyone anybody somebody
    everything dear hi hello bonjour salut merci thanks thank yes ok okay oh well sorry tonight morning evening night
    week weekend
    """
)

# Capitalised words that are not people: calendar words, kin terms, conditions named after someone, apps, titles.
_NOT_NAMES = _words(
    """
    janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre décembre decembre
    january february march april may june july august september october november december lundi mardi mercredi
    jeudi vendredi samedi dimanche monday tuesday wednesday thursday friday saturday sunday noël noel pâques paques
    toussaint christmas easter halloween ramadan aïd aid hanoukka hanukkah diwali maman papa mamie papi papy mémé
    pépé tonton tata mum mom mummy mommy dad daddy nan nana gran granny grandma grandpa grandad nanny auntie aunt
    uncle sis bro sister brother dieu god allah jésus jesus seigneur lord bouddha buddha covid asperger alzheimer
    parkinson tourette crohn down korsakoff charcot capgras cotard stockholm munchausen sir madam madame monsieur
    mademoiselle colleague colleagues collègue collègues confrère confrères consoeur consœur team all everyone
    diary referrer parent parents friend friends future self docteur doctor doc dr prof professeur professor
    patient patiente client cliente patients clients m mr mrs ms mx mme mlle mmes mlles pr miss zoom teams skype
    whatsapp facetime meet signal telegram doctolib ameli facebook instagram tiktok google netflix youtube snapchat
    twitter linkedin amazon apple siri alexa chatgpt internet
    """
)

_FAMILY = _words("family family's household twins")
_DETERMINERS = _words("le la les l un une des du au aux ce cet cette ces the a an")

# A name right after these is a place or an institution, not a person ("rue Victor Hugo", "Saint-Pierre").
_PLACE_HEADS = _words(
    """
    rue avenue av boulevard bd bld place allée allee impasse quai chemin route square cours passage chaussée hôpital
    hopital hospital clinique clinic collège college lycée lycee école ecole school gare station église eglise church
    cathédrale cathedral stade stadium parc park pont bridge lac lake mont mount port fort cap cape île ile isle
    saint sainte st ste san santa são sao sankt institut institute fondation foundation centre center résidence
    residence ehpad métro metro hall salle université universite university cité cite faubourg quartier prix award
    prize syndrome maladie disease loi law méthode methode method test échelle echelle scale effet effect complexe
    complex opération operation pavillon unité unite service ward maison house villa rond aéroport aeroport airport
    """
)

# Words after a first name that make it a place, an institution or a day ("Victoria Station", "Valentine's Day").
_NON_PERSON_TAILS = _words(
    """
    street st road rd avenue ave lane drive square park hospital station school college primary academy university
    centre center clinic bridge hall court gardens close crescent way place terrace grove mews row walk hill day
    """
)

# Public figures therapists cite: a first name followed by one of these is a citation, not a patient.
_PUBLIC_FIGURES = """
    carl rogers, carl jung, carl gustav jung, sigmund freud, anna freud, melanie klein, mélanie klein, donald
    winnicott, donald woods winnicott, john bowlby, mary ainsworth, mary main, jacques lacan, françoise dolto,
    francoise dolto, boris cyrulnik, irvin yalom, viktor frankl, victor frankl, marsha linehan, milton erickson,
    erik erikson, aaron beck, judith beck, albert ellis, jeffrey young, martin seligman, abraham maslow, alfred
    adler, karen horney, otto kernberg, otto rank, heinz kohut, wilfred bion, michael balint, sándor ferenczi,
    sandor ferenczi, peter fonagy, anthony bateman, bessel van der kolk, judith herman, peter levine, pat ogden,
    stephen porges, dan siegel, daniel siegel, francine shapiro, sue johnson, susan johnson, john gottman, julie
    gottman, rollo may, fritz perls, virginia satir, salvador minuchin, paul watzlawick, gregory bateson, murray
    bowen, eric berne, marshall rosenberg, brené brown, brene brown, kristin neff, christopher germer, chris
    germer, paul gilbert, tara brach, jack kornfield, thich nhat hanh, eckhart tolle, matthieu ricard,
    christophe andré, christophe andre, serge tisseron, marie-france hirigoyen, alice miller, isabelle
    filliozat, catherine gueguen, catherine guéguen, jean piaget, henri wallon, jean laplanche, didier anzieu,
    andré green, pierre janet, jean-martin charcot, wilhelm reich, steven hayes, russ harris, jon kabat-zinn,
    zindel segal, mark williams, john teasdale, albert bandura, ivan pavlov, daniel goleman, daniel kahneman,
    daniel stern, edward tronick, allan schore, gabor maté, gabor mate, bruce perry, jordan peterson, esther
    perel, lori gottlieb, leslie greenberg, richard schwartz, janina fisher, onno van der hart, kathy steele,
    philippe jeammet, daniel marcelli, jean oury, frantz fanon, michel foucault, simone de beauvoir, jean-paul
    sartre, albert camus, emmanuel levinas, paul ricœur, paul ricoeur, friedrich nietzsche, søren kierkegaard,
    soren kierkegaard, martin heidegger, martin buber, hannah arendt, marcel proust, victor hugo, émile zola,
    emile zola, antoine de saint-exupéry, simone weil, simone veil, marie curie, charles de gaulle, emmanuel
    macron, winston churchill, barack obama, michelle obama, donald trump, joe biden, taylor swift, lady gaga,
    harry potter, hermione granger, ron weasley, albus dumbledore, marilyn monroe, kurt cobain, amy winehouse,
    robin williams, britney spears, michael jackson, elvis presley, john lennon, serena williams, kylian mbappé,
    zinedine zidane, lionel messi, cristiano ronaldo, elon musk, steve jobs, bill gates, mark zuckerberg, oprah
    winfrey, édith piaf, edith piaf, jacques brel, johnny hallyday, greta thunberg, nelson mandela, martin
    luther king, mahatma gandhi, virginia woolf, sylvia plath, franz kafka, william shakespeare, jane austen,
    charles dickens, stephen king, frida kahlo, vincent van gogh, pablo picasso, claude monet, wolfgang amadeus
    mozart, albert einstein, stephen hawking, charles darwin, jean de la fontaine, peter pan, bridget jones,
    jane eyre, anna karenina, emma bovary, tom sawyer, mickey mouse, homer simpson, bart simpson, luke
    skywalker, james bond, bruce wayne, clark kent, peter parker, tony stark, forrest gump, walter white, jon
    snow, florence nightingale, victoria beckham, david beckham, paris hilton, princess diana, lady diana,
    prince harry, prince william, jesus christ, jack daniels, jack daniel, johnnie walker, grace kelly, will
    smith, mark twain, marine le pen, jean moulin, jean jaurès, jean jaures, louis pasteur, georges pompidou,
    robert debré, jeanne d'arc, blaise pascal, jean-jacques rousseau, marie-antoinette, louis vuitton, hugo
    boss, christian dior, coco chanel, yves saint laurent, yves rocher, stella mccartney, milan kundera, nancy
    huston, annie ernaux, delphine de vigan, amélie nothomb, amelie nothomb, fred vargas, guillaume musso, marc
    levy, michel houellebecq, rosa parks, jordan belfort, tom cruise, brad pitt, emma watson, billie eilish, ed
    sheeran, anne frank, alice au pays des merveilles, alice in wonderland, emily in paris, billy elliot,
    amélie poulain, guy fawkes, ralph lauren, ted baker, jack wills, john lewis, tim hortons, jean coutu, nina
    ricci, jean paul gaultier, tommy hilfiger, calvin klein, didier raoult, boris johnson, keir
    starmer, rishi sunak, justin trudeau, marine tondelier, jordan bardella, nicolas sarkozy, françois hollande,
    jacques chirac, kate middleton, mary poppins, sherlock holmes, hercule poirot, miss marple, tintin, oliver
    twist, anne shirley, charlie brown, winnie l'ourson, winnie the pooh, peppa pig, bob l'éponge, elsa et anna,
    céline dion, celine dion, lewis capaldi, meghan markle, leroy merlin, marks and spencer, kim kardashian, justin
    bieber, selena gomez, ariana grande, miley cyrus, demi lovato, david bowie, freddie mercury, whitney houston,
    mariah carey, jennifer aniston, jennifer lopez, angelina jolie, johnny depp, amber heard, tom hanks, leonardo
    dicaprio, meryl streep, robert de niro, al pacino, kevin spacey, harvey weinstein, jeffrey epstein, prince
    andrew, andrew tate, joe rogan, mel gibson, gérard depardieu, omar sy, jean dujardin, marion cotillard,
    vincent cassel, catherine deneuve, brigitte bardot, sophie marceau, jean-paul belmondo, alain delon, louis de
    funès, florent pagny, jean-jacques goldman, francis cabrel, mylène farmer, patrick bruel, aya nakamura,
    kendji girac, michel sardou, charles aznavour, serge gainsbourg, jane birkin, françoise hardy, sylvie vartan,
    vanessa paradis, pierre niney, thomas pesquet, antoine griezmann, karim benzema, paul pogba, teddy riner,
    tony parker, yannick noah, michel platini, thierry henry, didier deschamps, eden hazard, kevin de bruyne,
    roger federer, rafael nadal, novak djokovic, andy murray, emma raducanu, lewis hamilton, harry kane, marcus
    rashford, david attenborough, gary lineker, jamie oliver, gordon ramsay, mary berry, nigella lawson, harry
    styles, dua lipa, george michael, elton john, paul mccartney, ringo starr, mick jagger, keith richards, bob
    dylan, bob marley, bruce springsteen, olivia rodrigo, kanye west, snoop dogg, michael jordan, lebron james,
    tiger woods, simone biles, naomi osaka, wayne gretzky, sidney crosby, xavier dolan, denis villeneuve,
    philippe geluck, stephan eicher, ursula von der leyen, angela merkel, vladimir poutine, vladimir putin,
    volodymyr zelensky, kamala harris, hillary clinton, bill clinton, chelsea clinton, george bush, ronald reagan,
    margaret thatcher, theresa may, tony blair, gordon brown, david cameron, liz truss, king charles, queen
    elizabeth, prince charles, princess anne, pippa middleton, jeff bezos, sam altman, malala yousafzai, karl
    lagerfeld, pierre cardin, louise hay, deepak chopra, jay shetty, mel robbins, tony robbins, christophe fauré,
    frédéric lenoir, fabrice midal, ilios kotsou, jacques salomé, thomas d'ansembourg, pete walker, lindsay
    gibson, susan forward, john bradshaw, melody beattie, robin norwood, john gray, gary chapman, harville
    hendrix, stan tatkin, amir levine, rachel heller, pema chödrön, sharon salzberg, danny penman, kelly wilson,
    christine padesky, david burns, dennis greenberger, robert leahy, adrian wells, david clark, paul salkovskis,
    anke ehlers, edna foa, patricia resick, arnoud arntz, joan farrell, john clarkin, frank yeomans, jean-claude
    van damme, lady di, paul guiraud, charles perrens, guillaume régnier, gérard marchant, philippe pinel, henri
    ey, édouard toulouse, paul brousse, henri mondor, louis mourier, jean verdier, raymond poincaré, antoine
    béclère, charles foix, albert chenevier, édouard herriot, camille claudel, marius lacroix, théophile roussel,
    roger prévot, jean titeca, fernand widal, ambroise paré, jean minjoz, pierre wertheimer, henri laborit,
    gustave roussy, jacques monod, albert schweitzer, alexander fleming, jules bordet, louis h lafontaine, albert
    prévost, robert giffard, john radcliffe, mary seacole, guys and st thomas, elizabeth garrett anderson
"""

# Surnames of public figures rare enough to settle it even after another first name or a title ("Dr Freud").
_FAMOUS_SURNAMES = _words(
    """
    freud jung winnicott lacan bowlby ainsworth dolto cyrulnik yalom linehan neff frankl erickson erikson seligman
    maslow adler horney kernberg kohut bion balint ferenczi fonagy porges perls satir minuchin watzlawick bateson
    berne gottman kabat-zinn germer brach kornfield tolle charcot piaget laplanche pontalis anzieu tisseron
    hirigoyen filliozat gueguen guéguen skinner pavlov bandura goleman kahneman tronick schore maté jeammet
    marcelli fanon foucault beauvoir sartre camus levinas ricœur ricoeur nietzsche kierkegaard heidegger buber
    arendt proust zola kafka shakespeare austen woolf plath churchill mandela gandhi einstein darwin mozart
    beethoven picasso monet kahlo obama macron trump biden thunberg piaf brel hallyday mbappé zidane messi ronaldo
    musk zuckerberg potter skywalker bovary dumbledore weasley granger voldemort rogers beck klein rorschach
    winfrey raoult kardashian bieber capaldi markle depardieu aznavour gainsbourg federer nadal djokovic merkel
    poutine putin zelensky thatcher bezos lagerfeld salkovskis padesky chödrön salzberg
    """
)

# Things that follow a title without being someone's surname (fiction, brands, formulae).
_TITLE_NOT_NAMES = _words(
    """
    google house who bean right nobody bovary figaro france world universe monde martens pepper men irma propre
    jekyll hyde seuss phil strange dalloway doubtfire muscle météo meteo madame monsieur tout sunshine freeze
    frankenstein dolittle
    """
)

_ELISIONS = _words("l d j m t s n c qu jusqu lorsqu puisqu quoiqu presqu")
_EN_SUFFIXES = _words("s ll d re ve m t")


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
_ID_KEY_NUMBER = re.compile(r"(?:\b(?:n°|nº|no\.|num\.?|numéro|numero|number)|#)", re.IGNORECASE)
_ID_KEYS = ((_ID_KEY_SPECIFIC, 3), (_ID_KEY_GENERIC, 4), (_ID_KEY_NUMBER, 5))
_ID_TAIL = re.compile(
    r"(?:[\s:#°º.,'’(-]*(?:numbers?|num|nos?|n°|nº|numéro|numero|de|du|d|is|est|c|le|la|ref|id|code|of|hospitalier"
    r"|hospitalière|patient|sa|son|his|her|their|leur)\b)*[\s:#°º.,'’(-]*"
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
        if digits[1] == "8":
            return False  # free and premium numbers: help lines and firms
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


def _scan_numbers(text: str, found: set[str]) -> None:
    """Phones and identifiers among the digit runs (emails, handles and structured numbers already masked)."""
    for match in _RUN.finditer(text):
        run = match.group(0)
        digits = re.sub(r"\D", "", run)
        if len(digits) < 7:
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
            if tail is None:
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
# "né/née" (never the bare "ne" of French negation), born, DOB, ddn... then a date in the same clause.
_BIRTH = re.compile(
    r"(?:\bn(?:é|ée|és|ées|ee|ees)\b|\bné\(e\)|\bborn\b|\bdob\b|\bd\.o\.b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s?date\b"
    r"|\bdate\s+de\s+naissance\b|\bddn\b|\bdate\s+naiss\b|\bnaissance\s*:|\bb\.(?=\s?\d)"
    r"|\bbirthday\s*(?::|is|was|falls)|\banniversaire\s*(?::|est|c['’]est|tombe))"
    r"[^.!?\n]{0,24}?\b" + _DATE_EXPR,
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
    r"rue|avenue|av\.|boulevard|bd|bld|impasse|allée|allee|quai|chemin|chaussée|chaussee|faubourg|fbg|drève|dreve"
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
    re.compile(r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){1,3}(?:" + _EN_STREET + r")\b(?!-)"),
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
        r"\b(?i:apt\.?|appt\.?|p\.?\s?o\.?\s?box|boîte\s+postale)\s*#?\s?\d{1,5}\b|\bSuite\s+#?\d{1,5}\b"
        r"|\b(?i:apartment|flat)\s+#?\d{1,4}[A-Za-z]?\b(?!\s*(?i:bed|room|pièce|piece))"
    ),
)

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
