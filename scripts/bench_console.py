"""Time the staff console on a seeded database: the filtered leads page and a mission's suggested volunteers.

Usage::

    .venv/bin/python scripts/seed_console.py      # once: 100,000 volunteers, 10,000 missions (var/bench/console.db)
    .venv/bin/python scripts/bench_console.py     # the figures of docs/benchmarks.md, "Console" section
    .venv/bin/python scripts/bench_console.py --database-url sqlite:///elsewhere.db --runs 50

Requests go through the whole web app in this process (FastAPI's TestClient: routing,
session cookie, CSRF-free GETs, SQL, Jinja2 rendering), logged in as an admin, so the
figures are what the server spends on a page, without the network. The leads page is
timed for a mix of filters staff use; suggestions through the JSON API
(``/api/missions/{id}/suggestions``) for missions drawn with a fixed seed. Median,
95th percentile and maximum are printed in milliseconds (wall clock).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings  # noqa: E402
from bot.store import models, staff  # noqa: E402
from bot.store.session import session_scope  # noqa: E402
from bot.web_app import create_app  # noqa: E402
from scripts.seed_console import DEFAULT_URL  # noqa: E402

LEAD_QUERIES = (
    "",
    "status=nouveau",
    "skill=cooking",
    "skill=driving&day=saturday&period=morning",
    "cause=solidarity&status=nouveau&sort=name",
    "town=Villeurbanne&distance=10&sort=distance",
    "town=Villeurbanne&distance=5&skill=tutoring&status=nouveau",
    "q=julie",
    "channel=telegram&from=2026-06-01&sort=oldest&page=20",
)
BENCH_EMAIL = "bench@entraide.test"
BENCH_PASSWORD = "mot-de-passe-du-banc"


def summary(timings_ms: list[float]) -> str:
    """Median, 95th percentile and maximum, in milliseconds."""
    p95 = statistics.quantiles(timings_ms, n=20, method="inclusive")[-1]
    return f"p50 {statistics.median(timings_ms):6.1f} ms, p95 {p95:6.1f} ms, max {max(timings_ms):6.1f} ms"


def timed(
    client: TestClient, path: str, runs: int, headers: dict[str, str] | None = None
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of ``runs`` GETs of ``path`` (after one warm-up); each must answer 200."""
    assert client.get(path, headers=headers).status_code == 200, path
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path, headers=headers)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, path
    return wall, cpu


def main() -> None:
    """Time the pages and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"seeded database (default {DEFAULT_URL})")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--missions", type=int, default=30, help="missions whose suggestions are timed (default 30)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the missions drawn (default 7)")
    args = parser.parse_args()

    settings = Settings(database_url=args.database_url, secret_key="bench", tracker_store_url="sqlite://")
    with session_scope(settings.database_url) as session:
        volunteers = session.execute(select(func.count(models.Volunteer.id))).scalar_one()
        open_missions = list(
            session.execute(
                select(models.Mission.id).where(models.Mission.status == "open").order_by(models.Mission.id)
            ).scalars()
        )
        staff.add(session, email=BENCH_EMAIL, role="admin", password=BENCH_PASSWORD)
        token = staff.create_token(session, email=BENCH_EMAIL)
    if volunteers == 0:
        sys.exit("The database is empty: run scripts/seed_console.py first.")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{volunteers} volunteers, {len(open_missions)} open missions; {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f}, "
          f"database {settings.database_url.split(':')[0]}")  # fmt: skip

    app = create_app(settings)
    with session_scope(settings.database_url) as session:  # what the start-up thread does, before timing
        from bot.console.suggestions import _vectors

        _vectors(session, settings.database_url)
    with TestClient(app) as client:
        page = client.get("/console/login")
        token_field = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/console/login", data={"email": BENCH_EMAIL, "password": BENCH_PASSWORD,
                                            "csrf_token": token_field, "next": "/console/"})  # fmt: skip
        all_wall: list[float] = []
        all_cpu: list[float] = []
        print("\nFiltered leads page (/console/leads?...): wall clock | CPU")
        for query in LEAD_QUERIES:
            wall, cpu = timed(client, f"/console/leads?{query}", args.runs)
            all_wall += wall
            all_cpu += cpu
            print(f"  {query or '(no filter)':58} {summary(wall)} | CPU p50 {statistics.median(cpu):6.1f} ms")
        print(f"  {'all of the above':58} {summary(all_wall)} | CPU p50 {statistics.median(all_cpu):6.1f} ms")

        rng = random.Random(args.seed)
        chosen = rng.sample(open_missions, min(args.missions, len(open_missions)))
        headers = {"Authorization": f"Bearer {token}"}
        wall, cpu = [], []
        for mission_id in chosen:
            mission_wall, mission_cpu = timed(
                client, f"/api/missions/{mission_id}/suggestions", max(3, args.runs // 4), headers
            )
            wall += mission_wall
            cpu += mission_cpu
        print(f"\nSuggested volunteers (/api/missions/ID/suggestions, {len(chosen)} missions): wall clock | CPU")
        print(f"  {'':58} {summary(wall)} | CPU p50 {statistics.median(cpu):6.1f} ms")
    with session_scope(settings.database_url) as session:  # leave the seeded database as it was
        member = staff.find_by_email(session, email=BENCH_EMAIL)
        if member is not None:
            session.delete(member)


if __name__ == "__main__":
    main()
