"""Tests of bot.understanding.places: communes, postcodes and arrondissements, offline."""

from __future__ import annotations

import csv

import pytest

from bot.geo import distance_km
from bot.profile import Place
from bot.understanding.places import (
    DEPARTMENTS_PATH,
    POSTCODES_PATH,
    find_place,
    lookup_place,
    suggest_places,
)


def summary(place: Place | None) -> tuple[str, str | None] | None:
    """Name and postcode: what the tables below check (coordinates are checked separately)."""
    return (place.name, place.postcode) if place else None


LOOKUPS = [
    ("villeurbanne", ("Villeurbanne", "69100")),
    ("Villeurbanne", ("Villeurbanne", "69100")),
    ("VILLEURBANNE", ("Villeurbanne", "69100")),
    ("St Priest", ("Saint-Priest", "69800")),
    ("saint-priest", ("Saint-Priest", "69800")),
    ("St-Priest", ("Saint-Priest", "69800")),
    ("Sainte Foy les Lyon", ("Sainte-Foy-lès-Lyon", "69110")),
    ("ste foy", ("Sainte-Foy-lès-Lyon", "69110")),
    ("venissieux", ("Vénissieux", "69200")),
    ("Vaulx", ("Vaulx-en-Velin", "69120")),
    ("caluire", ("Caluire-et-Cuire", "69300")),
    ("Arbresle", ("L'Arbresle", "69210")),
    ("l'arbresle", ("L'Arbresle", "69210")),
    ("Villefranche", ("Villefranche-sur-Saône", "69400")),
    ("Grigny", ("Grigny-sur-Rhône", "69520")),
    ("ecully", ("Écully", "69130")),
    ("69100", ("Villeurbanne", "69100")),
    ("69500", ("Bron", "69500")),
    ("69 Bron", ("Bron", "69500")),
    ("Bron 69500", ("Bron", "69500")),
    ("Lyon", ("Lyon", None)),
    ("Lyon 3e", ("Lyon", "69003")),
    ("lyon 7eme", ("Lyon", "69007")),
    ("Lyon 1er", ("Lyon", "69001")),
    ("lyon3", ("Lyon", "69003")),
    ("69008", ("Lyon", "69008")),
    ("Villeurbane", ("Villeurbanne", "69100")),
    ("Venisieux", ("Vénissieux", "69200")),
    ("Paris", ("Paris", None)),
    ("Paris 15e", ("Paris", "75015")),
    ("75011", ("Paris", "75011")),
    ("13001", ("Marseille", "13001")),
    ("42000", ("Saint-Étienne", "42000")),
    ("38100", ("Grenoble", "38100")),
    ("74000", ("Annecy", "74000")),
    ("20000", ("Ajaccio", "20000")),
    ("20200", ("Bastia", "20200")),
    ("97400", ("Saint-Denis", "97400")),
    ("97500", ("Saint-Pierre", "97500")),
    ("Saint-Denis", ("Saint-Denis", None)),
    ("bourg en bresse", ("Bourg-en-Bresse", None)),
    ("Vienne", ("Vienne", None)),
    ("Orange", ("Orange", None)),
    ("Marseile", ("Marseille", None)),
    ("99999", None),
    ("00000", None),
    ("xyz", None),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("query", "expected"), LOOKUPS)
def test_lookup_place(query: str, expected: tuple[str, str | None] | None) -> None:
    assert summary(lookup_place(query)) == expected


FREE_TEXT = [
    ("j'habite à Villeurbanne", ("Villeurbanne", "69100")),
    ("J'habite a villeurbanne", ("Villeurbanne", "69100")),
    ("j'habite Villeurbanne", ("Villeurbanne", "69100")),
    ("je suis de Bron", ("Bron", "69500")),
    ("sur Lyon", ("Lyon", None)),
    ("vers Vénissieux", ("Vénissieux", "69200")),
    ("près de Bron", ("Bron", "69500")),
    ("J'habite à St Priest depuis peu", ("Saint-Priest", "69800")),
    ("je vis à sainte foy", ("Sainte-Foy-lès-Lyon", "69110")),
    ("dans le 7e", ("Lyon", "69007")),
    ("j'habite dans le 3eme arrondissement", ("Lyon", "69003")),
    ("je suis sur lyon 3", ("Lyon", "69003")),
    ("Lyon 8", ("Lyon", "69008")),
    ("69003", ("Lyon", "69003")),
    ("mon code postal est 69500", ("Bron", "69500")),
    ("Villeurbanne", ("Villeurbanne", "69100")),
    ("bron", ("Bron", "69500")),
    ("Oui, Bron.", ("Bron", "69500")),
    ("Villeurbanne 69100", ("Villeurbanne", "69100")),
    ("j'habite à 10 minutes de Bron", ("Bron", "69500")),
    ("Je m'appelle Julie, infirmière à Villeurbanne, dispo le samedi matin", ("Villeurbanne", "69100")),
    ("Julie, infirmière, Villeurbanne", ("Villeurbanne", "69100")),
    ("je suis née à Paris mais j'habite à Lyon", ("Lyon", None)),
    ("Je suis à Orange", ("Orange", None)),
    ("j'habite Caluire", ("Caluire-et-Cuire", "69300")),
    ("J'habite à Tassin la demi lune", ("Tassin-la-Demi-Lune", "69160")),
    ("sur Décines", ("Décines-Charpieu", "69150")),
    ("moi c'est Villeurbanne", ("Villeurbanne", "69100")),
    ("j'habite à Villeurbanne, je travaille dans le 3e", ("Villeurbanne", "69100")),
    ("j'habite lyon 7eme", ("Lyon", "69007")),
    ("je vis à Paris 11e", ("Paris", "75011")),
    ("j'habite à Lyon, je travaille dans le 3e", ("Lyon", None)),
    ("je travaille à Lyon 3 mais j'habite à Bron", ("Bron", "69500")),
    ("je vais à Lyon 2 jours par semaine", ("Lyon", None)),
    ("lyon 3, infirmière", ("Lyon", "69003")),
    # arrondissements in every usual spelling, and of the city named
    ("Lyon, 5e", ("Lyon", "69005")),
    ("Lyon (2e)", ("Lyon", "69002")),
    ("je vis dans le sixième arrondissement de Lyon", ("Lyon", "69006")),
    ("Lyon premier", ("Lyon", "69001")),
    ("Marseille, 8e arrondissement", ("Marseille", "13008")),
    ("j'habite dans le 18ème à Paris", ("Paris", "75018")),
    ("le 20e arrondissement de Paris", ("Paris", "75020")),
    # a town said as a landmark gives way to the town where they live
    ("Talant, à côté de Dijon", ("Talant", None)),
    ("Saint-Herblain (banlieue de Nantes)", ("Saint-Herblain", None)),
    ("en banlieue de Lille, à Roubaix", ("Roubaix", None)),
    ("j'habite à Brignais pas loin de Lyon", ("Brignais", "69530")),
    ("j'habite près de Grenoble", ("Grenoble", None)),
    # merged communes keep their whole name
    ("j'habite à Cherbourg-en-Cotentin", ("Cherbourg-en-Cotentin", None)),
    ("Cherbourg-en-Cotentin", ("Cherbourg-en-Cotentin", None)),
    # overseas: the territory named or the postcode decides between namesakes
    ("j'habite à Saint-Paul, à la Réunion", ("Saint-Paul", None)),
    ("Sainte-Marie 97230", ("Sainte-Marie", "97230")),
    ("Saint-Pierre (974)", ("Saint-Pierre", None)),
    # a correction names the town without "à"
    ("non pardon, plutôt Plouzané", ("Plouzané", None)),
    ("finalement Saint-Fons", ("Saint-Fons", "69190")),
]


@pytest.mark.parametrize(("text", "expected"), FREE_TEXT)
def test_find_place(text: str, expected: tuple[str, str | None]) -> None:
    assert summary(find_place(text)) == expected


NO_PLACE = [
    "je suis à la retraite",
    "je fais de la cuisine",
    "j'aime le sport",
    "je vais à la gare",
    "une orange pressée",
    "j'habite à orange",  # a common word needs its capital letter
    "dans le bon sens",
    "je suis dispo le samedi",
    "je m'appelle Nancy",
    "moi c'est Albert",
    "je travaille avec Albert",
    "de temps en temps",
    "à vélo ou à pied",
    "j'habite à côté",
    "j'habite pas loin",
    "je viens de finir mes études",
    "de rien",
    "à plus !",
    "je suis en vacances",
    "en ville",
    "j'habite en banlieue",
    "à domicile",
    "à mi-temps",
    "j'ai 17 ans",
    "je suis infirmière",
    "Bonjour, je voudrais aider",
    "je suis en réunion",
]


@pytest.mark.parametrize("text", NO_PLACE)
def test_no_place(text: str) -> None:
    assert find_place(text) is None


def test_lookup_returns_gazetteer_coordinates() -> None:
    assert lookup_place("Villeurbanne") == Place("Villeurbanne", 45.76601, 4.8795, "69100")


def test_lyon_arrondissement_has_its_own_coordinates() -> None:
    third, seventh = lookup_place("Lyon 3e"), lookup_place("69007")
    assert (third is not None and seventh is not None, third != seventh) == (True, True)


def test_homonym_of_a_local_commune_is_the_local_one() -> None:
    place = lookup_place("Saint-Priest")
    assert (place is not None and 45.6 < place.latitude < 45.8) is True


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        ("Lyon", "Villeurbanne", 2.0, 4.0),
        ("Lyon", "Paris", 385.0, 395.0),
        ("Bron", "Bron", 0.0, 0.0),
        ("Lyon", "Marseille", 270.0, 285.0),
    ],
)
def test_distance_km(a: str, b: str, low: float, high: float) -> None:
    place_a, place_b = lookup_place(a), lookup_place(b)
    assert place_a is not None and place_b is not None
    assert low <= round(distance_km(place_a, place_b), 1) <= high


def test_every_local_commune_is_in_the_gazetteer() -> None:
    with POSTCODES_PATH.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = [row["name"] for row in rows if lookup_place(row["name"]) is None]
    assert (len(rows) >= 40, missing) == (True, [])


def test_every_department_has_a_prefecture_in_the_gazetteer() -> None:
    with DEPARTMENTS_PATH.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    codes = {row["code"] for row in rows}
    expected_codes = {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"} | {str(n) for n in range(971, 977)}
    unresolved = [row["code"] for row in rows if lookup_place(row["prefecture"]) is None]
    assert (codes, unresolved) == (expected_codes, [])


@pytest.mark.parametrize(
    ("text", "country_latitude"),
    [
        ("j'habite à Saint-Paul, à la Réunion", -21.0),
        ("Sainte-Marie 97230", 14.8),
        ("Saint-Pierre (974)", -21.3),
        ("je suis à Saint-Denis", 48.9),
    ],
)
def test_overseas_namesake_when_the_territory_is_said(text: str, country_latitude: float) -> None:
    place = find_place(text)
    assert place is not None and abs(place.latitude - country_latitude) < 0.5


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("St Geni", "Saint-Genis-Laval"),  # the association's area first
        ("Villeurbane", "Villeurbanne"),
        ("Caluire et", "Caluire-et-Cuire"),
        ("Pointe a pitr", "Pointe-à-Pitre"),
    ],
)
def test_suggestions_for_a_commune_not_found(query: str, first: str) -> None:
    suggestions = suggest_places(query)
    assert suggestions and suggestions[0].name == first
    assert len(suggestions) <= 3 and len({p.name for p in suggestions}) == len(suggestions)


@pytest.mark.parametrize("query", ["xyzzy", "abc", "", "je ne sais pas"])
def test_no_suggestion_when_nothing_is_close(query: str) -> None:
    assert suggest_places(query) == []
