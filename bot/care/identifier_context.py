"""Identifying context: details that point to one person as surely as a name does, without being a name or a
number. A unique role in a small place (the only pharmacist of a village, the mayor of a parish), a named school
or grade in it, a place in a named team, a post at the head of a named institution, fame, "the whole village knows
him". Read by bot/care/identifiers.py; names, numbers and dates are read elsewhere.

Each pattern is a kind of expression, not a sentence: a role word, then a preposition, then a proper noun (a capital
then lowercase letters, so that acronyms, months and school subjects are not taken for places).
"""

from __future__ import annotations

import re

from bot.care.identifier_patterns import _OF

_COMMUNITY = (
    r"(?:village|town|island|isle|hamlet|parish|commune|bourg|hameau|île|ile|quartier|canton|valley|vallée|estate"
    r"|school|collège|college|lycée|lycee|école|ecole|street|rue|bled|coin|région|region|county|comté|paroisse"
    r"|municipalité|municipality|township|rang)"
)
# A proper noun: a capital then lowercase letters, so acronyms (CMP, A&E) and months are not places. Titles and the
# words of a pseudonym ("le médecin de Mme X", "the GP of Patient A") are not places either.
_PROPER = (
    r"(?-i:(?!(?:Noël|Christmas|Easter|Pâques|Janvier|January|Février|February|Mars|March|Avril|April|Mai|May|Juin"
    r"|June|Juillet|July|Août|August|Septembre|September|Octobre|October|Novembre|November|Décembre|December"
    r"|English|French|Maths|Math|History|Spanish|German|Science|Music|Art|Drama|Latin|Arabic|Anglais|Français"
    r"|Espagnol|Allemand|Health|Education|Justice|Mme|Madame|Monsieur|Mademoiselle|Mlle|Mr|Mrs|Ms|Miss|Patient"
    r"|Patiente|Client|Cliente|The|Le|La|Les|République|Republic|Psychiatrie|Pédopsychiatrie|Psychiatry|Médecine"
    r"|Medicine|Psychologie|Psychology|Pédiatrie|Paediatrics|Pediatrics|Urgences|Nursing|Gériatrie|Addictologie"
    r"|Oncologie|Neurologie|Cardiologie|Internal|Emergency|Human|Marketing|Finance|Sales|Communication"
    r"|Ressources|Research|Recherche|Mental|Social|Public|National|Nationale|Monday|Tuesday|Wednesday|Thursday"
    r"|Friday|Saturday|Sunday|Lundi|Mardi|Mercredi|Jeudi|Vendredi|Samedi|Dimanche|Lycée|Collège|École|Ecole|College"
    r"|School|University|Université|Cégep|Polyvalente|Primary|Secondary|Gymnase|Conservatoire)\b)[A-ZÀ-Ý][a-zà-ÿ'’-][\w'’-]*)"
)
_BIG_CITIES = (
    r"(?!(?:Paris|Londres|London|Bruxelles|Brussels|Genève|Geneva|Lausanne|Zurich|Montréal|Montreal|Québec|Quebec"
    r"|Toronto|Vancouver|Ottawa|Lyon|Marseille|Lille|Toulouse|Bordeaux|Nantes|Nice|Strasbourg|Liège|Namur|Manchester"
    r"|Birmingham|Glasgow|Edinburgh|Leeds|Liverpool|Bristol|Cardiff|Belfast|Dublin|New\s+York|Chicago|Boston"
    r"|Los\s+Angeles|France|Belgique|Belgium|Suisse|Switzerland|Canada|England|Angleterre|Scotland|Écosse"
    r"|Ireland|Irlande|Europe)\b)"
)
# A preposition before a place or an institution, with French elision: "de Matane", "d'Évolène", "in Tofino".
_PREP = r"(?:(?:de|du|des|à|au|aux|in|on|at|of|from|sur)\s+|d['’]\s*)"
_DET = r"(?:the\s+|la\s+|le\s+|l['’]\s*|les\s+|a\s+|an\s+)?"
# Up to a few words between the role and its place: "de la polyvalente de", "of the village primary in".
_BETWEEN = r"(?:[\w'’-]+\s+|d['’]\s*|l['’]\s*){0,5}?"

# Positions in a team: a named team then makes one player among a few dozen.
_TEAM_ROLES = (
    r"goalie|goalkeeper|goaltender|striker|winger|defen[cs]eman|midfielder|quarterback|linebacker|pitcher|catcher"
    r"|shortstop|point\s+guard|fly[- ]half|scrum[- ]half|gardien(?:ne)?\s+de\s+but|gardienne?|attaquante?|ailier"
    r"|ailière|défenseure?|defenseure?|demi\s+de\s+mêlée|demie?\s+d['’]ouverture|talonneur|buteur|buteuse"
    r"|meneu(?:r|se)\s+de\s+jeu"
)
# Words that are positions only in a team's context ("captain of the Dundee team", not "captain of the Titanic").
_TEAM_WORDS = (
    r"captain|co-captain|capitaine|joueur|joueuse|player|keeper|centre|center|forward|libero|passeu(?:r|se)|pivot"
    r"|pilier|coach|entraîneur|entraineur|entraîneuse|entraineuse"
)
# What shows a team: the word for it, a club's initials, or a plural name ("the Halifax Mooseheads", "des Remparts").
_TEAM = (
    r"(?:(?:[\w'’-]+\s+|d['’]\s*|l['’]\s*){0,3}?(?:équipe|team|club|squad|XV|XI)\b\s*(?:[\w'’-]+\s+|d['’]\s*){0,3}?"
    r"|(?-i:FC|AS|SC|HC|RC|AC|US|CS|ES|EHC|SV|AFC)\s|(?:the|les|des)\s+(?=(?-i:[A-ZÀ-Ý]\w+\s+)?(?-i:[A-ZÀ-Ý])\w+s\b))"
)

# Posts at the head of something: with the name of what they head, they are one person.
_HEAD_ROLES = (
    r"directeur|directrice|président|présidente|PDG|patron|patronne|gérant|gérante|propriétaire|proviseur|proviseure"
    r"|principal|principale|head\s?teacher|headmaster|headmistress|owner|president|chair|chairman|chairwoman"
    r"|chairperson|CEO|commandant|commandante|chef|cheffe|doyen|doyenne|dean|superintendent|sheriff|chief|recteur"
    r"|rectrice|supérieure?|abbesse|prieure?|syndic|syndique"
    r"|bourgmestre|préfète?|conservateur|conservatrice|trésorier|trésorière|treasurer"
)
# Words for a school pupil's grade, which with a named school or its place make one class.
_GRADES = (
    r"\d{1,2}(?:st|nd|rd|th)[- ]grader|(?:in\s+)?(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth"
    r"|seventh|eighth|ninth|tenth|eleventh|twelfth)\s+grade|(?:in\s+)?year\s+\d{1,2}|freshman|sophomore|junior"
    r"|senior|pupil|schoolboy|schoolgirl|sixth[- ]former|kindergart[en]+er|élève|écolier|écolière|collégienne?"
    r"|lycéenne?|cégépienne?|gymnasienne?|(?:en|de)\s+(?:CP|CE1|CE2|CM1|CM2|6e|5e|4e|3e|6ème|5ème|4ème|3ème"
    r"|seconde|première|terminale|\d{1,2}e\s+année|\d{1,2}ème\s+année|secondaire\s+\d|sec\s*\d|\d{1,2}\s?H)"
)
_SCHOOLS_FR = (
    r"école|ecole|collège|college|lycée|lycee|groupe\s+scolaire|polyvalente|cégep|cegep|cycle\s+d['’]orientation"
    r"|(?-i:CO)|gymnase|athénée|athenee|pensionnat|internat|école\s+secondaire|école\s+primaire"
)
# Names of schools that are also words: "Sunday School", "High School", "Medical School" name no school.
_NOT_SCHOOL_NAMES = (
    r"(?!(?:Medical|Business|Law|Summer|Sunday|Art|Film|Drama|Dance|Music|Language|Driving|Khan|Police|Royal"
    r"|Military|Naval|The|A|An|My|His|Her|Their|Our|High|Middle|Junior|Senior|Primary|Secondary|Elementary|Public"
    r"|Private|Catholic|Local|Village|State|Grad|Graduate|Night|Boarding|Nursery|Special|Charter|Montessori"
    r"|Waldorf|Steiner|Forest|Bible|Hebrew|Trade|Vocational|Nursing|Dental|Veterinary|Residential|Day|Prep"
    r"|Independent|Grammar|Comprehensive|Ski|Flight|Cooking|Baking|Alternative|Home|Old|New|Big|Small|Same"
    r"|Every|Each|That|This|Which|Whose|Any|No|Regular|Normal|Online|Virtual|Catholic|Christian|Jewish|Muslim"
    r"|Islamic|Sixth|Infant|Junior|Community|After|Before|When|During|Since|Until|Because|While|Then|So|But|And"
    r"|Officer|Training|Army|Navy|Air|Fire|Cadet|Bootcamp|Coding|Acting|Design|Cookery|Swim|Swimming|Riding)\s)"
)

_CONTEXT_PATTERNS = (
    # the only GP in Grassington, la seule boulangère de Saint-Ours, l'unique kiné du village, le seul pharmacien
    # d'Évolène
    re.compile(
        r"(?:\b(?:the|le|la|un|une|au|du|des|aux|its|his|her|their)\s+|\bl['’])(?:seule?|unique|only|sole)\s+"
        r"(?!(?:one|person|people|woman|man|girl|boy|child|kid|time|thing|day|personne|femme|homme|fille|garçon"
        r"|enfant|fois|chose|jour)\s+(?:in|at|of|on|de|du|à|au|d['’])\W)"
        r"(?:(?!who\b|qui\b|que\b|that\b|which\b|where\b|où\b)[\w'’-]+\s+){0,3}?"
        + _PREP
        + r"(?:the\s+|la\s+|le\s+|l['’]|les\s+)?(?:(?:Isle|Island)\s+of\s+)?(?:"
        + _COMMUNITY
        + r"\b|"
        + _BIG_CITIES
        + _PROPER
        + ")",
        re.IGNORECASE,
    ),
    # le notaire de Plougastel, le curé d'Orbe, the vicar of Much Wenlock: roles a small place has one of
    re.compile(
        r"\b(?:notaire|pharmacien(?:ne)?|boulang(?:er|ère)|bouch(?:er|ère)|maire|curé|pasteure?|prêtre|rabbin|imam"
        r"|diacre|institut(?:eur|rice)|direct(?:eur|rice)\s+d['’]école|fact(?:eur|rice)|gendarme|vétérinaire"
        r"|coiffeu(?:r|se)|épici(?:er|ère)|buraliste|garagiste|dentiste|médecin\s+de\s+famille|garde\s+champêtre"
        r"|chef\s+de\s+gare|vicar|priest|rector|pastor|rabbi|mayor|head\s?teacher|headmaster|headmistress|postman"
        r"|postwoman|postmistress|publican|baker|butcher|pharmacist|chemist|dentist|vet|sheriff|constable|GP)"
        r"\s+(?:(?:du|de|of|in|at|on)\s+|d['’]\s*)(?:the\s+)?(?:(?:Isle|Island)\s+of\s+)?" + _BIG_CITIES + _PROPER,
        re.IGNORECASE,
    ),
    # l'école des Coquelicots, le collège Saint-Exupéry, la polyvalente de Matane, le cégep de Rimouski
    re.compile(
        r"\b(?:" + _SCHOOLS_FR + r")\s+(?:(?:privée?|public|publique|primaire|maternelle|élémentaire|secondaire"
        r"|catholique|régionale?|internationale?)\s+)?" + _OF + r"(?!(?:Palo|Francfort|Frankfurt|Chicago|Vienne"
        r"|Genève|Milan|Montessori|Steiner|Freinet|Decroly|France|Normale|Polytechnique|Centrale|Nationale|Supérieure"
        r"|Pratique|Freudienne|Psychologie|Psychanalyse|Médecine|Infirmières?|Danse|Musique|Théâtre|Cirque"
        r"|Commerce|Art|Arts|Beaux)\b)" + _PROPER,
        re.IGNORECASE,
    ),
    # St Mary's Primary, Westmount High, Oak Ridge Middle, Lincoln Elementary, Saint Aidan's Catholic School
    re.compile(
        r"\b"
        + _NOT_SCHOOL_NAMES
        + r"[A-Z][\w'’.-]+(?:\s[A-Z][\w'’.-]+){0,2}\s(?:Primary|Secondary|Academy|Grammar|Comprehensive|High|Middle"
        r"|Elementary|Collegiate|Junior\sHigh|Senior\sHigh|Community\sCollege|Sixth\sForm|Infant\sSchool"
        r"|Junior\sSchool|Catholic\sSchool|Prep\sSchool|School)\b(?!['’]s\b)"
    ),
    # an 8th grader at Westmount, in Year 10 at St Aidan's, élève de 11H au cycle d'orientation de Pérolles
    re.compile(
        r"\b(?:" + _GRADES + r")(?:\s+[\w'’-]+){0,2}?\s+(?:at|au|aux|à\s+la|à\s+l['’]|à\s+l\s|from)\s*"
        r"(?:the\s+)?" + _BETWEEN + _BIG_CITIES + _PROPER,
        re.IGNORECASE,
    ),
    # the goalie for the Halifax Mooseheads, gardien de but des Remparts de Québec, captain of the Dundee team
    re.compile(
        r"\b(?:starting\s+|star\s+|titulaire\s+)?(?:(?:" + _TEAM_ROLES + r")\s+(?:(?:for|of|with|at|on|de|des|du"
        r"|chez|pour|au|aux|dans)\s+|d['’]\s*)" + _DET + _BETWEEN + r"|(?:" + _TEAM_WORDS + r")\s+(?:(?:for|of|with"
        r"|at|on|de|du|chez|pour|au|aux|dans)\s+|d['’]\s*)(?:the\s+|la\s+|le\s+|l['’]\s*|a\s+|an\s+)?"
        + _TEAM
        + r")"
        + _PROPER,
        re.IGNORECASE,
    ),
    # captain of the Dundee women's rugby team: a place, then the team
    re.compile(
        r"\b(?:"
        + _TEAM_ROLES
        + "|"
        + _TEAM_WORDS
        + r")\s+(?:of|for|in|on|de|du|des)\s+(?:the\s+)?"
        + _PROPER
        + r"(?:\s+[\w'’-]+){0,3}\s+(?:team|squad|club|XV|XI)\b",
        re.IGNORECASE,
    ),
    # he plays for Cork City, elle joue pour les Lions de Genève, il joue au FC Sion, joue dans l'équipe de Brive
    re.compile(
        r"\b(?:plays|played|playing|joue|jouait|évolue|evolue|évoluait)\s+(?:(?:for|pour|chez)\s+"
        + _DET
        + _PROPER
        + r"|(?:au|à|a|in|on|dans|with|avec|for|pour)\s+"
        + _DET
        + r"(?:(?-i:FC|AS|SC|HC|RC|AC|US|CS|ES|EHC|SV)\s"
        r"|Stade\s|Olympique\s|Racing\s|Sporting\s|(?:équipe|team|club|squad)\b" + _BETWEEN + _PROPER + r"))",
        re.IGNORECASE,
    ),
    # le directeur de la polyvalente de Matane, la présidente du club de foot de Morteau, the head teacher of the
    # village primary in Ambleside: a post, what it heads, then where (not "le directeur de Pôle Emploi")
    re.compile(
        r"\b(?:"
        + _HEAD_ROLES
        + r")\s+(?:(?:of|de|du|des)\s+|d['’]\s*)"
        + _DET
        + _BETWEEN
        + r"(?:(?:of|de|du|at|in|à|au)\s+|d['’]\s*)(?:the\s+)?"
        + _BIG_CITIES
        + _PROPER,
        re.IGNORECASE,
    ),
    # the whole village knows him, tout le monde le connaît, toute l'école le connaît
    re.compile(
        r"\b(?:(?:the\s+)?whole\s+" + _COMMUNITY + r"|tout\s+le\s+(?:village|bourg|quartier|bled|coin|collège|lycée"
        r"|club|bureau|service)|toute\s+la\s+(?:ville|commune|région|cité|rue|école|paroisse|polyvalente)"
        r"|toute\s+l['’](?:école|équipe|usine|île|entreprise)|tout\s+le\s+monde|everyone|everybody)"
        r"\s+(?:(?:here|there|ici|là-bas|là)\s+|(?:in|au|dans|du|at|à)\s+(?:the\s+|le\s+|la\s+|l['’])?"
        r"[\w'’-]+\s+)?(?:knows\s+(?:him|them)\b|knows\s+her\b(?!\s+(?:secret|story|business|past|history"
        r"|problems?|issues?|situation|diagnosis|struggles?|feelings?)\b)|knows\s+(?:his|her|their)\s+(?:name|face"
        r"|car|truck|van|house|family|parents|dad|mum|mom|father|mother|wife|husband)\b|le\s+conna[îi]t"
        r"|la\s+conna[îi]t|les\s+conna[îi]t|would\s+recogni[sz]e|recogni[sz]es|la\s+reconna[îi]t"
        r"|le\s+reconna[îi]t|sait\s+qu['’](?:elle|il)\s+vient|knows\s+who\s+(?:he|she)\s+is)"
        r"(?![^.!?;\n]{0,25}?\b(?:comme|as|pour|for|en\s+tant)\b)",
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
        r"\b(?:entraîne|entraine|coache|dirige|tient|runs|manages|coaches|owns|préside|preside[sd]|chairs)\s+"
        r"(?:l['’]\s*|le\s+|la\s+|les\s+|the\s+)" + _BETWEEN + _PREP + _PROPER,
        re.IGNORECASE,
    ),
)

# Cheap look-out, on the lowercased text, for words without which no context pattern can match.
_CONTEXT_HINT = re.compile(
    r"seul|unique|only|sole|whole|tout le|toute la|toute l|everyone|everybody|école|ecole|collège|college|lycée"
    r"|lycee|scolaire|polyvalente|cégep|cegep|orientation|gymnase|athén|pensionnat|internat|primary|secondary|academy"
    r"|grammar|comprehensive|high|middle|elementary|collegiate|school|sixth form|infant|junior|senior|grade|year"
    r"|freshman|sophomore|pupil|élève|écoli|collégien|lycéen|cégépien|gymnasien|entra[îi]n|coach|dirige|tient|runs"
    r"|manages|owns|présid|presid|chair|notaire|pharmac|boulang|bouch|maire|curé|pasteur|prêtre|rabbi|imam|diacre"
    r"|institut|direct|facteur|factrice|gendarme|vétérinaire|coiffeu|épici|buraliste|garagiste|dentist|médecin"
    r"|garde|chef|vicar|priest|rector|pastor|mayor|head|postm|postwoman|publican|baker|butcher|chemist|vet|sheriff"
    r"|constable|gp|['’]s only|['’]s sole|conseill|député|sénat|préfet|bourgmestre|échevin|councill|mp for|mep"
    r"|femme du|mari du|fils du|fille du|wife of|husband of|son of|daughter of|champion|medal|gagné|remporté|won"
    r"|was on|participé|était dans|présente|presents|reads|followers|abonnés|subscribers|goal|keeper|striker"
    r"|winger|defen|midfield|quarterback|linebacker|pitcher|catcher|shortstop|guard|half|back|captain|capitaine"
    r"|gardien|attaqu|ailier|ailière|défens|mêlée|ouverture|talonneur|pilier|meneu|buteu|joueu|player|centre"
    r"|center|forward|libero|passeu|pivot|arrière|plays|played|playing|joue|évolu|evolu|patron|gérant|propriétaire"
    r"|proviseur|principal|owner|ceo|pdg|commandant|doyen|dean|superintendent|chief|recteur|rectrice|supérieur"
    r"|abbesse|prieur|syndic|conservat|fondat|founder|trésor|treasurer|recogni|reconna|conna[îi]t|knows"
)


def has_identifying_context(lower: str, text: str) -> bool:
    """Whether the text names a unique role, a school, a team or fame (lower: the text, lowercased)."""
    return bool(_CONTEXT_HINT.search(lower)) and any(p.search(text) for p in _CONTEXT_PATTERNS)
