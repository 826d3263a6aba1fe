"""The hours log in the store: check-in hours once, absences without blame, staff entries, totals."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.errors import InvalidDataError, NotFoundError
from bot.store import hours, models
from bot.store.session import session_scope

ZONE = "Europe/Paris"
# Saturday 5 December 2026, 23:00-01:00 in Paris: the shift's local day is the 5th, not the UTC 5th/6th.
STARTS = datetime(2026, 12, 5, 22, 0, tzinfo=timezone.utc)
ENDS = STARTS + timedelta(hours=2)
AFTER = ENDS + timedelta(hours=1)


def _seed(session: Session, *, status: str = "confirmed", starts: datetime = STARTS) -> tuple[int, int]:
    """A mission, a shift, a volunteer signed up: (volunteer id, signup id)."""
    if session.get(models.Mission, "M900") is None:
        session.add(models.Mission(id="M900", title="Colis du samedi"))
    volunteer = models.Volunteer(
        channel="rest", sender_id=f"s{starts.timestamp()}", first_name="Julie", age_group="adult"
    )
    shift = models.Shift(mission_id="M900", starts_at=starts, ends_at=starts + timedelta(hours=2), places=3, taken=1)
    session.add_all([volunteer, shift])
    session.flush()
    signup = models.Signup(shift_id=shift.id, volunteer_id=volunteer.id, status=status)
    session.add(signup)
    session.flush()
    return int(volunteer.id), int(signup.id)


def test_a_check_in_records_the_hours_once_on_the_shifts_local_day(database_url: str) -> None:
    with session_scope(database_url) as session:
        volunteer_id, signup_id = _seed(session)
        outcome = hours.record_checkin_hours(session, signup_id=signup_id, minutes=150, now=AFTER, zone=ZONE)
    assert outcome.ok and outcome.entry_id is not None
    with session_scope(database_url) as session:
        entry = session.get(models.HoursEntry, outcome.entry_id)
        assert entry is not None
        assert (entry.day, entry.minutes, entry.source, entry.mission_id, entry.mission_title) == (
            date(2026, 12, 5), 150, "checkin", "M900", "Colis du samedi"
        )  # fmt: skip
        assert session.get(models.Signup, signup_id).status == "attended"
        again = hours.record_checkin_hours(session, signup_id=signup_id, minutes=60, now=AFTER, zone=ZONE)
        assert again.status == hours.ALREADY
        assert session.scalar(select(func.count()).select_from(models.HoursEntry)) == 1
        assert (
            hours.minutes_between(session, volunteer_id=volunteer_id, start=date(2026, 1, 1), end=date(2026, 12, 31))
            == 150
        )


@pytest.mark.parametrize("minutes", [0, -30, 1441, 10_000])
def test_hours_out_of_range_are_refused_and_nothing_is_written(database_url: str, minutes: int) -> None:
    with session_scope(database_url) as session:
        _, signup_id = _seed(session)
        outcome = hours.record_checkin_hours(session, signup_id=signup_id, minutes=minutes, now=AFTER, zone=ZONE)
        assert outcome.status == hours.INVALID_MINUTES
        assert session.get(models.Signup, signup_id).status == "confirmed"
        assert session.scalar(select(func.count()).select_from(models.HoursEntry)) == 0


def test_a_check_in_is_refused_before_the_end_for_a_cancelled_or_unknown_sign_up(database_url: str) -> None:
    with session_scope(database_url) as session:
        _, signup_id = _seed(session)
        _, cancelled_id = _seed(session, status="cancelled", starts=STARTS - timedelta(days=7))
        during = STARTS + timedelta(hours=1)
        assert (
            hours.record_checkin_hours(session, signup_id=signup_id, minutes=60, now=during).status == hours.NOT_ENDED
        )
        assert (
            hours.record_checkin_hours(session, signup_id=cancelled_id, minutes=60, now=AFTER).status == hours.CANCELLED
        )
        assert hours.record_checkin_hours(session, signup_id=999_999, minutes=60, now=AFTER).status == hours.UNKNOWN
        assert session.scalar(select(func.count()).select_from(models.HoursEntry)) == 0


def test_an_absence_frees_nothing_and_staff_may_correct_it_either_way(database_url: str) -> None:
    with session_scope(database_url) as session:
        volunteer_id, signup_id = _seed(session)
        assert (
            hours.mark_no_show(session, signup_id=signup_id, now=STARTS - timedelta(hours=1)).status
            == hours.NOT_STARTED
        )
        assert hours.mark_no_show(session, signup_id=signup_id, now=AFTER).ok
        signup = session.get(models.Signup, signup_id)
        assert signup is not None and signup.status == "no_show" and signup.shift.taken == 1
        assert hours.mark_no_show(session, signup_id=signup_id, now=AFTER).status == hours.ALREADY
        # A staff member marks the person present after all, then absent again: the hours follow.
        assert hours.record_checkin_hours(session, signup_id=signup_id, minutes=120, now=AFTER, staff_id=None).ok
        assert hours.mark_no_show(session, signup_id=signup_id, now=AFTER).status == hours.ALREADY  # not from the chat
        assert hours.mark_no_show(session, signup_id=signup_id, now=AFTER, staff_id=1).ok
        assert hours.log(session, volunteer_id=volunteer_id) == []


def test_staff_entries_are_checked_edited_and_deleted(database_url: str) -> None:
    with session_scope(database_url) as session:
        staff = models.StaffMember(email="a@b.fr", role="admin", password_hash="x")
        session.add(staff)
        volunteer_id, signup_id = _seed(session)
        session.flush()
        today = date(2026, 12, 10)
        with pytest.raises(InvalidDataError, match="futur"):
            hours.add_staff_hours(session, volunteer_id=volunteer_id, mission_id="M900", day=date(2026, 12, 11),
                                  minutes=60, staff_id=staff.id, today=today)  # fmt: skip
        with pytest.raises(InvalidDataError, match="24"):
            hours.add_staff_hours(session, volunteer_id=volunteer_id, mission_id="M900", day=today, minutes=0,
                                  staff_id=staff.id, today=today)  # fmt: skip
        with pytest.raises(InvalidDataError, match="mission"):
            hours.add_staff_hours(session, volunteer_id=volunteer_id, mission_id="M404", day=today, minutes=60,
                                  staff_id=staff.id, today=today)  # fmt: skip
        entry = hours.add_staff_hours(session, volunteer_id=volunteer_id, mission_id="M900", day=date(2025, 6, 1),
                                      minutes=90, staff_id=staff.id, today=today)  # fmt: skip
        checkin = hours.record_checkin_hours(session, signup_id=signup_id, minutes=120, now=AFTER, zone=ZONE)
        assert [e.id for e in hours.log(session, volunteer_id=volunteer_id)] == [checkin.entry_id, entry.id]
        assert hours.by_year(session, volunteer_id=volunteer_id) == [(2026, 120), (2025, 90)]
        hours.edit(session, entry_id=entry.id, minutes=100, staff_id=staff.id, volunteer_id=volunteer_id)
        with pytest.raises(InvalidDataError):
            hours.edit(session, entry_id=entry.id, minutes=1441, staff_id=staff.id)
        with pytest.raises(NotFoundError):
            hours.edit(session, entry_id=entry.id, minutes=60, staff_id=staff.id, volunteer_id=volunteer_id + 1)
        assert hours.missions_between(session, volunteer_id=volunteer_id, start=date(2025, 1, 1), end=today) == [
            ("Colis du samedi", 220)
        ]
        # Deleting a check-in's hours puts its sign-up back to "confirmed": attendance can be recorded again.
        assert checkin.entry_id is not None
        hours.delete(session, entry_id=checkin.entry_id, staff_id=staff.id, volunteer_id=volunteer_id)
        assert session.get(models.Signup, signup_id).status == "confirmed"
        assert hours.by_year(session, volunteer_id=volunteer_id) == [(2025, 100)]


def test_mission_attendance_and_totals(database_url: str) -> None:
    with session_scope(database_url) as session:
        _, came = _seed(session)
        _, absent = _seed(session, starts=STARTS - timedelta(days=7))
        _, ahead = _seed(session, starts=STARTS + timedelta(days=7))
        hours.record_checkin_hours(session, signup_id=came, minutes=120, now=AFTER, zone=ZONE)
        hours.mark_no_show(session, signup_id=absent, now=AFTER)
        signup = session.get(models.Signup, came)
        assert signup is not None
        signup.rating = 4
        session.flush()
        upcoming, past = hours.attendance(session, mission_id="M900", now=AFTER)
        assert [a.signup.id for item in upcoming for a in item.attendees] == [ahead]
        assert [a.signup.id for item in past for a in item.attendees] == [came, absent]
        assert past[0].attendees[0].entry is not None and past[0].attendees[0].entry.minutes == 120
        totals = hours.mission_totals(session, mission_id="M900")
        assert (totals.minutes, totals.attended, totals.absent, totals.attendance_rate) == (120, 1, 1, 0.5)
        assert totals.average_rating == 4.0


def test_hours_are_erased_with_the_volunteer(database_url: str) -> None:
    with session_scope(database_url) as session:
        volunteer_id, signup_id = _seed(session)
        hours.record_checkin_hours(session, signup_id=signup_id, minutes=60, now=AFTER, zone=ZONE)
    with session_scope(database_url) as session:
        session.delete(session.get(models.Volunteer, volunteer_id))
    with session_scope(database_url) as session:
        assert session.scalar(select(func.count()).select_from(models.HoursEntry)) == 0


@pytest.mark.parametrize(("declared", "counted"), [(180, 180), (181, 120), (1440, 120)])
def test_a_check_in_far_above_the_planned_length_counts_the_planned_length_until_staff_accept_it(
    database_url: str, declared: int, counted: int
) -> None:
    year = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
    with session_scope(database_url) as session:
        volunteer_id, signup_id = _seed(session)  # a 2-hour shift: up to 3 hours are taken as said
        outcome = hours.record_checkin_hours(session, signup_id=signup_id, minutes=declared, now=AFTER, zone=ZONE)
        assert outcome.ok and outcome.entry_id is not None
        entry = session.get(models.HoursEntry, outcome.entry_id)
        assert entry is not None and entry.minutes == declared  # recorded as declared
        assert entry.counted_minutes == (None if declared == counted else 120)
        assert outcome.counted_minutes == entry.counted_minutes  # what the chat tells the volunteer
        assert hours.minutes_between(session, volunteer_id=volunteer_id, **year) == counted
        assert hours.pending_between(session, volunteer_id=volunteer_id, **year) == declared - counted
        assert hours.missions_between(session, volunteer_id=volunteer_id, **year) == [("Colis du samedi", counted)]
        assert hours.by_year(session, volunteer_id=volunteer_id) == [(2026, counted)]
        if declared == counted:
            with pytest.raises(InvalidDataError, match="pas à vérifier"):
                hours.accept(session, entry_id=entry.id, staff_id=1, volunteer_id=volunteer_id)
            return
        with pytest.raises(NotFoundError):
            hours.accept(session, entry_id=entry.id, staff_id=1, volunteer_id=volunteer_id + 1)
        hours.accept(session, entry_id=entry.id, staff_id=1, volunteer_id=volunteer_id)
        assert hours.minutes_between(session, volunteer_id=volunteer_id, **year) == declared
        assert hours.pending_between(session, volunteer_id=volunteer_id, **year) == 0


def test_hours_marked_present_or_corrected_by_staff_are_trusted(database_url: str) -> None:
    year = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
    with session_scope(database_url) as session:
        volunteer_id, signup_id = _seed(session)
        staff = models.StaffMember(email="staff@example.org", password_hash="x", role="admin")
        session.add(staff)
        session.flush()
        present = hours.record_checkin_hours(
            session, signup_id=signup_id, minutes=600, now=AFTER, zone=ZONE, staff_id=staff.id
        )
        assert present.entry_id is not None
        assert hours.minutes_between(session, volunteer_id=volunteer_id, **year) == 600
        later = STARTS + timedelta(days=1)
        other_volunteer, other_signup = _seed(session, starts=later)
        declared = hours.record_checkin_hours(
            session, signup_id=other_signup, minutes=600, now=later + timedelta(hours=3), zone=ZONE
        )
        assert declared.entry_id is not None
        assert hours.minutes_between(session, volunteer_id=other_volunteer, **year) == 120
        hours.edit(session, entry_id=declared.entry_id, minutes=540, staff_id=staff.id)
        assert hours.minutes_between(session, volunteer_id=other_volunteer, **year) == 540
