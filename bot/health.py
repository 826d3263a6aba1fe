"""What is up, part by part: the web app's ``GET /health``.

Usage (bot.web)::

    check = HealthCheck(settings)
    report = await check.report()          # Report(parts={"web": "up", "rasa": "loading", ...})
    report.status_code, report.as_json()   # 503, {"status": "degraded", "parts": {...}}

The parts and what they can be:

- ``web``: ``up`` (it is answering);
- ``rasa``: ``up`` when the REST channel's ``GET /webhooks/rest/`` answers 200; ``loading`` when
  it answers 503: the process runs and loads its model (its port answers "loading" from the
  start, :mod:`bot.rasa_loading`) or warms it up; ``down`` when nothing answers: stopped, or
  in the second before a restarted process takes its port;
- ``actions``: ``up`` when the action server's ``GET /health`` answers 200, at the address
  the Rasa server calls (ACTION_ENDPOINT); ``down`` otherwise;
- ``database``: ``up`` when ``SELECT 1`` succeeds on DATABASE_URL; ``down`` otherwise.

200 with ``"status": "ok"`` when every part is up; 503 with ``"status": "degraded"`` otherwise,
which load balancers and monitors read as unhealthy. Each probe gets at most
:data:`PROBE_TIMEOUT` seconds and they run at once; one report serves every request for
:data:`CACHE_SECONDS`, so a flood of ``/health`` never becomes a flood on the other parts. The
answer names no address, version, error message or person.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httpx

from bot.config import Settings

logger = logging.getLogger(__name__)

State = Literal["up", "loading", "down"]
PROBE_TIMEOUT = 1.0  # seconds; all on this machine or its network: an answer is fast or not coming
CACHE_SECONDS = 1.0
RETRY_AFTER = "5"  # seconds, on a 503
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


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
    """True when ``SELECT 1`` succeeds on the database (blocking: run it in a thread)."""
    from sqlalchemy import text

    from bot.store.session import get_engine

    try:
        with get_engine(database_url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "down"; its message is not logged
        logger.warning("health: the database does not answer (%s)", type(error).__name__)
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
