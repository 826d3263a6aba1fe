"""Scheduled jobs run once at a time and once per period across processes, and survive restarts (bot.background)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

from bot import background
from bot.background import Background, Job, run_due_jobs, run_job
from bot.cli import main
from bot.config import ROOT, Settings
from bot.store import jobs
from bot.store.session import session_scope

CALLS: list[str] = []


def counting_job(settings: Settings) -> None:
    """A job that takes a while, so that two processes would overlap if nothing stopped them."""
    CALLS.append(settings.database_url)
    time.sleep(0.3)


def failing_job(settings: Settings) -> None:
    raise ConnectionRefusedError("smtp down")


def file_job(settings: Settings) -> None:
    """For real processes: one line per run in the file named by JOB_COUNT_FILE."""
    with open(os.environ["JOB_COUNT_FILE"], "a") as handle:
        handle.write(f"{os.getpid()}\n")
    time.sleep(0.5)


COUNTING = Job("counting", "tests.bot.test_scheduled_jobs:counting_job", every=3600)


@pytest.fixture(autouse=True)
def no_calls() -> None:
    CALLS.clear()


def at(settings: Settings, database_url: str) -> Settings:
    return dataclasses.replace(settings, database_url=database_url)


def test_two_processes_at_once_run_a_job_once(settings: Settings, database_url: str) -> None:
    here = at(settings, database_url)
    outcomes: list[str | None] = []
    threads = [
        threading.Thread(target=lambda h=holder: outcomes.append(run_job(here, COUNTING, holder=h)))
        for holder in ("web-1", "web-2", "cron")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes, key=str) == sorted(["ran", None, None], key=str)
    assert len(CALLS) == 1


def test_a_job_is_not_run_again_before_its_period_even_by_a_restarted_process(
    settings: Settings, database_url: str
) -> None:
    here = at(settings, database_url)
    start = datetime(2027, 1, 9, 8, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        assert run_job(here, COUNTING, holder="before-restart") == "ran"
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert run_job(here, COUNTING, holder="after-restart") is None
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert run_job(here, COUNTING, holder="after-restart") == "ran"
    assert len(CALLS) == 2


def test_a_dead_holder_loses_its_lease_after_its_lifetime(settings: Settings, database_url: str) -> None:
    here = at(settings, database_url)
    start = datetime(2027, 1, 9, 8, 0, tzinfo=timezone.utc)
    job = Job("short", "tests.bot.test_scheduled_jobs:counting_job", every=0, lease=120)
    with session_scope(database_url) as session:
        jobs.ensure(session, [job.name])
        assert jobs.take(session, name=job.name, holder="died", now=start, every=0, lease=120)
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert run_job(here, job, holder="survivor") is None  # still held
    with time_machine.travel(start + timedelta(seconds=121), tick=False):
        assert run_job(here, job, holder="survivor") == "ran"


def test_a_failure_is_recorded_by_its_name_and_the_job_runs_again(settings: Settings) -> None:
    job = Job("failing", "tests.bot.test_scheduled_jobs:failing_job", every=0)
    assert run_job(settings, job) == "failed"
    with session_scope(settings.database_url) as session:
        state = jobs.states(session)["failing"]
    assert state.last_error == "ConnectionRefusedError" and state.until is None
    assert run_job(settings, job) == "failed"  # not stuck


def test_a_clock_set_back_does_not_stall_a_job(settings: Settings) -> None:
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=timezone.utc), tick=False):
        assert run_job(settings, COUNTING) == "ran"
    assert run_job(settings, COUNTING) == "ran"  # today, years "before" the last start


def test_the_web_app_loop_runs_due_jobs_through_the_leases(settings: Settings) -> None:
    import asyncio

    loop = Background(settings, jobs=(COUNTING,))
    asyncio.run(loop.run_due())
    asyncio.run(loop.run_due())  # this process's own clock: not due
    other = Background(settings, jobs=(COUNTING,))
    asyncio.run(other.run_due())  # another process: the lease's last start says not due
    assert len(CALLS) == 1


def test_real_processes_started_together_run_a_job_once(settings: Settings, tmp_path: Path) -> None:
    count = tmp_path / "count"
    count.touch()
    code = (
        "from bot.background import Job, run_due_jobs; from bot.config import Settings; "
        f"run_due_jobs(Settings(database_url={settings.database_url!r}), "
        "(Job('file', 'tests.bot.test_scheduled_jobs:file_job', every=3600),))"
    )
    env = dict(os.environ, JOB_COUNT_FILE=str(count), PYTHONPATH=str(ROOT))
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env) for _ in range(4)]
    assert [process.wait(timeout=60) for process in processes] == [0, 0, 0, 0]
    assert len(count.read_text().split()) == 1


def test_bot_jobs_run_and_list(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setattr(background, "JOBS", (COUNTING, Job("failing", "tests.bot.test_scheduled_jobs:failing_job", 0)))
    from bot import config

    config.get_settings.cache_clear()
    try:
        assert main(["jobs", "run"]) == 1  # one failed: cron sees it
        out = capsys.readouterr().out
        assert "counting : fait" in out and "failing : ÉCHEC" in out
        assert main(["jobs", "run"]) == 1
        assert "counting : pas dû" in capsys.readouterr().out
        assert main(["jobs", "list"]) == 0
        listing = capsys.readouterr().out
        assert "counting (toutes les 3600 s) : dernier départ" in listing
        assert "dernier échec : ConnectionRefusedError" in listing
    finally:
        config.get_settings.cache_clear()


def test_every_registered_job_can_be_imported() -> None:
    for job in background.JOBS:
        assert callable(job.function()), job.name
    assert len({job.name for job in background.JOBS}) == len(background.JOBS)


def test_run_due_jobs_survives_a_database_that_is_down(tmp_path: Path) -> None:
    broken = Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'bot.db'}")
    assert run_due_jobs(broken, (COUNTING,)) == {"counting": "failed"}
    assert CALLS == []


def test_a_process_whose_now_was_read_a_little_earlier_does_not_run_the_job_again(database_url: str) -> None:
    # Seen: three threads all ran a job when the "clock set back" guard had no slack, because the
    # winner's start was a few milliseconds after the moment the others had read.
    start = datetime(2027, 1, 9, 8, 0, tzinfo=timezone.utc)
    with session_scope(database_url) as session:
        jobs.ensure(session, ["racing"])
        assert jobs.take(session, name="racing", holder="fast", now=start + timedelta(seconds=1), every=3600, lease=900)
        jobs.release(session, name="racing", holder="fast", now=start + timedelta(seconds=2), error=None)
        assert not jobs.take(session, name="racing", holder="slow", now=start, every=3600, lease=900)
