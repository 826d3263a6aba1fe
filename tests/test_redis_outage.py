"""Redis down at start-up or meanwhile: volunteers get a polite answer, the logs say it, and it recovers by itself.

A Redis server of the test's own (the machine's `redis-server`, on a free port, no persistence) is
started, stopped and started again under a real Rasa server whose REDIS_URL points at it. Nothing
falls back silently to memory: while Redis is away, turns are refused politely rather than run
without the conversation lock.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from bot.config import Settings
from bot.serve import prepare_database, running_assistant
from tests.conftest import free_port, require_service

pytestmark = pytest.mark.e2e
APOLOGY = "problème technique"


class OwnRedis:
    """A redis-server process on a free port, without persistence, that the test stops and starts."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder = free_port(), folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen([*command, "--dir", str(self.folder)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture()
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        require_service("redis-server is not installed (Debian package redis-server)")
    server = OwnRedis(tmp_path)
    yield server
    server.stop()


def say(webhook: str, sender: str, message: str) -> str:
    answer = requests.post(webhook, json={"sender": sender, "message": message}, timeout=60)
    assert answer.status_code == 200
    return "\n".join(reply.get("text", "") for reply in answer.json())


def test_redis_away_at_start_and_meanwhile_is_said_politely_and_recovered_without_restart(
    trained_model: Path, own_redis: OwnRedis, settings: Settings, tmp_path: Path
) -> None:
    settings = dataclasses.replace(settings, redis_url=own_redis.url)
    prepare_database(settings)
    with running_assistant(settings, trained_model, log_dir=tmp_path / "logs") as webhook:  # Redis not started
        assert APOLOGY in say(webhook, "outage", "bonjour")
        own_redis.start()
        assert "accord" in say(webhook, "outage", "je voudrais devenir bénévole")  # the consent question
        own_redis.stop()
        assert APOLOGY in say(webhook, "outage", "oui")  # refused, not run without the lock
        own_redis.start()
        assert "prénom" in say(webhook, "outage", "oui")  # the same answer again, now taken
        log = (tmp_path / "logs" / "rasa.log").read_text(encoding="utf-8")
    assert "ConnectionError" in log  # the logs say why, by the error's type
