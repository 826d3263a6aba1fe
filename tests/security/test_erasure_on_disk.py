"""An erasure leaves no copy on disk, and the databases are readable by the service's user only.

The attacker gets the database folder (``var/``) right after an erasure (a backup, another
account on the server, a disk image) and reads every byte of every file: the databases,
their write-ahead logs (-wal) and the logs' index (-shm), free pages included. A person's
first name, e-mail (and the one it replaced) and phone are first written as the assistant
writes them: in the application database through the store functions, in the conversation
through the real tracker store with Rasa's events; so are a shift done (sign-up, check-in with
its rating and comment, hours) and an attestation's link with the full name it prints. Then
each erasure path runs: the chat
(the action server's action, then the Rasa server's tracker store at the end of the turn),
the command line, the console's button, the retention purge.

Two things keep the attack honest: the servers hold connections open, as they do while
running (SQLite empties its log by itself when the last connection closes), and SQLite
starts with ``secure_delete`` off, as most builds do (Debian's is built with it on).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, AllSlotsReset, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, func, select, text
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session

from actions.privacy import ActionForgetMe
from bot.attestations import create_link
from bot.config import ROOT, Settings, get_settings
from bot.privacy import PERSON_TABLES, erase_person, purge
from bot.profile import ConsentRecord, Place, ProfileSubmission, TimeSlot
from bot.rasa.tracker_store import PrivacyTrackerStore
from bot.store import hours, leads, models, staff, volunteers
from bot.store.migrate import upgrade
from bot.store.session import session_scope, sqlite_file_engine, wipe_deleted_rows
from bot.web_app import create_app
from tests.actions.conftest import make_tracker
from tests.bot.console.conftest import ADMIN, csrf_of, login

SENDER = "disque-42"
FIRST_NAME = "Zéphyrine"
EMAIL, OLD_EMAIL = "zquillard@exemple.org", "zephyrine.quillard@exemple.fr"
PHONE, PHONE_TYPED = "+33671829304", "06 71 82 93 04"
FULL_NAME = "Zéphyrine Ondaatje-Brûlé"  # asked for an attestation: printed on it, kept with its link
COMMENT = "Très bien, sauf le parking de la rue Vauban"  # a check-in's comment: free text, anything may be in it
VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")
NOW = datetime.now(timezone.utc)


def written_forms(*values: str) -> set[bytes]:
    """Every way these values can sit in a file: UTF-8, plain ASCII, JSON-escaped (Rasa's events), UTF-16."""
    texts = set()
    for value in values:
        plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
        texts |= {value, plain, json.dumps(value)[1:-1]}
    return {t.lower().encode(encoding) for t in texts for encoding in ("utf-8", "utf-16-le")}


TRACES = {
    "first name": written_forms(FIRST_NAME),
    "e-mail": written_forms(EMAIL),
    "previous e-mail": written_forms(OLD_EMAIL),
    "phone": written_forms(PHONE, PHONE_TYPED, "0671829304", "671829304"),
    "attestation's full name": written_forms("Ondaatje"),
    "check-in comment": written_forms("parking de la rue Vauban"),
}
# What came after the first yes: sign-ups (with the check-in's answers), hours, attestation links.
SHIFT_TABLES = (models.Signup, models.HoursEntry, models.AttestationLink)


def leftovers(folder: Path) -> dict[str, list[str]]:
    """Each file of a copy of ``folder`` taken now that holds some trace of the person, with what it holds.

    Another process copies it, as a backup would: a file of a SQLite database opened and closed
    in this process would drop every lock this process holds on it (POSIX locks), and SQLite
    would take the servers' open connections for gone.
    """
    copy = folder.with_name(f"{folder.name}-copie")
    shutil.rmtree(copy, ignore_errors=True)
    subprocess.run(["cp", "-a", str(folder), str(copy)], check=True)
    found = {}
    for path in sorted(p for p in copy.rglob("*") if p.is_file()):
        content = path.read_bytes().lower()
        held = [label for label, forms in TRACES.items() if any(form in content for form in forms)]
        if held:
            found[path.name] = held
    return found


# --------------------------------------------------------------------------- the setting


@pytest.fixture(autouse=True)
def secure_delete_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite as most platforms build it: deleted data stays in the file unless asked otherwise."""
    connect = sqlite3.dbapi2.connect

    def connect_as_built_elsewhere(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)
        connection.execute("PRAGMA secure_delete=OFF")
        return connection

    monkeypatch.setattr(sqlite3.dbapi2, "connect", connect_as_built_elsewhere)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture()
def settings(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Both databases in one folder, as in ``var/``; the process settings (actions, CLI) point at them."""
    app_url, tracker_url = f"sqlite:///{folder / 'benevoles.db'}", f"sqlite:///{folder / 'tracker.db'}"
    upgrade(app_url)
    for name, value in {"DATABASE_URL": app_url, "TRACKER_STORE_URL": tracker_url, "SECRET_KEY": "disque"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture()
def store(settings: Settings, domain: Domain) -> Iterator[PrivacyTrackerStore]:
    """The Rasa server's tracker store."""
    tracker_store = PrivacyTrackerStore(domain=domain, host=settings.tracker_store_url, dialect="sqlite")
    yield tracker_store
    tracker_store.engine.dispose()


@pytest.fixture()
def running_servers(settings: Settings, store: PrivacyTrackerStore, folder: Path) -> Iterator[None]:
    """Connections held open to both databases, as the running servers and the console hold theirs."""
    held = [sqlite3.connect(folder / name) for name in ("benevoles.db", "tracker.db")]
    for connection in held:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
    yield
    for connection in held:
        connection.close()


def turn(store: PrivacyTrackerStore, domain: Domain, *events: object) -> None:
    """One turn of the Rasa server: retrieve the conversation (or start it), add the events, save."""
    tracker = asyncio.run(store.retrieve(SENDER)) or DialogueStateTracker(SENDER, domain.slots)
    for event in events:
        tracker.update(event)
    asyncio.run(store.save(tracker))


def said(message: str, intent: str = "inform", **entities: str) -> UserUttered:
    found = [{"entity": name, "value": value} for name, value in entities.items()]
    return UserUttered(message, {"name": intent, "confidence": 0.9}, found, input_channel="rest")


def first_message(store: PrivacyTrackerStore, domain: Domain) -> None:
    """Everything at once, before consent: redacted on disk, remembered by the server."""
    turn(
        store, domain, ActionExecuted("action_listen"),
        said(f"Je m'appelle {FIRST_NAME}, mon mail {OLD_EMAIL}", "want_to_volunteer",
             first_name=FIRST_NAME, email=OLD_EMAIL),
        SlotSet("first_name", FIRST_NAME), SlotSet("email", OLD_EMAIL),
        ActionExecuted("action_ask_consent"), SlotSet("awaiting", "consent"), ActionExecuted("action_listen"),
    )  # fmt: skip


def shift_history(session: Session, settings: Settings, *, volunteer_id: int) -> None:
    """A shift done three days ago: signed up, checked in (2 h, rated, commented), an attestation asked in the chat."""
    if session.get(models.Mission, "M977") is None:
        session.add(models.Mission(id="M977", title="Tri des dons"))
    starts = NOW - timedelta(days=3)
    shift = models.Shift(mission_id="M977", starts_at=starts, ends_at=starts + timedelta(hours=2), places=2, taken=1)
    session.add(shift)
    session.flush()
    signup = models.Signup(shift_id=shift.id, volunteer_id=volunteer_id, rating=5, comment=COMMENT)
    session.add(signup)
    session.flush()
    assert hours.record_checkin_hours(session, signup_id=signup.id, minutes=120, now=NOW, zone=settings.timezone).ok
    start, end = (NOW - timedelta(days=30)).date(), NOW.date()
    assert create_link(session, settings, volunteer_id=volunteer_id, start=start, end=end, full_name=FULL_NAME, now=NOW)


def shift_rows(settings: Settings) -> dict[str, int]:
    """How many sign-ups, hours and attestation links the application database holds."""
    with session_scope(settings.database_url) as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in SHIFT_TABLES}


NO_SHIFT_ROWS = {"signups": 0, "hours": 0, "attestation_links": 0}


def a_person_in_both_databases(settings: Settings, store: PrivacyTrackerStore, domain: Domain) -> int:
    """A consented conversation and a saved, then rectified, profile; returns the volunteer's id."""
    first_message(store, domain)
    turn(store, domain, said("oui j'accepte", "affirm"), SlotSet("consent", "given"), ActionExecuted("action_listen"))
    turn(store, domain, said(f"mon numéro c'est le {PHONE_TYPED}", phone=PHONE), SlotSet("phone", PHONE))
    for moment in range(12):  # a conversation spanning pages: its erasure frees whole pages
        turn(
            store, domain, said(f"et le samedi {moment} ?", "ask_availability"), ActionExecuted("utter_ok"),
            BotUttered(f"Merci {FIRST_NAME}, je vous écris à {OLD_EMAIL} ou au {PHONE_TYPED}. " + "…" * 200),
        )  # fmt: skip
    turn(store, domain, said(f"mon nouvel e-mail est {EMAIL}", email=EMAIL), SlotSet("email", EMAIL))

    profile = ProfileSubmission(
        FIRST_NAME, "adult", VILLEURBANNE, ("cooking",), ("solidarity",), (TimeSlot("saturday", "morning"),),
        email=OLD_EMAIL, phone=PHONE,
    )  # fmt: skip
    url = settings.database_url
    with session_scope(url) as session:
        volunteer = volunteers.save_profile(
            session, channel="rest", sender_id=SENDER, profile=profile, consent=ConsentRecord("2026-11-v2", NOW, "rest")
        )
        volunteers.record_handoff(session, channel="rest", sender_id=SENDER)
        admin = staff.add(session, email=ADMIN[0], role="admin", password=ADMIN[1])
        leads.add_note(session, volunteer_id=volunteer.id, staff_id=admin.id, text=f"{FIRST_NAME} : {PHONE_TYPED}")
        shift_history(session, settings, volunteer_id=volunteer.id)
        volunteer_id = volunteer.id
    with session_scope(url) as session:  # the rectification, confirmed in the conversation
        volunteers.save_profile(
            session, channel="rest", sender_id=SENDER, profile=replace(profile, email=EMAIL), consent=None
        )
    for name in ("benevoles.db", "tracker.db"):  # as SQLite does by itself every 1,000 pages
        with sqlite3.connect(Path(settings.database_url.removeprefix("sqlite:///")).with_name(name)) as database:
            database.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return volunteer_id


@pytest.fixture()
def person(settings: Settings, store: PrivacyTrackerStore, domain: Domain, folder: Path, running_servers: None) -> int:
    volunteer_id = a_person_in_both_databases(settings, store, domain)
    assert {label for held in leftovers(folder).values() for label in held} == set(TRACES)  # what the attacker seeks
    assert shift_rows(settings) == {"signups": 1, "hours": 1, "attestation_links": 1}
    return volunteer_id


# --------------------------------------------------------------------------- each erasure path


def test_an_erasure_in_the_chat_leaves_nothing_in_any_file(
    person: int, store: PrivacyTrackerStore, domain: Domain, folder: Path
) -> None:
    turn(store, domain, said("supprimez mes données", "delete_my_data"), ActionExecuted("action_ask_erasure"))
    # the confirming turn: the action server erases, then the Rasa server saves the turn
    tracker = asyncio.run(store.retrieve(SENDER))
    assert tracker is not None
    tracker.update(said("oui", "affirm"))
    asyncio.run(ActionForgetMe().run(CollectingDispatcher(), make_tracker("oui", sender_id=SENDER), {}))
    for event in (ActionExecuted("action_forget_me"), BotUttered("C'est fait."), AllSlotsReset()):
        tracker.update(event)
    asyncio.run(store.save(tracker))

    assert leftovers(folder) == {}
    assert store.pending.get(SENDER) == {}
    assert shift_rows(get_settings()) == NO_SHIFT_ROWS


def test_the_tracker_store_wipes_the_conversation_it_erases(
    person: int, store: PrivacyTrackerStore, domain: Domain, folder: Path
) -> None:
    """The Rasa server's own part: its deletion at the end of the erasure turn leaves no copy either."""
    turn(store, domain, said("oui", "affirm"), ActionExecuted("action_forget_me"), AllSlotsReset())
    assert [name for name in leftovers(folder) if name.startswith("tracker.db")] == []


def test_the_command_line_erasure_leaves_nothing_in_any_file(person: int, settings: Settings, folder: Path) -> None:
    env = dict(os.environ, DATABASE_URL=settings.database_url, TRACKER_STORE_URL=settings.tracker_store_url)
    bot = str(Path(sys.executable).with_name("bot"))
    done = subprocess.run([bot, "volunteers", "forget", SENDER], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert leftovers(folder) == {}
    assert shift_rows(settings) == NO_SHIFT_ROWS


def test_the_console_erasure_leaves_nothing_in_any_file(person: int, settings: Settings, folder: Path) -> None:
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        login(client, *ADMIN)
        page = f"/console/leads/{person}/erase"
        done = client.post(page, data={"confirm": "oui", "csrf_token": csrf_of(client.get(page).text)})
        assert "Les données de cette personne ont été effacées." in done.text
    assert leftovers(folder) == {}
    assert shift_rows(settings) == NO_SHIFT_ROWS


def test_the_retention_purge_leaves_nothing_in_any_file(person: int, settings: Settings, folder: Path) -> None:
    report = purge(settings, now=NOW + timedelta(days=3 * 365), notify=lambda *_: None)
    assert [v.id for v in report.erased] == [person]
    assert leftovers(folder) == {}
    assert shift_rows(settings) == NO_SHIFT_ROWS


def test_a_rectified_value_is_gone_from_the_files_after_the_daily_purge(
    person: int, settings: Settings, folder: Path
) -> None:
    """The old e-mail is overwritten, not left in the page's free space (``secure_delete``)."""
    with session_scope(settings.tracker_store_url) as session:  # the conversation said it: keep to the profile
        session.execute(text("DELETE FROM events"))
    purge(settings, now=NOW, notify=lambda *_: None)
    assert leftovers(folder) == {  # the profile as it is now, its shift and attestation
        "benevoles.db": ["first name", "e-mail", "phone", "attestation's full name", "check-in comment"]
    }


def test_what_the_server_remembered_of_an_erased_conversation_never_comes_back(
    settings: Settings, store: PrivacyTrackerStore, domain: Domain, folder: Path, running_servers: None
) -> None:
    """Erased from the command line while the Rasa server remembers what was said before consent."""
    first_message(store, domain)
    assert erase_person(settings, channel=None, sender_id=SENDER, actor="cli")
    # the person comes back and accepts: the new conversation's rows may reuse the erased ones' ids
    turn(store, domain, ActionExecuted("action_listen"), said("bonjour", "greet"), ActionExecuted("action_ask_consent"))
    turn(store, domain, said("oui", "affirm"), SlotSet("consent", "given"), ActionExecuted("action_listen"))
    assert leftovers(folder) == {}
    assert asyncio.run(store.retrieve(SENDER)).get_slot("first_name") is None


def test_a_reader_that_keeps_the_log_busy_is_reported_not_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "bot.db"
    engine = sqlite_file_engine(f"sqlite:///{path}")
    sqlalchemy_event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA busy_timeout=20"))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    reader = sqlite3.connect(path)  # a console page being read, an export running
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM notes").fetchall()
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO notes VALUES ('{EMAIL}')"))
        connection.execute(text("DELETE FROM notes"))

    assert wipe_deleted_rows(engine, ["notes"]) is False
    assert "still holds erased data" in caplog.text and EMAIL not in caplog.text
    reader.rollback()
    assert wipe_deleted_rows(engine, ["notes"]) is True
    assert path.with_name("bot.db-wal").stat().st_size == 0
    reader.close()
    engine.dispose()


# --------------------------------------------------------------------------- PostgreSQL


def relation_files(url: str, tables: tuple[str, ...]) -> bytes:
    """What is on disk for these tables, their indexes and TOAST (read by the server: it must be a superuser)."""
    engine = create_engine(url, future=True, isolation_level="AUTOCOMMIT")
    query = text(
        "SELECT pg_relation_filepath(r.oid) FROM pg_class t JOIN pg_class r ON r.oid IN (t.oid, t.reltoastrelid) "
        "OR r.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (t.oid, t.reltoastrelid)) "
        "WHERE t.relname = ANY(:tables) AND t.relnamespace = 'public'::regnamespace"
    )
    try:
        with engine.connect() as connection:
            if not connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
                pytest.skip("reading PostgreSQL's files needs a superuser")
            connection.execute(text("CHECKPOINT"))  # what sits in shared buffers reaches the files
            paths = connection.execute(query, {"tables": list(tables)}).scalars().all()
            read = text("SELECT pg_read_binary_file(:path)")
            return b"".join(bytes(connection.execute(read, {"path": path}).scalar_one()) for path in paths)
    finally:
        engine.dispose()


def traces_in(content: bytes) -> list[str]:
    content = content.lower()
    return [label for label, forms in TRACES.items() if any(form in content for form in forms)]


def test_on_postgresql_the_erased_rows_leave_the_tables_files(
    postgres_url: str, domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The application's tables at once (VACUUM FULL), the conversations' table at the daily purge."""
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    get_settings.cache_clear()
    settings = Settings(database_url=postgres_url, tracker_store_url=postgres_url, tracker_dialect="postgresql")
    store = PrivacyTrackerStore(domain=domain, host=postgres_url, dialect="postgresql")
    try:
        a_person_in_postgresql(settings, store, domain)
        assert set(traces_in(relation_files(postgres_url, (*PERSON_TABLES, "events")))) == set(TRACES)

        assert erase_person(settings, channel="rest", sender_id=SENDER, actor="cli")
        assert traces_in(relation_files(postgres_url, PERSON_TABLES)) == []
        assert shift_rows(settings) == NO_SHIFT_ROWS
        purge(settings, now=NOW, notify=lambda *_: None)
        assert traces_in(relation_files(postgres_url, (*PERSON_TABLES, "events"))) == []
    finally:
        store.engine.dispose()
        get_settings.cache_clear()


def a_person_in_postgresql(settings: Settings, store: PrivacyTrackerStore, domain: Domain) -> None:
    """As on SQLite, without the checkpoints; short events, stored as they are (not compressed)."""
    turn(store, domain, said("oui", "affirm"), SlotSet("consent", "given"), SlotSet("first_name", FIRST_NAME))
    turn(store, domain, said(f"mon numéro c'est le {PHONE_TYPED}, {OLD_EMAIL}", phone=PHONE), SlotSet("email", EMAIL))
    profile = ProfileSubmission(FIRST_NAME, "adult", VILLEURBANNE, ("cooking",), (), (), email=OLD_EMAIL, phone=PHONE)
    with session_scope(settings.database_url) as session:
        volunteer = volunteers.save_profile(
            session, channel="rest", sender_id=SENDER, profile=profile, consent=ConsentRecord("2026-11-v2", NOW, "rest")
        )
        shift_history(session, settings, volunteer_id=volunteer.id)
    with session_scope(settings.database_url) as session:
        volunteers.save_profile(
            session, channel="rest", sender_id=SENDER, profile=replace(profile, email=EMAIL), consent=None
        )


# --------------------------------------------------------------------------- permissions


@pytest.fixture()
def usual_umask() -> Iterator[None]:
    """The umask most services run with (022): files would be readable by every account."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(folder: Path) -> dict[str, str]:
    return {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in [folder, *sorted(folder.iterdir())]}


def test_the_databases_and_their_folder_are_private_from_the_start(
    usual_umask: None, settings: Settings, store: PrivacyTrackerStore, domain: Domain, folder: Path
) -> None:
    turn(store, domain, said("bonjour", "greet"))
    with sqlite3.connect(folder / "benevoles.db"):  # every file SQLite keeps beside them exists now
        assert modes(folder) == {
            "var": "0o700",
            **{f"{db}{suffix}": "0o600" for db in ("benevoles.db", "tracker.db") for suffix in ("", "-wal", "-shm")},
        }


def test_an_older_install_is_made_private_on_start(
    usual_umask: None, folder: Path, domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.store.session.DATA_DIR", folder)
    folder.mkdir(mode=0o755)
    older = [sqlite3.connect(folder / name) for name in ("benevoles.db", "tracker.db")]  # still open: -wal, -shm
    for connection in older:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE IF NOT EXISTS notes (body TEXT)")
    assert set(modes(folder).values()) == {"0o755", "0o644"}

    upgrade(f"sqlite:///{folder / 'benevoles.db'}")
    store = PrivacyTrackerStore(domain=domain, host=f"sqlite:///{folder / 'tracker.db'}", dialect="sqlite")
    assert modes(folder) == {
        "var": "0o700",
        **{f"{db}{suffix}": "0o600" for db in ("benevoles.db", "tracker.db") for suffix in ("", "-wal", "-shm")},
    }
    store.engine.dispose()
    for connection in older:
        connection.close()
