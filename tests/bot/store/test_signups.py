"""Sign-ups in the store: places taken by one conditional UPDATE, again after a cancellation, freed, raced for."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from bot.store import models
from bot.store import signups as signup_store
from bot.store.session import session_scope

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
STARTS = datetime(2026, 12, 12, 8, 0, tzinfo=timezone.utc)  # Saturday 9:00 in Paris


def _shift(url: str, *, places: int = 2, starts_at: datetime = STARTS, status: str = "open") -> int:
    with session_scope(url) as session:
        if session.get(models.Mission, "M1") is None:
            session.add(models.Mission(id="M1", title="Colis", status=status))
            session.flush()
        shift = models.Shift(
            mission_id="M1", starts_at=starts_at, ends_at=starts_at + timedelta(hours=3), places=places, taken=0
        )
        session.add(shift)
        session.flush()
        return int(shift.id)


def _volunteer(url: str, sender_id: str) -> int:
    with session_scope(url) as session:
        volunteer = models.Volunteer(channel="rest", sender_id=sender_id, first_name="Julie", age_group="adult")
        session.add(volunteer)
        session.flush()
        return int(volunteer.id)


def _sign_up(url: str, shift_id: int, volunteer_id: int, now: datetime = NOW) -> signup_store.SignupResult:
    with session_scope(url) as session:
        return signup_store.sign_up(session, shift_id=shift_id, volunteer_id=volunteer_id, now=now)


def _cancel(url: str, signup_id: int, volunteer_id: int | None, now: datetime = NOW) -> signup_store.CancelResult:
    with session_scope(url) as session:
        return signup_store.cancel(session, signup_id=signup_id, volunteer_id=volunteer_id, by="volunteer", now=now)


def _taken(url: str, shift_id: int) -> int:
    with session_scope(url) as session:
        return int(session.get(models.Shift, shift_id).taken)


def test_a_sign_up_takes_a_place_and_a_second_one_is_already(database_url: str) -> None:
    shift_id, julie = _shift(database_url), _volunteer(database_url, "s1")
    first = _sign_up(database_url, shift_id, julie)
    assert first.ok and first.signup_id is not None
    assert _sign_up(database_url, shift_id, julie) == signup_store.SignupResult("already", first.signup_id)
    assert _taken(database_url, shift_id) == 1
    with session_scope(database_url) as session:
        row = session.get(models.Signup, first.signup_id)
        assert (row.status, row.volunteer_id) == ("confirmed", julie)


def test_full_past_cancelled_and_unknown_shifts_are_refused_with_nothing_written(database_url: str) -> None:
    full = _shift(database_url, places=1)
    past = _shift(database_url, starts_at=NOW - timedelta(hours=1))
    cancelled = _shift(database_url, starts_at=STARTS + timedelta(days=7))
    with session_scope(database_url) as session:
        session.get(models.Shift, cancelled).cancelled_at = NOW
    julie, paul = _volunteer(database_url, "s1"), _volunteer(database_url, "s2")
    assert _sign_up(database_url, full, julie).ok
    assert _sign_up(database_url, full, paul).status == "full"
    assert _sign_up(database_url, past, paul).status == "past"
    assert _sign_up(database_url, cancelled, paul).status == "cancelled"
    assert _sign_up(database_url, 9999, paul).status == "unknown"
    with session_scope(database_url) as session:
        assert session.query(models.Signup).count() == 1
    assert (_taken(database_url, full), _taken(database_url, past), _taken(database_url, cancelled)) == (1, 0, 0)


def test_a_started_shift_counts_as_past(database_url: str) -> None:
    shift_id, julie = _shift(database_url), _volunteer(database_url, "s1")
    assert _sign_up(database_url, shift_id, julie, now=STARTS).status == "past"


def test_a_closed_mission_takes_no_sign_up(database_url: str) -> None:
    shift_id, julie = _shift(database_url, status="closed"), _volunteer(database_url, "s1")
    assert _sign_up(database_url, shift_id, julie).status == "cancelled"
    assert _taken(database_url, shift_id) == 0


def test_cancelling_frees_the_place_and_signing_up_again_reactivates_the_row(database_url: str) -> None:
    shift_id, julie = _shift(database_url, places=1), _volunteer(database_url, "s1")
    signup_id = _sign_up(database_url, shift_id, julie).signup_id
    assert signup_id is not None
    assert _cancel(database_url, signup_id, julie) == signup_store.CancelResult("ok", signup_id, shift_id)
    assert _taken(database_url, shift_id) == 0
    assert _cancel(database_url, signup_id, julie).status == "already"
    assert _taken(database_url, shift_id) == 0  # never twice
    with session_scope(database_url) as session:
        row = session.get(models.Signup, signup_id)
        assert (row.status, row.cancelled_by) == ("cancelled", "volunteer")
        row.reminder_sent_at = NOW  # what followed the first sign-up is forgotten when signing up again
    again = _sign_up(database_url, shift_id, julie)
    assert again == signup_store.SignupResult("ok", signup_id)
    with session_scope(database_url) as session:
        row = session.get(models.Signup, signup_id)
        assert (row.status, row.cancelled_at, row.cancelled_by, row.reminder_sent_at) == ("confirmed", None, None, None)
    assert _taken(database_url, shift_id) == 1


def test_cancelling_someone_elses_or_a_started_sign_up_changes_nothing(database_url: str) -> None:
    shift_id, julie, paul = _shift(database_url), _volunteer(database_url, "s1"), _volunteer(database_url, "s2")
    signup_id = _sign_up(database_url, shift_id, julie).signup_id
    assert signup_id is not None
    assert _cancel(database_url, signup_id, paul).status == "unknown"
    assert _cancel(database_url, 9999, julie).status == "unknown"
    assert _cancel(database_url, signup_id, julie, now=STARTS).status == "too_late"
    assert _cancel(database_url, signup_id, julie, now=STARTS + timedelta(days=1)).status == "too_late"
    assert _taken(database_url, shift_id) == 1
    with session_scope(database_url) as session:
        assert session.get(models.Signup, signup_id).status == "confirmed"


def test_a_counter_already_at_zero_never_goes_below(database_url: str) -> None:
    shift_id, julie = _shift(database_url), _volunteer(database_url, "s1")
    signup_id = _sign_up(database_url, shift_id, julie).signup_id
    with session_scope(database_url) as session:
        session.get(models.Shift, shift_id).taken = 0  # e.g. fixed by hand
    assert _cancel(database_url, signup_id or 0, julie).ok
    assert _taken(database_url, shift_id) == 0


def test_upcoming_for_lists_confirmed_sign_ups_ahead_earliest_first(database_url: str) -> None:
    later = _shift(database_url, starts_at=STARTS + timedelta(days=7))
    sooner = _shift(database_url)
    past = _shift(database_url, starts_at=NOW - timedelta(days=1))
    dropped = _shift(database_url, starts_at=STARTS + timedelta(days=14))
    julie = _volunteer(database_url, "s1")
    for shift_id in (later, sooner, dropped):
        assert _sign_up(database_url, shift_id, julie).ok
    with session_scope(database_url) as session:
        session.add(models.Signup(shift_id=past, volunteer_id=julie, status="confirmed"))
    dropped_signup = _sign_up(database_url, dropped, julie).signup_id
    assert _cancel(database_url, dropped_signup or 0, julie).ok
    with session_scope(database_url) as session:
        found = signup_store.upcoming_for(session, volunteer_id=julie, now=NOW)
        assert [s.shift_id for s in found] == [sooner, later]
        assert found[0].shift.mission.title == "Colis"


def test_two_people_racing_for_the_last_place_exactly_one_wins(database_url: str) -> None:
    shift_id = _shift(database_url, places=1)
    people = [_volunteer(database_url, f"s{n}") for n in range(6)]
    start = threading.Barrier(len(people))
    results: list[str] = []

    def run(volunteer_id: int) -> None:
        start.wait()
        results.append(_sign_up(database_url, shift_id, volunteer_id).status)

    threads = [threading.Thread(target=run, args=(v,)) for v in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["full"] * 5 + ["ok"]
    assert _taken(database_url, shift_id) == 1
    with session_scope(database_url) as session:
        assert session.query(models.Signup).count() == 1


def test_the_same_person_clicking_twice_at_once_takes_one_place(database_url: str) -> None:
    shift_id, julie = _shift(database_url, places=3), _volunteer(database_url, "s1")
    start = threading.Barrier(2)
    results: list[str] = []

    def run() -> None:
        start.wait()
        results.append(_sign_up(database_url, shift_id, julie).status)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already", "ok"]
    assert _taken(database_url, shift_id) == 1


def test_an_erasure_gives_back_the_places_its_sign_ups_held(database_url: str) -> None:
    from bot.store import volunteers

    shift_id = _shift(database_url, places=2)
    erased, kept = _volunteer(database_url, "erased"), _volunteer(database_url, "kept")
    cancelled = _sign_up(database_url, shift_id, erased).signup_id
    assert cancelled is not None
    _cancel(database_url, cancelled, erased)
    _sign_up(database_url, shift_id, erased)  # signed up again
    _sign_up(database_url, shift_id, kept)
    assert _taken(database_url, shift_id) == 2
    with session_scope(database_url) as session:
        volunteers.forget(session, sender_id="erased")
    assert _taken(database_url, shift_id) == 1  # the other person's place stays taken
