"""Shared fixtures: databases (SQLite and PostgreSQL), the one trained model, the servers.

Tests that need a server (PostgreSQL) skip with the reason when it is absent; with CI=true
those skips become failures, so CI cannot pass by skipping.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.config import ROOT, Settings

ARTIFACTS = ROOT / "tests" / ".artifacts"
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
# Rasa's telemetry would try to reach the network from every rasa command the tests run.
os.environ["RASA_TELEMETRY_ENABLED"] = "false"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_service(reason: str) -> None:
    """Skip (or fail, on CI) because a server the test needs is not there."""
    if IN_CI:
        pytest.fail(f"required on CI: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite database file."""
    from bot.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the local PostgreSQL server, or a skip."""
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, future=True)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any connection failure means "absent"
        require_service(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {type(error).__name__}")
    return POSTGRES_ADMIN_URL


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The URL of the local Redis server (db 15, the tests'), or a skip."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 - any connection failure means "absent"
        require_service(f"Redis is not reachable at {REDIS_URL}: {type(error).__name__}")
    return REDIS_URL


@pytest.fixture()
def redis_prefix(redis_server: str) -> Iterator[str]:
    """A key prefix of this test's own in the local Redis, its keys deleted afterwards."""
    import redis

    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_server)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture()
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, dropped afterwards."""
    with fresh_postgres(postgres_server) as url:
        yield url


@contextmanager
def fresh_postgres(postgres_server: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database on the server of ``postgres_server``, dropped afterwards."""
    from bot.store.migrate import upgrade
    from bot.store.session import get_engine

    name = f"bot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_server, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_server.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    get_engine(url).dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The one model of the test run, trained only when its inputs changed since the last run (bot.training)."""
    from bot.errors import TrainingFailedError
    from bot.training import trained_model as up_to_date_model

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "train.log", "wb") as log:
        try:
            # keep=4: other test sessions in this checkout may still be using the previous models
            return up_to_date_model(ARTIFACTS / "models", env=env, output=log, keep=4)
        except TrainingFailedError:
            pytest.fail(f"training failed, see {ARTIFACTS / 'train.log'}")


@pytest.fixture()
def settings(sqlite_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own database and tracker store, free ports."""
    return settings_for(database_url=sqlite_url, tracker_store_url=f"sqlite:///{tmp_path / 'tracker.db'}")


def settings_for(**values: Any) -> Settings:
    """Settings with free ports for the Rasa server and the action server, and ``values``."""
    action_port = free_port()
    ports = {"rasa_port": free_port(), "action_port": action_port, "rasa_host": "127.0.0.1"}
    return Settings(**{**ports, "action_endpoint": f"http://127.0.0.1:{action_port}/webhook", **values})


CHROMIUM = Path("/usr/bin/chromium")
# Chromium's background services try to reach Google at start; this machine's network refuses them.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip


def _install_chromium() -> None:
    """Install Debian's chromium package (no browser download by Playwright)."""
    if os.geteuid() != 0:
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], env=env, check=False, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env, check=False, capture_output=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright, installed from the distribution when missing.

    One per test module: Playwright's sync API runs an event loop in this thread while it is
    open, and later tests that call ``asyncio.run`` (the tracker store's) would find it running.
    """
    if not CHROMIUM.exists():
        _install_chromium()
    if not CHROMIUM.exists():
        require_service(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    """A fresh browser context (no cookies, no storage) and page for one test."""
    context = browser.new_context(locale="fr-FR")  # type: ignore[attr-defined]
    tab = context.new_page()
    yield tab
    context.close()


def exported_volunteers(database_url: str) -> list[dict]:
    """`bot volunteers export --format json`, run as a user would, on one database."""
    import json

    env = dict(os.environ, DATABASE_URL=database_url)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("bot")), "volunteers", "export", "--format", "json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)
