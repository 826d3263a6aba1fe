"""Reminders the day before, their one follow-up, check-ins after, yearly summaries (bot.reminders), clock moved."""

from __future__ import annotations

import dataclasses
import threading
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import reminders
from bot.background import JOBS
from bot.config import Settings
from bot.errors import AssistantUnavailableError
from bot.store import models
from bot.store.session import session_scope
from bot.store.volunteers import forget

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(timezone.utc)


def configured(url: str) -> Settings:
    return dataclasses.replace(
        Settings(),
        database_url=url,
        tracker_store_url=url,
        timezone="Europe/Paris",
        reminder_hour=18,
        reminder_followup_hours=4,
        checkin_delay_minutes=60,
        association_name="Les Amis du Quai",
    )


class Recorder:
    """Stands in for trigger_intent: what each person was sent; can fail for some senders."""

    def __init__(self, *, unavailable: bool = False, failing: frozenset[str] = frozenset()) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.unavailable = unavailable
        self.failing = failing
        self.lock = threading.Lock()

    def __call__(self, settings: Settings, *, sender_id: str, intent: str, entities: dict[str, Any]) -> None:
        if self.unavailable:
            raise AssistantUnavailableError("down")
        if sender_id in self.failing:
            raise RuntimeError("boom")
        with self.lock:
            self.calls.append((sender_id, intent, entities))


def add_signup(
    url: str,
    *,
    starts: datetime,
    hours: int = 3,
    sender: str = "julie",
    channel: str = "telegram",
    email: str | None = None,
    created: datetime | None = None,
) -> int:
    with session_scope(url) as session:
        if session.get(models.Mission, "M1") is None:
            session.add(models.Mission(id="M1", title="Préparation des colis", address="12 rue du Port, Lyon"))
        volunteer = session.execute(
            select(models.Volunteer).where(models.Volunteer.sender_id == sender)
        ).scalar_one_or_none()
        if volunteer is None:
            volunteer = models.Volunteer(
                channel=channel, sender_id=sender, first_name="Julie", email=email, age_group="adult"
            )
            session.add(volunteer)
        shift = session.execute(
            select(models.Shift).where(models.Shift.starts_at == starts)
        ).scalar_one_or_none() or models.Shift(
            mission_id="M1", starts_at=starts, ends_at=starts + timedelta(hours=hours), places=10000, taken=0
        )
        session.add(shift)
        session.flush()
        signup = models.Signup(
            shift_id=shift.id, volunteer_id=volunteer.id, created_at=created or starts - timedelta(days=5)
        )
        session.add(signup)
        session.flush()
        return int(signup.id)


def due(url: str, kind: str, now: datetime) -> list[int]:
    with session_scope(url) as session:
        return reminders.DUE[kind](session, configured(url), now=now)


# --------------------------------------------------------------------------- due sets, clock moved


def test_a_reminder_is_due_the_day_before_from_the_reminder_hour(sqlite_url: str) -> None:
    saturday = add_signup(sqlite_url, starts=paris(2026, 12, 12, 9))
    late = add_signup(sqlite_url, starts=paris(2026, 12, 12, 14), sender="late", created=paris(2026, 12, 11, 18, 30))
    sunday = add_signup(sqlite_url, starts=paris(2026, 12, 13, 9), sender="paul")
    assert due(sqlite_url, reminders.REMINDER, paris(2026, 12, 11, 17, 59)) == []
    assert due(sqlite_url, reminders.REMINDER, paris(2026, 12, 11, 18, 0)) == [saturday]
    # signed up after the reminder hour: the confirmation was enough
    assert late not in due(sqlite_url, reminders.REMINDER, paris(2026, 12, 11, 23, 0))
    assert due(sqlite_url, reminders.REMINDER, paris(2026, 12, 12, 18, 0)) == [sunday]
    assert due(sqlite_url, reminders.REMINDER, paris(2026, 12, 12, 8, 0)) == []  # the next day is not "tomorrow"


def test_cancelled_shifts_and_signups_get_no_reminder(sqlite_url: str) -> None:
    one = add_signup(sqlite_url, starts=paris(2026, 12, 12, 9))
    two = add_signup(sqlite_url, starts=paris(2026, 12, 12, 14), sender="paul")
    with session_scope(sqlite_url) as session:
        session.get(models.Signup, one).status = "cancelled"
        session.get(models.Signup, two).shift.cancelled_at = paris(2026, 12, 10, 9)
    assert due(sqlite_url, reminders.REMINDER, paris(2026, 12, 11, 19)) == []


@pytest.mark.parametrize(
    ("evening", "inside", "outside"),
    [
        # spring forward (29 March 2026: 2:00 → 3:00): Sunday has 23 hours
        (paris(2026, 3, 28, 18), paris(2026, 3, 29, 0, 30), paris(2026, 3, 30, 0, 30)),
        (paris(2026, 3, 28, 18), paris(2026, 3, 29, 23, 30), paris(2026, 3, 28, 23, 30)),
        # fall back (25 October 2026: 3:00 → 2:00): Sunday has 25 hours
        (paris(2026, 10, 24, 18), paris(2026, 10, 25, 23, 30), paris(2026, 10, 26, 0, 15)),
        (paris(2026, 10, 24, 18), paris(2026, 10, 25, 0, 15), paris(2026, 10, 24, 23, 45)),
    ],
)
def test_tomorrow_is_the_local_day_across_a_change_of_time(
    sqlite_url: str, evening: datetime, inside: datetime, outside: datetime
) -> None:
    wanted = add_signup(sqlite_url, starts=inside, created=evening - timedelta(days=3))
    add_signup(sqlite_url, starts=outside, sender="paul", created=evening - timedelta(days=3))
    assert due(sqlite_url, reminders.REMINDER, evening) == [wanted]
    assert due(sqlite_url, reminders.REMINDER, evening - timedelta(minutes=1)) == []
    assert evening.astimezone(PARIS).hour == 18


@pytest.mark.parametrize(
    ("starts", "signed_up", "promised"),
    [
        (paris(2026, 12, 12, 9), paris(2026, 12, 9, 12), True),  # days ahead
        (paris(2026, 12, 12, 9), paris(2026, 12, 11, 17, 59), True),  # tomorrow, before the reminder hour
        (paris(2026, 12, 12, 9), paris(2026, 12, 11, 18, 30), False),  # tomorrow, past the hour
        (paris(2026, 12, 12, 0, 30), paris(2026, 12, 11, 19), False),  # just after midnight
        (paris(2026, 12, 12, 16), paris(2026, 12, 12, 9), False),  # today
        (paris(2026, 3, 29, 0, 30), paris(2026, 3, 27, 12), True),  # across a change of time
    ],
)
def test_a_reminder_is_promised_exactly_when_the_job_will_send_it(
    sqlite_url: str, starts: datetime, signed_up: datetime, promised: bool
) -> None:
    """ "Je vous enverrai un rappel la veille" (bot.reminders.reminder_ahead) follows the due set's own rule."""
    settings = configured(sqlite_url)
    signup = add_signup(sqlite_url, starts=starts, created=signed_up)
    assert reminders.reminder_ahead(settings, starts_at=starts, signed_up_at=signed_up) is promised
    sent_some_time = {
        moment
        for moment in (signed_up + timedelta(minutes=15 * n) for n in range(4 * 24 * 4))
        if moment < starts and signup in due(sqlite_url, reminders.REMINDER, moment)
    }
    assert bool(sent_some_time) is promised
    assert not reminders.reminder_ahead(settings, starts_at=starts, signed_up_at=signed_up, reminder_sent_at=starts)


def test_followup_and_checkin_are_due_at_their_time(sqlite_url: str) -> None:
    signup = add_signup(sqlite_url, starts=paris(2026, 12, 12, 9))
    with session_scope(sqlite_url) as session:
        session.get(models.Signup, signup).reminder_sent_at = paris(2026, 12, 11, 18)
    assert due(sqlite_url, reminders.FOLLOWUP, paris(2026, 12, 11, 21, 59)) == []
    assert due(sqlite_url, reminders.FOLLOWUP, paris(2026, 12, 11, 22)) == [signup]
    assert due(sqlite_url, reminders.FOLLOWUP, paris(2026, 12, 12, 9)) == []  # started
    assert due(sqlite_url, reminders.CHECKIN, paris(2026, 12, 12, 12, 59)) == []
    assert due(sqlite_url, reminders.CHECKIN, paris(2026, 12, 12, 13)) == [signup]
    assert due(sqlite_url, reminders.CHECKIN, paris(2026, 12, 20, 13)) == []  # too late to ask
    with session_scope(sqlite_url) as session:
        session.get(models.Signup, signup).reminder_answer = "yes"
    assert due(sqlite_url, reminders.FOLLOWUP, paris(2026, 12, 11, 22)) == []


# --------------------------------------------------------------------------- sending


def test_reminders_go_to_the_conversation_and_by_email_once(sqlite_url: str) -> None:
    settings = configured(sqlite_url)
    chat = add_signup(sqlite_url, starts=paris(2026, 12, 12, 9), email="julie@example.org")
    rest = add_signup(sqlite_url, starts=paris(2026, 12, 12, 9), sender="api", channel="rest", email="a@example.org")
    silent = add_signup(sqlite_url, starts=paris(2026, 12, 12, 9), sender="nobody", channel="rest")
    trigger = Recorder()
    assert reminders.send_reminders(settings, now=paris(2026, 12, 11, 18, 1), trigger=trigger) == 2
    assert trigger.calls == [("julie", "shift_reminder", {"signup_id": chat})]
    with session_scope(sqlite_url) as session:
        emails = session.execute(select(models.OutgoingEmail).order_by(models.OutgoingEmail.id)).scalars().all()
        assert [(e.kind, e.volunteer_id is not None) for e in emails] == [("reminder", True), ("reminder", True)]
        assert "samedi 12 décembre, 9 h–12 h" in emails[0].subject
        assert "12 rue du Port" in emails[0].body and "julie@" not in emails[0].body
        sent = {s.id: s.reminder_sent_at for s in session.execute(select(models.Signup)).scalars()}
    assert sent[chat] is not None and sent[rest] is not None
    assert sent[silent] is not None  # claimed: nothing can reach them, and trying every minute helps nobody
    assert reminders.send_reminders(settings, now=paris(2026, 12, 11, 18, 2), trigger=trigger) == 0
    assert len(trigger.calls) == 1


def test_an_unreachable_assistant_gives_the_claims_back(sqlite_url: str) -> None:
    settings = configured(sqlite_url)
    signup = add_signup(sqlite_url, starts=paris(2026, 12, 12, 9))
    assert reminders.send_reminders(settings, now=paris(2026, 12, 11, 18, 1), trigger=Recorder(unavailable=True)) == 0
    assert due(sqlite_url, reminders.REMINDER, paris(2026, 12, 11, 18, 2)) == [signup]
    trigger = Recorder()
    assert reminders.send_reminders(settings, now=paris(2026, 12, 11, 18, 2), trigger=trigger) == 1


def test_one_failure_does_not_stop_the_others_and_erased_people_are_skipped(sqlite_url: str) -> None:
    settings = configured(sqlite_url)
    add_signup(sqlite_url, starts=paris(2026, 12, 12, 9), sender="broken")
    add_signup(sqlite_url, starts=paris(2026, 12, 12, 9), sender="gone")
    fine = add_signup(sqlite_url, starts=paris(2026, 12, 12, 9), sender="fine")
    with session_scope(sqlite_url) as session:
        forget(session, sender_id="gone", channel="telegram", actor="test")
    trigger = Recorder(failing=frozenset({"broken"}))
    assert reminders.send_reminders(settings, now=paris(2026, 12, 11, 18, 1), trigger=trigger) == 1
    assert trigger.calls == [("fine", "shift_reminder", {"signup_id": fine})]


def test_followups_and_checkins_are_sent_once(sqlite_url: str) -> None:
    settings = configured(sqlite_url)
    signup = add_signup(sqlite_url, starts=paris(2026, 12, 12, 9), email="julie@example.org")
    trigger = Recorder()
    for minute in range(3):
        reminders.send_reminders(settings, now=paris(2026, 12, 11, 18, minute), trigger=trigger)
        reminders.send_followups(settings, now=paris(2026, 12, 11, 22, minute), trigger=trigger)
        reminders.send_checkins(settings, now=paris(2026, 12, 12, 13, minute), trigger=trigger)
    assert [intent for _, intent, _ in trigger.calls] == ["shift_reminder", "shift_reminder_followup", "shift_checkin"]
    with session_scope(sqlite_url) as session:
        kinds = session.execute(select(models.OutgoingEmail.kind).order_by(models.OutgoingEmail.id)).scalars().all()
        assert kinds == ["reminder", "checkin"]
        assert session.get(models.Signup, signup).checkin_sent_at is not None


def test_two_processes_send_each_reminder_exactly_once(database_url: str) -> None:
    settings = configured(database_url)
    ids = [add_signup(database_url, starts=paris(2026, 12, 12, 9), sender=f"v{n}") for n in range(60)]
    trigger = Recorder()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reminders.send_reminders(settings, now=paris(2026, 12, 11, 18, 1), trigger=trigger)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(entities["signup_id"] for _, _, entities in trigger.calls) == ids


# --------------------------------------------------------------------------- yearly summary


def test_yearly_summary_goes_in_january_once_per_volunteer_and_year(database_url: str) -> None:
    settings = configured(database_url)
    signup = add_signup(database_url, starts=paris(2026, 6, 6, 9), email="julie@example.org")
    with session_scope(database_url) as session:
        volunteer_id = session.get(models.Signup, signup).volunteer_id
        session.add(
            models.HoursEntry(
                volunteer_id=volunteer_id, mission_title="Colis", day=date(2026, 6, 6), minutes=180, source="checkin"
            )
        )
    trigger = Recorder()
    assert reminders.send_yearly_summaries(settings, now=paris(2026, 12, 31, 12), trigger=trigger) == 0
    assert reminders.send_yearly_summaries(settings, now=paris(2027, 1, 1, 0, 5), trigger=trigger) == 1
    assert reminders.send_yearly_summaries(settings, now=paris(2027, 1, 2, 9), trigger=trigger) == 0
    assert trigger.calls == [("julie", "yearly_summary", {"year": 2026})]
    with session_scope(database_url) as session:
        body = session.execute(select(models.OutgoingEmail.body)).scalar_one()
        assert "En 2026, vous avez fait 3 heures" in body
        assert session.scalar(select(func.count()).select_from(models.JobRun)) == 1


def test_the_yearly_summary_counts_hours_still_to_check_apart(database_url: str) -> None:
    """A line "à vérifier" (6 h declared, 3 h counted): the e-mail says 3 hours and the 3 more the team checks."""
    settings = configured(database_url)
    signup = add_signup(database_url, starts=paris(2026, 6, 6, 9), email="julie@example.org")
    with session_scope(database_url) as session:
        volunteer_id = session.get(models.Signup, signup).volunteer_id
        session.add(
            models.HoursEntry(
                volunteer_id=volunteer_id, mission_title="Colis", day=date(2026, 6, 6), minutes=360,
                counted_minutes=180, source="checkin",
            )
        )  # fmt: skip
        assert reminders.volunteers_with_hours(session, year=2026) == [(volunteer_id, 180)]
    assert reminders.send_yearly_summaries(settings, now=paris(2027, 1, 1, 0, 5), trigger=Recorder()) == 1
    with session_scope(database_url) as session:
        body = session.execute(select(models.OutgoingEmail.body)).scalar_one()
    assert "En 2026, vous avez fait 3 heures" in body
    assert "L'équipe doit encore vérifier un complément de 3 heures que vous avez déclaré" in body


def test_the_jobs_are_registered() -> None:
    targets = {job.target for job in JOBS}
    for name in ("send_reminders", "send_followups", "send_checkins", "send_yearly_summaries"):
        assert f"bot.reminders:{name}" in targets
