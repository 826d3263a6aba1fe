"""E-mails to volunteers leave through the same outbox: their address, the calendar file, retries, erasure."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.notifications.sending import send_pending
from bot.store import models, outbox, volunteers
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer
from tests.bot.notifications.conftest import SmtpServer, add_staff, mail_settings, pending

CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//entraide//FR\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"
    "UID:signup-5@entraide.example\r\nDTSTAMP:20261204T120000Z\r\nDTSTART:20261212T080000Z\r\n"
    "DTEND:20261212T110000Z\r\nSUMMARY:Distribution de colis\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _queue(url: str, volunteer_id: int, **extra: str) -> int:
    with session_scope(url) as session:
        return outbox.queue_to_volunteer(
            session,
            volunteer_id=volunteer_id,
            kind="reminder",
            subject="Rappel : samedi 12 décembre, 9 h–12 h",
            body="Bonjour, à samedi ! Réponse dans la conversation.",
            **extra,
        )


def test_an_email_to_a_volunteer_reaches_their_address_with_the_calendar_file(
    database_url: str, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    julie = add_volunteer(database_url, sender_id="julie", first_name="Julie", email="julie.martin@exemple.fr")
    _queue(database_url, julie, attachment_name="creneau.ics", attachment=CALENDAR)
    caplog.set_level(logging.DEBUG)
    assert send_pending(mail_settings(database_url, smtp_server.port)) == 1
    [received] = smtp_server.wait_for(1)
    assert received["To"] == "julie.martin@exemple.fr"
    assert received["Subject"] == "Rappel : samedi 12 décembre, 9 h–12 h"
    body = received.get_body(preferencelist=("plain",))
    assert body is not None and "à samedi" in body.get_content()
    [attached] = list(received.iter_attachments())
    assert attached.get_content_type() == "text/calendar"
    assert attached.get_param("method") == "PUBLISH"
    assert attached.get_filename() == "creneau.ics"
    assert "SUMMARY:Distribution de colis" in attached.get_content()
    assert pending(database_url) == []
    ours = [record.getMessage() for record in caplog.records if record.name.startswith("bot")]
    assert not any("julie.martin" in line for line in ours)  # never an address in the application's logs


def test_staff_and_volunteers_each_get_their_own_email_and_nobody_sees_the_other(
    database_url: str, smtp_server: SmtpServer
) -> None:
    add_staff(database_url)
    marc = add_volunteer(database_url, sender_id="marc", first_name="Marc", email="marc@exemple.fr")
    with session_scope(database_url) as session:
        outbox.queue(session, kind="handoff", subject="Demande", body="Texte")
    _queue(database_url, marc)
    assert send_pending(mail_settings(database_url, smtp_server.port)) == 2
    received = smtp_server.wait_for(2)
    assert sorted(str(m["To"]) for m in received) == ["admin@entraide.test", "marc@exemple.fr"]
    assert all(not list(m.iter_attachments()) for m in received)


def test_a_volunteer_email_is_retried_like_a_staff_one_and_not_counted_in_the_staff_notice(
    database_url: str, smtp_server: SmtpServer
) -> None:
    marc = add_volunteer(database_url, sender_id="marc", first_name="Marc", email="marc@exemple.fr")
    _queue(database_url, marc)
    smtp_server.stop()
    now = datetime.now(timezone.utc)
    settings = mail_settings(database_url, smtp_server.port)
    assert send_pending(settings, now=now) == 0
    [email] = pending(database_url)
    assert email.attempts == 1 and email.last_error
    with session_scope(database_url) as session:
        assert outbox.waiting(session) is None  # the staff notice counts e-mails to staff only
        assert outbox.due(session, now=now + timedelta(seconds=30)) == []
    smtp_server.start()
    assert send_pending(settings, now=now + timedelta(minutes=1)) == 1
    assert [str(m["To"]) for m in smtp_server.wait_for(1)] == ["marc@exemple.fr"]


def test_an_erased_volunteer_gets_nothing_and_a_removed_address_drops_the_email(
    database_url: str, smtp_server: SmtpServer
) -> None:
    julie = add_volunteer(database_url, sender_id="julie", first_name="Julie", email="julie@exemple.fr")
    marc = add_volunteer(database_url, sender_id="marc", first_name="Marc", email="marc@exemple.fr")
    _queue(database_url, julie)
    _queue(database_url, marc)
    with session_scope(database_url) as session:
        volunteers.forget(session, sender_id="julie")
        session.get(models.Volunteer, marc).email = None
    assert send_pending(mail_settings(database_url, smtp_server.port)) == 0
    assert smtp_server.received == []
    with session_scope(database_url) as session:
        assert session.execute(select(models.OutgoingEmail.id)).all() == []
