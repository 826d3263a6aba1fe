"""Dated shifts in the store: series unfolded (idempotent, DST, horizon), re-import keeping sign-ups, cancellation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.errors import InvalidDataError
from bot.missions import Mission, ShiftPlan
from bot.shifts import label, unfold_series
from bot.store import missions, models
from bot.store import shifts as shift_store
from bot.store.retention import as_utc
from bot.store.session import session_scope

ZONE = "Europe/Paris"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)  # a Friday
SATURDAYS = ShiftPlan(start=time(9), end=time(12), places=4, every="saturday")
PARTY = ShiftPlan(start=time(14), end=time(18), places=10, on=date(2027, 1, 9))


def _mission(shifts: tuple[ShiftPlan, ...] | None) -> Mission:
    return Mission(id="M900", title="Colis", places_total=5, shifts=shifts)


def _import(url: str, shifts: tuple[ShiftPlan, ...] | None, now: datetime = NOW) -> list[int]:
    with session_scope(url) as session:
        return missions.import_missions(session, [_mission(shifts)], now=now).cancelled_signups


def _starts(url: str) -> list[datetime]:
    with session_scope(url) as session:
        rows = session.scalars(select(models.Shift.starts_at).where(models.Shift.cancelled_at.is_(None)))
        return sorted(as_utc(moment) for moment in rows)


def _volunteer(session: object, sender_id: str) -> int:
    volunteer = models.Volunteer(channel="rest", sender_id=sender_id, first_name="Julie", age_group="adult")
    session.add(volunteer)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    return int(volunteer.id)


def _sign_up(url: str, starts_at: datetime, sender_id: str = "s1") -> int:
    """A confirmed sign-up, as part B's store makes it (taken + 1, one signup row)."""
    with session_scope(url) as session:
        shift = session.scalars(select(models.Shift).where(models.Shift.starts_at == starts_at)).one()
        signup = models.Signup(shift_id=shift.id, volunteer_id=_volunteer(session, sender_id), status="confirmed")
        session.add(signup)
        shift.taken += 1
        session.flush()
        return int(signup.id)


def test_a_series_unfolds_every_week_up_to_the_horizon_at_local_time(database_url: str) -> None:
    _import(database_url, (SATURDAYS,))
    starts = _starts(database_url)
    # Four weeks from Friday 4 December (up to 1 January): the Saturdays 5, 12, 19 and 26 December.
    assert [moment.date() for moment in starts] == [
        date(2026, 12, 5), date(2026, 12, 12), date(2026, 12, 19), date(2026, 12, 26)
    ]  # fmt: skip
    assert {moment.time() for moment in starts} == {time(8)}  # 9:00 in Paris in winter is 8:00 UTC
    assert label(starts[0], starts[0] + timedelta(hours=3), ZONE) == "samedi 5 décembre, 9 h–12 h"


def test_unfolding_is_idempotent_and_adds_only_what_the_horizon_brings(database_url: str) -> None:
    _import(database_url, (SATURDAYS,))
    with session_scope(database_url) as session:
        assert shift_store.unfold(session, now=NOW, zone=ZONE, horizon_weeks=4) == 0
        assert shift_store.unfold(session, now=NOW + timedelta(days=7), zone=ZONE, horizon_weeks=4) == 1
        total = session.scalar(select(func.count()).select_from(models.Shift))
    assert total == 5


def test_two_processes_unfolding_at_once_insert_each_shift_once(database_url: str) -> None:
    with session_scope(database_url) as session:
        session.add(models.Mission(id="M900", title="Colis"))
        session.add(
            models.ShiftSeries(mission_id="M900", day="saturday", start_time="09:00", end_time="12:00", places=2,
                               starts_on=date(2026, 12, 1))
        )  # fmt: skip
    first, second = session_scope(database_url), session_scope(database_url)
    with first as one, second as two:
        added = shift_store.unfold(one, now=NOW, zone=ZONE, horizon_weeks=2)
        one.commit()
        added += shift_store.unfold(two, now=NOW, zone=ZONE, horizon_weeks=2)
    assert added == 2
    assert len(_starts(database_url)) == 2


def test_the_job_unfolds_with_the_settings(settings: object) -> None:
    url = settings.database_url  # type: ignore[attr-defined]
    _import(url, (SATURDAYS,), now=NOW)
    with session_scope(url) as session:
        session.execute(models.Shift.__table__.delete())
    assert unfold_series(settings, now=NOW) == 4  # type: ignore[arg-type]
    assert unfold_series(settings, now=NOW) == 0  # type: ignore[arg-type]


def test_daylight_saving_time_keeps_the_local_hour(database_url: str) -> None:
    spring = datetime(2027, 3, 20, 12, tzinfo=timezone.utc)  # clocks go forward on Sunday 28 March 2027
    series = ShiftPlan(start=time(9), end=time(12), places=1, every="sunday", ends_on=date(2027, 4, 4))
    _import(database_url, (series,), now=spring)
    starts = _starts(database_url)
    assert starts == [
        datetime(2027, 3, 21, 8, tzinfo=timezone.utc),  # 9:00 CET
        datetime(2027, 3, 28, 7, tzinfo=timezone.utc),  # 9:00 CEST
        datetime(2027, 4, 4, 7, tzinfo=timezone.utc),  # the series' last day
    ]


def test_reimport_keeps_shifts_and_sign_ups_and_cancels_those_gone(database_url: str) -> None:
    _import(database_url, (SATURDAYS, PARTY))
    first_saturday = datetime(2026, 12, 5, 8, tzinfo=timezone.utc)
    party = datetime(2027, 1, 9, 13, tzinfo=timezone.utc)
    signup = _sign_up(database_url, first_saturday)
    with session_scope(database_url) as session:
        kept_id = session.scalars(select(models.Shift.id).where(models.Shift.starts_at == first_saturday)).one()

    assert _import(database_url, (SATURDAYS, PARTY)) == []  # the same file again: nothing changes
    with session_scope(database_url) as session:
        shift = session.get(models.Shift, kept_id)
        assert shift is not None and shift.taken == 1 and shift.cancelled_at is None
        assert session.get(models.Signup, signup).status == "confirmed"
    assert party in _starts(database_url)

    # The series leaves the file: its shift with a sign-up is cancelled (and returned to tell), the others deleted.
    assert _import(database_url, (PARTY,)) == [signup]
    with session_scope(database_url) as session:
        shift = session.get(models.Shift, kept_id)
        assert shift is not None and shift.cancelled_at is not None and shift.taken == 0
        cancelled = session.get(models.Signup, signup)
        assert cancelled is not None and (cancelled.status, cancelled.cancelled_by) == ("cancelled", "shift")
        assert session.scalar(select(func.count()).select_from(models.ShiftSeries)) == 0
    assert _starts(database_url) == [party]


def test_a_mission_without_shifts_in_the_file_keeps_those_made_in_the_console(database_url: str) -> None:
    _import(database_url, (PARTY,))
    _import(database_url, None)
    assert len(_starts(database_url)) == 1
    _import(database_url, ())  # "shifts: []": removed
    assert _starts(database_url) == []


def test_reimport_refuses_fewer_places_than_taken_and_writes_nothing(database_url: str) -> None:
    _import(database_url, (PARTY,))
    party = datetime(2027, 1, 9, 13, tzinfo=timezone.utc)
    _sign_up(database_url, party, "s1")
    _sign_up(database_url, party, "s2")
    smaller = ShiftPlan(start=time(14), end=time(18), places=1, on=date(2027, 1, 9))
    with pytest.raises(InvalidDataError, match="2 personne\\(s\\) inscrite\\(s\\)"):
        _import(database_url, (smaller,))
    with session_scope(database_url) as session:
        assert session.scalars(select(models.Shift.places)).one() == 10


def test_cancel_shift_returns_confirmed_sign_ups_once(database_url: str) -> None:
    _import(database_url, (PARTY,))
    party = datetime(2027, 1, 9, 13, tzinfo=timezone.utc)
    signup = _sign_up(database_url, party)
    with session_scope(database_url) as session:
        shift_id = session.scalars(select(models.Shift.id)).one()
        assert shift_store.cancel_shift(session, shift_id=shift_id, now=NOW) == [signup]
        assert shift_store.cancel_shift(session, shift_id=shift_id, now=NOW) == []
        assert shift_store.upcoming(session, mission_id="M900", now=NOW) == []


def test_places_and_upcoming(database_url: str) -> None:
    _import(database_url, (SATURDAYS,))
    with session_scope(database_url) as session:
        shifts = shift_store.upcoming(session, mission_id="M900", now=NOW, until=NOW + timedelta(days=10))
        assert len(shifts) == 2
        assert shift_store.places_left(shifts[0]) == 4
        shift_store.set_places(session, shift_id=shifts[0].id, places=6, now=NOW)
        assert shift_store.places_left(shifts[0]) == 6
        with pytest.raises(InvalidDataError):
            shift_store.set_places(session, shift_id=shifts[0].id, places=0, now=NOW)


def test_set_places_refuses_below_taken(database_url: str) -> None:
    _import(database_url, (PARTY,))
    party = datetime(2027, 1, 9, 13, tzinfo=timezone.utc)
    _sign_up(database_url, party, "s1")
    _sign_up(database_url, party, "s2")
    with session_scope(database_url) as session:
        shift_id = session.scalars(select(models.Shift.id)).one()
        with pytest.raises(InvalidDataError, match="2 personne"):
            shift_store.set_places(session, shift_id=shift_id, places=1, now=NOW)


def test_add_one_off_refuses_the_past_and_a_second_shift_at_the_same_time(database_url: str) -> None:
    _import(database_url, ())
    with session_scope(database_url) as session:
        with pytest.raises(InvalidDataError, match="passée"):
            shift_store.add_one_off(
                session, mission_id="M900", plan=ShiftPlan(time(9), time(12), 2, on=date(2026, 12, 1)), now=NOW,
                zone=ZONE,
            )  # fmt: skip
        shift_store.add_one_off(session, mission_id="M900", plan=PARTY, now=NOW, zone=ZONE)
        with pytest.raises(InvalidDataError, match="déjà un créneau"):
            shift_store.add_one_off(session, mission_id="M900", plan=PARTY, now=NOW, zone=ZONE)


def test_open_missions_carry_their_openings_in_the_horizon(database_url: str) -> None:
    _import(database_url, (SATURDAYS, PARTY))
    with session_scope(database_url) as session:
        session.add(models.Mission(id="M901", title="Sans dates"))
        session.flush()
        found = {mission.id: mission for mission in missions.open_missions(session, now=NOW)}
    assert found["M901"].dated is False and found["M901"].openings == ()
    dated = found["M900"]
    assert dated.dated is True
    assert [opening.label for opening in dated.openings] == [
        "samedi 5 décembre, 9 h–12 h",
        "samedi 12 décembre, 9 h–12 h",
        "samedi 19 décembre, 9 h–12 h",
        "samedi 26 décembre, 9 h–12 h",
    ]  # fmt: skip  (9 January is beyond the four weeks)
    assert {opening.places_left for opening in dated.openings} == {4}


def test_a_date_cancelled_in_the_console_stays_cancelled_at_the_next_import(database_url: str) -> None:
    _import(database_url, (PARTY,))
    with session_scope(database_url) as session:
        shift_id = session.scalars(select(models.Shift.id)).one()
        shift_store.cancel_shift(session, shift_id=shift_id, now=NOW)
    assert _import(database_url, (PARTY,)) == []
    assert _starts(database_url) == []
    with session_scope(database_url) as session:  # added again by hand in the console: open again
        again = shift_store.add_one_off(session, mission_id="M900", plan=PARTY, now=NOW, zone=ZONE)
        assert (again.id, again.cancelled_at, again.places) == (shift_id, None, 10)


def test_stop_series_removes_its_dates_from_a_day_and_returns_the_sign_ups_to_tell(database_url: str) -> None:
    _import(database_url, (SATURDAYS,))
    signup = _sign_up(database_url, datetime(2026, 12, 19, 8, tzinfo=timezone.utc))
    with session_scope(database_url) as session:
        series_id = session.scalars(select(models.ShiftSeries.id)).one()
        with pytest.raises(InvalidDataError, match="la date est passée"):
            shift_store.stop_series(session, series_id=series_id, from_day=date(2026, 12, 3), now=NOW, zone=ZONE)
        assert shift_store.stopping_count(
            session, series_id=series_id, from_day=date(2026, 12, 12), now=NOW, zone=ZONE
        ) == (3, 1)
        cancelled = shift_store.stop_series(
            session, series_id=series_id, from_day=date(2026, 12, 12), now=NOW, zone=ZONE
        )
        assert cancelled == [signup]
        assert session.get(models.ShiftSeries, series_id).ends_on == date(2026, 12, 11)
        shift_store.unfold(session, now=NOW + timedelta(days=7), zone=ZONE, horizon_weeks=4)
    # 5 December stays; 19 December is kept cancelled (its sign-up told); 12 and 26 December are gone
    assert [moment.date() for moment in _starts(database_url)] == [date(2026, 12, 5)]
    with session_scope(database_url) as session:
        rows = session.execute(
            select(models.Shift.starts_at, models.Shift.cancelled_at).order_by(models.Shift.starts_at)
        )
        assert [(as_utc(start).date(), cancelled is not None) for start, cancelled in rows] == [
            (date(2026, 12, 5), False), (date(2026, 12, 19), True)
        ]  # fmt: skip


def test_shift_volunteers_lists_who_signed_up_to_the_missions_dates(database_url: str) -> None:
    from bot.store import staffing, volunteers

    _import(database_url, (SATURDAYS,))
    later = _sign_up(database_url, datetime(2026, 12, 19, 8, tzinfo=timezone.utc), "s-later")
    _sign_up(database_url, datetime(2026, 12, 12, 8, tzinfo=timezone.utc), "s-sooner")
    with session_scope(database_url) as session:
        session.get(models.Signup, later).status = "cancelled"
        found = staffing.shift_volunteers(session, mission_id="M900", now=NOW)
        assert [(one.volunteer.sender_id, one.upcoming, one.attended) for one in found] == [("s-sooner", 1, 0)]
        assert as_utc(found[0].next_start) == datetime(2026, 12, 12, 8, tzinfo=timezone.utc)  # type: ignore[arg-type]
        assert volunteers.applicants(session, mission_id="M900") == {found[0].volunteer.id}
