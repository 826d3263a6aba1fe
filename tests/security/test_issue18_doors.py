"""Issue 18's new doors attacked from outside: hours, attestations, the calendar file, the console's new addresses.

Each test is a way in that worked against a running copy (review of issue 18) and must not work now:

- a volunteer with two one-hour shifts on one day checked in 20 hours for each and got, at once
  and without staff, an attestation of 40 hours on that day; staff could log 55 hours on one day
  for one person, and hours dated in the year 1 ("du 1er janvier 1" on the attestation);
- a mission's title or address with a Unicode line break (U+2028, U+0085) or another control
  character started a property of its own in the calendar file for readers that split lines on
  them (Python's ``str.splitlines``, which the ``icalendar`` package uses);
- an id beyond what the database holds in the addresses of the new console pages and forms
  (a mission's attendance, a volunteer's hours, a shift's places and cancellation) was a 500.
- hundreds of digits typed as the hours of a check-in crashed the action (a float's infinity).
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions import follow_up
from bot import ics
from bot.attestations import create_link
from bot.config import Settings
from bot.errors import InvalidDataError
from bot.store import hours, models
from bot.store.session import session_scope
from tests.actions.conftest import app_database, make_tracker  # noqa: F401 - a fixture used below
from tests.bot.console.conftest import admin, app, console_settings, csrf_of  # noqa: F401 - fixtures used below

ZONE = "Europe/Paris"
# Thursday 3 December 2026: two one-hour shifts in the afternoon (Paris), checked in the next day.
FIRST = datetime(2026, 12, 3, 12, tzinfo=timezone.utc)
SECOND = datetime(2026, 12, 3, 14, tzinfo=timezone.utc)
NEXT_DAY = datetime(2026, 12, 4, 10, tzinfo=timezone.utc)
DAY = date(2026, 12, 3)


def _two_shifts_one_day(session: Session, sender_id: str = "hours-sender") -> tuple[int, int, int]:
    """A volunteer signed up for two one-hour shifts on DAY: (volunteer id, first sign-up, second sign-up)."""
    session.add(models.Mission(id="M918", title="Colis du jeudi"))
    volunteer = models.Volunteer(channel="rest", sender_id=sender_id, first_name="Bob", age_group="adult")
    shifts = [
        models.Shift(mission_id="M918", starts_at=start, ends_at=start + timedelta(hours=1), places=3, taken=1)
        for start in (FIRST, SECOND)
    ]
    session.add_all([volunteer, *shifts])
    session.flush()
    signups = [models.Signup(shift_id=shift.id, volunteer_id=volunteer.id, status="confirmed") for shift in shifts]
    session.add_all(signups)
    session.flush()
    return int(volunteer.id), int(signups[0].id), int(signups[1].id)


def _logged(session: Session, volunteer_id: int) -> int:
    entry = models.HoursEntry
    return int(session.scalar(select(func.sum(entry.minutes)).where(entry.volunteer_id == volunteer_id)) or 0)


# --------------------------------------------------------------------------- hours: 24 a day, from 2000 on


def test_check_ins_never_log_more_than_24_hours_on_one_day(database_url: str) -> None:
    with session_scope(database_url) as session:
        volunteer_id, first, second = _two_shifts_one_day(session)
        assert hours.record_checkin_hours(session, signup_id=first, minutes=20 * 60, now=NEXT_DAY, zone=ZONE).ok
        refused = hours.record_checkin_hours(session, signup_id=second, minutes=20 * 60, now=NEXT_DAY, zone=ZONE)
        assert refused.status == hours.INVALID_MINUTES
        assert session.get(models.Signup, second).status == "confirmed"  # nothing half-written
        assert hours.record_checkin_hours(session, signup_id=second, minutes=4 * 60, now=NEXT_DAY, zone=ZONE).ok
        assert _logged(session, volunteer_id) == 24 * 60


def test_staff_never_log_more_than_24_hours_on_one_day_nor_before_2000(database_url: str) -> None:
    with session_scope(database_url) as session:
        staff = models.StaffMember(email="hours@entraide.test", role="admin", password_hash="x")
        session.add(staff)
        volunteer_id, _, _ = _two_shifts_one_day(session)
        session.flush()

        def add(day: date, minutes: int) -> models.HoursEntry:
            return hours.add_staff_hours(session, volunteer_id=volunteer_id, mission_id="M918", day=day,
                                         minutes=minutes, staff_id=staff.id, today=NEXT_DAY.date())  # fmt: skip

        entry = add(DAY, 24 * 60)
        with pytest.raises(InvalidDataError, match="plus de 24 heures le 03/12/2026"):
            add(DAY, 60)
        hours.edit(session, entry_id=entry.id, minutes=20 * 60, staff_id=staff.id)  # lowering is fine
        second = add(DAY, 4 * 60)
        with pytest.raises(InvalidDataError, match="plus de 24 heures"):
            hours.edit(session, entry_id=second.id, minutes=5 * 60, staff_id=staff.id)
        for day in (date(1, 1, 1), date(1900, 1, 1), date(1999, 12, 31)):
            with pytest.raises(InvalidDataError, match="avant le 01/01/2000"):
                add(day, 60)
        assert _logged(session, volunteer_id) == 24 * 60


def test_an_attestation_never_starts_before_2000(settings: Settings) -> None:
    with session_scope(settings.database_url) as session:
        volunteer_id, first, _ = _two_shifts_one_day(session)
        hours.record_checkin_hours(session, signup_id=first, minutes=60, now=NEXT_DAY, zone=ZONE)
        link = create_link(session, settings, volunteer_id=volunteer_id, start=date(1, 1, 1), end=date(9999, 12, 31),
                           full_name="Bob Martin", now=NEXT_DAY)  # fmt: skip
        assert link is not None
        row = session.scalars(select(models.AttestationLink)).one()
        assert (row.period_start, row.period_end) == (date(2000, 1, 1), NEXT_DAY.date())


def _run(action: Any, text: str, *, slots: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent="inform", slots=slots)
    with time_machine.travel(NEXT_DAY, tick=False):
        events = asyncio.run(action.run(dispatcher, tracker, {}))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots, [m["response"] for m in dispatcher.messages]


def test_a_check_in_past_24_hours_that_day_is_asked_again_in_the_chat(app_database: str) -> None:  # noqa: F811
    with session_scope(app_database) as session:
        volunteer_id, first, second = _two_shifts_one_day(session, sender_id="test-sender")
        assert hours.record_checkin_hours(session, signup_id=first, minutes=20 * 60, now=NEXT_DAY, zone=ZONE).ok
    slots = {"follow_up_step": "checkin_comment", "follow_up_pending": True, "follow_up_signup": second,
             "checkin_minutes": 20 * 60, "checkin_rating": 5}  # fmt: skip
    events, said = _run(follow_up.ActionFollowUpAnswer(), "Super équipe", slots=slots)
    assert said == ["utter_checkin_duration_out_of_range"]
    assert events["follow_up_step"] == "checkin_minutes" and events["follow_up_signup"] == second
    with session_scope(app_database) as session:
        assert session.get(models.Signup, second).status == "confirmed"
        assert _logged(session, volunteer_id) == 20 * 60


# --------------------------------------------------------------------------- the calendar file


def test_mission_fields_cannot_start_a_property_of_the_calendar_file() -> None:
    content = ics.calendar_file(
        uid="signup-1@example.org",
        starts_at=FIRST,
        ends_at=FIRST + timedelta(hours=1),
        summary="Colis\u2028ATTENDEE:mailto:x@evil.example\x85METHOD:REQUEST",
        location="12 rue du Port\x0bURL:https://evil.example\x0c\x1c\x1d\x1e",
        description="Contact\x00: Martine\x1b\x7f\u2029ORGANIZER:mailto:y@evil.example",
        stamp=FIRST,
    )
    names = [line.split(":", 1)[0] for line in content.splitlines() if not line.startswith(" ")]
    assert names == ["BEGIN", "VERSION", "PRODID", "CALSCALE", "METHOD", "BEGIN", "UID", "DTSTAMP", "DTSTART",
                     "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "END", "END"]  # fmt: skip
    assert not re.search(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f\x85\u2028\u2029]", content)
    assert "ATTENDEE:mailto:x@evil.example" in content.replace("\r\n ", "")  # kept, as words of the title


# --------------------------------------------------------------------------- ids beyond the database in addresses

HUGE = "99999999999999999999"
TOO_BIG = str(2**63)


@pytest.mark.parametrize(
    "path",
    [
        f"/console/leads/{HUGE}/hours",
        f"/console/leads/{TOO_BIG}/hours",
        f"/console/missions/M001/creneaux/{HUGE}/annuler",
        f"/console/leads/{HUGE}",  # the older pages, the same way
        f"/console/leads/{TOO_BIG}/edit",
        f"/console/leads/{HUGE}/export.json",
        f"/console/leads/{HUGE}/erase",
        f"/console/handoffs/{HUGE}",
    ],
)
def test_a_huge_id_in_a_new_page_address_is_refused_not_a_500(admin: TestClient, path: str) -> None:  # noqa: F811
    response = admin.get(path)
    assert response.status_code in (400, 404), response.status_code


@pytest.mark.parametrize(
    "path",
    [
        f"/console/missions/M001/attendance/{HUGE}/present",
        f"/console/missions/M001/attendance/{TOO_BIG}/absent",
        f"/console/leads/{HUGE}/hours",
        f"/console/leads/1/hours/{HUGE}/edit",
        f"/console/leads/1/hours/{TOO_BIG}/delete",
        f"/console/leads/{HUGE}/attestation",
        f"/console/missions/M001/creneaux/{HUGE}/places",
        f"/console/missions/M001/creneaux/{TOO_BIG}/annuler",
        f"/console/leads/{HUGE}/status",  # the older forms, the same way
        f"/console/leads/{HUGE}/assign",
        f"/console/leads/{HUGE}/notes",
        f"/console/leads/{TOO_BIG}/edit",
        f"/console/leads/{HUGE}/erase",
        f"/console/handoffs/{HUGE}/traitee",
        f"/console/admin/staff/{HUGE}/supprimer",
    ],
)
def test_a_huge_id_in_a_new_form_address_is_refused_not_a_500(admin: TestClient, path: str) -> None:  # noqa: F811
    token = csrf_of(admin.get("/console/missions/M001").text)
    response = admin.post(path, data={"csrf_token": token, "hours": "2", "places": "3"}, follow_redirects=False)
    assert response.status_code in (400, 404), response.status_code


# --------------------------------------------------------------------------- hours typed in the chat


def test_hundreds_of_digits_typed_as_hours_are_unclear_not_a_crash(app_database: str) -> None:  # noqa: F811
    with session_scope(app_database) as session:
        volunteer_id, first, _ = _two_shifts_one_day(session, sender_id="test-sender")
    slots = {"follow_up_step": "checkin_minutes", "follow_up_pending": True, "follow_up_signup": first}
    for text in ("9" * 400 + " h", "9" * 400 + " minutes", "1" * 1990):
        events, said = _run(follow_up.ActionFollowUpAnswer(), text, slots=slots)
        assert said in (["utter_checkin_duration_unclear"], ["utter_checkin_duration_out_of_range"]), said
        assert events["follow_up_step"] == "checkin_minutes"
    with session_scope(app_database) as session:
        assert _logged(session, volunteer_id) == 0
