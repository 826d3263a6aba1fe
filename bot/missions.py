"""A mission as matching sees it, a proposal of one to a volunteer, and the association's missions file.

:class:`Mission` and :class:`Proposal` are plain values. The missions are read from a YAML or
CSV file, with errors that say where the fault is. Usage::

    from bot.missions import read_missions

    missions = read_missions(Path("data/association/missions.yml"))  # or a .csv file

YAML files follow ``data/association/missions.yml`` (a top-level ``missions:`` list).
CSV files have one mission per row and the columns::

    id,title,description,causes,skills,schedule,city,postcode,latitude,longitude,remote,places,filled,min_age,urgent

where lists are separated by ";" (causes ``solidarity;health``, schedule
``saturday:morning;sunday:afternoon``), remote and urgent are true/false/oui/non/1/0 and an empty
cell means "not given". Each CSV row is turned into the same mapping as a YAML entry,
so both formats are checked by one parser. Skill and cause keys must exist in the
taxonomy. Every error is an ``InvalidDataError`` naming the file, the mission (or the
CSV line) and the field, in French, because the command line shows it to staff.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import InvalidDataError
from bot.profile import DAYS, PERIODS, Place, TimeSlot, sort_slots
from bot.taxonomy import Taxonomy, load_taxonomy

DEFAULT_MISSIONS_PATH = Path(__file__).resolve().parents[1] / "data" / "association" / "missions.yml"

FIELDS = (
    "id",
    "title",
    "description",
    "causes",
    "skills",
    "schedule",
    "city",
    "postcode",
    "latitude",
    "longitude",
    "remote",
    "places",
    "filled",
    "min_age",
    "urgent",
)
REQUIRED_FIELDS = ("id", "title", "schedule", "places")
PLACE_FIELDS = ("city", "postcode", "latitude", "longitude")
CSV_LIST_SEPARATOR = ";"
CSV_BOOLEANS = {"true": True, "oui": True, "1": True, "false": False, "non": False, "0": False}


@dataclass(frozen=True)
class Mission:
    """A mission offered by the association, as matching sees it."""

    id: str
    title: str
    description: str = ""
    causes: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    schedule: tuple[TimeSlot, ...] = ()
    place: Place | None = None
    remote: bool = False
    places_total: int = 1
    places_filled: int = 0
    min_age: int | None = None
    urgent: bool = False

    @property
    def places_left(self) -> int:
        """Volunteers still wanted."""
        return max(self.places_total - self.places_filled, 0)


@dataclass(frozen=True)
class Proposal:
    """A mission proposed to a volunteer, with its score and the reasons it fits."""

    mission_id: str
    title: str
    score: float
    reasons: tuple[str, ...] = dataclasses.field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        """The export form of DESIGN.md."""
        return {"id": self.mission_id, "title": self.title, "score": self.score, "reasons": list(self.reasons)}


def read_missions(path: Path) -> list[Mission]:
    """Read missions from a ``.yml``/``.yaml`` or ``.csv`` file; InvalidDataError says what is wrong and where."""
    suffix = path.suffix.lower()
    if suffix not in (".yml", ".yaml", ".csv"):
        raise InvalidDataError(f"{path.name} : format inconnu {path.suffix!r}, attendu .yml, .yaml ou .csv")
    if not path.is_file():
        raise InvalidDataError(f"fichier introuvable : {path}")
    taxonomy = load_taxonomy()
    entries = _csv_entries(path) if suffix == ".csv" else _yaml_entries(path)
    missions: list[Mission] = []
    first_seen: dict[str, str] = {}
    for where, position, entry in entries:
        mission = _parse_mission(entry, where, taxonomy)
        if mission.id in first_seen:
            raise InvalidDataError(f"{where}, id: {mission.id} déjà utilisé ({first_seen[mission.id]})")
        first_seen[mission.id] = position
        missions.append(mission)
    return missions


# --------------------------------------------------------------------------- one mission, whatever the format


def _fail(where: str, field: str, problem: str) -> InvalidDataError:
    return InvalidDataError(f"{where}, {field}: {problem}")


def _parse_mission(entry: Any, where: str, taxonomy: Taxonomy) -> Mission:
    """One mission from a YAML entry or a converted CSV row; ``where`` locates it in messages."""
    if not isinstance(entry, Mapping):
        raise InvalidDataError(f"{where} : une mission doit être une suite de champs « clé: valeur »")
    unknown = sorted(str(key) for key in entry if key not in FIELDS)
    if unknown:
        raise InvalidDataError(f"{where} : champ(s) inconnu(s) {', '.join(unknown)} (attendus : {', '.join(FIELDS)})")
    mission_id = _text(entry, "id", where, required=True)
    title = _text(entry, "title", where, required=True)
    description = _text(entry, "description", where, required=False)
    remote = _flag(entry, "remote", where)
    places = _whole_number(entry.get("places"), "places", where, minimum=1)
    filled = _whole_number(entry.get("filled", 0), "filled", where, minimum=0)
    if filled > places:
        raise _fail(where, "filled", f"{filled} bénévoles trouvés pour seulement {places} places")
    min_age = entry.get("min_age")
    if min_age is not None:
        min_age = _whole_number(min_age, "min_age", where, minimum=0)
    return Mission(
        id=mission_id,
        title=title,
        description=" ".join(description.split()),
        causes=_keys(entry, "causes", where, taxonomy.causes, "domaine inconnu"),
        skills=_keys(entry, "skills", where, taxonomy.skills, "compétence inconnue"),
        schedule=_schedule(entry.get("schedule"), where),
        place=_place(entry, where, required=not remote),
        remote=remote,
        places_total=places,
        places_filled=filled,
        min_age=min_age,
        urgent=_flag(entry, "urgent", where),
    )


def _flag(entry: Mapping[str, Any], field: str, where: str) -> bool:
    value = entry.get(field, False)
    if not isinstance(value, bool):
        raise _fail(where, field, f"true ou false attendu, pas {value!r}")
    return value


def _text(entry: Mapping[str, Any], field: str, where: str, *, required: bool) -> str:
    value = entry.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(where, field, "manquant")
        return ""
    if not isinstance(value, str):
        raise _fail(where, field, f"texte attendu, pas {value!r}")
    return value.strip()


def _whole_number(value: Any, field: str, where: str, *, minimum: int) -> int:
    if value is None:
        raise _fail(where, field, "manquant")
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(where, field, f"nombre entier ≥ {minimum} attendu, pas {value!r}")
    return value


def _keys(entry: Mapping[str, Any], field: str, where: str, known: Collection[str], unknown: str) -> tuple[str, ...]:
    value = entry.get(field) or []
    if not isinstance(value, list) or not all(isinstance(key, str) and key for key in value):
        raise _fail(where, field, f"liste de clés attendue, pas {value!r}")
    for key in value:
        if key not in known:
            raise _fail(where, field, f"{unknown} {key!r}{_did_you_mean(key, known)}")
    return tuple(dict.fromkeys(value))


def _did_you_mean(word: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f" (vouliez-vous dire {close[0]!r} ?)" if close else ""


def _schedule(value: Any, where: str) -> tuple[TimeSlot, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(where, "schedule", "au moins un créneau attendu (jour et période)")
    slots = []
    for item in value:
        if not isinstance(item, Mapping) or set(item) != {"day", "period"}:
            raise _fail(where, "schedule", f"créneau {{day: ..., period: ...}} attendu, pas {item!r}")
        day, period = item["day"], item["period"]
        if day not in DAYS:
            raise _fail(where, "schedule", f"jour inconnu {day!r} (attendu : {', '.join(DAYS)})")
        if period not in PERIODS:
            raise _fail(where, "schedule", f"période inconnue {period!r} (attendu : {', '.join(PERIODS)})")
        slots.append(TimeSlot(day, period))
    return tuple(sort_slots(slots))


def _place(entry: Mapping[str, Any], where: str, *, required: bool) -> Place | None:
    if not required and not any(entry.get(field) is not None for field in PLACE_FIELDS):
        return None
    for field in PLACE_FIELDS:
        if entry.get(field) is None:
            raise _fail(where, field, "manquant (nécessaire pour une mission sur place)")
    city, postcode = entry["city"], entry["postcode"]
    if not isinstance(city, str) or not city.strip():
        raise _fail(where, "city", f"nom de commune attendu, pas {city!r}")
    if not isinstance(postcode, str) or not (len(postcode) == 5 and postcode.isdigit()):
        raise _fail(where, "postcode", f'cinq chiffres entre guillemets attendus, comme "69100", pas {postcode!r}')
    coordinates = []
    for field, bound in (("latitude", 90), ("longitude", 180)):
        value = entry[field]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -bound <= value <= bound:
            raise _fail(where, field, f"nombre entre {-bound} et {bound} attendu, pas {value!r}")
        coordinates.append(float(value))
    return Place(name=city.strip(), latitude=coordinates[0], longitude=coordinates[1], postcode=postcode)


# --------------------------------------------------------------------------- YAML


def _yaml_entries(path: Path) -> Iterator[tuple[str, str, Any]]:
    """``(where, position, entry)`` for each mission of a YAML file."""
    try:
        with path.open(encoding="utf-8") as handle:
            root = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise InvalidDataError(f"{path.name} : YAML invalide ({error})") from None
    except UnicodeDecodeError:
        raise InvalidDataError(f"{path.name} : le fichier n'est pas encodé en UTF-8") from None
    entries = root.get("missions") if isinstance(root, Mapping) else None
    if not isinstance(entries, list):
        raise InvalidDataError(f"{path.name} : une liste « missions: » est attendue au premier niveau")
    for number, entry in enumerate(entries, start=1):
        mission_id = entry.get("id") if isinstance(entry, Mapping) else None
        label = mission_id.strip() if isinstance(mission_id, str) and mission_id.strip() else f"n° {number}"
        yield f"{path.name}, mission {label}", f"mission n° {number}", entry


# --------------------------------------------------------------------------- CSV


def _csv_entries(path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(where, position, entry)`` for each row of a CSV file, the entry shaped like a YAML one."""
    try:
        # utf-8-sig: spreadsheets often start their UTF-8 exports with a byte-order mark.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = _csv_header(next(reader, []), path.name)
            last_line = reader.line_num
            for row in reader:
                # A row may span several lines (a quoted description with line breaks): name its first one.
                line, last_line = last_line + 1, reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                where = f"{path.name}, ligne {line}"
                if len(row) > len(header) and not any(cell.strip() for cell in row[len(header) :]):
                    row = row[: len(header)]  # empty trailing cells, as some spreadsheets write them
                if len(row) != len(header):
                    raise InvalidDataError(f"{where} : {len(row)} colonnes au lieu de {len(header)}")
                cells = {column: cell.strip() for column, cell in zip(header, row, strict=True)}
                if cells["id"]:
                    where = f"{where} ({cells['id']})"
                yield where, f"ligne {line}", _entry_from_cells(cells, where)
    except UnicodeDecodeError:
        raise InvalidDataError(
            f"{path.name} : le fichier n'est pas encodé en UTF-8 (exportez en « CSV UTF-8 »)"
        ) from None
    except csv.Error as error:
        raise InvalidDataError(f"{path.name} : CSV mal formé ({error})") from None


def _csv_header(cells: list[str], file_name: str) -> list[str]:
    header = [cell.strip() for cell in cells]
    while header and not header[-1]:
        header.pop()  # empty trailing columns, as some spreadsheets write them
    if len(header) == 1 and CSV_LIST_SEPARATOR in header[0]:
        raise InvalidDataError(f"{file_name} : les colonnes doivent être séparées par des virgules, pas des « ; »")
    unknown = [column for column in header if column not in FIELDS]
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise InvalidDataError(f"{file_name} : colonne(s) inconnue(s) {listed} (attendues : {', '.join(FIELDS)})")
    doubled = sorted({column for column in header if header.count(column) > 1})
    if doubled:
        raise InvalidDataError(f"{file_name} : colonne(s) en double {', '.join(doubled)}")
    missing = [column for column in REQUIRED_FIELDS if column not in header]
    if missing:
        raise InvalidDataError(f"{file_name} : colonne(s) obligatoire(s) manquante(s) {', '.join(missing)}")
    return header


def _entry_from_cells(cells: Mapping[str, str], where: str) -> dict[str, Any]:
    """The YAML-shaped entry of a CSV row; empty cells are left out, as omitted YAML keys."""
    entry: dict[str, Any] = {}
    for field, cell in cells.items():
        if not cell:
            continue
        if field in ("causes", "skills"):
            entry[field] = _csv_list(cell)
        elif field == "schedule":
            entry[field] = [_csv_slot(item, where) for item in _csv_list(cell)]
        elif field in ("latitude", "longitude"):
            entry[field] = _csv_number(cell, field, where)
        elif field in ("places", "filled", "min_age"):
            entry[field] = _csv_whole_number(cell, field, where)
        elif field in ("remote", "urgent"):
            if cell.lower() not in CSV_BOOLEANS:
                raise _fail(where, field, f"true, false, oui, non, 1 ou 0 attendu, pas {cell!r}")
            entry[field] = CSV_BOOLEANS[cell.lower()]
        else:
            entry[field] = cell
    return entry


def _csv_list(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(CSV_LIST_SEPARATOR) if item.strip()]


def _csv_slot(item: str, where: str) -> dict[str, str]:
    day, colon, period = item.partition(":")
    if not colon:
        raise _fail(where, "schedule", f"créneau {item!r} illisible, attendu jour:période comme saturday:morning")
    return {"day": day.strip(), "period": period.strip()}


def _csv_number(cell: str, field: str, where: str) -> float:
    try:
        return float(cell.replace(",", "."))  # French spreadsheets write 45,76601
    except ValueError:
        raise _fail(where, field, f"nombre attendu, pas {cell!r}") from None


def _csv_whole_number(cell: str, field: str, where: str) -> int:
    try:
        return int(cell)
    except ValueError:
        raise _fail(where, field, f"nombre entier attendu, pas {cell!r}") from None
