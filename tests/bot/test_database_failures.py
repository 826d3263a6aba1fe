"""A locked SQLite file, a full disk, a PostgreSQL connection lost: a polite answer, nothing half-written, recovery.

Both sides of the assistant, with real failures:

- Rasa's tracker store (``bot.rasa.tracker_store``), wrapped as the Rasa server's agent wraps it
  (Rasa's ``FailSafeTrackerStore``, with ``bot.rasa.tracker_store.install``), and the channels
  that answer the volunteer when a turn fails;
- the application database behind the actions (``bot.onboarding``, ``bot.store.session``).

The failures: another connection holding ``BEGIN EXCLUSIVE`` on the SQLite file; a full disk,
which SQLite reports when the file may not grow (``PRAGMA max_page_count`` set to the file's
size on the store's own connections: SQLite answers SQLITE_FULL as on a full disk); the pool's
PostgreSQL connections killed (``pg_terminate_backend``), between units of work and in the
middle of one; PostgreSQL refusing connections for a moment (``ALLOW_CONNECTIONS false``).
The end-to-end version, through a running Rasa server: tests/test_action_failure_e2e.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine

from bot import onboarding
from bot.config import ROOT, Settings, get_settings
from bot.errors import DatabaseUnavailableError
from bot.profile import ConsentRecord
from bot.rasa import tracker_store as tracker_store_module
from bot.rasa.channels.chat_bubble import Session, WebChatInput
from bot.rasa.channels.rest import CheckedRestInput
from bot.rasa.channels.telegram.channel import TelegramInput
from bot.rasa.channels.telegram.output import TelegramOutput
from bot.rasa.channels.telegram.updates import ToAssistant
from bot.rasa.tracker_store import PrivacyTrackerStore
from bot.store import models
from bot.store import session as store_session
from bot.store.migrate import upgrade
from bot.store.session import get_engine, session_scope
from bot.texts import widget_texts

SENDER = "conv-julie-4242"
FIRST_WORDS = "Je m'appelle Julie"
SLOTS = {
    "first_name": "Julie", "age_group": "adult", "place": "Villeurbanne|69100|45.76601|4.8795",
    "skills": ["driving"], "causes": ["food_aid"], "availability": ["saturday:morning"],
    "email": "julie.martin@exemple.fr", "phone": None,
}  # fmt: skip
CONSENT = ConsentRecord(text_version="v1", given_at=datetime(2026, 1, 5, tzinfo=timezone.utc), channel="rest")
APOLOGY = widget_texts()["errors"]["unavailable"]


@pytest.fixture()
def application(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The application database the actions (and the tracker store's activity records) use."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


# --- failures as they happen -------------------------------------------------------------------


@contextlib.contextmanager
def locked(path: Path, *, for_seconds: float | None = None) -> Iterator[None]:
    """Another program holds the SQLite file's write lock (``BEGIN EXCLUSIVE``), for a while or for the block."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(for_seconds, holder.rollback) if for_seconds is not None else None
    if release is not None:
        release.start()
    try:
        yield
    finally:
        if release is not None:
            release.join()
        else:
            holder.rollback()
        holder.close()


@contextlib.contextmanager
def disk_full(engine: Engine) -> Iterator[None]:
    """The file may not grow any more on the engine's connections: SQLite answers "database or disk is full"."""

    def no_room(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()
    event.listen(engine, "connect", no_room)
    try:
        yield
    finally:
        event.remove(engine, "connect", no_room)
        engine.dispose()  # room again: the next connections may grow the file


def backends(admin_url: str, database: str) -> int:
    """Kill every connection to ``database`` (the pools' included): how many there were."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        killed = connection.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :d"), {"d": database}
        ).scalar_one()
    admin.dispose()
    return int(killed)


@contextlib.contextmanager
def refusing_connections(admin_url: str, database: str) -> Iterator[None]:
    """PostgreSQL accepts no connection to ``database`` for the block (as while it restarts)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false'))
    backends(admin_url, database)
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()


@contextlib.contextmanager
def killed_before(engine: Engine, admin_url: str, statement: str) -> Iterator[list[str]]:
    """The connection running the first ``statement`` (its start) is killed just before it runs."""
    killed: list[str] = []

    def kill(connection: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if not killed and sql.lstrip().upper().startswith(statement):
            pid = connection.connection.dbapi_connection.get_backend_pid()
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            admin.dispose()
            killed.append(sql)

    event.listen(engine, "before_cursor_execute", kill)
    try:
        yield killed
    finally:
        event.remove(engine, "before_cursor_execute", kill)


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def assert_nothing_personal_logged(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    logged = caplog.text
    for secret in (SENDER, FIRST_WORDS, "INSERT", "SELECT", *secrets):
        assert secret not in logged


# --- the application database (action server) -------------------------------------------------


def test_a_profile_is_saved_whole_or_not_at_all_when_the_disk_fills_up(application: str) -> None:
    engine = get_engine(application)
    saved, failed = [], None
    with disk_full(engine):
        for number in range(500):  # saved profiles fill the last free space, until one finds none
            sender = f"rest-{number}"
            try:
                onboarding.save_profile(channel="rest", sender_id=sender, slots=SLOTS, consent=CONSENT)
            except Exception as error:  # noqa: BLE001 - checked below
                failed = (sender, error)
                break
            saved.append(sender)
    assert failed is not None and store_session.database_failure(failed[1]) == "full"
    with session_scope(application) as session:
        senders = set(session.execute(select(models.Volunteer.sender_id)).scalars())
        assert senders == set(saved)  # the profile that found no room left no part of itself
        for table in (models.VolunteerSkill, models.VolunteerCause, models.VolunteerAvailability, models.Consent):
            assert len(session.execute(select(table)).scalars().all()) == len(saved)
    onboarding.save_profile(channel="rest", sender_id=failed[0], slots=SLOTS, consent=CONSENT)  # room again
    assert onboarding.load_volunteer(channel="rest", sender_id=failed[0]) is not None


def test_a_short_lock_on_the_application_file_is_waited_out_a_long_one_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_session, "BUSY_TIMEOUT", 1.0)  # this database's engine waits 1 s (5 s served)
    path = tmp_path / "bot.db"
    upgrade(f"sqlite:///{path}")  # creates the engine
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    with locked(path, for_seconds=0.3):
        onboarding.save_profile(channel="rest", sender_id="rest-1", slots=SLOTS, consent=CONSENT)
    with locked(path), pytest.raises(Exception) as failure:
        onboarding.save_profile(channel="rest", sender_id="rest-2", slots=SLOTS, consent=CONSENT)
    assert store_session.database_failure(failure.value) == "locked"
    assert onboarding.load_volunteer(channel="rest", sender_id="rest-2") is None
    onboarding.save_profile(channel="rest", sender_id="rest-2", slots=SLOTS, consent=CONSENT)
    assert onboarding.load_volunteer(channel="rest", sender_id="rest-2") is not None
    get_settings.cache_clear()


def test_a_postgres_connection_killed_while_a_profile_is_saved_is_retried_once_and_the_profile_stored_once(
    postgres_url: str, postgres_server: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    get_settings.cache_clear()
    onboarding.save_profile(channel="rest", sender_id="rest-1", slots=SLOTS, consent=CONSENT)
    assert backends(postgres_server, database_name(postgres_url)) >= 1  # between units of work: unnoticed
    assert onboarding.load_volunteer(channel="rest", sender_id="rest-1") is not None
    # the volunteer's row is written, its consent is next: the connection dies, the transaction with it
    with (
        caplog.at_level("INFO"),
        killed_before(get_engine(postgres_url), postgres_server, "INSERT INTO CONSENTS") as killed,
    ):
        onboarding.save_profile(channel="rest", sender_id=SENDER, slots=SLOTS, consent=CONSENT)
    assert killed
    assert "database connection lost during save_profile" in caplog.text
    assert_nothing_personal_logged(caplog, "julie.martin")
    with session_scope(postgres_url) as session:
        assert session.execute(select(models.Volunteer.sender_id).order_by(models.Volunteer.id)).scalars().all() == [
            "rest-1", SENDER,
        ]  # fmt: skip
        assert len(session.execute(select(models.Consent)).scalars().all()) == 2
    get_settings.cache_clear()


# --- the tracker store (Rasa server) ---------------------------------------------------------


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture()
def as_served(monkeypatch: pytest.MonkeyPatch) -> Callable[[PrivacyTrackerStore, Domain], Any]:
    """Wrap a tracker store as the Rasa server's agent does (bot.rasa.server installs the pass-on)."""
    monkeypatch.setattr(Agent, "_create_tracker_store", Agent.__dict__["_create_tracker_store"])  # undone after
    assert tracker_store_module.install()
    return Agent._create_tracker_store


@pytest.fixture()
def opened() -> Iterator[list[PrivacyTrackerStore]]:
    """The tracker stores a test opens, closed after it."""
    stores: list[PrivacyTrackerStore] = []
    yield stores
    for store in stores:
        store.engine.dispose()


def conversations(url: str, domain: Domain, as_served: Callable[..., Any], opened: list[PrivacyTrackerStore]) -> Any:
    """The tracker store at ``url`` as the Rasa server uses it."""
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    primary = PrivacyTrackerStore(domain=domain, host=url, dialect=dialect)
    opened.append(primary)
    return as_served(primary, domain)


def engine_of(store: Any) -> Engine:
    return store._tracker_store.engine


def said(words: str, **slots: Any) -> list[Any]:
    """The events of one turn: the volunteer's message, the slots it filled, the assistant's question."""
    return [
        UserUttered(words, {"name": "inform", "confidence": 0.9}, input_channel="rest"),
        *(SlotSet(name, value) for name, value in slots.items()),
        ActionExecuted("utter_ask_age_group"),
        BotUttered("Quel âge avez-vous ?"),
        ActionExecuted("action_listen"),
    ]


async def next_turn(store: Any, domain: Domain, events: list[Any], sender: str = SENDER) -> DialogueStateTracker:
    """The conversation as the next turn reads it, with that turn's events added (not saved yet)."""
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
    for one in events:
        tracker.update(one)
    return tracker


async def consented_conversation(store: Any, domain: Domain) -> None:
    tracker = await next_turn(
        store, domain,
        [ActionExecuted("action_listen"), *said("oui j'accepte", consent="given")],
    )  # fmt: skip
    await store.save(tracker)


def stored_events(engine: Engine, sender: str = SENDER) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
        return [row.data for row in rows]


async def longest_pause_during(work: Callable[[], Any]) -> tuple[float, BaseException | None]:
    """Run ``work`` while another task ticks: how long the event loop (every other conversation) stood still."""
    pauses = [0.0]

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            pauses.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    failure: BaseException | None = None
    try:
        await work()
    except Exception as error:  # noqa: BLE001 - the caller checks which
        failure = error
    ticker.cancel()
    return max(pauses), failure


def test_a_locked_conversation_file_gives_up_within_seconds_writes_nothing_and_the_volunteer_can_retry(
    application: str, domain: Domain, tmp_path: Path, as_served: Any, opened: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tracker.db"
    store = conversations(f"sqlite:///{path}", domain, as_served, opened)

    async def scenario() -> None:
        await consented_conversation(store, domain)
        before = stored_events(engine_of(store))
        tracker = await next_turn(store, domain, said(FIRST_WORDS, first_name="Julie"))
        with locked(path):
            started = time.monotonic()
            pause, failure = await longest_pause_during(lambda: store.save(tracker))
            took = time.monotonic() - started
        assert isinstance(failure, DatabaseUnavailableError) and failure.kind == "locked"
        assert took < 5  # the volunteer hears about it within seconds
        assert pause < 1  # meanwhile the server kept answering the other conversations
        assert stored_events(engine_of(store)) == before  # not half a turn
        again = await next_turn(store, domain, said(FIRST_WORDS, first_name="Julie"))  # the volunteer tries again
        await store.save(again)
        assert (await store.retrieve(SENDER)).get_slot("first_name") == "Julie"
        assert len(stored_events(engine_of(store))) == len(before) + len(said("", first_name="Julie"))

    with caplog.at_level("INFO"):
        asyncio.run(scenario())
    assert "locked" in caplog.text
    assert_nothing_personal_logged(caplog)


def test_a_lock_that_clears_within_the_wait_costs_the_volunteer_nothing(
    application: str, domain: Domain, tmp_path: Path, as_served: Any, opened: Any
) -> None:
    path = tmp_path / "tracker.db"
    store = conversations(f"sqlite:///{path}", domain, as_served, opened)

    async def scenario() -> None:
        await consented_conversation(store, domain)
        tracker = await next_turn(store, domain, said(FIRST_WORDS, first_name="Julie"))
        with locked(path, for_seconds=0.8):
            await store.save(tracker)
        assert (await store.retrieve(SENDER)).get_slot("first_name") == "Julie"

    asyncio.run(scenario())


def test_a_full_disk_fails_the_whole_turn_and_the_next_one_is_written_once_there_is_room(
    application: str, domain: Domain, tmp_path: Path, as_served: Any, opened: Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = conversations(f"sqlite:///{tmp_path / 'tracker.db'}", domain, as_served, opened)
    long_message = FIRST_WORDS + ", " + "j'aime cuisiner pour les autres, " * 60  # needs new pages

    async def scenario() -> None:
        await consented_conversation(store, domain)
        before = stored_events(engine_of(store))
        tracker = await next_turn(store, domain, said(long_message, first_name="Julie"))
        with disk_full(engine_of(store)), pytest.raises(DatabaseUnavailableError) as failure:
            await store.save(tracker)
        assert failure.value.kind == "full"
        assert stored_events(engine_of(store)) == before
        again = await next_turn(store, domain, said(long_message, first_name="Julie"))
        await store.save(again)
        assert (await store.retrieve(SENDER)).get_slot("first_name") == "Julie"

    with caplog.at_level("INFO"):
        asyncio.run(scenario())
    assert_nothing_personal_logged(caplog, "cuisiner")


def test_before_consent_a_failed_save_keeps_what_was_said_for_the_consent_that_follows(
    application: str, domain: Domain, tmp_path: Path, as_served: Any, opened: Any
) -> None:
    """The memory of what was said before consent changes only once a turn is stored."""
    store = conversations(f"sqlite:///{tmp_path / 'tracker.db'}", domain, as_served, opened)
    long_message = FIRST_WORDS + ", " + "j'aime cuisiner pour les autres, " * 60

    async def scenario() -> None:
        first = await next_turn(
            store, domain, [ActionExecuted("action_listen"), *said(long_message, first_name="Julie")]
        )
        await store.save(first)  # without consent: redacted, the original kept in memory
        consent = await next_turn(store, domain, said("oui j'accepte " + long_message, consent="given"))
        with disk_full(engine_of(store)), pytest.raises(DatabaseUnavailableError):
            await store.save(consent)
        retried = await next_turn(store, domain, said("oui j'accepte", consent="given"))
        await store.save(retried)
        assert '"value": "Julie"' in "\n".join(stored_events(engine_of(store)))  # restored at consent

    asyncio.run(scenario())


def test_a_locked_application_file_does_not_delay_the_answer_for_the_activity_record(
    application: str, domain: Domain, tmp_path: Path, as_served: Any, opened: Any
) -> None:
    """A message the person writes is activity (retention); recording it waits beside the turn, not in it.

    Without a lock it is done before the answer (tests/test_privacy_e2e.py reads it then).
    """
    store = conversations(f"sqlite:///{tmp_path / 'tracker.db'}", domain, as_served, opened)
    onboarding.save_profile(channel="rest", sender_id=SENDER, slots=SLOTS, consent=CONSENT)
    long_ago = datetime(2025, 1, 1)
    with session_scope(application) as session:
        session.execute(models.Volunteer.__table__.update().values(last_seen_at=long_ago))

    async def scenario() -> float:
        await consented_conversation(store, domain)
        tracker = await next_turn(store, domain, said(FIRST_WORDS, first_name="Julie"))
        started = time.monotonic()
        await store.save(tracker)
        return time.monotonic() - started

    with locked(Path(application.removeprefix("sqlite:///")), for_seconds=1.5):
        took = asyncio.run(scenario())  # returns once the record, waiting for the lock, is done
    assert took < tracker_store_module.ACTIVITY_WAIT + 0.5
    with session_scope(application) as session:
        assert session.execute(select(models.Volunteer.last_seen_at)).scalar_one() > long_ago


def test_postgres_connections_killed_between_turns_go_unnoticed(
    postgres_url: str, postgres_server: str, domain: Domain, as_served: Any, opened: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    get_settings.cache_clear()
    store = conversations(postgres_url, domain, as_served, opened)

    async def scenario() -> None:
        await consented_conversation(store, domain)
        onboarding.save_profile(channel="rest", sender_id=SENDER, slots=SLOTS, consent=CONSENT)
        assert backends(postgres_server, database_name(postgres_url)) >= 1
        tracker = await next_turn(store, domain, said(FIRST_WORDS, first_name="Julie"))
        assert tracker.get_slot("consent") == "given"  # read, not a new conversation
        await store.save(tracker)
        assert onboarding.load_volunteer(channel="rest", sender_id=SENDER) is not None

    asyncio.run(scenario())
    get_settings.cache_clear()


def test_a_postgres_connection_killed_while_a_turn_is_saved_is_retried_without_duplicates(
    postgres_url: str, postgres_server: str, domain: Domain, as_served: Any, opened: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    get_settings.cache_clear()
    store = conversations(postgres_url, domain, as_served, opened)

    async def scenario() -> None:
        await consented_conversation(store, domain)
        before = len(stored_events(engine_of(store)))
        tracker = await next_turn(store, domain, said(FIRST_WORDS, first_name="Julie"))
        with killed_before(engine_of(store), postgres_server, "INSERT INTO EVENTS") as killed:
            await store.save(tracker)
        assert killed
        assert len(stored_events(engine_of(store))) == before + len(said("", first_name="Julie"))

    asyncio.run(scenario())
    get_settings.cache_clear()


def test_postgres_refusing_connections_stops_the_turn_instead_of_starting_a_new_conversation(
    postgres_url: str, postgres_server: str, domain: Domain, as_served: Any, opened: Any, monkeypatch: Any
) -> None:
    """Rasa's own wrapper would hand the turn an empty conversation: consent and profile forgotten."""
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    get_settings.cache_clear()
    store = conversations(postgres_url, domain, as_served, opened)

    async def scenario() -> None:
        await consented_conversation(store, domain)
        with refusing_connections(postgres_server, database_name(postgres_url)):
            with pytest.raises(DatabaseUnavailableError) as failure:
                await store.retrieve(SENDER)
            assert failure.value.kind == "unreachable"
        tracker = await next_turn(store, domain, said(FIRST_WORDS, first_name="Julie"))  # back: no restart
        assert tracker.get_slot("consent") == "given"
        await store.save(tracker)

    asyncio.run(scenario())
    get_settings.cache_clear()


# --- what the volunteer sees: the channels -----------------------------------------------------


def failing_turn() -> Callable[[UserMessage], Any]:
    """A turn that fails at its end, as when the tracker store cannot store it (its answers were ready)."""

    async def on_new_message(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": "Quel âge avez-vous ?"})
        raise DatabaseUnavailableError("locked")

    return on_new_message


def test_the_rest_channel_answers_a_failed_turn_politely_instead_of_with_nothing(caplog: Any) -> None:
    channel = CheckedRestInput()
    with caplog.at_level("INFO"):
        answer = asyncio.run(channel.answer(failing_turn(), SENDER, FIRST_WORDS))
    assert answer == [{"recipient_id": SENDER, "text": APOLOGY}]
    assert_nothing_personal_logged(caplog)


class Socket:
    """The chat bubble's socket, as the channel sees it."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def send(self, data: str) -> None:
        self.frames.append(json.loads(data))


def test_the_chat_bubble_shows_an_apology_and_none_of_the_unsaved_answers() -> None:
    channel = WebChatInput(allowed_origins=[], key=b"k")
    socket = Socket()
    session = Session(channel, socket, failing_turn())
    session.conversation_id = "web-abc"
    channel.connections.add("web-abc", socket)
    asyncio.run(session.handle("Julie", echo=False))
    shown = [frame for frame in socket.frames if frame["type"] != "typing"]
    assert shown == [{"type": "error", "code": "unavailable", "text": APOLOGY}]


def test_telegram_sends_an_apology_and_none_of_the_unsaved_answers(
    application: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []

    async def send(self: TelegramOutput, recipient_id: Any, words: str, buttons: Any = ()) -> None:
        sent.append(words)

    async def typing(self: TelegramOutput, chat_id: int) -> None:
        pass

    monkeypatch.setattr(TelegramOutput, "send", send)
    monkeypatch.setattr(TelegramOutput, "typing", typing)
    channel = TelegramInput(
        token="123456:TEST-token", api_url="http://127.0.0.1:9/bot", settings=Settings(database_url=application)
    )
    asyncio.run(channel._handle(7, ToAssistant(chat_id=4242, text="Julie"), failing_turn()))
    assert channel.texts is not None and sent == [channel.texts.unavailable]
