"""Tests of bot.understanding.skills: how people name what they can do."""

from __future__ import annotations

import pytest

from bot.taxonomy import Taxonomy, Term
from bot.understanding.skills import find_skills

CASES = [
    ("J'ai été prof de maths pendant 30 ans", ["tutoring"]),
    ("je fais des gâteaux pour toute la famille", ["cooking"]),
    ("j'ai le permis B", ["driving"]),
    ("J'ai une voiture", ["driving"]),
    ("je suis véhiculée", ["driving"]),
    ("infirmière à la retraite", ["healthcare"]),
    ("Je suis aide-soignante en EHPAD", ["healthcare"]),
    ("j'ai mon PSC1", ["first_aid"]),
    ("formée au secourisme", ["first_aid"]),
    ("plutôt bricoleur", ["handiwork"]),
    ("je bricole un peu", ["handiwork"]),
    ("je maîtrise excel et word", ["office_software"]),
    ("je gère le compte instagram de mon club", ["social_media"]),
    ("je m'occupe des réseaux sociaux", ["social_media"]),
    ("je fais la compta de mon entreprise", ["accounting"]),
    ("trésorière d'une asso de parents d'élèves", ["accounting"]),
    ("je suis avocat", ["legal"]),
    ("Juriste en droit du travail", ["legal"]),
    ("j'ai donné des cours de FLE", ["tutoring", "french_teaching"]),
    ("alphabétisation pour adultes", ["french_teaching"]),
    ("je parle anglais et arabe", ["translation"]),
    ("je peux traduire de l'espagnol", ["translation"]),
    ("animateur avec le BAFA", ["childcare_activities"]),
    ("j'adore m'occuper des enfants", ["childcare_activities"]),
    ("je sais écouter les gens", ["listening"]),
    ("je suis quelqu'un de très à l'écoute", ["listening"]),
    ("j'ai travaillé à l'accueil d'une mairie", ["reception"]),
    ("j'ai le sens de l'organisation", ["project_management"]),
    ("cheffe de projet dans le numérique", ["project_management", "computing"]),
    ("développeuse web", ["computing"]),
    ("je suis graphiste, je fais des affiches sur Canva", ["graphic_design"]),
    ("je fais de la photo et du montage vidéo", ["photo_video"]),
    ("j'ai un potager", ["gardening"]),
    ("jardinage, jardinier amateur", ["gardening"]),
    ("je peux porter des cartons et ranger le stock", ["logistics"]),
    ("aider à remplir les papiers administratifs", ["administrative_help"]),
    ("je donne des cours de yoga", ["tutoring", "sports_coaching"]),
    ("je joue de la guitare et je chante dans une chorale", ["music_arts"]),
    ("j'ai organisé des événements pour mon CE", ["event_planning"]),
    ("recherche de subventions et mécénat", ["fundraising"]),
    ("Bonjour, je suis INFIRMIERE et j'ai le permis", ["healthcare", "driving"]),
    ("cuisine, bricolage, jardinage", ["cooking", "handiwork", "gardening"]),
    ("je cuisine pas mal", ["cooking"]),
    ("je ne fais que cuisiner", ["cooking"]),
    ("pas de problème pour conduire", ["driving"]),
    ("je conduis et je cuisine", ["driving", "cooking"]),
    ("je ne conduis pas mais je cuisine", ["cooking"]),
    ("dans la com depuis 10 ans", ["communication"]),
    ("je danse le tango", ["music_arts"]),
    ("donner des cours de français", ["tutoring", "french_teaching"]),
    ("les premiers soins", ["first_aid"]),
    ("Madame, Monsieur, je suis enseignante retraitée et je souhaiterais proposer du soutien scolaire.", ["tutoring"]),
    ("jsuis animatrice en centre aéré", ["childcare_activities"]),
    ("jfé de la cuisine et du jardin", ["cooking", "gardening"]),
    ("Je dispose d'un véhicule et j'aime le contact avec le public.", ["driving"]),
    ("ancien comptable, je peux tenir la trésorerie", ["accounting"]),
    ("je suis kiné", ["healthcare"]),
    ("je parle couramment l'ukrainien et le russe", ["translation"]),
    ("je peux donner un coup de main pour la logistique", ["logistics"]),
    # a job or an experience says the skill
    ("j'ai été cuistot pendant vingt ans", ["cooking"]),
    ("je travaillais à la cantine de l'école", ["cooking"]),
    ("ancien garagiste", ["handiwork"]),
    ("je suis chauffagiste", ["handiwork"]),
    ("je suis administratrice réseau", ["computing"]),
    ("je fais du support informatique en entreprise", ["computing"]),
    ("je tiens les comptes d'une association de quartier", ["accounting"]),
    ("je travaille aux ressources humaines", ["project_management"]),
    ("je suis chargée de recrutement", ["project_management"]),
    ("je suis médiatrice", ["listening"]),
    ("éducatrice spécialisée en foyer", ["listening", "childcare_activities"]),
    ("j'ai été caissière", ["reception"]),
    ("je suis formateur pour adultes", ["tutoring"]),
    # both skills of two
    ("je suis serveuse et je sais coudre", ["reception", "handiwork"]),
    ("mécanique et soudure", ["handiwork"]),
    ("la compta et le recrutement", ["accounting", "project_management"]),
    # written as it sounds
    ("je m'y connais en informatik", ["computing"]),
    ("la comptabilitée", ["accounting"]),
    ("je fais de la fotographie", ["photo_video"]),
]

NOTHING = [
    "je ne sais pas cuisiner",
    "je n'ai pas le permis",
    "pas de voiture, désolée",
    "je suis nul en informatique",
    "je cuisine pas",
    "je n'y connais rien en compta",
    "sans permis",
    "je n'ai ni voiture ni permis",
    "Bonjour, je voudrais aider",
    "je suis dispo le samedi matin",
    "j'habite à Villeurbanne",
    "mon mail c'est julie@exemple.com",
    "je ne suis pas très douée en informatique",
    "oui",
    "",
    "j'ai trouvé votre annonce sur internet",
    "je vous écris depuis mon ordinateur",
    "dans le cadre de mon travail",
    "pouvez-vous m'expliquer ?",
    "je passe à la banque demain",
    "j'habite à Caluire-et-Cuire",  # a town's name is no skill
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_find_skills(text: str, expected: list[str]) -> None:
    assert find_skills(text) == expected


@pytest.mark.parametrize("text", NOTHING)
def test_no_skill(text: str) -> None:
    assert find_skills(text) == []


def test_custom_taxonomy() -> None:
    taxonomy = Taxonomy(
        skills={"beekeeping": Term("beekeeping", "apiculture", ("apiculture", "ruche*", "abeilles"))},
        causes={},
    )
    assert find_skills("j'ai trois ruches et j'adore les abeilles", taxonomy=taxonomy) == ["beekeeping"]


def test_no_commune_of_the_association_s_area_names_a_skill_or_a_cause() -> None:
    import csv

    from bot.understanding.causes import find_causes
    from bot.understanding.places import POSTCODES_PATH

    with POSTCODES_PATH.open(encoding="utf-8", newline="") as handle:
        names = {row["name"] for row in csv.DictReader(handle)}
    assert [n for n in sorted(names) if find_skills(n) or find_causes(n)] == []
