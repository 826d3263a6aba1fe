"""Several Rasa processes behind HAProxy against one, side by side in one run (issue 19).

Usage (``make bench`` does not run it: it takes about 10 minutes and the machine's PostgreSQL and Redis)::

    .venv/bin/python -m scripts.bench_cluster --model tests/.artifacts/models/x.tar.gz

Three set-ups, one after the other, on the same model, the same simulated volunteers
(scripts/bench_conversations.py: personas answering at once, no thinking time) and the same
load levels (10 and 50 conversations at a time):

- ``1 process, SQLite``: what ``make run`` starts (action server, one Rasa server), no proxy;
- ``1 replica, PostgreSQL + Redis``: ``bot serve --replicas 1``'s processes behind HAProxy;
- ``2 replicas, PostgreSQL + Redis``: ``bot serve --replicas 2``'s processes behind HAProxy, once
  per ``--turns`` value (``PROXY_TURNS_PER_REPLICA``: the turns each replica works on at once, the
  others waiting in line at the proxy; 0: no limit), so that limits are compared side by side.

Each row gives messages per second, turn p50/p95, CPU per message of the Rasa processes and of the
action server, and the peak resident memory of each Rasa process. The section also gives a paper
estimate of what 10,000 conversations a day, 500 of them in the peak hour, would need, from the
measured CPU per message. It writes the ``cluster`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.cluster import cluster_children, cluster_plan
from bot.config import ROOT, Settings
from bot.serve import prepare_database, process_env
from bot.supervise import Supervisor
from scripts.bench_conversations import LoadResult, run_load
from scripts.measure.assistant import (
    command_line,
    descendants,
    evaluated_model,
    free_port,
    process_cpu_seconds,
    process_peak_rss_mb,
    started_assistant,
)
from scripts.measure.report import context_lines, invocation, median, percentile, table, write_section

POSTGRES_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
TOKEN = "bench-cluster"
CONVERSATIONS_A_DAY, PEAK_HOUR_CONVERSATIONS = 10_000, 500


@dataclass
class Setup:
    """One set-up's measures."""

    label: str
    loads: list[LoadResult] = field(default_factory=list)
    rasa_cpu_s: list[float] = field(default_factory=list)  # per level, all Rasa processes
    action_cpu_s: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)  # peak, per Rasa process

    def rows(self) -> list[list[object]]:
        rows = []
        for load, rasa, action in zip(self.loads, self.rasa_cpu_s, self.action_cpu_s, strict=True):
            latencies, messages = load.latencies_ms, max(load.messages, 1)
            rows.append([
                self.label, load.concurrency, load.messages, f"{load.throughput:.1f}",
                f"{median(latencies):.0f}", f"{percentile(latencies, 95):.0f}",
                f"{1000 * rasa / messages:.0f}", f"{1000 * action / messages:.0f}", load.errors,
                f"{load.completed}/{len(load.conversations)}", " + ".join(f"{mb:.0f}" for mb in self.rss_mb),
            ])  # fmt: skip
        return rows


def _processes() -> dict[str, list[int]]:
    """This process's Rasa servers and action server, by kind."""
    found: dict[str, list[int]] = {"rasa": [], "actions": []}
    for pid in descendants(os.getpid()):
        command = command_line(pid)
        if "bot.rasa.server" in command and " run " in command:
            found["rasa"].append(pid)
        elif "bot.action_server" in command:
            found["actions"].append(pid)
    return found


def _cpu(pids: list[int]) -> float:
    return sum(process_cpu_seconds(pid) + sum(process_cpu_seconds(c) for c in descendants(pid)) for pid in pids)


def measure(setup: Setup, webhook: str, levels: list[int], conversations: int, token: str = "") -> None:
    """Run the levels against ``webhook``, with the CPU time the servers used meanwhile."""
    for level in levels:
        pids = _processes()
        before = _cpu(pids["rasa"]), _cpu(pids["actions"])
        load = run_load(webhook, setup.label, level, max(conversations, level), token=token)
        setup.loads.append(load)
        setup.rasa_cpu_s.append(_cpu(pids["rasa"]) - before[0])
        setup.action_cpu_s.append(_cpu(pids["actions"]) - before[1])
    setup.rss_mb = [process_peak_rss_mb(pid) for pid in _processes()["rasa"]]


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database for one set-up, dropped afterwards."""
    name = f"bench_cluster_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def running_cluster(model: Path, replicas: int, folder: Path, turns_per_replica: int = 0) -> Iterator[str]:
    """``bot serve --replicas N``'s processes on a new database; yields the proxy's REST webhook."""
    with fresh_database() as database:
        action_port = free_port()
        settings = Settings(
            database_url=database, tracker_store_url=database, tracker_dialect="postgresql", redis_url=REDIS,
            rasa_host="127.0.0.1", rasa_port=free_port(), web_host="127.0.0.1", web_port=free_port(),
            action_port=action_port, action_endpoint=f"http://127.0.0.1:{action_port}/webhook", action_workers=2,
            rest_token=TOKEN, background_seconds=0, proxy_turns_per_replica=turns_per_replica,
        )  # fmt: skip
        prepare_database(settings)
        process_env(settings)
        plan = cluster_plan(settings, replicas, folder)
        with Supervisor() as supervisor:
            *servers, proxy = cluster_children(settings, model, plan, log_dir=folder / "logs")
            supervisor.start(*servers)
            supervisor.start(proxy)
            yield f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook"


def _label(replicas: int, limit: int) -> str:
    kind = "1 replica" if replicas == 1 else f"{replicas} replicas"
    each = f", {limit} turns at once each" if limit else ", no limit of turns"
    return f"{kind}, PostgreSQL + Redis{each}"


def estimate(setups: list[Setup]) -> list[str]:
    """A paper estimate of 10,000 conversations a day from the measured CPU per message."""
    two = setups[-1]
    load = two.loads[-1]
    messages = max(load.messages, 1)
    cpu_ms = 1000 * (two.rasa_cpu_s[-1] + two.action_cpu_s[-1]) / messages
    per_conversation = load.messages / max(len(load.conversations), 1)
    peak_messages_s = PEAK_HOUR_CONVERSATIONS * per_conversation / 3600
    cores = peak_messages_s * cpu_ms / 1000
    burst = PEAK_HOUR_CONVERSATIONS * per_conversation / 600  # the peak hour's people within 10 minutes
    return [
        f"- Measured with 2 replicas at {load.concurrency} at a time: {cpu_ms:.0f} ms of CPU per message (Rasa "
        f"and actions), {per_conversation:.1f} messages per conversation (a whole profile), "
        f"{load.throughput:.1f} messages/s sustained.",
        f"- {CONVERSATIONS_A_DAY:,} conversations a day with {PEAK_HOUR_CONVERSATIONS} in the peak hour: "
        f"{PEAK_HOUR_CONVERSATIONS} × {per_conversation:.1f} / 3,600 s = {peak_messages_s:.2f} messages/s on average "
        f"in that hour, {cores:.2f} core of CPU; the day's average is "
        f"{CONVERSATIONS_A_DAY * per_conversation / 86_400:.2f} messages/s.",
        f"- Bursts size the machine, not averages: the peak hour's {PEAK_HOUR_CONVERSATIONS} people all writing "
        f"within 10 minutes is {burst:.1f} messages/s, {burst * cpu_ms / 1000:.2f} core, "
        f"{load.throughput / burst:.0f}× below what the 2 replicas sustained here.",
        "- So: one 2-core machine with 2 replicas carries 10,000 conversations a day; the second replica is "
        "there so that a replica that dies interrupts nobody (tested), not for speed. A second machine "
        "is for the machine itself failing (docs/deploy.md), or beyond about "
        f"{load.throughput * 3600 / per_conversation / 10:,.0f} conversations in a peak hour "
        "(a tenth of the measured capacity, leaving room for turns to stay short).",
    ]


def main() -> None:
    """Run the three set-ups, write the section and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--model", type=Path, help="trained model (default: the latest test model, or models/)")
    parser.add_argument("--levels", type=int, nargs="+", default=[10, 50], help="concurrent conversations")
    parser.add_argument("--conversations", type=int, default=50, help="conversations per level (at least the level)")
    parser.add_argument(
        "--turns", type=int, nargs="+",
        help="PROXY_TURNS_PER_REPLICA values to run 2 replicas with, side by side (0: no limit; default: the "
        "setting's default); the last one is also 1 replica's, and the one the estimate uses",
    )  # fmt: skip
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench-cluster")
    args = parser.parse_args()
    model = evaluated_model(args.model)
    started = time.perf_counter()
    limits = args.turns or [Settings().proxy_turns_per_replica]
    clusters = [(1, limits[-1]), *((2, limit) for limit in limits)]  # the last limit is the one estimated from
    setups = [Setup("1 process, SQLite"), *(Setup(_label(replicas, limit)) for replicas, limit in clusters)]
    run = args.workdir / f"run-{int(time.time())}"  # new databases: a sender of an earlier run would go on
    with started_assistant(model, run / "sqlite") as assistant:
        measure(setups[0], assistant.webhook, args.levels, args.conversations)
    for (replicas, limit), setup in zip(clusters, setups[1:], strict=True):
        with running_cluster(model, replicas, run / f"replicas-{replicas}-{limit}", limit) as webhook:
            measure(setup, webhook, args.levels, args.conversations, token=TOKEN)
    header = [
        "set-up", "concurrent", "messages", "messages/s", "p50 ms", "p95 ms", "Rasa CPU ms/message",
        "actions CPU ms/message", "errors", "profiles saved", "peak RSS per Rasa process (MB)",
    ]  # fmt: skip
    rows = [row for setup in setups for row in setup.rows()]
    one, two = setups[1].loads[-1].throughput, setups[-1].loads[-1].throughput
    lines = [
        "## cluster",
        "",
        "Several Rasa processes behind HAProxy (`bot serve --replicas N`) against one, side by side in one run "
        "(`scripts/bench_cluster.py`).",
        "",
        *context_lines(invocation()),
        f"- Model: `{model.name}`; took {time.perf_counter() - started:.0f} s in all; the action server has 2 "
        "workers behind the proxy, 1 without",
        "",
        *table(header, rows),
        "",
        f"- 2 replicas / 1 replica at {args.levels[-1]} at a time: {two / one if one else 0:.2f}× the messages per "
        "second (target ≥ 1.3×).",
        "",
        "Paper estimate:",
        "",
        *estimate(setups),
    ]
    write_section(args.report, "cluster", "\n".join(lines), title="Benchmarks")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
