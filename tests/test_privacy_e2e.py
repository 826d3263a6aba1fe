"""The person's rights end to end: the real Rasa server and action server, on SQLite and PostgreSQL.

A person goes through a real conversation in French (everything said in the first message,
before consent; consent; profile; a mission; a contact request; access; rectification; a
retention notice), then erases their data. The whole of both databases (application and
Rasa's tracker store, every table, every column) is then searched for their email, phone
and first name, and so is every byte on disk: each file of the SQLite databases' folder
(write-ahead logs and free pages included) while the servers still run, or PostgreSQL's
files of the tables. The servers log at INFO, as in production, and the logs are searched too.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, inspect, select, text, update

from bot.assistant_api import trigger_intent
from bot.config import Settings
from bot.privacy import PERSON_TABLES, months_before, purge
from bot.serve import prepare_database, running_assistant
from bot.store import models, retention
from bot.store.session import get_engine, session_scope
from tests.conftest import POSTGRES_ADMIN_URL, free_port, require_service
from tests.security.test_erasure_on_disk import relation_files

pytestmark = pytest.mark.e2e

FIRST_NAME = "Zoé"
EMAIL = "zoe.lambert@exemple.fr"
NEW_EMAIL = "zoe.l@exemple.org"
PHONE_E164, PHONE_TYPED = "+33698765432", "06 98 76 54 32"
# Every way these could be written down: as typed, normalised, and JSON-escaped (Rasa stores JSON).
TRACES = (
    FIRST_NAME, json.dumps(FIRST_NAME)[1:-1], "Zoe", EMAIL, NEW_EMAIL, PHONE_E164, PHONE_TYPED, "0698765432",
    "Lambert",
)  # fmt: skip


@dataclass
class Assistant:
    """A REST client for the running assistant, with its settings and log folder."""

    webhook: str
    settings: Settings
    logs: Path

    def say(self, sender: str, message: str) -> list[dict]:
        response = requests.post(self.webhook, json={"sender": sender, "message": message}, timeout=60)
        assert response.status_code == 200
        return response.json()

    def texts(self, sender: str, message: str) -> str:
        return "\n".join(reply.get("text", "") for reply in self.say(sender, message))


def _postgres_database(name: str) -> str:
    admin = create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres_database(url: str) -> None:
    get_engine(url).dispose()
    admin = create_engine(POSTGRES_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def assistant(
    request: pytest.FixtureRequest, trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Assistant]:
    folder = tmp_path_factory.mktemp(f"privacy-{request.param}")
    created: list[str] = []
    if request.param == "postgresql":
        try:
            create_engine(POSTGRES_ADMIN_URL, future=True).connect().close()
        except Exception as error:  # noqa: BLE001 - any connection failure means "absent"
            require_service(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {type(error).__name__}")
        suffix = uuid.uuid4().hex[:10]
        created = [_postgres_database(f"bot_app_{suffix}"), _postgres_database(f"bot_tracker_{suffix}")]
        database_url, tracker_url, dialect = created[0], created[1], "postgresql"
    else:
        database_url, tracker_url, dialect = (
            f"sqlite:///{folder / 'bot.db'}", f"sqlite:///{folder / 'tracker.db'}", "sqlite",
        )  # fmt: skip
    action_port = free_port()
    settings = Settings(
        database_url=database_url,
        tracker_store_url=tracker_url,
        tracker_dialect=dialect,
        rasa_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
        log_level="INFO",  # the production level: what it logs must hold no personal data
        secret_key="privacy-e2e",
    )
    prepare_database(settings)
    try:
        with running_assistant(settings, trained_model, log_dir=folder / "logs") as webhook:
            yield Assistant(webhook, settings, folder / "logs")
    finally:
        for url in created:
            _drop_postgres_database(url)


def everything_stored(url: str) -> str:
    """Every row of every table of a database, as text."""
    engine = create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            dump = []
            for table in inspect(connection).get_table_names():
                rows = connection.execute(text(f'SELECT * FROM "{table}"'))
                dump += [f"{table}: {tuple(row)}" for row in rows]
            return "\n".join(dump)
    finally:
        engine.dispose()


def traces_in(dump: str) -> list[str]:
    return [trace for trace in TRACES if trace.lower() in dump.lower()]


def traces_on_disk(content: bytes) -> list[str]:
    """The traces in raw bytes, as UTF-8 or UTF-16 (SQLite's text encodings)."""
    content = content.lower()
    return [t for t in TRACES if t.lower().encode() in content or t.lower().encode("utf-16-le") in content]


def files_left_with_traces(settings: Settings) -> dict[str, list[str]]:
    """What reading the databases' files finds of the person right after an erasure.

    SQLite: every file of their folder (databases, -wal, -shm, the servers' logs), while the
    servers hold their connections. PostgreSQL: the files of the application's tables at
    once; Rasa's ``events`` table is rewritten by the daily purge (docs/privacy.md, 3.6).
    """
    if settings.database_url.startswith("sqlite"):
        folder = Path(settings.database_url.removeprefix("sqlite:///")).parent
        files = sorted(path for path in folder.rglob("*") if path.is_file())
        databases = [path for path in files if path.name.startswith(("bot.db", "tracker.db"))]
        assert {oct(path.stat().st_mode & 0o777) for path in databases} == {"0o600"}
        found = {path.name: traces_on_disk(path.read_bytes()) for path in files}
    else:
        found = {"application tables": traces_on_disk(relation_files(settings.database_url, PERSON_TABLES))}
        purge(settings)
        found["events"] = traces_on_disk(relation_files(settings.tracker_store_url, ("events",)))
    return {where: traces for where, traces in found.items() if traces}


def test_rights_end_to_end_then_nothing_left_anywhere(assistant: Assistant) -> None:
    sender = f"privacy-{uuid.uuid4().hex[:8]}"
    settings = assistant.settings

    # Everything at once, before consent: nothing personal is written anywhere.
    consent = assistant.texts(
        sender, f"Bonjour, je m'appelle {FIRST_NAME}, j'habite à Villeurbanne, mon mail est {EMAIL}, "
        "je voudrais devenir bénévole",
    )  # fmt: skip
    assert "Êtes-vous d'accord" in consent and "/confidentialite" in consent
    assert "vos inscriptions, vos heures et votre avis" in consent  # what a sign-up to a shift adds
    assert traces_in(everything_stored(settings.database_url)) == []
    assert traces_in(everything_stored(settings.tracker_store_url)) == []

    # Consent: what the first message said is still known (the next question is the age).
    assert "âge" in assistant.texts(sender, "oui j'accepte")
    assistant.texts(sender, "34 ans")
    assistant.texts(sender, "je fais de la cuisine")
    assistant.texts(sender, "le samedi matin et le mercredi après-midi")
    summary = assistant.texts(sender, "la solidarité")
    assert EMAIL in summary and "Villeurbanne" in summary
    assert PHONE_TYPED in assistant.texts(sender, f"mon numéro c'est le {PHONE_TYPED}")
    replies = assistant.say(sender, "oui c'est correct")
    assert f"Merci {FIRST_NAME}" in replies[0]["text"]
    apply = next(b["payload"] for r in replies for b in r.get("buttons", []) if b["payload"].startswith("/apply"))
    assert "C'est noté" in assistant.texts(sender, apply)
    assert "2 jours ouvrés" in assistant.texts(sender, "je voudrais parler à quelqu'un")

    # Access: everything stored, consent record included.
    mine = assistant.texts(sender, "quelles données avez-vous sur moi ?")
    for expected in (FIRST_NAME, EMAIL, PHONE_TYPED, "2026-12-v3", "Missions proposées", "Demandes de contact"):
        assert expected in mine

    # Rectification of the stored profile, after confirmation.
    withdrawn = assistant.texts(sender, "je ne suis plus disponible le samedi")
    assert "le mercredi après-midi" in withdrawn and "samedi" not in withdrawn
    assistant.texts(sender, "oui")
    assistant.texts(sender, f"mon nouvel email c'est {NEW_EMAIL}")
    assistant.texts(sender, "oui")
    with session_scope(settings.database_url) as session:
        volunteer = session.execute(select(models.Volunteer).where(models.Volunteer.sender_id == sender)).scalar_one()
        assert volunteer.email == NEW_EMAIL
        assert [(a.day, a.period) for a in volunteer.availability] == [("wednesday", "afternoon")]
        assert len(volunteer.applications) == 1 and len(volunteer.proposals) >= 3

    # Retention: a notice sent by the application through the assistant is not activity;
    # the person answering it is.
    nearly_expired = months_before(datetime.now(timezone.utc), settings.retention_months) + timedelta(days=10)
    with session_scope(settings.database_url) as session:
        session.execute(
            update(models.Volunteer).where(models.Volunteer.sender_id == sender).values(last_seen_at=nearly_expired)
        )
    said: list[str] = []

    def notify(settings: Settings, volunteer: retention.InactiveVolunteer) -> None:
        messages = trigger_intent(settings, sender_id=volunteer.sender_id, intent="retention_notice")
        said.extend(m.get("text", "") for m in messages)

    report = purge(settings, notify=notify, notify_channels={"rest"})
    assert [v.sender_id for v in report.notified] == [sender]
    assert any(f"Bonjour {FIRST_NAME}" in line and "supprimés" in line for line in said)
    assert purge(replace(settings), notify=notify, notify_channels={"rest"}).notified == []  # once
    with session_scope(settings.database_url) as session:
        seen = session.execute(select(models.Volunteer.last_seen_at).where(models.Volunteer.sender_id == sender))
        assert retention.as_utc(seen.scalar_one()) < datetime.now(timezone.utc) - timedelta(days=300)
    assistant.texts(sender, "merci, je souhaite rester inscrite")
    with session_scope(settings.database_url) as session:
        seen = session.execute(select(models.Volunteer.last_seen_at).where(models.Volunteer.sender_id == sender))
        assert retention.as_utc(seen.scalar_one()) > datetime.now(timezone.utc) - timedelta(minutes=5)

    # Erasure in the conversation, with confirmation.
    assert "définitif" in assistant.texts(sender, "supprimez mes données")
    assert "supprimées" in assistant.texts(sender, "oui")

    app, tracker = everything_stored(settings.database_url), everything_stored(settings.tracker_store_url)
    assert traces_in(app) == [] and traces_in(tracker) == []
    assert sender not in app and sender not in tracker
    assert "audit_log" in app and "erase" in app  # the anonymous trace
    assert files_left_with_traces(settings) == {}  # nor any copy on disk

    # The conversation goes on, as a stranger's.
    assert "bienvenue" in assistant.texts(sender, "bonjour").lower()


def test_logs_at_info_hold_no_personal_data(assistant: Assistant) -> None:
    sender = f"logs-{uuid.uuid4().hex[:8]}"
    assistant.texts(sender, f"je m'appelle {FIRST_NAME} Lambert, {EMAIL}, {PHONE_TYPED}, je veux être bénévole")
    assistant.texts(sender, "oui")
    assistant.texts(sender, "j'habite à Villeurbanne, j'ai 40 ans")
    logs = "\n".join(path.read_text(errors="replace") for path in assistant.logs.glob("*.log"))
    assert re.search(r"\bINFO\b", logs), "the servers must log at INFO for this test to mean anything"
    assert traces_in(logs) == []
