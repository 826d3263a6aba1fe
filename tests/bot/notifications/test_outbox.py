"""The outbox's store, on SQLite and PostgreSQL: who gets what, leases, retries, the notice, rendering."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.store import outbox
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer
from tests.bot.notifications.conftest import ADMIN, COORDINATOR, add_staff, pending


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60), (8, 60), (50, 60)]
)
def test_the_delay_doubles_after_each_failure_up_to_an_hour(attempts: int, minutes: int) -> None:
    assert outbox.backoff(attempts) == timedelta(minutes=minutes)


def test_an_email_is_queued_only_for_staff_who_chose_that_kind(database_url: str) -> None:
    admin = add_staff(database_url, ADMIN)
    add_staff(database_url, COORDINATOR, "coordinator", handoffs=False)
    with session_scope(database_url) as session:
        assert outbox.queue(session, kind="handoff", subject="Sujet", body="Texte") == 1
        assert outbox.queue(session, kind="digest", subject="Sujet", body="Texte") == 2
    assert [(e.kind, e.staff_id) for e in pending(database_url)][:1] == [("handoff", admin)]


def test_a_leased_email_is_not_taken_twice_and_a_failure_waits_longer_each_time(database_url: str) -> None:
    add_staff(database_url)
    with session_scope(database_url) as session:
        outbox.queue(session, kind="handoff", subject="Sujet", body="Texte")
    NOW = datetime.now(timezone.utc)  # noqa: N806 (the moment the test stands at)
    with session_scope(database_url) as session:
        [email_id] = outbox.due(session, now=NOW + timedelta(seconds=1))
        assert outbox.lease(
            session, email_id=email_id, now=NOW + timedelta(seconds=1), until=NOW + timedelta(minutes=5)
        )
    with session_scope(database_url) as session:
        assert outbox.due(session, now=NOW + timedelta(minutes=1)) == []
        assert not outbox.lease(session, email_id=email_id, now=NOW, until=NOW + timedelta(minutes=5))
    with session_scope(database_url) as session:
        assert outbox.waiting(session) is None
        outbox.mark_failed(session, email_id=email_id, error="SMTPConnectError", now=NOW)
        outbox.mark_failed(session, email_id=email_id, error="SMTPServerDisconnected", now=NOW)
    [email] = pending(database_url)
    assert (email.attempts, email.last_error) == (2, "SMTPServerDisconnected")
    with session_scope(database_url) as session:
        waiting = outbox.waiting(session)
        assert waiting is not None
        assert (waiting.count, waiting.last_error) == (1, "SMTPServerDisconnected")
        assert outbox.due(session, now=NOW + timedelta(minutes=1)) == []
        assert outbox.due(session, now=NOW + timedelta(minutes=2)) == [email_id]
        outbox.mark_sent(session, email_id=email_id, now=NOW + timedelta(minutes=2))
    with session_scope(database_url) as session:
        assert outbox.waiting(session) is None
    assert pending(database_url) == []


def test_first_names_and_the_console_address_are_filled_in_when_sent_and_an_erased_lead_is_not_named(
    database_url: str,
) -> None:
    julie = add_volunteer(database_url, sender_id="julie", first_name="Julie")
    marc = add_volunteer(database_url, sender_id="marc", first_name="Marc")
    text = f"{outbox.first_name_of(julie)}, {outbox.first_name_of(marc)} : {outbox.CONSOLE}/console/leads/{julie}"
    with session_scope(database_url) as session:
        assert outbox.render(session, text, console_url="https://entraide.example/") == (
            f"Julie, Marc : https://entraide.example/console/leads/{julie}"
        )
    with session_scope(database_url) as session:
        from bot.store import volunteers

        volunteers.forget(session, sender_id="marc")
    with session_scope(database_url) as session:
        assert outbox.render(session, text, console_url="https://entraide.example") == (
            f"Julie, (personne effacée) : https://entraide.example/console/leads/{julie}"
        )
