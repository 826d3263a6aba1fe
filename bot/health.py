"""What is up, part by part: the web app's ``GET /health``.

Usage (bot.web_app)::

    check = HealthCheck(settings)
    report = await check.report()          # Report(parts={"web": "up", "rasa": "loading", ...})
    report.status_code, report.as_json()   # 503, {"status": "degraded", "parts": {...}}

The parts and what they can be:

- ``web``: ``up`` (it is answering);
- ``rasa``: ``up`` when the REST channel's ``GET /webhooks/rest/`` answers 200; ``loading`` when
  it answers 503: the process runs and loads its model (its port answers "loading" from the
  start, :mod:`bot.rasa.loading`) or warms it up; ``down`` when nothing answers: stopped, or
  in the second before a restarted process takes its port;
- ``actions``: ``up`` when the action server's ``GET /health`` answers 200, at the address
  the Rasa server calls (ACTION_ENDPOINT); ``down`` otherwise;
- ``database``: ``up`` when DATABASE_URL would take a write now; ``down`` otherwise. On
  SQLite, the probe takes the write lock and gives it back (``BEGIN IMMEDIATE``, ``ROLLBACK``:
  nothing written), so a file another program keeps locked is down, and so is a file whose
  disk has less than :data:`MIN_FREE_BYTES` left; on PostgreSQL, the server must answer and
  accept writes (not a read-only standby).

200 with ``"status": "ok"`` when every part is up; 503 with ``"status": "degraded"`` otherwise,
which load balancers and monitors read as unhealthy. Each probe gets at most
:data:`PROBE_TIMEOUT` seconds and they run at once; one report serves every request for
:data:`CACHE_SECONDS`, so a flood of ``/health`` never becomes a flood on the other parts. The
answer names no address, version, error message or person.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

import httpx

from bot.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

State = Literal["up", "loading", "down"]
PROBE_TIMEOUT = 1.0  # seconds; all on this machine or its network: an answer is fast or not coming
CACHE_SECONDS = 1.0
RETRY_AFTER = "5"  # seconds, on a 503
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
MIN_FREE_BYTES = 1024 * 1024  # below this a SQLite database may fail any write ("database or disk is full")


@dataclass(frozen=True)
class Report:
    """The state of each part at one moment."""

    parts: dict[str, State]

    @property
    def healthy(self) -> bool:
        """True when every part is up."""
        return all(state == "up" for state in self.parts.values())

    @property
    def status_code(self) -> int:
        """200 when every part is up, 503 otherwise."""
        return 200 if self.healthy else 503

    def as_json(self) -> dict[str, object]:
        """The body of ``GET /health``."""
        return {"status": "ok" if self.healthy else "degraded", "parts": dict(self.parts)}


def rasa_health_url(settings: Settings) -> str:
    """The REST channel's health route of the Rasa server, as reached from this machine."""
    host = "127.0.0.1" if settings.rasa_host in WILDCARD_HOSTS else settings.rasa_host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.rasa_port}/webhooks/rest/"


def action_health_url(settings: Settings) -> str:
    """The action server's health route, at the address the Rasa server calls."""
    endpoint = urlsplit(settings.action_endpoint)
    return f"{endpoint.scheme}://{endpoint.netloc}/health"


def rasa_state(status: int | None) -> State:
    """The Rasa server's state from its REST channel's answer (None: no answer)."""
    return "up" if status == 200 else "loading" if status == 503 else "down"


def database_answers(database_url: str) -> bool:
    """True when the database would take a write now (blocking: run it in a thread)."""
    from sqlalchemy import text

    from bot.store.session import get_engine

    engine = get_engine(database_url)
    try:
        if engine.url.get_backend_name() == "sqlite":
            return _sqlite_takes_writes(engine)
        with engine.connect() as connection:
            read_only = connection.execute(text("SHOW transaction_read_only")).scalar_one()
        if read_only != "off":
            logger.warning("health: the database accepts no writes (read-only)")
            return False
    except Exception as error:  # noqa: BLE001 - any failure means "down"; its message is not logged
        logger.warning("health: the database does not answer (%s)", type(error).__name__)
        return False
    return True


def _sqlite_takes_writes(engine: Engine) -> bool:
    """Take SQLite's write lock and give it back at once; then check the disk has room."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout for another writer, then fails
        cursor.execute("ROLLBACK")
    finally:
        raw.close()
    database = engine.url.database
    if database and database != ":memory:":
        free = shutil.disk_usage(Path(database).resolve().parent).free
        if free < MIN_FREE_BYTES:
            logger.warning("health: the database's disk is full (%d bytes left)", free)
            return False
    return True


class HealthCheck:
    """Probes the parts, at most once per CACHE_SECONDS, for every request of one web app."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = asyncio.Lock()
        self._last: Report | None = None
        self._last_at = 0.0
        self._database: asyncio.Future[bool] | None = None  # one probe at a time, even one that hangs

    async def report(self) -> Report:
        """The state of every part, probed now or at most CACHE_SECONDS ago."""
        async with self._lock:
            if self._last is None or self.clock() - self._last_at >= CACHE_SECONDS:
                self._last = await self._probe()
                self._last_at = self.clock()
            return self._last

    async def _probe(self) -> Report:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT, trust_env=False) as client:
            rasa, actions, database = await asyncio.gather(
                _status(client, rasa_health_url(self.settings)),
                _status(client, action_health_url(self.settings)),
                _within(self._database_probe(), PROBE_TIMEOUT),
            )
        return Report(
            {
                "web": "up",
                "rasa": rasa_state(rasa),
                "actions": "up" if actions == 200 else "down",
                "database": "up" if database else "down",
            }
        )

    def _database_probe(self) -> Awaitable[bool]:
        if self._database is None or self._database.done():
            loop = asyncio.get_running_loop()
            self._database = loop.run_in_executor(None, database_answers, self.settings.database_url)
        return asyncio.shield(self._database)


async def _status(client: httpx.AsyncClient, url: str) -> int | None:
    try:
        return (await client.get(url)).status_code
    except httpx.HTTPError:
        return None


async def _within(probe: Awaitable[bool], timeout: float) -> bool:
    try:
        return await asyncio.wait_for(probe, timeout)
    except asyncio.TimeoutError:
        return False
