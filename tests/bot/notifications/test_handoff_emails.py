"""A handoff request reaches staff by e-mail, read back from a real SMTP server; SMTP down or unset loses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.config import Settings, get_settings
from bot.notifications import send_pending
from bot.notifications.sending import message
from bot.onboarding import request_handoff
from bot.store import models
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import add_volunteer, login
from tests.bot.notifications.conftest import (
    ADMIN,
    COORDINATOR,
    PUBLIC_URL,
    SmtpServer,
    add_staff,
    mail_settings,
    pending,
)


@pytest.fixture()
def app_settings(sqlite_url: str, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The process settings (which the conversation's services read) on a fresh database, sending to the server."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield mail_settings(sqlite_url, smtp_server.port, secret_key="notifications-test-secret")
    get_settings.cache_clear()


def test_a_new_handoff_request_is_mailed_at_once_to_staff_who_want_it(
    app_settings: Settings, smtp_server: SmtpServer
) -> None:
    url = app_settings.database_url
    add_staff(url, ADMIN)
    add_staff(url, COORDINATOR, "coordinator", handoffs=False)
    add_volunteer(url, sender_id="julie", first_name="Julie", email="julie@exemple.fr", phone="0612345678")

    request_handoff(channel="rest", sender_id="julie")
    request_handoff(channel="rest", sender_id="julie")  # the same open request: staff were told already
    assert send_pending(app_settings) == 1

    [email] = smtp_server.received
    with session_scope(url) as session:
        handoff_id = session.execute(select(models.HandoffRequest.id)).scalar_one()
    assert email["To"] == ADMIN
    assert email["Subject"] == "Demande de contact : quelqu'un souhaite parler à l'équipe"
    body = email.get_content()
    assert "Julie a demandé à parler à quelqu'un" in body
    assert f"{PUBLIC_URL}/console/handoffs/{handoff_id}" in body
    for personal in ("julie@exemple.fr", "0612345678", "Villeurbanne", "julie"):
        assert personal not in body, personal
    assert pending(url) == []


def test_a_person_without_profile_is_not_named(app_settings: Settings, smtp_server: SmtpServer) -> None:
    add_staff(app_settings.database_url)
    request_handoff(channel="telegram", sender_id="123456")
    send_pending(app_settings)
    [email] = smtp_server.received
    assert "Une personne (sans profil) a demandé" in email.get_content()


def test_while_the_smtp_server_is_down_emails_are_kept_retried_later_and_the_console_says_so(
    app_settings: Settings, smtp_server: SmtpServer
) -> None:
    url = app_settings.database_url
    add_staff(url, ADMIN)
    request_handoff(channel="rest", sender_id="quelqu-un")
    smtp_server.stop()
    now = datetime.now(timezone.utc)

    assert send_pending(app_settings, now=now) == 0
    [email] = pending(url)
    assert (email.attempts, email.last_error) == (1, "SMTPConnectError")
    assert send_pending(app_settings, now=now + timedelta(seconds=30)) == 0  # not due before a minute
    assert pending(url)[0].attempts == 1

    with TestClient(create_app(app_settings), base_url="http://testserver") as client:
        login(client, ADMIN, "a-long-password-1")
        for page in ("/console/", "/console/handoffs"):
            html = client.get(page).text
            assert "1 e-mail aux responsables en attente depuis le" in html, page
            assert "SMTPConnectError" in html and "Ils seront renvoyés automatiquement." in html

        send_pending(app_settings, now=now + timedelta(minutes=1))
        assert pending(url)[0].attempts == 2  # still down: two minutes before the next try
        smtp_server.start()
        assert send_pending(app_settings, now=now + timedelta(minutes=2)) == 0
        assert send_pending(app_settings, now=now + timedelta(minutes=3)) == 1
        assert len(smtp_server.received) == 1
        assert pending(url) == []
        assert "en attente depuis" not in client.get("/console/").text


def test_with_no_smtp_host_emails_wait_untouched(app_settings: Settings, smtp_server: SmtpServer) -> None:
    add_staff(app_settings.database_url)
    request_handoff(channel="rest", sender_id="quelqu-un")
    assert send_pending(replace(app_settings, smtp_host="")) == 0
    [email] = pending(app_settings.database_url)
    assert (email.attempts, email.last_error, smtp_server.received) == (0, None, [])
    assert send_pending(app_settings) == 1


def test_a_refused_recipient_fails_alone(app_settings: Settings, smtp_server: SmtpServer) -> None:
    url = app_settings.database_url
    add_staff(url, ADMIN)
    add_staff(url, "inconnu@entraide.test", "coordinator")  # the server refuses this mailbox
    request_handoff(channel="rest", sender_id="quelqu-un")
    assert send_pending(app_settings) == 1
    [refused] = pending(url)
    assert refused.attempts == 1 and refused.last_error is not None and "@" not in refused.last_error


def test_line_breaks_cannot_add_headers(sqlite_url: str) -> None:
    settings = mail_settings(sqlite_url, 25)
    email = message(settings, to=ADMIN, subject="Mission\r\nBcc: espion@exemple.fr", body="Texte")
    assert email["Subject"] == "Mission Bcc: espion@exemple.fr"
    assert email["Bcc"] is None


def test_broken_email_texts_never_lose_the_request(
    app_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    add_staff(app_settings.database_url)
    (tmp_path / "notifications.yml").write_text("handoff: [pas, un, dictionnaire]\n", encoding="utf-8")
    monkeypatch.setenv("ASSOCIATION_DIR", str(tmp_path))
    get_settings.cache_clear()
    request_handoff(channel="rest", sender_id="quelqu-un")
    with session_scope(app_settings.database_url) as session:
        assert session.execute(select(func.count(models.HandoffRequest.id))).scalar_one() == 1
    assert pending(app_settings.database_url) == []
    assert "no e-mail queued, the texts are broken" in caplog.text
