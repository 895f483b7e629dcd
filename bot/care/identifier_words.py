"""Word lists of the patient-identifier guard (bot/care/identifiers.py): words that are never names, place and
institution heads, public figures cited by clinicians, and the pieces of elisions and contractions."""

from __future__ import annotations

from bot.care.identifier_patterns import _words

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
