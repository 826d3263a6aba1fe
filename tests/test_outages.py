"""Redis and PostgreSQL going away and coming back, with nothing restarted (issue 19).

The servers are real: a redis-server of the test's own (tests/support/own_redis.py), stopped and
started, and the machine's PostgreSQL reached through a TCP proxy of the test's own
(tests/support/tcp_proxy.py), cut and restored, since the machine's server is not ours to stop.
Each piece that keeps shared state is taken down under load it would meet: the lock store, what
people said before consenting, the tracker store, the application database of the actions, the
chat bubble's relay. Each one fails loudly while its server is away (an error the channel turns
into a polite apology, a log line naming no one) and serves again as soon as the server is back,
never by falling back on one process's memory. Last, the work that must happen once (a due
scheduled job, the retention purge) is raced by real processes on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets
import websockets.client
from rasa.core.lock_store import LockError
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event as sa_event
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from websockets.typing import Origin

from bot.background import Background, Job
from bot.cli import main
from bot.config import ROOT, Settings, get_settings, rasa_api_token
from bot.errors import DatabaseUnavailableError
from bot.privacy import PURGE_LEASE, months_before
from bot.rasa.channels.relay import Relay
from bot.rasa.channels.telegram.texts import load_texts
from bot.rasa.lock_store import AtomicRedisLockStore
from bot.rasa.pending import RedisPending
from bot.rasa.tracker_store import PrivacyTrackerStore
from bot.serve import prepare_database, running_assistant
from bot.store import conversations, retention
from bot.store import jobs as leases
from bot.store.models import utcnow
from bot.store.session import database_failure, get_engine, session_scope
from bot.texts import widget_texts
from tests.bot.rasa.channels.telegram import telegram_json as tg
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn
from tests.bot.rasa.test_tracker_store import EMAIL, NAME, SENDER, first_message, rows
from tests.bot.test_privacy import NOW, add_volunteer
from tests.bot.test_scheduled_jobs import CALLS
from tests.bot.test_serve_e2e import TELEGRAM_SECRET, TELEGRAM_TOKEN
from tests.conftest import POSTGRES_ADMIN_URL, free_port, fresh_postgres, require_service, settings_for
from tests.support.own_redis import OwnRedis
from tests.support.tcp_proxy import TcpProxy

_SERVER = make_url(POSTGRES_ADMIN_URL)
POSTGRES = (_SERVER.host or "127.0.0.1", _SERVER.port or 5432)  # the proxies pass connections on to it


@pytest.fixture()
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A redis-server of this test's own, stopped at first: the test starts it."""
    if shutil.which("redis-server") is None:
        require_service("redis-server is not installed (Debian package redis-server)")
    server = OwnRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture()
def database(postgres_server: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database (its direct URL), dropped afterwards."""
    with fresh_postgres(postgres_server) as url:
        yield url


def through(proxy: TcpProxy, url: str) -> str:
    """``url`` with the proxy's port in place of the server's."""
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


# --- the lock store -------------------------------------------------------------------------


def test_the_lock_store_refuses_turns_while_redis_is_away_and_serves_when_it_is_back(
    own_redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.rasa.lock_store")
    store = AtomicRedisLockStore.from_url(own_redis.url)  # Redis away at start-up: the store is built all the same

    async def one_turn() -> None:
        async with store.lock("conversation"):
            pass

    for _ in range(3):
        with pytest.raises(LockError):
            asyncio.run(one_turn())  # refused, not run without a lock
    assert caplog.text.count("conversation locks: Redis unreachable (ConnectionError)") == 1  # once per outage
    own_redis.start()
    asyncio.run(one_turn())
    own_redis.stop()
    with pytest.raises(LockError):
        asyncio.run(one_turn())
    own_redis.start()
    asyncio.run(one_turn())
    assert store.get_lock("conversation") is None  # nothing left held
    assert caplog.text.count("conversation locks: Redis reachable again") == 2


# --- what people said before consenting -----------------------------------------------------


def test_what_was_said_before_consent_is_neither_lost_nor_kept_in_memory_while_redis_is_away(
    own_redis: OwnRedis,
    database: str,
    domain: Domain,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
    get_settings.cache_clear()
    early = PrivacyTrackerStore(domain=domain, host=database, dialect="postgresql", pending_url=own_redis.url)
    assert "Redis (REDIS_URL) unreachable at start-up" in caplog.text  # built all the same, and says so
    assert isinstance(early.pending, RedisPending)  # no fall-back on this process's memory
    early.engine.dispose()
    own_redis.start()
    with TcpProxy("127.0.0.1", own_redis.port) as proxy:  # a network cut: Redis keeps its data
        url = f"redis://127.0.0.1:{proxy.port}/0"
        store = PrivacyTrackerStore(domain=domain, host=database, dialect="postgresql", pending_url=url)
        assert isinstance(store.pending, RedisPending)
        first_message(store, domain)
        before = rows(store)
        proxy.cut()
        with pytest.raises(Exception, match="Connection|Timeout"):  # not a conversation without its facts
            asyncio.run(store.retrieve(SENDER))
        other = DialogueStateTracker("conv-other", domain.slots)
        for event in (
            ActionExecuted("action_listen"),
            UserUttered("Je m'appelle Paul", {"name": "inform", "confidence": 0.9}, input_channel="rest"),
            SlotSet("first_name", "Paul"),
        ):
            other.update(event)
        with pytest.raises(Exception, match="Connection|Timeout"):
            asyncio.run(store.save(other))
        assert rows(store, "conv-other") == ""  # the turn was rolled back whole, not stored redacted
        assert rows(store) == before
        assert "Redis (REDIS_URL) unreachable" in caplog.text and NAME not in caplog.text
        proxy.restore()
        tracker = asyncio.run(store.retrieve(SENDER))  # the same store, nothing restarted
        assert (tracker.get_slot("first_name"), tracker.get_slot("email")) == (NAME, EMAIL)
        store.engine.dispose()
    get_settings.cache_clear()


# --- the tracker store and the application database on PostgreSQL --------------------------


def test_the_tracker_store_fails_whole_while_postgresql_is_away_and_serves_when_it_is_back(
    database: str, domain: Domain, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
    get_settings.cache_clear()
    with TcpProxy(*POSTGRES) as proxy:
        store = PrivacyTrackerStore(domain=domain, host=through(proxy, database), dialect="postgresql")
        first_message(store, domain)
        before = rows(store)
        proxy.cut()  # the connections in the pool are reset, new ones refused
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailableError) as refused:
            asyncio.run(store.retrieve(SENDER))  # not a new conversation in place of the stored one
        assert refused.value.kind == "unreachable"
        assert time.monotonic() - started < 10  # tried again for a few seconds, then the volunteer is told
        assert "the database is unreachable" in caplog.text and NAME not in caplog.text and SENDER not in caplog.text
        proxy.restore()
        tracker = asyncio.run(store.retrieve(SENDER))  # the same store: its pool replaced the dead connections
        assert (tracker.get_slot("first_name"), tracker.get_slot("email")) == (NAME, EMAIL)
        assert rows(store) == before
        store.engine.dispose()
    get_settings.cache_clear()


def test_the_tracker_store_starts_while_postgresql_is_away_and_serves_once_it_is_back(
    database: str, domain: Domain, caplog: pytest.LogCaptureFixture
) -> None:
    """Rasa 3.6's SQLTrackerStore logs "Could not create tables" and goes on (the migrations made them)."""
    with TcpProxy(*POSTGRES) as proxy:
        proxy.cut()
        store = PrivacyTrackerStore(domain=domain, host=through(proxy, database), dialect="postgresql")
        assert "Could not create tables" in caplog.text
        with pytest.raises(DatabaseUnavailableError):  # the first volunteers are told, not served from memory
            asyncio.run(store.retrieve("nobody"))
        proxy.restore()
        assert asyncio.run(store.retrieve("nobody")) is None
        store.engine.dispose()


def test_the_application_database_fails_each_unit_of_work_while_away_and_serves_when_back(database: str) -> None:
    with TcpProxy(*POSTGRES) as proxy:
        url = through(proxy, database)

        def count() -> int:
            with session_scope(url) as session:
                return int(session.execute(sql("SELECT count(*) FROM volunteers")).scalar_one())

        assert count() == 0
        proxy.cut()
        with pytest.raises(OperationalError) as failed:
            count()
        assert database_failure(failed.value) == "unreachable"
        proxy.restore()
        assert count() == 0  # the same engine (one per process), no restart
        get_engine(url).dispose()


# --- the chat bubble's relay ----------------------------------------------------------------


def test_the_bubble_relay_listens_again_when_redis_is_back(
    own_redis: OwnRedis, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("bot.rasa.channels.relay.RETRY_SECONDS", 0.2)
    caplog.set_level(logging.INFO, logger="bot.rasa.channels.relay")
    own_redis.start()

    async def scenario() -> list[tuple[str, dict[str, object]]]:
        received: list[tuple[str, dict[str, object]]] = []

        async def deliver(conversation_id: str, frame: dict[str, object]) -> int:
            received.append((conversation_id, frame))
            return 1

        maker, holder = Relay(own_redis.url), Relay(own_redis.url)
        holder.listen(deliver)
        await asyncio.wait_for(holder.ready.wait(), 10)
        own_redis.stop()
        await maker.publish("web-1", {"type": "bot", "text": "perdu"})  # logged, not raised
        for _ in range(100):  # the listener notices the outage
            if not holder.ready.is_set():
                break
            await asyncio.sleep(0.05)
        own_redis.start()
        await asyncio.wait_for(holder.ready.wait(), 10)  # subscribed again by itself
        await maker.publish("web-1", {"type": "bot", "text": "bonjour"})
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.05)
        await maker.close()
        await holder.close()
        return received

    assert asyncio.run(scenario()) == [("web-1", {"type": "bot", "text": "bonjour"})]
    assert "bubble relay: Redis unreachable" in caplog.text and "bubble relay: Redis reachable again" in caplog.text


# --- work that must happen once, across processes -------------------------------------------

RACE = """
import sys, time
from bot.config import Settings
settings = Settings(database_url=sys.argv[1], tracker_store_url=sys.argv[1])
{imports}
while time.time() < float(sys.argv[2]):  # every process past its imports: they race for real
    time.sleep(0.001)
{work}
"""


def race(database: str, imports: str, work: str, tmp_path: Path, processes: int) -> list[str]:
    """Start ``processes`` Python processes that do ``work`` at the same instant; what each printed."""
    code = RACE.format(imports=imports, work=work)
    start = str(time.time() + 8)
    env = dict(
        os.environ, PYTHONPATH=str(ROOT), COUNT_FILE=str(tmp_path / "count"), JOB_COUNT_FILE=str(tmp_path / "count")
    )
    (tmp_path / "count").touch()
    running = [
        subprocess.Popen([sys.executable, "-c", code, database, start], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(processes)
    ]
    return [process.communicate(timeout=120)[0].decode().strip() for process in running]


def slow_notice(settings: Settings, volunteer: retention.InactiveVolunteer) -> None:
    """The retention notice, as long as a slow assistant takes: two purges at once would overlap."""
    with open(os.environ["COUNT_FILE"], "a") as handle:
        handle.write(f"{volunteer.sender_id}\n")
    time.sleep(2)


def test_a_due_job_raced_by_real_processes_on_postgresql_runs_once(database: str, tmp_path: Path) -> None:
    outcomes = race(
        database,
        "from bot.background import Job, run_due_jobs",
        "print(run_due_jobs(settings, (Job('file', 'tests.bot.test_scheduled_jobs:file_job', every=3600),))['file'])",
        tmp_path,
        processes=4,
    )
    assert sorted(outcomes) == ["None", "None", "None", "ran"]
    assert len((tmp_path / "count").read_text().split()) == 1


def test_the_retention_purge_raced_by_two_processes_on_postgresql_runs_once(database: str, tmp_path: Path) -> None:
    conversations.metadata.create_all(get_engine(database))
    due = months_before(NOW, 24) + timedelta(days=10)
    add_volunteer(Settings(database_url=database), "due", channel="telegram", active=due)
    outcomes = race(
        database,
        "from bot.privacy import purge; from bot.errors import AlreadyRunningError\n"
        f"from datetime import datetime; now = datetime.fromisoformat({NOW.isoformat()!r})\n"
        "from tests.test_outages import slow_notice",
        "try:\n    print(len(purge(settings, now=now, notify=slow_notice).notified))\n"
        "except AlreadyRunningError:\n    print('busy')",
        tmp_path,
        processes=2,
    )
    assert sorted(outcomes) == ["1", "busy"]
    assert (tmp_path / "count").read_text().split() == ["due"]  # told once
    get_engine(database).dispose()


# --- what a volunteer sees: the real servers, PostgreSQL going away under them --------------


@dataclasses.dataclass
class Assistant:
    """The Rasa server and the action server on PostgreSQL, each database reached through a proxy of its own."""

    settings: Settings
    conversations: TcpProxy  # the tracker store's
    profiles: TcpProxy  # the application database's, which the actions use
    logs: Path
    telegram: BotAPIStandIn

    def post_telegram(self, update: dict[str, Any]) -> requests.Response:
        return requests.post(
            f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/telegram/webhook", json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, timeout=120,
        )  # fmt: skip

    def telegram_says(self, update: dict[str, Any]) -> list[str]:
        """Post one update as Telegram does; the texts the chat received for it."""
        chat = int(update["message"]["chat"]["id"])
        before = len(self.telegram.texts(chat))
        answer = self.post_telegram(update)
        assert answer.status_code == 200, answer.text  # taken: Telegram does not deliver it again
        self.telegram.wait_for(lambda: len(self.telegram.texts(chat)) > before, timeout=60)
        count = -1
        while count != len(self.telegram.texts(chat)):  # the turn's other messages come right after
            count = len(self.telegram.texts(chat))
            time.sleep(0.3)
        return self.telegram.texts(chat)[before:]

    def slot(self, sender: str, name: str) -> object:
        """A slot of the conversation, read from the tracker store through Rasa's HTTP API."""
        answer = requests.get(
            f"http://127.0.0.1:{self.settings.rasa_port}/conversations/{sender}/tracker",
            params={"token": rasa_api_token(self.settings)}, timeout=30,
        )  # fmt: skip
        assert answer.ok, answer.status_code
        return answer.json()["slots"].get(name)

    def say(self, sender: str, message: str) -> tuple[str, float]:
        started = time.monotonic()
        answer = requests.post(
            f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            timeout=120,
        )
        assert answer.status_code == 200  # never Rasa's 500: the channel answers politely
        return "\n".join(reply.get("text", "") for reply in answer.json()), time.monotonic() - started


@pytest.fixture(scope="module")
def assistant(
    trained_model: Path, postgres_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Assistant]:
    logs = tmp_path_factory.mktemp("outage-logs")
    standin = BotAPIStandIn(TELEGRAM_TOKEN).start()
    with (
        fresh_postgres(postgres_server) as database,
        TcpProxy(*POSTGRES) as conversations_proxy,
        TcpProxy(*POSTGRES) as profiles_proxy,
    ):
        settings = settings_for(
            database_url=through(profiles_proxy, database),
            tracker_store_url=through(conversations_proxy, database),
            tracker_dialect="postgresql",
            web_port=free_port(),
            action_timeout=3,
            telegram_token=TELEGRAM_TOKEN,
            telegram_webhook_secret=TELEGRAM_SECRET,
            telegram_api_url=standin.base_url,
        )
        prepare_database(dataclasses.replace(settings, database_url=database))
        conversations_proxy.cut()  # away when the Rasa server starts: its first test brings it back
        try:
            with running_assistant(settings, trained_model, log_dir=logs):
                yield Assistant(settings, conversations_proxy, profiles_proxy, logs, standin)
        finally:
            standin.stop()


async def bubble_message(settings: Settings, text: str) -> dict[str, object]:
    """Open the chat bubble's socket, send ``text``, and return the first frame that is not typing."""
    url = f"ws://127.0.0.1:{settings.rasa_port}/webhooks/web/socket"
    origin = Origin(f"http://127.0.0.1:{settings.web_port}")  # the demo page: an allowed origin
    async with websockets.client.connect(url, origin=origin, ping_interval=None, open_timeout=10) as socket:
        await socket.send(json.dumps({"type": "hello", "conversation": None}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] == "welcome"
        await socket.send(json.dumps({"type": "message", "text": text}))
        while True:
            frame: dict[str, object] = json.loads(await asyncio.wait_for(socket.recv(), 60))
            if frame.get("type") != "typing":
                return frame


@pytest.mark.e2e
def test_postgresql_going_away_is_said_politely_to_volunteers_and_the_conversation_resumes_when_back(
    assistant: Assistant,
) -> None:
    sender, unavailable = "outage-ines", widget_texts()["errors"]["unavailable"]
    assert assistant.say(sender, "bonjour")[0] == unavailable  # the server started while PostgreSQL was away
    assistant.conversations.restore()
    said, _ = assistant.say(sender, "Bonjour, je m'appelle Inès, j'habite à Bron et je voudrais devenir bénévole")
    assert "enregistrer" in said, said

    assistant.conversations.cut()  # the tracker store's database goes away
    try:
        text, took = assistant.say(sender, "oui")
        assert text == unavailable and took < 10  # told at once, none of the turn's answers
        frame = asyncio.run(bubble_message(assistant.settings, "bonjour"))
        assert frame == {"type": "error", "code": "unavailable", "text": unavailable}
    finally:
        assistant.conversations.restore()
    text, _ = assistant.say(sender, "oui")  # the same answer again, nothing restarted
    assert "âge" in text, "the name and the town said before consent were lost"

    for message, expected in [
        ("34 ans", "faire"), ("je suis infirmière", "disponible"), ("le samedi matin", "causes"),
        ("la santé et la solidarité", "recontacter"), ("ines@exemple.fr", "Est-ce correct"),
    ]:  # fmt: skip
        text, _ = assistant.say(sender, message)
        assert expected in text, (message, text)
    assistant.profiles.cut()  # the application database goes away: the profile cannot be saved
    try:
        text, took = assistant.say(sender, "oui c'est correct")
        assert "souci technique" in text and "Merci" not in text and took < assistant.settings.action_timeout + 3
    finally:
        assistant.profiles.restore()
    text, _ = assistant.say(sender, "oui c'est correct")  # confirmed again: saved, once
    assert "Merci Inès" in text
    with session_scope(through(assistant.profiles, assistant.settings.database_url)) as session:
        stored = session.execute(sql("SELECT count(*) FROM volunteers WHERE sender_id = :s"), {"s": sender})
        assert stored.scalar_one() == 1

    logs = "\n".join(log.read_text(errors="replace") for log in assistant.logs.glob("*.log"))
    assert "the database is unreachable" in logs and "Could not create tables" in logs
    for personal in (sender, "Inès", "ines@exemple.fr", "infirmière"):
        assert personal not in logs


@pytest.mark.e2e
def test_on_telegram_postgresql_going_away_is_said_politely_and_the_conversation_resumes_when_back(
    assistant: Assistant,
) -> None:
    chat = 7_190_001
    # introduced, no reason given: was "je n'ai pas bien compris" until bot.rasa.nlu.facts_intent
    said = assistant.telegram_says(tg.text(chat, "Bonjour, je m'appelle Odile, j'habite à Vénissieux"))
    assert any("enregistrer" in text for text in said), said  # consent asked, the facts kept aside

    assistant.conversations.cut()  # the tracker store's database goes away
    try:
        away = tg.text(chat, "oui")
        assert assistant.telegram_says(away) == [load_texts().unavailable]  # one apology, none of the turn
    finally:
        assistant.conversations.restore()
    # answered 200, Telegram does not deliver the update again; if it did, no second apology
    assert assistant.post_telegram(away).json() == {"status": "duplicate"}
    said = assistant.telegram_says(tg.text(chat, "oui"))  # the same answer again, nothing restarted
    assert any("âge" in text for text in said), said
    assert assistant.slot(str(chat), "first_name") == "Odile"  # said before consent, kept across the outage

    logs = "\n".join(log.read_text(errors="replace") for log in assistant.logs.glob("*.log"))
    assert re.search(r"update \d+ for chat conv:\w+ failed: ", logs), "the failed turn is logged by pseudonym"
    for personal in (str(chat), "Odile", "Vénissieux"):
        assert personal not in logs


def test_the_web_apps_jobs_say_once_that_postgresql_is_away_and_run_when_it_is_back(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.background")
    CALLS.clear()
    with TcpProxy(*POSTGRES) as proxy:
        url = through(proxy, database)
        jobs = (Job("counting", "tests.bot.test_scheduled_jobs:counting_job", every=3600),)
        background = Background(Settings(database_url=url, background_seconds=5), jobs)
        proxy.cut()
        for _ in range(3):
            asyncio.run(background.run_due())
        assert caplog.text.count("scheduled jobs not started: the database is unreachable") == 1
        proxy.restore()
        asyncio.run(background.run_due())  # due at once, not an hour later
        assert [url] == CALLS and "scheduled jobs: the database answers again" in caplog.text
        get_engine(url).dispose()


def test_a_purge_started_while_another_runs_does_nothing_and_says_so(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("TRACKER_STORE_URL", database)
    get_settings.cache_clear()
    with session_scope(database) as session:  # another machine's purge, under way
        leases.ensure(session, [PURGE_LEASE])
        assert leases.take(session, name=PURGE_LEASE, holder="other", now=utcnow(), every=0, lease=3600)
    assert main(["privacy", "purge"]) == 2
    assert "une purge est déjà en cours dans un autre processus" in capsys.readouterr().err
    assert main(["privacy", "purge", "--dry-run"]) == 0  # a dry run changes nothing: it needs no lease
    get_settings.cache_clear()
    get_engine(database).dispose()


def test_a_turn_whose_commit_fails_leaves_nothing_of_it_aside(
    own_redis: OwnRedis, database: str, domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is kept aside before the commit is taken back when the commit fails (the connection lost at that moment)."""
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setattr("bot.rasa.tracker_store.RETRY_PAUSES", (0.01,))
    get_settings.cache_clear()
    own_redis.start()
    store = PrivacyTrackerStore(domain=domain, host=database, dialect="postgresql", pending_url=own_redis.url)
    first_message(store, domain)
    kept = store.pending.get(SENDER)
    tracker = asyncio.run(store.retrieve(SENDER))
    tracker.update(UserUttered("Je m'appelle Paul", {"name": "inform", "confidence": 0.9}, input_channel="rest"))

    def lost(session: object) -> None:
        raise OperationalError("COMMIT", {}, ConnectionResetError())

    sa_event.listen(store.sessionmaker, "before_commit", lost)
    with pytest.raises(DatabaseUnavailableError):
        asyncio.run(store.save(tracker))
    sa_event.remove(store.sessionmaker, "before_commit", lost)
    assert store.pending.get(SENDER) == kept  # only what was stored
    store.engine.dispose()
    get_settings.cache_clear()
