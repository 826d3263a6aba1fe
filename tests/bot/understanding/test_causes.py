"""Tests of bot.understanding.causes: the causes people care about."""

from __future__ import annotations

import pytest

from bot.understanding.causes import find_causes

CASES = [
    ("j'aimerais aider les SDF", ["solidarity"]),
    ("les sans-abri", ["solidarity"]),
    ("la lutte contre la précarité", ["solidarity"]),
    ("l'aide alimentaire, les restos du cœur", ["solidarity"]),
    ("faire des maraudes l'hiver", ["solidarity"]),
    ("rompre l'isolement des personnes âgées", ["solidarity"]),
    ("la planète, le climat", ["environment"]),
    ("Écologie et biodiversité", ["environment"]),
    ("ramassage de déchets au bord du Rhône", ["environment"]),
    ("les animaux", ["animals"]),
    ("bénévole dans un refuge pour chats", ["animals"]),
    ("aider les migrants et les réfugiés", ["international"]),
    ("l'humanitaire", ["international"]),
    ("l'accès à la culture, les musées", ["culture"]),
    ("le sport pour tous", ["sport"]),
    ("aider les enfants à l'école", ["education"]),
    ("le décrochage scolaire", ["education"]),
    ("la santé mentale", ["health"]),
    ("les personnes en situation de handicap", ["health"]),
    ("lutter contre le racisme et les discriminations", ["citizenship"]),
    ("les droits des femmes", ["citizenship"]),
    ("la Croix-Rouge, les urgences", ["emergency"]),
    ("SDF, animaux et environnement", ["solidarity", "animals", "environment"]),
    ("le secours populaire", ["solidarity"]),
    ("je voudrais m'engager pour l'écologie mais pas trop le sport", ["environment"]),
    ("je souhaiterais m'investir auprès des personnes sans domicile fixe", ["solidarity"]),
    ("la protection animale !!", ["animals"]),
    ("le climat c'est important pour moi", ["environment"]),
    # needs said by paraphrase
    ("lutter contre la faim", ["solidarity"]),
    ("aider des familles à se loger", ["solidarity"]),
    ("ceux qui n'ont pas de logement", ["solidarity"]),
    ("les enfants qui ne vont pas à l'école", ["education"]),
    ("les personnes qui dorment dehors l'hiver", ["solidarity"]),
    ("l'accès au logement", ["solidarity"]),
    ("aider des chômeurs à trouver du travail", ["solidarity"]),
    ("les violences conjugales", ["citizenship"]),
    ("lutter contre le gaspillage", ["environment"]),
    ("protéger la mer", ["environment"]),
    ("réduire la fracture numérique", ["education"]),
    ("les familles monoparentales", ["solidarity"]),
    ("la distribution de denrées", ["solidarity"]),
]

NOTHING = [
    "mon emploi du temps est chargé",
    "j'habite rue de la République",
    "je suis étudiant",
    "je suis une jeune retraitée",
    "je connais mes droits",
    "pas trop le sport",
    "je ne suis pas fan des animaux",
    "Bonjour, je voudrais aider",
    "je suis dispo le samedi",
    "je m'occupe des réseaux sociaux",
    "j'ai 2 enfants",
    "je suis étudiant",
    "j'ai une formation d'infirmière",
    "je voudrais savoir comment ça marche",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_find_causes(text: str, expected: list[str]) -> None:
    assert find_causes(text) == expected


@pytest.mark.parametrize("text", NOTHING)
def test_no_cause(text: str) -> None:
    assert find_causes(text) == []
