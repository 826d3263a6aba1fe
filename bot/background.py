"""Work the web app does by itself: e-mails to send, conversations to hand back, urgent calls.

Every ``BACKGROUND_SECONDS`` the web app looks at each job of :data:`JOBS` and runs the ones
that are due, one after the other, in a worker thread (they use the database, which is
synchronous). A job that fails is logged by the name of its error (never with personal data)
and tried again at its next turn; the others go on. Work that must happen once per key (a
day's digest, one mission's alert) claims its key in ``job_runs`` first
(:func:`bot.store.jobs.claim`), so that two web app processes never do it twice.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from bot.config import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A function ``module:name`` taking the settings, run every ``every`` seconds at most."""

    name: str
    target: str
    every: float

    def function(self) -> Callable[[Settings], object]:
        """The job's function, imported when first needed."""
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)


JOBS: tuple[Job, ...] = (
    Job("watch held conversations", "bot.takeover:hand_back_silent", every=5),
    Job("send e-mails", "bot.notifications:send_pending", every=0),
    Job("daily digest", "bot.notifications:daily_digest", every=60),
    Job("urgent calls", "bot.urgent:call_volunteers", every=300),
)


class Background:
    """Runs :data:`JOBS` while the web app runs."""

    def __init__(self, settings: Settings, jobs: tuple[Job, ...] = JOBS) -> None:
        self.settings = settings
        self.jobs = jobs
        self.last_run: dict[str, float] = {}
        self.wake = asyncio.Event()

    async def run_due(self) -> None:
        """Run every job whose turn has come, one after the other."""
        now = time.monotonic()
        for job in self.jobs:
            if now - self.last_run.get(job.name, float("-inf")) < job.every:
                continue
            self.last_run[job.name] = now
            try:
                await asyncio.to_thread(job.function(), self.settings)
            except Exception as error:  # noqa: BLE001 (one job's failure must not stop the others)
                logger.warning("background job %r failed: %s", job.name, type(error).__name__)

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
    logger.info("background jobs running every %d s", settings.background_seconds)
    try:
        yield background
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
