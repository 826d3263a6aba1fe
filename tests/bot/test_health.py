"""The web app's /health: each part's state from stand-in servers, status codes, nothing leaked."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.health import MIN_FREE_BYTES, HealthCheck, Report, action_health_url, database_answers, rasa_health_url
from bot.web_app import create_app
from tests.conftest import free_port


class StandIn:
    """An HTTP server answering every GET with ``status``; counts the requests."""

    def __init__(self) -> None:
        self.status = 200
        self.requests = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                stand_in.requests += 1
                self.send_response(stand_in.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def rasa() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.close()


@pytest.fixture()
def actions() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.close()


def settings_for(sqlite_url: str, rasa_port: int, action_port: int) -> Settings:
    return Settings(
        database_url=sqlite_url, rasa_host="0.0.0.0", rasa_port=rasa_port,
        action_port=action_port, action_endpoint=f"http://127.0.0.1:{action_port}/webhook", secret_key="test",
    )  # fmt: skip


def report(settings: Settings) -> Report:
    return asyncio.run(HealthCheck(settings).report())


def test_every_part_up_is_a_200(sqlite_url: str, rasa: StandIn, actions: StandIn) -> None:
    client = TestClient(create_app(settings_for(sqlite_url, rasa.port, actions.port)))
    answer = client.get("/health")
    assert (answer.status_code, answer.json()) == (
        200,
        {"status": "ok", "parts": {"web": "up", "rasa": "up", "actions": "up", "database": "up"}},
    )
    assert answer.headers["cache-control"] == "no-store" and "retry-after" not in answer.headers


def test_a_part_down_is_a_503_that_says_which(sqlite_url: str, rasa: StandIn) -> None:
    client = TestClient(create_app(settings_for(sqlite_url, rasa.port, free_port())))
    answer = client.get("/health")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert answer.json() == {
        "status": "degraded",
        "parts": {"web": "up", "rasa": "up", "actions": "down", "database": "up"},
    }


@pytest.mark.parametrize(("status", "state"), [(200, "up"), (503, "loading"), (500, "down"), (None, "down")])
def test_the_rasa_server_is_up_loading_or_down(
    sqlite_url: str, rasa: StandIn, actions: StandIn, status: int | None, state: str
) -> None:
    rasa.status = status or 200
    if status is None:
        rasa.close()
    assert report(settings_for(sqlite_url, rasa.port, actions.port)).parts["rasa"] == state


def test_an_unreachable_database_is_down(rasa: StandIn, actions: StandIn) -> None:
    unreachable = f"postgresql+psycopg2://nobody@127.0.0.1:{free_port()}/nothing"
    found = report(settings_for(unreachable, rasa.port, actions.port))
    assert found.parts == {"web": "up", "rasa": "up", "actions": "up", "database": "down"}
    assert found.status_code == 503


def test_a_database_that_takes_writes_is_up_on_sqlite_and_postgresql(database_url: str) -> None:
    assert database_answers(database_url)


def test_a_sqlite_file_another_program_keeps_locked_is_down_until_it_lets_go(
    sqlite_url: str, rasa: StandIn, actions: StandIn
) -> None:
    settings = settings_for(sqlite_url, rasa.port, actions.port)
    holder = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS anything (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")  # a backup tool, a second writer stuck...
    try:
        assert report(settings).parts["database"] == "down"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert report(settings).parts["database"] == "up"  # no restart: the next probe finds it free


def test_a_sqlite_database_on_a_full_disk_is_down(
    sqlite_url: str, rasa: StandIn, actions: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(sqlite_url, rasa.port, actions.port)
    assert report(settings).parts["database"] == "up"
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=MIN_FREE_BYTES - 1))
    assert report(settings).parts["database"] == "down"


def test_one_probe_serves_the_requests_of_one_second(sqlite_url: str, rasa: StandIn, actions: StandIn) -> None:
    now = [100.0]
    check = HealthCheck(settings_for(sqlite_url, rasa.port, actions.port), clock=lambda: now[0])

    async def three_reports() -> None:
        await asyncio.gather(check.report(), check.report())
        now[0] += 0.5
        await check.report()
        assert (rasa.requests, actions.requests) == (1, 1)
        now[0] += 1.0
        await check.report()
        assert (rasa.requests, actions.requests) == (2, 2)

    asyncio.run(three_reports())


def test_the_probes_go_where_the_parts_listen() -> None:
    assert rasa_health_url(Settings(rasa_host="0.0.0.0", rasa_port=5205)) == "http://127.0.0.1:5205/webhooks/rest/"
    assert rasa_health_url(Settings(rasa_host="10.0.0.7", rasa_port=5005)) == "http://10.0.0.7:5005/webhooks/rest/"
    # where the Rasa server calls the actions, not ACTION_PORT: that is the part a conversation needs
    settings = Settings(action_port=5255, action_endpoint="http://127.0.0.1:6000/webhook")
    assert action_health_url(settings) == "http://127.0.0.1:6000/health"
