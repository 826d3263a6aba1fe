"""Two Rasa processes sharing PostgreSQL and Redis carry the same conversations (issue 19).

Real servers: one action server, two Rasa servers on the trained model, both on one PostgreSQL
database (application and tracker store) and a redis-server of the module's own (REDIS_URL: the
atomic lock store, what people say before consenting, the chat bubble's relay), which the tests
stop and start. No proxy here: each message is sent to the process the test chooses, which is
what a proxy without sticky sessions does at worst. The servers start while Redis is still
away: the first check is that they do, and answer politely.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.assistant_api import trigger_intent
from bot.config import Settings
from bot.serve import action_server, prepare_database, rasa_server
from bot.store import models
from bot.store.session import session_scope
from bot.supervise import Supervisor
from tests.conftest import free_port, fresh_postgres, require_service, settings_for
from tests.support.own_redis import OwnRedis
from tests.support.several import APOLOGY, NAMES, bubble_gets_push, profile_conversation
from tests.support.several import say as say_to

pytestmark = pytest.mark.e2e
CONVERSATIONS = 10


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        require_service("redis-server is not installed (Debian package redis-server)")
    server = OwnRedis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def two_processes(
    trained_model: Path, postgres_server: str, own_redis: OwnRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Settings]]:
    logs = tmp_path_factory.mktemp("logs")
    with fresh_postgres(postgres_server) as database:
        first = settings_for(
            database_url=database, tracker_store_url=database, tracker_dialect="postgresql", web_port=free_port(),
            redis_url=own_redis.url,
        )  # fmt: skip
        second = dataclasses.replace(first, rasa_port=free_port())
        prepare_database(first)
        with Supervisor() as supervisor:
            supervisor.start(
                action_server(first, log_dir=logs / "a"),
                rasa_server(first, trained_model, log_dir=logs / "a"),
                dataclasses.replace(rasa_server(second, trained_model, log_dir=logs / "b"), name="Rasa server 2"),
            )
            # Redis away at start-up: both serve, and say so politely rather than run without the lock
            assert APOLOGY in say(first, "early", "bonjour") and APOLOGY in say(second, "early", "bonjour")
            own_redis.start()
            yield first, second
        assert "ConnectionError" in (logs / "a" / "rasa.log").read_text(encoding="utf-8")  # the logs say why


def say(settings: Settings, sender: str, message: str) -> str:
    return say_to(f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook", sender, message)


def test_conversations_alternating_between_two_processes_keep_every_fact_and_profile(
    two_processes: tuple[Settings, Settings],
) -> None:
    first, second = two_processes

    def converse(n: int) -> str:
        name, sender = NAMES[n], f"two-{n}"
        # facts said before consent to one process, the consent to the other, then alternating
        profile_conversation(lambda step, message: say((first, second)[step % 2], sender, message), sender, name)
        return sender

    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:  # all at once: the processes race
        senders = list(pool.map(converse, range(CONVERSATIONS)))
    with session_scope(first.database_url) as session:
        rows = session.execute(select(models.Volunteer.sender_id, models.Volunteer.first_name)).all()
    assert sorted((str(s), str(n)) for s, n in rows) == sorted(zip(senders, NAMES, strict=True))  # none lost or twice


def test_a_push_made_by_one_process_reaches_a_bubble_held_by_the_other(
    two_processes: tuple[Settings, Settings],
) -> None:
    first, second = two_processes
    socket_url = f"ws://127.0.0.1:{second.rasa_port}/webhooks/web/socket"
    origin = f"http://127.0.0.1:{second.web_port}"  # the demo page: an allowed origin

    def push(sender: str) -> None:  # the console (or a reminder) asks the *first* process, which holds no socket
        trigger_intent(first, sender_id=sender, intent="faq_insurance")

    assert "assurance" in asyncio.run(bubble_gets_push(socket_url, origin, push))


def test_redis_gone_meanwhile_is_said_politely_and_recovered_without_restart(
    two_processes: tuple[Settings, Settings], own_redis: OwnRedis
) -> None:
    first, second = two_processes
    assert "accord" in say(first, "outage", "je voudrais devenir bénévole")  # the consent question
    own_redis.stop()
    try:
        assert APOLOGY in say(second, "outage", "oui")  # refused, not run without the lock
    finally:
        own_redis.start()
    assert "prénom" in say(second, "outage", "oui")  # the same answer again, now taken, no restart
