"""Erasure and retention on SQLite and PostgreSQL, with controlled dates.

The tracker store's ``events`` table lives in the same test database here (Rasa allows it);
rows are written as Rasa writes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.errors import AssistantUnavailableError
from bot.notifications.sending import send_pending
from bot.privacy import erase_person, months_before, purge
from bot.profile import ConsentRecord, ProfileSubmission
from bot.store import conversations, models, retention, volunteers
from bot.store.session import get_engine, session_scope
from tests.bot.notifications.conftest import SmtpServer, smtp_server  # noqa: F401 (the fixture)

NOW = datetime(2028, 6, 15, 10, 0, tzinfo=timezone.utc)


@pytest.fixture()
def settings(database_url: str) -> Settings:
    conversations.metadata.create_all(get_engine(database_url))
    return Settings(database_url=database_url, tracker_store_url=database_url)


def add_volunteer(
    settings: Settings, sender: str, *, channel: str = "rest", active: datetime = NOW, email: str | None = "given"
) -> int:
    address = f"{sender}@exemple.fr" if email == "given" else email
    profile = ProfileSubmission(f"Prenom{sender}", "adult", None, (), (), (), email=address)
    with session_scope(settings.database_url) as session:
        volunteer = volunteers.save_profile(
            session, channel=channel, sender_id=sender, profile=profile,
            consent=ConsentRecord("2026-11-v2", active, channel),
        )  # fmt: skip
        volunteer.last_seen_at = active
        volunteer.created_at = active
        return volunteer.id


def add_events(settings: Settings, sender: str, *, at: datetime, text: str = "bonjour") -> None:
    data = {"event": "user", "text": text, "timestamp": at.timestamp()}
    with get_engine(settings.tracker_store_url).begin() as connection:
        connection.execute(
            conversations.events.insert(),
            [{"sender_id": sender, "type_name": "user", "timestamp": at.timestamp(), "data": json.dumps(data)}],
        )


def retention_nudges(settings: Settings) -> list[tuple[str, str]]:
    with session_scope(settings.database_url) as session:
        rows = session.execute(
            select(models.Nudge.sender_id, models.Nudge.via)
            .where(models.Nudge.kind == "retention")
            .order_by(models.Nudge.id)
        ).all()
        return [(sender, via) for sender, via in rows]


def count(settings: Settings, model: type) -> int:
    with session_scope(settings.database_url) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_months_before_follows_the_calendar() -> None:
    assert months_before(datetime(2028, 6, 15), 24) == datetime(2026, 6, 15)
    assert months_before(datetime(2028, 3, 31), 1) == datetime(2028, 2, 29)
    assert months_before(datetime(2028, 1, 10), 13) == datetime(2026, 12, 10)


def test_erase_person_removes_every_row_and_the_conversation_and_keeps_an_anonymous_trace(
    settings: Settings,
) -> None:
    volunteer_id = add_volunteer(settings, "lina")
    add_events(settings, "lina", at=NOW, text="je m'appelle Lina, lina@exemple.fr")
    add_events(settings, "someone-else", at=NOW)
    with session_scope(settings.database_url) as session:
        volunteers.record_handoff(session, channel="rest", sender_id="lina")

    assert erase_person(settings, channel="rest", sender_id="lina", actor="cli") is True

    for model in (models.Volunteer, models.Consent, models.HandoffRequest):
        assert count(settings, model) == 0
    assert conversations.count_events(settings.tracker_store_url, "lina") == 0
    assert conversations.count_events(settings.tracker_store_url, "someone-else") == 1
    with session_scope(settings.database_url) as session:
        [entry] = session.execute(select(models.AuditEntry)).scalars()
        assert (entry.actor, entry.action, entry.details) == ("cli", "erase", {"volunteer_id": volunteer_id})
        assert "lina" not in entry.subject
    assert erase_person(settings, channel="rest", sender_id="lina", actor="cli") is False


def test_erasing_a_conversation_without_profile_is_audited_too(settings: Settings) -> None:
    add_events(settings, "anonymous", at=NOW)
    assert erase_person(settings, channel="telegram", sender_id="anonymous", actor="volunteer") is True
    with session_scope(settings.database_url) as session:
        [entry] = session.execute(select(models.AuditEntry)).scalars()
        assert entry.details == {"conversation_events": 1}


def test_in_a_turn_of_the_conversation_the_tracker_store_alone_erases_the_conversation(settings: Settings) -> None:
    """action_forget_me erases the profile; the conversation is its tracker store's, at the end of the turn."""
    add_volunteer(settings, "nadia")
    add_events(settings, "nadia", at=NOW)
    add_events(settings, "anonymous", at=NOW)
    assert erase_person(settings, channel="rest", sender_id="nadia", actor="volunteer", conversation=False) is True
    assert count(settings, models.Volunteer) == 0
    assert conversations.count_events(settings.tracker_store_url, "nadia") == 1  # left to the tracker store
    erase_person(settings, channel="telegram", sender_id="anonymous", actor="volunteer", conversation=False)
    assert conversations.count_events(settings.tracker_store_url, "anonymous") == 1
    with session_scope(settings.database_url) as session:
        details = [entry.details for entry in session.execute(select(models.AuditEntry)).scalars()]
    assert details[-1] == {"conversation": "erased at the end of the turn"}


class Notices:
    """A stand-in for the assistant's HTTP API that records who was told."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail

    def __call__(self, settings: Settings, volunteer: retention.InactiveVolunteer) -> None:
        if self.fail:
            raise AssistantUnavailableError("l'assistant ne répond pas")
        self.sent.append(volunteer.sender_id)


def test_purge_erases_the_inactive_and_notifies_those_due_once(settings: Settings) -> None:
    old = add_volunteer(settings, "old", channel="telegram", active=NOW - timedelta(days=2 * 365 + 20))
    add_events(settings, "old", at=NOW - timedelta(days=2 * 365 + 20))
    due = add_volunteer(settings, "due", channel="telegram", active=months_before(NOW, 24) + timedelta(days=10))
    add_volunteer(settings, "due-rest", channel="rest", active=months_before(NOW, 24) + timedelta(days=10))
    add_volunteer(settings, "recent", channel="telegram", active=NOW - timedelta(days=30))
    add_events(settings, "anonymous-old", at=NOW - timedelta(days=800))
    add_events(settings, "anonymous-recent", at=NOW - timedelta(days=3))
    with session_scope(settings.database_url) as session:
        old_request = volunteers.record_handoff(session, channel="rest", sender_id="asked-long-ago")
        old_request.created_at = NOW - timedelta(days=800)
        volunteers.record_handoff(session, channel="rest", sender_id="asked-yesterday")

    notices = Notices()
    planned = purge(settings, now=NOW, dry_run=True, notify=notices)
    assert [v.id for v in planned.erased] == [old]
    assert [v.sender_id for v in planned.notified] == ["due", "due-rest"]  # "due-rest" by e-mail only
    assert planned.conversations == ["anonymous-old"] and len(planned.handoffs) == 1
    assert notices.sent == [] and count(settings, models.Volunteer) == 4  # a dry run changes nothing

    report = purge(settings, now=NOW, notify=notices)
    assert [v.id for v in report.erased] == [old]
    assert notices.sent == ["due"]  # not "due-rest": the REST channel cannot reach anybody
    assert retention_nudges(settings) == [("due", "telegram,email"), ("due-rest", "email")]
    with session_scope(settings.database_url) as session:
        emails = session.execute(select(models.OutgoingEmail.volunteer_id, models.OutgoingEmail.kind)).all()
    assert sorted(emails) == [(due, "retention"), (due + 1, "retention")]
    with session_scope(settings.database_url) as session:
        left = set(session.execute(select(models.Volunteer.sender_id)).scalars())
        requests = set(session.execute(select(models.HandoffRequest.sender_id)).scalars())
    assert left == {"due", "due-rest", "recent"}
    assert requests == {"asked-yesterday"}
    assert conversations.count_events(settings.tracker_store_url, "old") == 0
    assert conversations.count_events(settings.tracker_store_url, "anonymous-old") == 0
    assert conversations.count_events(settings.tracker_store_url, "anonymous-recent") == 1

    purge(settings, now=NOW + timedelta(days=1), notify=notices)
    assert notices.sent == ["due"]  # sent once
    assert len(retention_nudges(settings)) == 2

    after_period = NOW + timedelta(days=11)
    report = purge(settings, now=after_period, notify=notices)
    assert {v.sender_id for v in report.erased} == {"due", "due-rest"}


def test_a_person_who_answers_the_notice_is_active_again(settings: Settings) -> None:
    add_volunteer(settings, "answers", channel="telegram", active=months_before(NOW, 24) + timedelta(days=5))
    notices = Notices()
    purge(settings, now=NOW, notify=notices)
    assert notices.sent == ["answers"]
    with session_scope(settings.database_url) as session:
        retention.touch(session, channel="telegram", sender_id="answers", at=NOW + timedelta(days=2))
    assert purge(settings, now=NOW + timedelta(days=10), notify=notices).erased == []
    # a new period of inactivity gets a new notice
    purge(settings, now=NOW + timedelta(days=2 + 2 * 365 - 20), notify=notices)
    assert notices.sent == ["answers", "answers"]


def test_a_notice_that_could_not_be_sent_is_tried_again(settings: Settings) -> None:
    add_volunteer(
        settings, "unreachable", channel="telegram", active=months_before(NOW, 24) + timedelta(days=5), email=None
    )
    report = purge(settings, now=NOW, notify=Notices(fail=True))
    assert [v.sender_id for v in report.notice_failed] == ["unreachable"] and report.notified == []
    retry = Notices()
    purge(settings, now=NOW + timedelta(days=1), notify=retry)
    assert retry.sent == ["unreachable"]


def test_a_notice_the_conversation_could_not_take_still_goes_by_email_once(settings: Settings) -> None:
    add_volunteer(settings, "offline", channel="telegram", active=months_before(NOW, 24) + timedelta(days=5))
    report = purge(settings, now=NOW, notify=Notices(fail=True))
    assert [v.sender_id for v in report.notified] == ["offline"] and report.notice_failed == []
    assert retention_nudges(settings) == [("offline", "email")]
    retry = Notices()
    purge(settings, now=NOW + timedelta(days=1), notify=retry)
    assert retry.sent == [] and len(retention_nudges(settings)) == 1


def test_the_retention_notice_reaches_the_chat_bubble_and_the_mailbox(
    settings: Settings,
    smtp_server: SmtpServer,  # noqa: F811 (the fixture imported above)
) -> None:
    add_volunteer(settings, "web-abc", channel="web", active=months_before(NOW, 24) + timedelta(days=5))
    notices = Notices()
    assert [v.sender_id for v in purge(settings, now=NOW, notify=notices).notified] == ["web-abc"]
    assert notices.sent == ["web-abc"]  # the bubble shows it at once, or when reopened
    assert retention_nudges(settings) == [("web-abc", "web,email")]
    mail = replace(settings, smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_tls="none")
    assert send_pending(mail) == 1
    [received] = smtp_server.wait_for(1)
    assert received["To"] == "web-abc@exemple.fr"
    assert received["Subject"] == "Vos données seront bientôt supprimées"
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert text.startswith("Bonjour Prenomweb-abc,") and "30 jours" in text and "supprimez mes données" in text


def test_erasure_takes_the_nudges_with_it(settings: Settings) -> None:
    add_volunteer(settings, "web-abc", channel="web", active=months_before(NOW, 24) + timedelta(days=5))
    purge(settings, now=NOW, notify=Notices())
    assert len(retention_nudges(settings)) == 1
    assert erase_person(settings, channel="web", sender_id="web-abc", actor="cli") is True
    assert retention_nudges(settings) == [] and count(settings, models.OutgoingEmail) == 0


def test_purge_deletes_e_mails_sent_more_than_a_month_ago_and_keeps_the_rest(settings: Settings) -> None:
    person = add_volunteer(settings, "recent-mail", channel="telegram", active=NOW - timedelta(days=3))
    ages = {"sent long ago": 31, "sent lately": 29, "never sent": 90}
    with session_scope(settings.database_url) as session:
        for subject, days in ages.items():
            at = NOW - timedelta(days=days)
            sent = at if subject != "never sent" else None  # still being retried: kept until sent
            session.add(models.OutgoingEmail(volunteer_id=person, kind="shift", subject=subject, body="…",
                                             created_at=at, sent_at=sent))  # fmt: skip
    assert purge(settings, now=NOW, dry_run=True, notify=Notices()).sent_emails == 0
    assert purge(settings, now=NOW, notify=Notices()).sent_emails == 1
    with session_scope(settings.database_url) as session:
        kept = set(session.execute(select(models.OutgoingEmail.subject)).scalars())
    assert kept == {"sent lately", "never sent"}


def test_purge_command_dry_run_lists_ids_and_dates_without_personal_data(sqlite_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=sqlite_url, tracker_store_url=sqlite_url)
    add_volunteer(settings, "gone", active=datetime(2020, 1, 2, tzinfo=timezone.utc))
    env = dict(os.environ, DATABASE_URL=sqlite_url, TRACKER_STORE_URL=sqlite_url)
    bot = str(Path(sys.executable).with_name("bot"))
    result = subprocess.run([bot, "privacy", "purge", "--dry-run"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "inactif depuis le 02/01/2020, serait supprimé" in result.stdout
    assert "rien n'a été modifié" in result.stdout
    assert "gone" not in result.stdout + result.stderr and "Prenom" not in result.stdout
    assert count(settings, models.Volunteer) == 1
    done = subprocess.run([bot, "privacy", "purge"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "supprimés." in done.stdout
    assert count(settings, models.Volunteer) == 0


def test_activity_is_recorded_to_within_ten_minutes(settings: Settings) -> None:
    add_volunteer(settings, "writes", channel="telegram", active=NOW)
    with session_scope(settings.database_url) as session:
        assert not retention.touch(session, channel="telegram", sender_id="writes", at=NOW + timedelta(minutes=9))
        assert retention.touch(session, channel="telegram", sender_id="writes", at=NOW + timedelta(minutes=11))
        assert not retention.touch(session, channel="nobody", sender_id="writes", at=NOW + timedelta(days=1))
    with session_scope(settings.database_url) as session:
        seen = session.execute(select(models.Volunteer.last_seen_at)).scalar_one()
    assert retention.as_utc(seen) == NOW + timedelta(minutes=11)
