"""A locked SQLite file, a full disk, a PostgreSQL connection lost: a polite answer, nothing half-written, recovery.

The application database behind the actions (``bot.onboarding``, ``bot.store.session``),
with real failures: another connection holding ``BEGIN EXCLUSIVE`` on the SQLite file; a full
disk, which SQLite reports when the file may not grow (``PRAGMA max_page_count`` set to the
file's size on the store's own connections: SQLite answers SQLITE_FULL as on a full disk);
the pool's PostgreSQL connections killed (``pg_terminate_backend``), between units of work and
in the middle of one. A custom action that meets such a failure is answered politely by the
Rasa server (``bot.action_fallback``, tests/test_action_failure_e2e.py); a turn that fails as a
whole is answered politely by the channel, without the answers the conversation does not hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine

from bot import onboarding
from bot.channels.rest import CheckedRestInput
from bot.channels.telegram.channel import TelegramInput
from bot.channels.telegram.output import TelegramOutput
from bot.channels.telegram.updates import ToAssistant
from bot.channels.web import Session, WebChatInput
from bot.config import Settings, get_settings
from bot.errors import DatabaseUnavailableError
from bot.profile import ConsentRecord
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
