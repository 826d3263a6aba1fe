"""Part `reminders` of `make bench`: a day's reminders for 10,000 volunteers and 2,000 shifts.

Two measures:

- :func:`time_computation` (standalone, no server): builds 10,000 volunteers, 2,000 shifts
  tomorrow and one sign-up per volunteer in a temporary SQLite database, then times the due
  set (one query) and the claims (one conditional UPDATE per sign-up) of ``bot.reminders``;
- :func:`measure_with_assistant`: the same data in the database of a running assistant, the
  reminders sent through it (at most ``RASA_CONCURRENCY`` calls at once) while 10 simulated
  conversations talk to it; the turn p95 with and without the reminders going out.

Usage::

    .venv/bin/python -m scripts.bench_reminders                 # the computation only
    .venv/bin/python -m scripts.bench_reminders --model models/X.tar.gz   # also against Rasa
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot import reminders
from bot.config import Settings
from bot.store import models
from bot.store.migrate import upgrade
from bot.store.session import session_scope

VOLUNTEERS, SHIFTS = 10_000, 2_000
TARGET_S = 10.0


def build(
    url: str, *, now: datetime, zone: str, volunteers: int = VOLUNTEERS, shifts: int = SHIFTS, channel: str = "rest"
) -> None:
    """Volunteers, shifts tomorrow (local time) and one sign-up per volunteer, inserted in bulk."""
    local_tomorrow = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    start = datetime.combine(local_tomorrow, datetime.min.time(), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)
    with session_scope(url) as session:
        session.execute(insert(models.Mission.__table__), [{"id": "BENCH", "title": "Préparation des colis"}])
        session.execute(
            insert(models.Volunteer.__table__),
            [
                {"channel": channel, "sender_id": f"bench-{n}", "first_name": "Bench", "age_group": "adult",
                 "status": "nouveau", "created_at": now, "updated_at": now}
                for n in range(volunteers)
            ],
        )  # fmt: skip
        session.execute(
            insert(models.Shift.__table__),
            [
                {"mission_id": "BENCH", "starts_at": start + timedelta(minutes=7 + n * 0.6),
                 "ends_at": start + timedelta(minutes=187 + n * 0.6), "places": 10, "taken": 5, "created_at": now}
                for n in range(shifts)
            ],
        )  # fmt: skip
        session.execute(
            insert(models.Signup.__table__),
            [
                {"shift_id": 1 + n % shifts, "volunteer_id": 1 + n, "status": "confirmed",
                 "created_at": now - timedelta(days=3)}
                for n in range(volunteers)
            ],
        )  # fmt: skip


def time_computation(*, volunteers: int = VOLUNTEERS, shifts: int = SHIFTS) -> dict[str, float]:
    """Seconds to compute the due reminders and to claim them all, on a fresh temporary SQLite database."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        settings = dataclasses.replace(Settings(), database_url=url, tracker_store_url=url, reminder_hour=18)
        zone = ZoneInfo(settings.timezone)
        today = datetime.now(zone).date()
        now = datetime.combine(today, datetime.min.time(), tzinfo=zone).replace(hour=18, minute=1)
        now = now.astimezone(timezone.utc)
        build(url, now=now, volunteers=volunteers, shifts=shifts, zone=settings.timezone)
        started = time.perf_counter()
        with session_scope(url) as session:
            due = reminders.due_reminders(session, settings, now=now)
        computed = time.perf_counter() - started
        with session_scope(url) as session:
            won = reminders.claim_signups(session, kind=reminders.REMINDER, signup_ids=due, now=now)
        claimed = time.perf_counter() - started - computed
        assert len(due) == len(won) == volunteers, (len(due), len(won))
        return {"due_s": computed, "claim_s": claimed, "total_s": computed + claimed, "due": float(len(due))}


def measure_with_assistant(model: Path, folder: Path, *, conversations: int = 40) -> dict[str, float]:
    """Turn p95 of 10 concurrent conversations, alone and while the day's reminders go out through Rasa."""
    from scripts.bench_conversations import run_load
    from scripts.measure.assistant import started_assistant
    from scripts.measure.report import percentile

    shutil.rmtree(folder, ignore_errors=True)  # a fresh database: an earlier run's volunteers and shifts are gone
    with started_assistant(model, folder) as assistant:
        settings = assistant.settings
        zone = ZoneInfo(settings.timezone)
        now = datetime.now(zone).replace(hour=18, minute=1).astimezone(timezone.utc)
        build(settings.database_url, now=now, zone=settings.timezone, channel="web")  # pushed through Rasa
        quiet = run_load(assistant.webhook, "quiet", 10, conversations)
        sent: dict[str, float] = {}

        def send() -> None:
            started = time.perf_counter()
            sent["reached"] = reminders.send_reminders(dataclasses.replace(settings, reminder_hour=18), now=now)
            sent["seconds"] = time.perf_counter() - started

        sender = threading.Thread(target=send)
        sender.start()
        busy = run_load(assistant.webhook, "reminders", 10, conversations)
        sender.join()
    return {
        "p95_quiet_ms": percentile(quiet.latencies_ms, 95),
        "p95_with_reminders_ms": percentile(busy.latencies_ms, 95),
        **{f"send_{k}": v for k, v in sent.items()},
    }


def run(args: argparse.Namespace, model: Path) -> None:
    """Part `reminders` of `make bench`: both measures, side by side in one run, written to the report."""
    from scripts.measure.report import context_lines, invocation, table, write_section

    figures = time_computation()
    live = measure_with_assistant(model, args.workdir / "reminders")
    lines = [
        "## A day's reminders",
        "",
        f"{int(figures['due'])} reminders for {VOLUNTEERS:,} volunteers signed up for {SHIFTS:,} shifts tomorrow "
        "(`scripts/bench_reminders.py`): the due set is one query, each sign-up is claimed by one conditional "
        "UPDATE; then the same data in a running assistant's database, the reminders pushed through Rasa "
        f"(at most {reminders.RASA_CONCURRENCY} calls at once) while 10 simulated conversations talk to it.",
        "",
        *context_lines(invocation()),
        f"- Model: `{model.name}`",
        "",
        *table(
            ["measure", "value", "target"],
            [
                ["due set computed", f"{figures['due_s']:.2f} s", ""],
                ["claims (one UPDATE per sign-up)", f"{figures['claim_s']:.2f} s", ""],
                ["computed in all", f"{figures['total_s']:.2f} s", f"< {TARGET_S:.0f} s"],
                ["turn p95, 10 concurrent, no reminders", f"{live['p95_quiet_ms']:.0f} ms", ""],
                ["turn p95, 10 concurrent, reminders going out", f"{live['p95_with_reminders_ms']:.0f} ms", "no worse"],
                [
                    "reminders delivered meanwhile",
                    f"{live.get('send_reached', 0):.0f} in {live.get('send_seconds', 0):.0f} s",
                    "",
                ],
            ],
        ),
    ]
    write_section(args.report, "reminders", "\n".join(lines), title="Benchmarks")


def main() -> None:
    """Time the computation; with --model, also the conversations while the reminders go out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a trained model: also measure against a running assistant")
    parser.add_argument("--workdir", type=Path, default=Path("var/bench-reminders"))
    args = parser.parse_args()
    figures = time_computation()
    verdict = "ok" if figures["total_s"] < TARGET_S else "TOO SLOW"
    print(
        f"{int(figures['due'])} reminders: due set {figures['due_s']:.2f} s, claims {figures['claim_s']:.2f} s "
        f"({verdict}, target {TARGET_S:.0f} s)"
    )
    if args.model:
        print(measure_with_assistant(args.model, args.workdir))


if __name__ == "__main__":
    main()
