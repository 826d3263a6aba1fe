"""The daily digest (SQLite and PostgreSQL): once a day after DIGEST_HOUR, to staff who want it, first names only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.missions import read_missions
from bot.notifications import daily_digest, send_pending
from bot.store import jobs, missions, models
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer
from tests.bot.notifications.conftest import ADMIN, COORDINATOR, PUBLIC_URL, SmtpServer, add_staff, mail_settings

# 9:00 in Paris in winter (DIGEST_HOUR is 8): the digest is due; 7:30 it is not yet.
MORNING = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)
EARLY = datetime(2026, 12, 4, 6, 30, tzinfo=timezone.utc)


def test_the_digest_goes_once_a_day_after_digest_hour_to_staff_who_want_it(
    database_url: str, smtp_server: SmtpServer
) -> None:
    settings = mail_settings(database_url, smtp_server.port)
    add_staff(database_url, ADMIN)
    add_staff(database_url, COORDINATOR, "coordinator", digest=False)
    with session_scope(database_url) as session:
        missions.upsert(session, read_missions(settings.association_path / "missions.yml"))
        short = select(models.Mission.id).where(models.Mission.places_filled < models.Mission.places_total)
        short_ids = sorted(session.execute(short).scalars())
    julie = add_volunteer(database_url, sender_id="julie", first_name="Julie", email="julie@exemple.fr")
    marc = add_volunteer(database_url, sender_id="marc", first_name="Marc", phone="0611223344")

    assert daily_digest(settings, now=EARLY) == 0
    assert daily_digest(settings, now=MORNING) == 1
    assert daily_digest(settings, now=MORNING + timedelta(hours=3)) == 0  # claimed for the day
    assert send_pending(settings) == 1

    [email] = smtp_server.received
    assert (email["To"], email["Subject"]) == (ADMIN, "Résumé du jour : 2 nouveau(x) candidat(s)")
    body = email.get_content()
    assert f"- Julie : {PUBLIC_URL}/console/leads/{julie}" in body
    assert f"- Marc : {PUBLIC_URL}/console/leads/{marc}" in body
    for mission_id in short_ids:
        assert f"{PUBLIC_URL}/console/missions/{mission_id}" in body
    for personal in ("julie@exemple.fr", "0611223344", "Villeurbanne", "marc@"):
        assert personal not in body, personal


def test_no_digest_on_a_day_without_new_leads_and_the_next_one_counts_from_the_previous(
    database_url: str, smtp_server: SmtpServer
) -> None:
    settings = mail_settings(database_url, smtp_server.port)
    add_staff(database_url)
    add_volunteer(database_url, sender_id="ancienne", first_name="Ancienne")
    with session_scope(database_url) as session:  # yesterday's digest went out after that lead came
        assert jobs.claim(session, kind="digest", key="2026-12-03")
    assert daily_digest(settings, now=MORNING + timedelta(days=1)) == 0
    assert daily_digest(settings, now=MORNING + timedelta(days=1, hours=1)) == 0

    nouveau = add_volunteer(database_url, sender_id="nouveau", first_name="Nouveau")
    assert daily_digest(settings, now=MORNING + timedelta(days=2)) == 1
    send_pending(settings)
    [email] = smtp_server.received
    assert "1 nouveau(x) candidat(s)" in email["Subject"]
    assert f"/console/leads/{nouveau}" in email.get_content()
    assert "Ancienne" not in email.get_content()
