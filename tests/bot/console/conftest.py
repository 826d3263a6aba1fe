"""Shared fixtures of the console tests: one migrated database per module, staff accounts,
a few leads and missions, and logged-in HTTP clients (FastAPI's TestClient)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.missions import read_missions
from bot.profile import ConsentRecord, Place, ProfileSubmission, TimeSlot
from bot.serve import running_assistant, running_web
from bot.store import missions, models, staff, volunteers
from bot.store.migrate import upgrade
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn
from tests.conftest import free_port


def member_of(session: Session, email: str) -> models.StaffMember:
    """The staff account with this e-mail, which the test created."""
    found = staff.find_by_email(session, email=email)
    assert found is not None, email
    return found


ADMIN = ("admin@entraide.test", "admin-password-1")
COORDINATOR = ("coord@entraide.test", "coord-password-1")
VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")
BRON = Place("Bron", 45.73865, 4.91303, "69500")
GRENOBLE = Place("Grenoble", 45.16667, 5.71667, "38000")
XSS = "<script>alert(1)</script>"


def add_volunteer(
    url: str,
    *,
    sender_id: str,
    first_name: str,
    place: Place | None = VILLEURBANNE,
    skills: tuple[str, ...] = ("cooking",),
    causes: tuple[str, ...] = ("solidarity",),
    availability: tuple[TimeSlot, ...] = (TimeSlot("saturday", "morning"),),
    email: str | None = None,
    phone: str | None = None,
    channel: str = "rest",
) -> int:
    """Store a consented profile, as the conversation would; returns its id."""
    profile = ProfileSubmission(
        first_name=first_name,
        age_group="adult",
        place=place,
        skills=skills,
        causes=causes,
        availability=availability,
        email=email or f"{sender_id}@exemple.fr",
        phone=phone,
    )
    consent = ConsentRecord("2026-01", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc), channel)
    with session_scope(url) as session:
        row = volunteers.save_profile(session, channel=channel, sender_id=sender_id, profile=profile, consent=consent)
        return row.id


def make_settings(folder: Path, **overrides: object) -> Settings:
    """Settings with their own database, tracker store and secret."""
    url = f"sqlite:///{folder / 'bot.db'}"
    upgrade(url)
    values: dict[str, object] = {
        "database_url": url,
        "tracker_store_url": f"sqlite:///{folder / 'tracker.db'}",
        "secret_key": "console-test-secret",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def seed_staff(url: str) -> None:
    """One admin and one coordinator."""
    with session_scope(url) as session:
        staff.add(session, email=ADMIN[0], role="admin", password=ADMIN[1])
        staff.add(session, email=COORDINATOR[0], role="coordinator", password=COORDINATOR[1])


def seed_missions(url: str, settings: Settings) -> None:
    """The demo association's missions."""
    with session_scope(url) as session:
        missions.upsert(session, read_missions(settings.association_path / "missions.yml"))


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, email: str, password: str) -> TestClient:
    """Log a client in through the login form, as a browser would."""
    page = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/console/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture(scope="module")
def console_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A module's database with staff, the demo missions and a few leads."""
    settings = make_settings(tmp_path_factory.mktemp("console"))
    seed_staff(settings.database_url)
    seed_missions(settings.database_url, settings)
    return settings


@pytest.fixture(scope="module")
def app(console_settings: Settings) -> object:
    """The web app on that database."""
    return create_app(console_settings)


@pytest.fixture()
def anonymous(app: object) -> Iterator[TestClient]:
    """A client with no session."""
    with TestClient(app, base_url="http://testserver") as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture()
def admin(app: object) -> Iterator[TestClient]:
    """A client logged in as an admin."""
    with TestClient(app, base_url="http://testserver") as client:  # type: ignore[arg-type]
        yield login(client, *ADMIN)


@pytest.fixture()
def coordinator(app: object) -> Iterator[TestClient]:
    """A client logged in as a coordinator."""
    with TestClient(app, base_url="http://testserver") as client:  # type: ignore[arg-type]
        yield login(client, *COORDINATOR)


def record_conversation(tracker_store_url: str, sender_id: str, events: list[object]) -> None:
    """Write a conversation with Rasa's own SQLTrackerStore, as the Rasa server would."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    path = tracker_store_url.removeprefix("sqlite:///")
    store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=path)
    tracker = DialogueStateTracker.from_events(sender_id, events)
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, store.save(tracker)).result()
    store.engine.dispose()


TAKEOVER_STAFF = ("claire.martin@entraide.test", "claire-password-1")
TAKEOVER_TELEGRAM = ("123456:TAKEOVER-token_for-the-stand-in", "takeover-secret_for-the-tests_0123456789")


@dataclass
class TakeoverServers:
    """The assistant and the web app the takeover tests share, with Telegram pointed at a stand-in."""

    settings: Settings
    webhook: str  # the REST channel
    web: str  # the web app (console, demo page)
    standin: BotAPIStandIn


@pytest.fixture(scope="package")
def takeover_servers(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TakeoverServers]:
    """One Rasa server, action server and web app for the takeover tests over REST and in a browser."""
    folder = tmp_path_factory.mktemp("takeover")
    standin = BotAPIStandIn(TAKEOVER_TELEGRAM[0]).start()
    action_port, rasa_port, web_port = free_port(), free_port(), free_port()
    web = f"http://127.0.0.1:{web_port}"
    settings = make_settings(
        folder, rasa_host="127.0.0.1", rasa_port=rasa_port, action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook", web_port=web_port, widget_allowed_origins=web,
        telegram_token=TAKEOVER_TELEGRAM[0], telegram_webhook_secret=TAKEOVER_TELEGRAM[1],
        telegram_api_url=standin.base_url, background_seconds=0,
        opening_hours="",  # the team is always said to be there: the tests do not depend on the hour
    )  # fmt: skip
    seed_staff(settings.database_url)
    seed_missions(settings.database_url, settings)
    with session_scope(settings.database_url) as session:
        staff.add(session, email=TAKEOVER_STAFF[0], role="admin", password=TAKEOVER_STAFF[1])
    logs = folder / "logs"
    try:
        with running_assistant(settings, trained_model, log_dir=logs) as webhook, running_web(settings, log_dir=logs):
            yield TakeoverServers(settings, webhook, web, standin)
    finally:
        standin.stop()
