"""The patient-identifier guard: what it flags, what it leaves alone, and how the user chooses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.care import identifier_patterns, identifiers
from bot.care.identifiers import identifying_details
from tests.harness import App, User, text_of

KINDS = {"name", "date_of_birth", "email", "phone", "address", "id_number", "handle", "context"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # names after a title, lowercase included
        ("Mme Durand ne vient plus à ses séances", "name"),
        ("M. Lefebvre m'a encore appelé", "name"),
        ("ma patiente Sophie a pleuré tout le long", "name"),
        ("Mr Thompson cancelled again", "name"),
        ("my client Jessica Brown was furious", "name"),
        ("hier m. benhamou est arrivé en avance", "name"),
        ("mrs okafor rang the clinic twice", "name"),
        ("madame girard refuse de reprendre le travail", "name"),
        # first and last name without a title, in either case
        ("Ce matin j'ai reçu Pauline Marchetti pour un premier entretien", "name"),
        ("séance tendue avec romain bertrand, il veut tout arrêter", "name"),
        ("Yesterday I saw Megan Whitfield about her panic attacks", "name"),
        ("debrief on liam o'connor, he finally opened up", "name"),
        # a first name alone, when it is clearly a person
        ("Léa m'a dit qu'elle ne dormait plus", "name"),
        ("Hier, Moussa a parlé de la traversée pour la première fois", "name"),
        ("je reçois maëlys le mardi depuis septembre", "name"),
        ("Session with Liam today, he was flat", "name"),
        ("Priya told me her father checks her phone", "name"),
        ("Dear Siobhan, just confirming next Tuesday", "name"),
        ("Chère Agnieszka, je vous propose de décaler notre séance", "name"),
        # first names that are also words, with a person's context
        ("Rose a pleuré pendant toute la séance", "name"),
        ("Will told me he has started drinking again", "name"),
        ("My patient Grace keeps cancelling", "name"),
        ("I think Pierre is testing me", "name"),
        # a name the list does not hold, made a person by the words around it
        ("Ma patiente Ottavina refuse le traitement", "name"),
        ("Her name is Tamsyn and she is 17", "name"),
        ("I had a session with the Adebayo family", "name"),
        # birth dates, numeric, ISO, and in words
        ("né le 12 mars 1984, il pense que", "date_of_birth"),
        ("born on 3 June 1990", "date_of_birth"),
        ("sa date de naissance, 04/07/1979", "date_of_birth"),
        ("Patiente née le vingt-deux novembre 1975, suivie depuis peu", "date_of_birth"),
        ("She was born on the 3rd of March 1987 and hates birthdays", "date_of_birth"),
        ("DOB 03/15/87, referred for low mood", "date_of_birth"),
        ("ddn 05/01/75, adressé par son médecin", "date_of_birth"),
        ("He was born 1979-06-21 and turned 45 this year", "date_of_birth"),
        ("Mr X, 09-07-1980, road anxiety", "date_of_birth"),
        # phones in the countries of our users
        ("il m'a laissé son numéro 06 12 34 56 78", "phone"),
        ("call back +33 6 12 34 56 78", "phone"),
        ("rappeler la mère au 01.42.58.96.33", "phone"),
        ("son portable belge : 0477 21 43 65", "phone"),
        ("numéro suisse 079 318 52 40", "phone"),
        ("her mobile is 07700 900461", "phone"),
        ("call her back on 0161 496 0733", "phone"),
        ("the dad's cell is (617) 555-0148", "phone"),
        ("joignable au +1 438 555 0127 à Montréal", "phone"),
        ("son numéro au Maroc, +212 661 23 45 67", "phone"),
        # emails, including spelt out
        ("elle m'écrit sur jdupont@example.org le soir", "email"),
        ("he emails from big.dave77@hotmail.co.uk at night", "email"),
        ("son adresse c'est marie.l (at) gmail.com", "email"),
        # addresses in French, Belgian, Swiss, British, American and Canadian styles
        ("il habite 12 rue des Lilas", "address"),
        ("she lives at 221 Baker Street", "address"),
        ("visite prévue au 4 bis place de la Mairie à Douai", "address"),
        ("elle loge avenue des Arts 19, 1000 Bruxelles", "address"),
        ("son adresse : Rue du Rhône 42, 1204 Genève", "address"),
        ("courrier au 6 impasse des glycines 59000 lille", "address"),
        ("home visit at 14 Larch Close, Bolton BL3 6QZ", "address"),
        ("client address 3 meadow lane hexham", "address"),
        ("he moved to 58 Elm St, Springfield, IL 62704", "address"),
        ("she is at 250 rue Sainte-Catherine, Montréal, QC H2X 1L4", "address"),
        # social security, hospital and insurance numbers
        ("numéro de sécu 2 84 11 59 350 017 26", "id_number"),
        ("NIR 1 73 05 2B 048 112 09 pour la mutuelle", "id_number"),
        ("sa carte vitale 184117512301842", "id_number"),
        ("IPP 2019004512 au CHU", "id_number"),
        ("n° de dossier 77-412 au CMP", "id_number"),
        ("NHS number 943 476 5919 on the letter", "id_number"),
        ("MRN 00731852, admitted on Friday", "id_number"),
        ("CHI 2304791234 for the Scottish referral", "id_number"),
        ("case ref 2024-CAMHS-0311", "id_number"),
        ("her NI number is QQ 12 34 56 C", "id_number"),
        # handles and plates
        ("son compte Instagram @clara.danse.07 est public", "handle"),
        ("insta : lili_danse91", "handle"),
        ("il se gare avec sa plaque EF-318-KL devant le cabinet", "handle"),
        ("reg YR21 KDN, the ex's car", "handle"),
        # a unique role in a small place, a named school
        ("C'est le seul pharmacien de Saint-Véran, tout le monde le connaît", "context"),
        ("He's the only vet in Glenridding", "context"),
        ("Elle est en 5e au collège Jean-Rostand de Saumur", "context"),
        ("She teaches Year 2 at Hollins Primary", "context"),
        ("Elle est conseillère municipale à Pléneuf, elle a peur qu'on la voie", "context"),
        ("He won Love Island a few years ago and people stop him in the street", "context"),
        ("Everyone in the village knows her", "context"),
        # every title, abbreviated or not, with or without a dot, glued to the name or not, in any case
        ("J'ai adressé la patiente à la Dre Bouchard", "name"),
        ("rdv décalé par mme.gauthier, encore", "name"),
        ("ce soir m.lévesque a laissé un message", "name"),
        ("Mail du Dr.Lemieux au sujet du lithium", "name"),
        ("mrs.kaur was in tears in the waiting room", "name"),
        ("Me Lambert, l'avocate du père, demande un rapport", "name"),
        ("Le Pr Mercier a posé le diagnostic", "name"),
        ("madame Leclercq dit qu'elle n'en peut plus", "name"),
        ("Lettre à l'attention du docteur Fontaine", "name"),
        ("Mme M. Vasseur a rappelé pour décaler", "name"),
        ("Mr J. Fletcher cancelled for the third time", "name"),
        ("Father O'Malley came in about his drinking", "name"),
        ("Rev. Adeyemi asked me for a letter", "name"),
        ("Le père Girard craint que la paroisse l'apprenne", "name"),
        ("Le juge Martinez a ordonné une expertise", "name"),
        # a first name, or a name no list holds, then an age
        ("Situation : Maxence, 16 ans, ne sort plus de sa chambre", "name"),
        ("Kenzo (15 ans) est harcelé sur les réseaux", "name"),
        ("Situation: Tayden, 15, expelled for fighting", "name"),
        ("Intake: Roisin, 22, panic attacks on placement", "name"),
        # compound first names and surnames no word looks like
        ("Marie-Pier m'a dit qu'elle voulait arrêter", "name"),
        ("Working with Aodhan McCarthy on his grief", "name"),
        # a unique role in a named place, with or without an elided "de"
        ("Le seul vétérinaire d'Anzère a peur qu'on le voie ici", "context"),
        ("Le curé d'Orbe vient pour un épuisement", "context"),
        ("The only midwife on Barra is my new client", "context"),
        # a post at the head of a named school, firm or club
        ("La directrice de la polyvalente de Baie-Comeau consulte pour un burn-out", "context"),
        ("Il est directeur de l'usine Michelin de Cholet", "context"),
        ("The principal of Jefferson Middle School came to see me", "context"),
        ("La présidente du club de foot de Morteau a des crises d'angoisse", "context"),
        # a place in a named team
        ("Il est gardien de but des Dragons de Trois-Rivières", "context"),
        ("He's the starting pitcher for the Lansing Lugnuts", "context"),
        ("Il joue au HC Sierre et a peur que le vestiaire apprenne qu'il consulte", "context"),
        ("She's the captain of the Dundee women's rugby team", "context"),
        # a grade in a named school
        ("7th grader at Maple Grove Middle, bullied online", "context"),
        ("She's in Year 10 at Saint Aidan's Catholic School", "context"),
        ("Un élève de 10H au cycle d'orientation de Marly", "context"),
        ("Elle est en secondaire 4 à la polyvalente de Rivière-du-Loup", "context"),
        ("il étudie au cégep de Matane", "context"),
        # numbers that were read as something else
        ("Numéro de la tante à Namur : 081 22 33 44", "phone"),
        ("DN 12/06/1987, adolescente placée", "date_of_birth"),
        ("envoyer le rapport au 125 boul. Saint-Joseph Est", "address"),
        ("she lives at 1530 W. 45th St, Chicago", "address"),
        ("Dossier CHUV no 884512, reprise du suivi", "id_number"),
        ("Son numéro d'admission est 23-045871", "id_number"),
        # names that are also words or places, after words that address someone
        ("lettre a Justine pour lui dire au revoir", "name"),
        ("letter to Jordan saying goodbye", "name"),
        ("Rose ma dit qu'elle partait", "name"),
        ("j'ai revu jean-marc hier, il va mieux", "name"),
        ("M Dupont est revenu après six mois", "name"),
        # birth dates written with the year first, or an age and a birthday
        ("né en 1983, le 5 novembre, à Tunis", "date_of_birth"),
        ("Elle fête ses 40 ans le 12 mars prochain", "date_of_birth"),
        ("Date naissance 1983-11-05", "date_of_birth"),
        ("he was born on November 5th '83 in Leeds", "date_of_birth"),
        # a unique role after "au", "du"
        ("Elle est serveuse au seul café de Bouillon", "context"),
    ],
)
def test_identifying_details_are_flagged(text: str, kind: str) -> None:
    assert kind in identifying_details(text)


@pytest.mark.parametrize(
    "text",
    [
        # the pseudonyms we suggest
        "patient A ne vient plus",
        "Mme X m'a parlé de sa mère",
        "M. B a annulé deux fois",
        "Mrs V. was quiet for most of the hour",
        "my client J. relapsed at the weekend",
        "La patiente K, 40 ans, a peur de conduire",
        "Dear Ms A., thank you for your message",
        "I'll call her Tom here, not his real name",
        "Ma patiente (prénom modifié : Inès) a peur du noir",
        # ordinary clinical text
        "une patiente qui n'avance pas depuis des mois",
        "Le patient Il faut que je m'organise",
        "my patient was angry and I felt it in my chest",
        # contractions and elisions
        "I'll need to think about how to end with her",
        "I'd rather not push her this week",
        "She'll probably cancel before the holidays",
        "J'ai trouvé la séance lourde, je suis vidée",
        "T'es sûre ? c'est ce que j'ai eu envie de lui répondre",
        "L'autre jour, elle m'a dit qu'elle voulait arrêter",
        # capitalised words at the start of a sentence, and first names that are words
        "Depuis hier il ne répond plus",
        "Claire et nette, sa demande m'a surprise",
        "Will she come back after the break?",
        "May was a really hard month for her",
        "Hope is in short supply this week",
        "Grace period for the invoice is seven days",
        "Pierre après pierre, on reconstruit",
        # places, months, days, brands
        "Elle part à Marseille en Juillet",
        "She's off to Florence in August",
        "Mardi matin, crise de panique chez Carrefour",
        "He works nights at Tesco and sleeps all day",
        "Elle regarde Netflix jusqu'à quatre heures",
        "Séance sur Zoom, la connexion coupait",
        "He grew up near Victoria Station",
        # theorists and public figures
        "Je repense à Winnicott et à la mère suffisamment bonne",
        "Carl Rogers would call it unconditional positive regard",
        "Exercice de Kristin Neff, il a trouvé ça trop gentil",
        "Rereading Irvin Yalom before supervision",
        "En groupe Balint on a parlé du contre-transfert",
        "As Donald Winnicott put it, there is no such thing as a baby",
        "Il relit Boris Cyrulnik sur la résilience",
        # times, scores, doses, years, prices
        "séance de 50 minutes à 18h30, je suis épuisée",
        "on a fait 10 séances en 2024",
        "I rated it 7/10 and then 4/10",
        "PHQ-9 à 19, GAD-7 à 14",
        "sertraline 100 mg depuis trois semaines",
        "She drinks 30 units a week",
        "Il paie 60 € la séance et ne peut plus suivre",
        "He says he can't keep paying £75 an hour",
        "Two overdoses, one in 2014 and one in 2020",
        "Entre 10 000 et 15 000 € de dettes",
        # ordinary dates that are not birth dates
        "le 3/04 j'ai supervision",
        "date de l'accident : 14/07/2022",
        "annual leave 22/12/2025 to 02/01/2026",
        "congés du 22.12.2025-02.01.2026",
        "Planning du 2026-11-30, trois séances",
        "Her dad died on 3 March 2018",
        "Il ne viendra pas le 12/03, il a changé de créneau",
        "Elle est née dans une famille où l'on ne parlait pas",
        # the crisis lines the bot hands out
        "Je lui ai redonné le 3114 et le 15",
        "le 0805 23 23 36 est une bonne ressource",
        "Gave her Samaritans 116 123 again",
        "In the US she can call or text 988",
        "Kids Help Phone is 1-800-668-6868",
        "SOS Amitié au 09 72 39 40 50",
        # being alone is not being unique
        "Elle se sent seule à Paris depuis son arrivée",
        "He's the only one in his family who talks about feelings",
        # authors cited together, institutions acting, words that only look like names
        "Hayes et Wilson le décrivent très bien dans leur manuel",
        "Beck and Emery wrote about this in the eighties",
        "parce que Pôle Emploi a refusé son dossier",
        "Universal Credit refused her claim again",
        "Summer always makes her sad",
        "cigarette ash still on the carpet, she says",
        "Don't know what to say to him next week",
        "Elle vit à la rue depuis 2019 et dort au 115",
        "un appartement 3 pièces au 2e sans ascenseur",
        "Twitter est toxique pour lui, il le sait",
        # pseudonyms in quotes, or announced
        "Pour le groupe : patiente « Oméga », deuil compliqué",
        'Mon client "Delta" refuse l\'hospitalisation',
        "client 'Foxtrot' won't take her meds",
        "Le jeune (que j'appellerai Victor) ne parle pas en séance",
        "M. Untel, 50 ans, consulte pour un deuil",
        # a day and month without a year, appointments included
        "Next appt 05/21, then I'm off until 6/16",
        "Prochaine séance le 14/05, puis pause jusqu'au 02/06",
        "appt 3 at 10am, then lunch",
        # words before an age that are not names
        "Ado, 15 ans, phobie scolaire",
        "Infirmière, 50 ans, épuisée par les gardes",
        "Veteran, 60, nightmares since Afghanistan",
        "Lyon, 12 ans plus tard, elle y retourne enfin",
        "Groupe (12 ans et plus) le mercredi",
        "Jumeaux, 6 ans, séparés à l'école",
        "Twins, 6, separated at school",
        # titles that are words, degrees and roles after a title
        "Me voilà encore à douter de moi",
        "Father's Day is coming and he dreads it",
        "Captain America is his hero",
        "Elle a un M.Sc. en neurosciences",
        "M. le Maire a inauguré la maison de santé",
        "Le Dr m'a dit d'attendre",
        # roles, schools and teams that name no one
        "Her manager at Amazon keeps calling her",
        "He's a huge Arsenal fan",
        "La directrice de l'école m'a appelée",
        "Il joue à Fortnite jusqu'à trois heures",
        "Elle est étudiante à Lyon depuis septembre",
        "Le chef de service de Psychiatrie m'a demandé un bilan",
        "High school was hell for him",
        "Sunday School was where he learned shame",
        "Officer Training School is where he got hurt",
        "He was the only person at Tesco who was kind to her",
        "Elle est la seule de sa fratrie à Paris",
        "Everyone knows her secret, she thinks",
        "Tout le monde le connaît au travail comme le râleur",
        # authors and celebrities cited by first and last name
        "Comme disait Elisabeth Kübler-Ross, le deuil n'est pas linéaire",
        "Je relis Marcel Rufo sur l'adolescence",
        "As Anne Sexton wrote, the beautiful feelings are hard",
        "Reading Bruno Bettelheim's book on fairy tales with her",
        "He admires Muhammad Ali and wants to box",
        "Marcus Aurelius and the Stoics are his lifeline",
        "Aurélie Valognes, c'est l'autrice qu'elle lit en ce moment",
        # pseudonyms the writer says are pseudonyms, pets and toys
        "Mme Dupont (nom d'emprunt) me fait penser à ma mère",
        "The client, whom I'll call Paul, keeps testing me",
        "Son chien Max est mort et elle est effondrée",
        "Her dog Bella died last week",
        # a birthday without a year is not a birth date
        "Son fils est né le 3 mars, en pleine tempête",
        "Her son was born on 3 March and she was alone",
        "Son anniversaire est le 12 mai, elle le redoute",
        "He watched Born on the Fourth of July again",
        # numbers of the practice, a shop or a book
        "Facture n° 2024-0312 envoyée à la mutuelle",
        "ISBN 978-2-07-036024-5, le livre qu'elle m'a prêté",
        "numéro RPPS 10101234567 à mettre sur la facture",
        # a word that is a name, as a thing
        "Elle porte toujours le même jean troué",
        # positions and posts that name no team and no place
        "She lives in the centre of Lyon",
        "Il est joueur de Fortnite",
        "le capitaine de la Marine marchande",
        "Le directeur de Pôle Emploi a refusé",
        "la présidente de la Croix-Rouge locale",
        "Elle est élève au Lycée depuis septembre",
    ],
)
def test_ordinary_clinical_text_is_left_alone(text: str) -> None:
    assert identifying_details(text) == []


def test_only_kinds_are_returned_never_the_details() -> None:
    found = identifying_details("Léa Martin, née le 02/03/1990, 06 12 34 56 78, lea@example.org, 3 rue Haute")
    assert set(found) <= KINDS
    assert found == ["name", "date_of_birth", "email", "phone", "address"], "a stable order"


def test_nhs_check_digit() -> None:
    assert identifier_patterns._nhs_valid("9434765919")
    assert not identifier_patterns._nhs_valid("9434765918")


def test_the_name_list_is_well_formed() -> None:
    path = Path(identifiers.__file__).with_name("first_names.txt")
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    names = [line.rstrip("*!") for line in lines]
    assert len(names) > 2000
    assert len(set(names)) == len(names), "no duplicates"
    assert all(name == name.lower() and " " not in name for name in names)
    assert identifiers._names() is identifiers._names(), "read once"


def test_it_is_fast_enough_for_every_message() -> None:
    texts = ["Léa m'a dit qu'elle ne dormait plus depuis le 3 mars", "PHQ-9 à 19, sertraline 100 mg", "I'll see"] * 200
    identifying_details("warm up")
    start = time.perf_counter()
    for text in texts:
        identifying_details(text)
    assert (time.perf_counter() - start) / len(texts) < 0.002, "a generous bound: about 0.1 ms is usual"


async def test_the_user_may_rephrase_or_keep_and_nothing_is_stored_before(app: App) -> None:
    user = User(app)
    await user.onboard()
    await user.send("/break")
    await user.tap("other")
    warned = await user.send("Mme Durand me fait douter de moi")
    assert "pseudonyme" in text_of(warned) and "Durand" not in text_of(warned)
    assert await user.step() == "situation_other"
    _, state = await user.run_state()
    assert state is not None and "situation_text" not in state.top.values, "nothing kept as an answer yet"
    await user.send("Patiente A me fait douter de moi")
    assert await user.step() == "bring_to_mind"
    _, state = await user.run_state()
    assert state is not None and state.top.values["situation_text"] == "Patiente A me fait douter de moi"


async def test_keeping_the_text_as_written(app: App) -> None:
    user = User(app)
    await user.onboard(language="en")
    await user.send("/break")
    await user.tap("other")
    warned = await user.send("Mrs Jones keeps testing my limits")
    assert "pseudonym" in text_of(warned)
    await user.tap("do:keep_text")
    assert await user.step() == "bring_to_mind"
    _, state = await user.run_state()
    assert state is not None and state.top.values["situation_text"] == "Mrs Jones keeps testing my limits"
