"""Scheduled work: e-mails to send, conversations to hand back, urgent calls, reminders, check-ins, nudges.

Each job of :data:`JOBS` is a function ``module:name`` taking the settings, due every ``every``
seconds. Two things run them, with the same rules:

- the web app, by itself, for as long as it runs: every ``BACKGROUND_SECONDS`` it runs the jobs
  that are due, one after the other, in a worker thread (they use the database, which is
  synchronous);
- ``bot jobs run`` from cron (or a systemd timer), for a deployment that wants it; it runs the
  due jobs once and exits.

Across processes (several web apps, cron as well), a job runs **once at a time and once per
period**: before running, a process takes the job's lease in ``job_leases`` with one conditional
UPDATE (:func:`bot.store.jobs.take`); the lease's row remembers the last start, so a restart
does not run everything again, and a process that dies mid-job loses its lease after ``lease``
seconds. Inside a job, each unit of work (one reminder, one day's digest) is claimed in the
database before it is done, so a unit is done once even if a lease expired mid-run
(docs/architecture.md, "Scheduled jobs"). A job that fails is logged by the name of its error
(never with personal data), recorded on its lease, and tried again at its next turn; the others
go on.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.store import jobs as leases
from bot.store.models import utcnow
from bot.store.session import database_failure, session_scope

logger = logging.getLogger(__name__)

# Who holds a lease: this machine and process (a restarted process is a new holder).
HOLDER = f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Job:
    """A function ``module:name`` taking the settings, run every ``every`` seconds at most.

    ``lease`` is how long a run may take before another process may start the job again (its
    holder is presumed dead); each unit of work is claimed anyway, so that is never twice.
    """

    name: str
    target: str
    every: float
    lease: float = 900

    def function(self) -> Callable[[Settings], object]:
        """The job's function, imported when first needed."""
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


JOBS: tuple[Job, ...] = (
    Job("watch held conversations", "bot.takeover:hand_back_silent", every=5),
    Job("send e-mails", "bot.notifications:send_pending", every=0),
    Job("daily digest", "bot.notifications:daily_digest", every=60),
    Job("urgent calls", "bot.urgent:call_volunteers", every=300),
    Job("unfold recurring shifts", "bot.shifts:unfold_series", every=3600),
    Job("expired attestation links", "bot.attestations:purge_expired_links", every=3600),
    Job("unfinished profile reminders", "bot.reengagement:remind_unfinished", every=300),
    Job("suggestions to inactive volunteers", "bot.reengagement:suggest_to_inactive", every=300),
    Job("shift reminders", "bot.reminders:send_reminders", every=60),
    Job("reminder follow-ups", "bot.reminders:send_followups", every=60),
    Job("check-ins after shifts", "bot.reminders:send_checkins", every=60),
    Job("yearly summaries", "bot.reminders:send_yearly_summaries", every=60),
)


def run_job(
    settings: Settings, job: Job, *, holder: str = HOLDER, now: datetime | None = None, ensure: bool = True
) -> str | None:
    """Run ``job`` here if it is due and no other process runs it; "ran", "failed" or None (not due or busy).

    ``ensure=False`` when the caller already created the job's lease row (the web app's loop does, once).
    """
    started = now or utcnow()
    with session_scope(settings.database_url) as session:
        if ensure:
            leases.ensure(session, [job.name])
        if not leases.take(session, name=job.name, holder=holder, now=started, every=job.every, lease=job.lease):
            return None
    error: str | None = None
    try:
        job.function()(settings)
    except Exception as failure:  # noqa: BLE001 (one job's failure must not stop the others)
        error = type(failure).__name__
        logger.warning("scheduled job %r failed: %s", job.name, error)
    with session_scope(settings.database_url) as session:
        leases.release(session, name=job.name, holder=holder, now=utcnow(), error=error)
    return "failed" if error else "ran"


def run_due_jobs(settings: Settings, jobs: tuple[Job, ...] | None = None) -> dict[str, str | None]:
    """Run every due job once, one after the other (``bot jobs run``); what happened to each, by name."""
    outcome: dict[str, str | None] = {}
    for job in JOBS if jobs is None else jobs:
        try:
            outcome[job.name] = run_job(settings, job)
        except Exception as failure:  # noqa: BLE001 (the database is down: say so, try the next one)
            logger.warning("scheduled job %r not started: %s", job.name, type(failure).__name__)
            outcome[job.name] = "failed"
    return outcome


class Background:
    """Runs :data:`JOBS` while the web app runs."""

    def __init__(self, settings: Settings, jobs: tuple[Job, ...] | None = None) -> None:
        self.settings = settings
        self.jobs = JOBS if jobs is None else jobs
        self.last_try: dict[str, float] = {}
        self.ensured: set[str] = set()  # jobs whose lease row this process knows exists
        self.database_down = False  # the last job could not be started: the outage is logged once
        self.wake = asyncio.Event()

    async def run_due(self) -> None:
        """Run every job whose turn has come (here or in no other process), one after the other."""
        for job in self.jobs:
            now = time.monotonic()
            if now - self.last_try.get(job.name, float("-inf")) < job.every:
                continue  # not due by this process's clock: spare the database a statement
            self.last_try[job.name] = now
            try:
                await asyncio.to_thread(run_job, self.settings, job, ensure=job.name not in self.ensured)
                self.ensured.add(job.name)
            except Exception as error:  # noqa: BLE001 (the database is down: the next turn tries again)
                if not self.database_down:  # once per outage, not once per job every few seconds
                    logger.warning(
                        "scheduled jobs not started: the database is %s (%s); tried again every %d s",
                        database_failure(error) or "failing", type(error).__name__, self.settings.background_seconds,
                    )  # fmt: skip
                self.database_down = True
                del self.last_try[job.name]  # not run: due again at the next turn, not a period later
                return  # the other jobs would meet the same database
            if self.database_down:
                logger.info("scheduled jobs: the database answers again")
                self.database_down = False

    async def loop(self) -> None:
        """Run the due jobs every ``BACKGROUND_SECONDS``, or sooner when :meth:`poke` is called."""
        while True:
            await self.run_due()
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.settings.background_seconds)
            self.wake.clear()

    def poke(self) -> None:
        """Look for work now (an e-mail was just queued, for example)."""
        self.wake.set()


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Background | None]:
    """The background jobs for the web app's lifetime; none when ``BACKGROUND_SECONDS`` is 0."""
    if settings.background_seconds <= 0:
        yield None
        return
    background = Background(settings)
    task = asyncio.create_task(background.loop())
    logger.info(
        "scheduled jobs running every %d s in this process (%d jobs, leases in the database)",
        settings.background_seconds,
        len(background.jobs),
    )
    try:
        yield background
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
