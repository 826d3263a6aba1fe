"""A mission as matching sees it, a proposal of one to a volunteer, and the association's missions file.

:class:`Mission` and :class:`Proposal` are plain values. The missions are read from a YAML or
CSV file, with errors that say where the fault is. Usage::

    from bot.missions import read_missions

    missions = read_missions(Path("data/association/missions.yml"))  # or a .csv file

YAML files follow ``data/association/missions.yml`` (a top-level ``missions:`` list).
CSV files have one mission per row and the columns::

    id,title,description,causes,skills,schedule,city,postcode,latitude,longitude,remote,places,filled,min_age,urgent,
    address,contact,shifts

where lists are separated by ";" (causes ``solidarity;health``, schedule
``saturday:morning;sunday:afternoon``), remote and urgent are true/false/oui/non/1/0 and an empty
cell means "not given".

Dated shifts (optional, ``shifts:`` in YAML, the ``shifts`` column in CSV) are one-off dates
``{date: 2027-01-09, start: "09:00", end: "12:00", places: 4}`` or recurring series
``{every: saturday, start: "09:00", end: "12:00", places: 4, from: 2026-12-01, until: 2027-06-30}``
(``from``/``until`` optional, ``every`` in English or French). In a CSV cell they are separated
by ";", each ``<date or day> <start>-<end> [x<places>] [du <date>] [au <date>]``::

    2027-01-09 09:00-12:00 x4; samedi 09:00-12:00 x4 du 2026-12-01 au 2027-06-30

Dates are ``AAAA-MM-JJ`` or ``JJ/MM/AAAA``, times ``09:00`` or ``9h30``, local time (TIMEZONE);
places default to 1. A mission without ``shifts`` (or an empty CSV cell) keeps the shifts it has
(made in the console); ``shifts: []`` (or the cell ``aucun``) removes them
(bot.store.shifts.apply_plan says how a re-import keeps sign-ups).

Each CSV row is turned into the same mapping as a YAML entry, so both formats are checked by
one parser. Skill and cause keys must exist in the taxonomy. Every error is an
``InvalidDataError`` naming the file, the mission (or the CSV line) and the field, in French,
because the command line shows it to staff.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
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
    "address",
    "contact",
    "shifts",
)
REQUIRED_FIELDS = ("id", "title", "schedule", "places")
PLACE_FIELDS = ("city", "postcode", "latitude", "longitude")
CSV_LIST_SEPARATOR = ";"
CSV_BOOLEANS = {"true": True, "oui": True, "1": True, "false": False, "non": False, "0": False}
CSV_NO_SHIFTS = ("aucun", "aucune", "none")
# Days of a recurring shift, in English (the files' keys) or French (what staff type).
DAY_WORDS = {
    **{day: day for day in DAYS},
    **dict(zip(("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"), DAYS, strict=True)),
}
DAY_NAMES_FR = {day: word for word, day in DAY_WORDS.items() if word != day}
# Local hours each period covers, to place a dated shift in the weekly grid.
PERIOD_HOURS = {"morning": (0, 12), "afternoon": (12, 18), "evening": (18, 24)}


@dataclass(frozen=True)
class ShiftPlan:
    """A dated shift as the missions file or the console gives it: one date (``on``) or a weekly series (``every``)."""

    start: time
    end: time
    places: int = 1
    on: date | None = None
    every: str | None = None  # a day key, monday..sunday
    starts_on: date | None = None  # a series' first day (None: from today)
    ends_on: date | None = None  # a series' last day (None: no end)

    @property
    def recurring(self) -> bool:
        """True for a weekly series."""
        return self.every is not None


@dataclass(frozen=True)
class Opening:
    """A shift ahead (not cancelled, not started) as matching and the chat see it; times are UTC."""

    shift_id: int
    starts_at: datetime
    ends_at: datetime
    places_left: int
    zone: str

    @property
    def label(self) -> str:
        """ "samedi 14 décembre, 9 h–12 h" in the association's time zone."""
        from bot.shifts import label

        return label(self.starts_at, self.ends_at, self.zone)

    @property
    def slots(self) -> tuple[TimeSlot, ...]:
        """The weekly slots the shift falls in (local day, periods it overlaps)."""
        from bot.shifts import local

        start, end = local(self.starts_at, self.zone), local(self.ends_at, self.zone)
        day = DAYS[start.weekday()]
        end_hour = 24.0 if end.date() > start.date() else end.hour + end.minute / 60
        start_hour = start.hour + start.minute / 60
        periods = [period for period, (low, high) in PERIOD_HOURS.items() if start_hour < high and end_hour > low]
        return tuple(TimeSlot(day, period) for period in periods)


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
    address: str = ""
    contact: str = ""
    # The file's dated shifts; None when the entry says nothing of them (the stored ones are kept).
    shifts: tuple[ShiftPlan, ...] | None = None
    # Set by bot.store.missions.open_missions for proposals: the mission has dated shifts, and
    # those ahead in the horizon (a dated mission without any open one is not proposed).
    dated: bool = False
    openings: tuple[Opening, ...] = ()

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


def read_missions(path: Path, *, today: date | None = None) -> list[Mission]:
    """Read missions from a ``.yml``/``.yaml`` or ``.csv`` file; InvalidDataError says what is wrong and where.

    ``today`` (the association's local date, by default) is what a shift's date must not be before.
    """
    suffix = path.suffix.lower()
    if suffix not in (".yml", ".yaml", ".csv"):
        raise InvalidDataError(f"{path.name} : format inconnu {path.suffix!r}, attendu .yml, .yaml ou .csv")
    if not path.is_file():
        raise InvalidDataError(f"fichier introuvable : {path}")
    taxonomy = load_taxonomy()
    entries = _csv_entries(path) if suffix == ".csv" else _yaml_entries(path)
    missions: list[Mission] = []
    first_seen: dict[str, str] = {}
    today = today or _today()
    for where, position, entry in entries:
        mission = _parse_mission(entry, where, taxonomy, today=today)
        if mission.id in first_seen:
            raise InvalidDataError(f"{where}, id: {mission.id} déjà utilisé ({first_seen[mission.id]})")
        first_seen[mission.id] = position
        missions.append(mission)
    return missions


# --------------------------------------------------------------------------- one mission, whatever the format


def _fail(where: str, field: str, problem: str) -> InvalidDataError:
    return InvalidDataError(f"{where}, {field}: {problem}")


def _today() -> date:
    from bot.config import get_settings
    from bot.shifts import local

    return local(datetime.now().astimezone(), get_settings().timezone).date()


def _parse_mission(entry: Any, where: str, taxonomy: Taxonomy, *, today: date | None = None) -> Mission:
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
        address=" ".join(_text(entry, "address", where, required=False).split())[:200],
        contact=" ".join(_text(entry, "contact", where, required=False).split())[:200],
        shifts=None if "shifts" not in entry else parse_shift_plans(entry["shifts"], where, today=today or _today()),
    )


def parse_shift_plans(value: Any, where: str, *, today: date) -> tuple[ShiftPlan, ...]:
    """The ``shifts:`` list of a mission; dates before ``today`` are refused, as are end <= start and places < 1."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(where, "shifts", "liste de créneaux datés attendue")
    plans = [parse_shift_plan(item, where, today=today) for item in value]
    seen: set[tuple[object, ...]] = set()
    for plan in plans:
        key = (plan.on, plan.every, plan.start, plan.end)
        if key in seen:
            raise _fail(where, "shifts", f"créneau en double : {_say_plan(plan)}")
        seen.add(key)
    return tuple(plans)


def parse_shift_plan(item: Any, where: str, *, today: date) -> ShiftPlan:
    """One dated shift or series; InvalidDataError in French names the mission and the fault."""
    allowed = {"date", "every", "start", "end", "places", "from", "until"}
    if not isinstance(item, Mapping):
        raise _fail(where, "shifts", f"créneau {{date: ..., start: ..., end: ...}} attendu, pas {item!r}")
    unknown = sorted(str(key) for key in item if key not in allowed)
    if unknown:
        expected = ", ".join(sorted(allowed))
        raise _fail(where, "shifts", f"champ(s) inconnu(s) {', '.join(unknown)} (attendus : {expected})")
    if ("date" in item) == ("every" in item):
        raise _fail(where, "shifts", "chaque créneau a soit une date (date:), soit un jour de la semaine (every:)")
    start, end = _clock(item.get("start"), where, "start"), _clock(item.get("end"), where, "end")
    if end <= start:
        raise _fail(where, "shifts", f"l'heure de fin ({end:%H:%M}) doit être après celle du début ({start:%H:%M})")
    places = item.get("places", 1)
    if isinstance(places, bool) or not isinstance(places, int) or places < 1:
        raise _fail(where, "shifts", f"places : nombre entier ≥ 1 attendu, pas {places!r}")
    if "date" in item:
        if "from" in item or "until" in item:
            raise _fail(where, "shifts", "from et until ne vont qu'avec un créneau régulier (every:)")
        on = _day_date(item["date"], where, "date")
        if on < today:
            raise _fail(where, "shifts", f"la date {on:%d/%m/%Y} est passée")
        return ShiftPlan(start=start, end=end, places=places, on=on)
    word = item["every"]
    every = DAY_WORDS.get(word.strip().lower()) if isinstance(word, str) else None
    if every is None:
        raise _fail(where, "shifts", f"jour inconnu {word!r} (attendu : {', '.join(DAYS)} ou lundi…dimanche)")
    starts_on = _day_date(item["from"], where, "from") if item.get("from") is not None else None
    ends_on = _day_date(item["until"], where, "until") if item.get("until") is not None else None
    if ends_on is not None and ends_on < today:
        raise _fail(where, "shifts", f"la date de fin {ends_on:%d/%m/%Y} est passée")
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise _fail(where, "shifts", f"la date de fin {ends_on:%d/%m/%Y} est avant celle du début {starts_on:%d/%m/%Y}")
    return ShiftPlan(start=start, end=end, places=places, every=every, starts_on=starts_on, ends_on=ends_on)


def _say_plan(plan: ShiftPlan) -> str:
    when = f"{plan.on:%d/%m/%Y}" if plan.on else f"chaque {plan.every}"
    return f"{when} {plan.start:%H:%M}-{plan.end:%H:%M}"


def _clock(value: Any, where: str, field: str) -> time:
    """ "09:00", "9h30", "9 h"; YAML reads an unquoted 9:30 as the number 570 (minutes), taken as such."""
    if isinstance(value, bool) or value is None:
        raise _fail(where, "shifts", f'{field} : heure attendue comme "09:00"')
    if isinstance(value, int) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    text = str(value).strip().lower().replace(" ", "")
    hours, separator, minutes = text.replace("h", ":").partition(":")
    try:
        if not hours.isdigit() or (minutes and not minutes.isdigit()) or (separator == "" and len(hours) > 2):
            raise ValueError
        return time(int(hours), int(minutes or 0))
    except ValueError:
        raise _fail(where, "shifts", f'{field} : heure attendue comme "09:00", pas {value!r}') from None


def _day_date(value: Any, where: str, field: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(where, "shifts", f"{field} : date attendue comme 2027-01-09 ou 09/01/2027, pas {value!r}") from None


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
        elif field == "shifts":
            items = [] if cell.lower() in CSV_NO_SHIFTS else _csv_list(cell)
            entry[field] = [_csv_shift(item, where) for item in items]
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


def shifts_cell(plans: Iterable[ShiftPlan]) -> str:
    """The CSV cell of dated shifts, as :func:`read_missions` reads it back (an empty list: ``aucun``)."""
    items = []
    for plan in plans:
        words = [f"{plan.on:%Y-%m-%d}" if plan.on else DAY_NAMES_FR[plan.every or ""]]
        words += [f"{plan.start:%H:%M}-{plan.end:%H:%M}", f"x{plan.places}"]
        if plan.starts_on:
            words += ["du", f"{plan.starts_on:%Y-%m-%d}"]
        if plan.ends_on:
            words += ["au", f"{plan.ends_on:%Y-%m-%d}"]
        items.append(" ".join(words))
    return f"{CSV_LIST_SEPARATOR} ".join(items) or CSV_NO_SHIFTS[0]


def _csv_shift(item: str, where: str) -> dict[str, Any]:
    """``2027-01-09 09:00-12:00 x4`` or ``samedi 09:00-12:00 x4 du 2026-12-01 au 2027-06-30``."""
    words = item.split()
    if len(words) < 2 or "-" not in words[1]:
        raise _fail(
            where,
            "shifts",
            f"créneau {item!r} illisible, attendu comme « 2027-01-09 09:00-12:00 x4 » ou « samedi 09:00-12:00 x4 »",
        )
    when, (start, _, end), rest = words[0], words[1].partition("-"), words[2:]
    shift: dict[str, Any] = {"start": start, "end": end}
    if when[:1].isascii() and when[:1].isdigit():
        shift["date"] = when
    else:
        shift["every"] = when
    while rest:
        word = rest.pop(0).lower()
        if word.startswith("x") and word[1:].isascii() and word[1:].isdigit():
            shift["places"] = int(word[1:])
        elif word in ("du", "au") and rest:
            shift["from" if word == "du" else "until"] = rest.pop(0)
        else:
            raise _fail(where, "shifts", f"créneau {item!r} : « {word} » incompris (x4, du <date>, au <date>)")
    return shift


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
