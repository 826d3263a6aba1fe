"""The hours log: hours of volunteering from check-ins and from staff, attendance, totals for attestations.

A check-in records the hours of one sign-up once: one conditional UPDATE claims the sign-up
(``status`` becomes "attended" only if it was not already), and the hours row is added in the
same transaction (``hours.signup_id`` is unique too). What a volunteer or a stale button can get
wrong (hours out of range, a cancelled sign-up, a shift not over, a second check-in) comes back
as a :class:`Outcome`, never as an exception; staff entries raise ``InvalidDataError`` in French,
which the console shows.

An absence ("no_show") is a fact, never a judgement: it frees nothing (the shift is over) and no
text anywhere blames anyone. ``checkin_done_at``, the rating and the comment belong to the
check-in conversation (``bot.checkins``), not to this module.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from bot.errors import InvalidDataError, NotFoundError
from bot.shifts import local
from bot.store import models
from bot.store.retention import as_utc

logger = logging.getLogger(__name__)

MAX_MINUTES = 24 * 60
CHECK_MARGIN_MINUTES = 60  # a check-in may declare the shift's length + 1 h before its line is "à vérifier"
# The first day hours may be dated (and attested) on: older dates are typing mistakes.
EARLIEST_DAY = date(2000, 1, 1)
# What record_checkin_hours and mark_no_show can answer.
OK, INVALID_MINUTES, UNKNOWN, CANCELLED, NOT_ENDED, NOT_STARTED, ALREADY = (
    "ok", "invalid_minutes", "unknown", "cancelled", "not_ended", "not_started", "already",
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """What became of a check-in or an absence: ``status`` is one of OK, INVALID_MINUTES, UNKNOWN, ..."""

    status: str
    entry_id: int | None = None
    # Set when the hours declared are "à vérifier": what attestations count until staff accept them.
    counted_minutes: int | None = None

    @property
    def ok(self) -> bool:
        """True when it was recorded."""
        return self.status == OK


def _zone(zone: str | None) -> str:
    if zone is not None:
        return zone
    from bot.config import get_settings

    return get_settings().timezone


# --------------------------------------------------------------------------- attendance of one sign-up


def record_checkin_hours(
    session: Session,
    *,
    signup_id: int,
    minutes: int,
    now: datetime,
    staff_id: int | None = None,
    zone: str | None = None,
) -> Outcome:
    """Record the hours done on a sign-up's shift and mark it attended, once (one transaction, the caller's).

    The hours are dated the shift's local day (``TIMEZONE``) and keep the mission's title.
    ``staff_id`` set: a staff member marks the person present (source "staff"); this also
    corrects an absence. Refused: minutes <= 0 or > 1440 (also with the person's other hours that
    day), an unknown or cancelled sign-up, a shift not yet ended, a sign-up already attended.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_MINUTES:
        return Outcome(INVALID_MINUTES)
    signup = session.get(models.Signup, signup_id)
    if signup is None:
        return Outcome(UNKNOWN)
    if signup.status == "cancelled":
        return Outcome(CANCELLED)
    shift = signup.shift
    if as_utc(shift.ends_at) > as_utc(now):
        return Outcome(NOT_ENDED)
    if signup.status == "attended":
        return Outcome(ALREADY)
    day = local(shift.starts_at, _zone(zone)).date()
    if _day_minutes(session, volunteer_id=signup.volunteer_id, day=day) + minutes > MAX_MINUTES:
        return Outcome(INVALID_MINUTES)  # with the day's other hours, more than 24 hours on one day
    session.flush()
    claimed = session.execute(
        update(models.Signup.__table__)
        .where(models.Signup.id == signup_id, models.Signup.status.in_(("confirmed", "no_show")))
        .values(status="attended")
    )
    if claimed.rowcount != 1:  # another process recorded it first
        return Outcome(ALREADY)
    mission = shift.mission
    planned = max(int((as_utc(shift.ends_at) - as_utc(shift.starts_at)).total_seconds()) // 60, 1)
    entry = models.HoursEntry(
        volunteer_id=signup.volunteer_id,
        signup_id=signup.id,
        mission_id=shift.mission_id,
        mission_title=(mission.title if mission is not None else "Mission")[:120],
        day=day,
        minutes=minutes,
        counted_minutes=planned if staff_id is None and minutes > planned + CHECK_MARGIN_MINUTES else None,
        source="checkin" if staff_id is None else "staff",
        staff_id=staff_id,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    session.refresh(signup)
    logger.info("signup %s attended: %d minutes (entry %s)", signup_id, minutes, entry.id)
    return Outcome(OK, entry.id, entry.counted_minutes)


def mark_no_show(session: Session, *, signup_id: int, now: datetime, staff_id: int | None = None) -> Outcome:
    """Record that the person could not come (status "no_show"); frees nothing, blames no one.

    Refused: an unknown or cancelled sign-up, a shift not yet started, an absence already
    recorded; a sign-up already attended too, unless a staff member corrects it (``staff_id``):
    its hours are then removed in the same transaction.
    """
    signup = session.get(models.Signup, signup_id)
    if signup is None:
        return Outcome(UNKNOWN)
    if signup.status == "cancelled":
        return Outcome(CANCELLED)
    if as_utc(signup.shift.starts_at) > as_utc(now):
        return Outcome(NOT_STARTED)
    allowed = ("confirmed", "attended") if staff_id is not None else ("confirmed",)
    if signup.status not in allowed:
        return Outcome(ALREADY)
    session.flush()
    claimed = session.execute(
        update(models.Signup.__table__)
        .where(models.Signup.id == signup_id, models.Signup.status.in_(allowed))
        .values(status="no_show")
    )
    if claimed.rowcount != 1:
        return Outcome(ALREADY)
    session.execute(sql_delete(models.HoursEntry.__table__).where(models.HoursEntry.signup_id == signup_id))
    session.refresh(signup)
    logger.info("signup %s recorded as absent", signup_id)
    return Outcome(OK)


# --------------------------------------------------------------------------- staff entries


def _checked_minutes(minutes: int) -> int:
    if isinstance(minutes, bool) or not 0 < minutes <= MAX_MINUTES:
        raise InvalidDataError("le nombre d'heures doit être supérieur à 0 et au plus 24")
    return minutes


def _day_minutes(session: Session, *, volunteer_id: int, day: date, without: int | None = None) -> int:
    """Minutes already logged for the volunteer on ``day`` (the entry ``without``, being corrected, left out)."""
    entry = models.HoursEntry
    statement = select(func.coalesce(func.sum(entry.minutes), 0)).where(
        entry.volunteer_id == volunteer_id, entry.day == day
    )
    if without is not None:
        statement = statement.where(entry.id != without)
    return int(session.scalar(statement) or 0)


def _check_day_total(
    session: Session, *, volunteer_id: int, day: date, minutes: int, without: int | None = None
) -> None:
    """Refuse what would make more than 24 hours on one day for one person, all entries together."""
    logged = _day_minutes(session, volunteer_id=volunteer_id, day=day, without=without)
    if logged + minutes > MAX_MINUTES:
        raise InvalidDataError(
            f"cela ferait plus de 24 heures le {day:%d/%m/%Y} : {logged // 60} h {logged % 60:02d} y sont déjà comptées"
        )


def add_staff_hours(
    session: Session, *, volunteer_id: int, mission_id: str, day: date, minutes: int, staff_id: int, today: date
) -> models.HoursEntry:
    """Add hours entered by staff (a day from 2000 on and not in the future, 0 < minutes <= 1440 and at most
    1440 that day with the person's other hours, an existing mission)."""
    _checked_minutes(minutes)
    if day > today:
        raise InvalidDataError("la date ne peut pas être dans le futur")
    if day < EARLIEST_DAY:
        raise InvalidDataError(f"la date ne peut pas être avant le {EARLIEST_DAY:%d/%m/%Y}")
    if session.get(models.Volunteer, volunteer_id) is None:
        raise NotFoundError("ce bénévole n'existe pas")
    _check_day_total(session, volunteer_id=volunteer_id, day=day, minutes=minutes)
    mission = session.get(models.Mission, mission_id)
    if mission is None:
        raise InvalidDataError("choisissez une mission de la liste")
    entry = models.HoursEntry(
        volunteer_id=volunteer_id,
        mission_id=mission.id,
        mission_title=mission.title[:120],
        day=day,
        minutes=minutes,
        source="staff",
        staff_id=staff_id,
    )
    session.add(entry)
    session.flush()
    logger.info("hours entry %s added by staff member %s", entry.id, staff_id)
    return entry


def _entry(session: Session, entry_id: int, volunteer_id: int | None) -> models.HoursEntry:
    entry = session.get(models.HoursEntry, entry_id)
    if entry is None or (volunteer_id is not None and entry.volunteer_id != volunteer_id):
        raise NotFoundError("cette ligne d'heures n'existe pas")
    return entry


def edit(
    session: Session, *, entry_id: int, minutes: int, staff_id: int, volunteer_id: int | None = None
) -> models.HoursEntry:
    """Correct the minutes of an entry (0 < minutes <= 1440, the day's total too); the staff member is its author."""
    _checked_minutes(minutes)
    entry = _entry(session, entry_id, volunteer_id)
    _check_day_total(session, volunteer_id=entry.volunteer_id, day=entry.day, minutes=minutes, without=entry.id)
    entry.minutes = minutes
    entry.counted_minutes = None  # staff-entered hours are trusted
    entry.staff_id = staff_id
    session.flush()
    logger.info("hours entry %s edited by staff member %s", entry_id, staff_id)
    return entry


def accept(session: Session, *, entry_id: int, staff_id: int, volunteer_id: int | None = None) -> models.HoursEntry:
    """Accept a line "à vérifier": attestations count its declared hours from now on (InvalidDataError if none)."""
    entry = _entry(session, entry_id, volunteer_id)
    if entry.counted_minutes is None:
        raise InvalidDataError("ces heures n'étaient pas à vérifier")
    entry.counted_minutes = None
    session.flush()
    logger.info("hours entry %s accepted by staff member %s", entry_id, staff_id)
    return entry


def delete(session: Session, *, entry_id: int, staff_id: int, volunteer_id: int | None = None) -> None:
    """Remove an entry; a check-in's sign-up goes back to "confirmed", so attendance can be recorded again."""
    entry = _entry(session, entry_id, volunteer_id)
    signup_id = entry.signup_id
    session.delete(entry)
    session.flush()
    if signup_id is not None:
        session.execute(
            update(models.Signup.__table__)
            .where(models.Signup.id == signup_id, models.Signup.status == "attended")
            .values(status="confirmed")
        )
        session.expire_all()
    logger.info("hours entry %s deleted by staff member %s", entry_id, staff_id)


# --------------------------------------------------------------------------- reading


def counted() -> Any:
    """The minutes a line counts for attestations: the planned length while it is "à vérifier"."""
    return func.coalesce(models.HoursEntry.counted_minutes, models.HoursEntry.minutes)


def minutes_between(session: Session, *, volunteer_id: int, start: date, end: date) -> int:
    """Minutes of volunteering from ``start`` to ``end`` (both included), as attestations count them."""
    entry = models.HoursEntry
    total = session.scalar(
        select(func.coalesce(func.sum(counted()), 0)).where(
            entry.volunteer_id == volunteer_id, entry.day >= start, entry.day <= end
        )
    )
    return int(total or 0)


def pending_between(session: Session, *, volunteer_id: int, start: date, end: date) -> int:
    """Minutes declared from ``start`` to ``end`` that attestations do not count yet: lines "à vérifier"."""
    entry = models.HoursEntry
    total = session.scalar(
        select(func.coalesce(func.sum(entry.minutes - entry.counted_minutes), 0)).where(
            entry.volunteer_id == volunteer_id, entry.day >= start, entry.day <= end, entry.counted_minutes.is_not(None)
        )
    )
    return int(total or 0)


def missions_between(session: Session, *, volunteer_id: int, start: date, end: date) -> list[tuple[str, int]]:
    """Minutes per mission title from ``start`` to ``end``, most hours first (the attestation's table)."""
    entry = models.HoursEntry
    rows = session.execute(
        select(entry.mission_title, func.sum(counted()))
        .where(entry.volunteer_id == volunteer_id, entry.day >= start, entry.day <= end)
        .group_by(entry.mission_title)
    ).all()
    return sorted(((title, int(minutes)) for title, minutes in rows), key=lambda row: (-row[1], row[0]))


def log(session: Session, *, volunteer_id: int) -> list[models.HoursEntry]:
    """The volunteer's hours log, latest day first."""
    entry = models.HoursEntry
    return list(
        session.scalars(
            select(entry).where(entry.volunteer_id == volunteer_id).order_by(entry.day.desc(), entry.id.desc())
        )
    )


def by_year(session: Session, *, volunteer_id: int) -> list[tuple[int, int]]:
    """(year, minutes) of the volunteer's hours as attestations count them, latest year first."""
    entry = models.HoursEntry
    totals: dict[int, int] = defaultdict(int)
    for day, minutes in session.execute(select(entry.day, counted()).where(entry.volunteer_id == volunteer_id)):
        totals[day.year] += minutes
    return sorted(totals.items(), reverse=True)


# --------------------------------------------------------------------------- attendance of a mission


@dataclass(frozen=True)
class Attendee:
    """One sign-up of a shift as staff see it: who, status, reminder answer, hours, feedback."""

    signup: models.Signup
    volunteer: models.Volunteer
    entry: models.HoursEntry | None


@dataclass
class ShiftAttendance:
    """A shift with its sign-ups."""

    shift: models.Shift
    attendees: list[Attendee] = field(default_factory=list)


@dataclass(frozen=True)
class MissionTotals:
    """Hours done, attendance rate (present / present + absent) and average rating of a mission."""

    minutes: int
    attended: int
    absent: int
    ratings: int
    average_rating: float | None

    @property
    def attendance_rate(self) -> float | None:
        """Share of the people expected who came, or None before any shift was over."""
        expected = self.attended + self.absent
        return self.attended / expected if expected else None


def attendance(
    session: Session, *, mission_id: str, now: datetime, past_limit: int = 50
) -> tuple[list[ShiftAttendance], list[ShiftAttendance]]:
    """The mission's shifts ahead (earliest first) and the last ``past_limit`` started ones (latest first)."""
    shift = models.Shift

    def load(statement: object) -> list[ShiftAttendance]:
        rows = session.scalars(
            statement.options(  # type: ignore[attr-defined]
                selectinload(shift.signups).selectinload(models.Signup.volunteer)
            )
        )
        return [ShiftAttendance(row) for row in rows]

    ahead = load(select(shift).where(shift.mission_id == mission_id, shift.starts_at > now).order_by(shift.starts_at))
    past = load(
        select(shift)
        .where(shift.mission_id == mission_id, shift.starts_at <= now)
        .order_by(shift.starts_at.desc())
        .limit(past_limit)
    )
    signup_ids = [s.id for group in (ahead, past) for item in group for s in item.shift.signups]
    entries = {
        e.signup_id: e
        for e in session.scalars(select(models.HoursEntry).where(models.HoursEntry.signup_id.in_(signup_ids)))
    } if signup_ids else {}  # fmt: skip
    for item in (*ahead, *past):
        item.attendees = [Attendee(s, s.volunteer, entries.get(s.id)) for s in item.shift.signups]
    return ahead, past


def mission_totals(session: Session, *, mission_id: str) -> MissionTotals:
    """Hours done on the mission (every entry), attendance over its sign-ups, average rating."""
    entry, signup, shift = models.HoursEntry, models.Signup, models.Shift
    minutes = session.scalar(select(func.coalesce(func.sum(entry.minutes), 0)).where(entry.mission_id == mission_id))
    counts = dict(
        session.execute(
            select(signup.status, func.count())
            .join(shift, shift.id == signup.shift_id)
            .where(shift.mission_id == mission_id, signup.status.in_(("attended", "no_show")))
            .group_by(signup.status)
        ).all()
    )
    ratings, average = session.execute(
        select(func.count(signup.rating), func.avg(signup.rating))
        .join(shift, shift.id == signup.shift_id)
        .where(shift.mission_id == mission_id, signup.rating.is_not(None))
    ).one()
    return MissionTotals(
        minutes=int(minutes or 0),
        attended=int(counts.get("attended", 0)),
        absent=int(counts.get("no_show", 0)),
        ratings=int(ratings or 0),
        average_rating=float(average) if average is not None else None,
    )
