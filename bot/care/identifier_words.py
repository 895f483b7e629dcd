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
    twitter linkedin amazon apple siri alexa chatgpt internet untel unetelle michu bloggs doe trucmuche bidule
    alpha bravo delta echo foxtrot golf hotel kilo lima tango uniform whiskey xray yankee zulu bêta beta gamma
    epsilon zêta zeta êta eta thêta theta iota kappa lambda omicron sigma upsilon oméga omega
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
    prévost, robert giffard, john radcliffe, mary seacole, guys and st thomas, elizabeth garrett anderson,
    elisabeth kübler-ross, elisabeth kubler-ross, elizabeth kübler-ross, elizabeth kubler-ross, kübler-ross,
    bruno bettelheim, marcel rufo, christophe dejours, romain gary, marc aurèle, marcus aurelius, muhammad ali,
    leonard cohen, anne sexton, ernest hemingway, byron katie, deb dana, rick hanson, margaret mahler, harry
    stack sullivan, ronald laing, r d laing, edgar morin, marie de hennezel, frédéric fanget, jacques van rillaer,
    serge lebovici, bernard golse, xavier emmanuelli, louis cozolino, hanna segal, rené roussillon, daniel lagache,
    françoise sagan, primo levi, stefan zweig, alan turing, heath ledger, philip seymour hoffman, matthew perry,
    anthony bourdain, david foster wallace, mark rothko, chester bennington, chris cornell, robin hobb, gérard de
    nerval, jean améry, édouard levé, edouard leve, dalida, mère teresa, mother teresa, abraham lincoln, martin
    luther, jules césar, julius caesar, louis xiv, jean-jacques rousseau, marcel pagnol, guy de maupassant,
    gustave flaubert, honoré de balzac, charles baudelaire, arthur rimbaud, paul verlaine, jean racine, pierre
    corneille, victor frankl, mike tyson, kobe bryant, diego maradona, michael phelps, usain bolt, ayrton senna,
    jean-paul ii, jean paul ii, pope francis, pape françois, dalaï-lama, dalai lama, the dalai lama,
    carl gustav, anna o, little hans, petit hans, rat man, homme aux loups, wolf man, ginette reno, guy a
    lepage, françois legault, denis coderre, valérie plante, alain berset, ignazio cassis, guy parmelin, elio di
    rupo, alexander de croo, bart de wever, philippe de belgique, king philippe, angèle van laeken, stromae,
    grand corps malade, orelsan, nekfeu, christine and the queens, gims, maître gims, booba, indila,
    jean-jacques goldman, alain souchon, michel berger, france gall, jacques prévert, boris vian, albert jacquard,
    pierre rabhi, nicolas hulot, hubert reeves,
    frédéric beigbeder, joël dicker, joel dicker, marc levy, michel bussi, virginie grimaldi, mélissa da costa,
    amélie nothomb, éric-emmanuel schmitt, eric-emmanuel schmitt, alexandre jollien, fabrice midal, charles
    pépin, christophe andré, jean-claude ameisen, boris cyrulnik, muriel salmona, isabelle aubry, hélène romano,
    patrick clervoy, jacques lecomte, rebecca shankland, ilios kotsou, caroline lesire, thomas d'ansembourg,
    rosette poletti, lytta basset, jon kabat zinn, thich nhat hanh, sogyal rinpoche, chögyam trungpa, ram dass,
    alan watts, joseph campbell, carl sagan, yuval noah harari, jordan b peterson, simon sinek, adam grant,
    malcolm gladwell, susan cain, kelly mcgonigal, angela duckworth, carol dweck, mihaly csikszentmihalyi,
    martin buber, erich fromm, rollo may, james hollis, clarissa pinkola estés, jean shinoda bolen, marion
    woodman, robert bly, james hillman, thomas moore, john o'donohue, mary oliver, rumi, khalil gibran, rainer
    maria rilke, pablo neruda, maya angelou, toni morrison, james baldwin, audre lorde, bell hooks, joan didion,
    cheryl strayed, glennon doyle, elizabeth gilbert, anne lamott, pema chodron, sharon salzberg, jack kornfield,
    joseph goldstein, rick hanson, kristin neff, chris germer, christopher germer, paul gilbert, deborah lee,
    dennis tirch, steven c hayes, kirk strosahl, russ harris, kelly g wilson, matthew mckay, jeffrey brantley,
    edmund bourne, david d burns, judith s beck, aaron t beck, marsha m linehan, alan fruzzetti, charles swenson,
    anthony bateman, peter fonagy, otto f kernberg, john f clarkin, jeffrey e young, janet klosko, marjorie
    weishaar, arnoud arntz, hannie van genderen, david barlow, michelle craske, edna b foa, barbara rothbaum,
    patricia a resick, candice monson, kathleen chard, francine shapiro, laurel parnell, robin shapiro, deborah
    korn, sandra paulsen, kathy steele, suzette boon, onno van der hart, ellert nijenhuis, frank putnam, richard
    kluft, colin ross, bethany brand, ruth lanius, stephen w porges, deb a dana, pat ogden, kekuni minton, janina
    fisher, bessel a van der kolk, judith lewis herman, peter a levine, babette rothschild, robert scaer, daniel
    j siegel, allan n schore, louis j cozolino, diana fosha, susan m johnson, john m gottman, julie schwartz
    gottman, harville hendrix, helen lakelly hunt, terrence real, esther perel, david schnarch, stan tatkin,
    amir levine, rachel s f heller, sue johnson, les greenberg, leslie s greenberg, robert elliott, jeanne
    watson, rhonda goldman, antonio pascual-leone, irvin d yalom, molyn leszcz, jerome frank, bruce wampold,
    scott miller, barry duncan, mark hubble, michael lambert, john norcross, clara hill, carl r rogers, eugene
    gendlin, fritz perls, laura perls, paul goodman, gordon wheeler, erving polster, miriam polster, joseph
    zinker, virginia satir, salvador minuchin, jay haley, cloé madanes, mara selvini palazzoli, luigi boscolo,
    gianfranco cecchin, giuliana prata, murray bowen, michael kerr, monica mcgoldrick, betty carter, michael white,
    david epston, steve de shazer, insoo kim berg, bill o'hanlon, milton h erickson, jeffrey zeig, stephen
    gilligan, ernest rossi, richard bandler, john grinder, françois roustang, jean godin, giorgio nardone, paul
    watzlawick, john weakland, richard fisch, don jackson, gregory bateson, margaret mead, ruth benedict,
    claude lévi-strauss, pierre bourdieu, émile durkheim, max weber, karl marx, friedrich engels, adam smith,
    john maynard keynes, mahatma gandhi, martin luther king jr, malcolm x, desmond tutu, dalai lama, aung san suu
    kyi, vaclav havel, lech walesa, mikhail gorbatchev, mikhail gorbachev, joseph staline, joseph stalin, adolf
    hitler, benito mussolini, mao zedong, fidel castro, che guevara, napoléon bonaparte, napoleon bonaparte,
    jules ferry, léon blum, charles de gaulle, françois mitterrand, valéry giscard d'estaing, simone veil,
    robert badinter, gisèle halimi, jean jaurès, georges clemenceau, pierre mendès france, jacques delors,
    lionel jospin, ségolène royal, édouard philippe, gabriel attal, jean-luc mélenchon, marine le pen, éric
    zemmour, donald j trump, joe biden, barack obama, bernie sanders, alexandria ocasio-cortez, hillary rodham
    clinton, john f kennedy, jfk, robert kennedy, jackie kennedy, franklin d roosevelt, eleanor roosevelt,
    theodore roosevelt, george washington, thomas jefferson, benjamin franklin, winston s churchill, clement
    attlee, harold wilson, jeremy corbyn, nicola sturgeon, pierre trudeau, stephen harper, jean chrétien, brian
    mulroney, rené lévesque, jacques parizeau, lucien bouchard, pauline marois, léonard de vinci, leonardo da
    vinci, charlotte brontë, emily brontë, anne brontë, charlotte bronte, emily bronte, sally rooney, aurélie
    valognes, mona chollet, delphine horvilleur, camille kouchner, vanessa springora, neige sinno, rupi kaur,
    matt haig, colleen hoover, elena ferrante, haruki murakami, paulo coelho, khaled hosseini, chimamanda ngozi
    adichie, margaret atwood, jk rowling, j k rowling, roald dahl, enid blyton, agatha christie, george orwell,
    aldous huxley, j d salinger, jd salinger, f scott fitzgerald, john steinbeck, harper lee, toni morrison,
    louisa may alcott, lewis carroll, oscar wilde, james joyce, samuel beckett, seamus heaney, sally field
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
    frankenstein dolittle robot clean potato brightside sandman bojangles hook marvel kirk haddock obvious planet
    underpants crochet flam columbo gadget clouseau derrick pikachu krupke judy dredd lancelot galahad gaga
    macbeth voldemort edna christmas time nature act bear jackie ratched carter america figure practitioner
    manager specialist consultant lead training assistant station trip bag outlet bird teresa fouras fouettard
    castor ted wives universe univers sc ed ps phil eng pharm div th arch mus litt msc mba it untel unetelle michu
    bloggs doe trucmuche bidule machin machine truc chose lambda average someone quelconque maire président
    présidente directeur directrice professeur docteur juge préfet préfète ministre député sénateur curé abbé maître
    """
)

_ELISIONS = _words("l d j m t s n c qu jusqu lorsqu puisqu quoiqu presqu")
_EN_SUFFIXES = _words("s ll d re ve m t")

# Words that stand before an age without being a name: "Ado, 15 ans", "Veteran, 60,", "Infirmière, 50 ans".
_DESCRIPTORS = _words(
    """
    homme femme garçon garcon fille ado ados adolescent adolescente enfant bébé bebe jeune étudiant étudiante
    etudiant etudiante élève eleve enseignant enseignante infirmier infirmière retraité retraitée mère père veuve
    veuf situation dame cadre policier policière militaire pompier pompière chauffeur maçon comptable avocat
    avocate médecin agriculteur agricultrice ingénieur ingénieure architecte divorcé divorcée célibataire marié
    mariée couple frère soeur sœur fils épouse époux mari conjoint conjointe man woman boy girl teen teenager male
    female child kid student nurse teacher veteran mother father widow widower lady gentleman toddler infant baby
    youth adult adulte senior lawyer engineer farmer mechanic firefighter accountant single married divorced sister
    brother son daughter wife husband partner soldier worker employee director executive chef cook driver cleaner
    carer caregiver refugee migrant survivor parent grandmother grandfather grandma grandpa nurse pt pte case cas
    debrief intake referral session séance note lettre letter objet subject motif réfugié réfugiée demandeur
    demandeuse aidant aidante salarié salariée chômeur chômeuse intérimaire apprenti apprentie stagiaire groupe
    group classe class atelier workshop cohorte cohort fratrie famille family semaine week année year bilan
    """
)
_NOT_NAME_ENDINGS = (
    "eur", "euse", "rice", "ier", "ière", "iste", "able", "aire", "ant", "ante", "ent", "ente", "é", "ée", "ien",
    "ienne", "ique", "eux", "ive", "er", "or", "ist", "ian", "man", "woman", "ess", "ee", "ed", "ing", "s", "x",
)  # fmt: skip
