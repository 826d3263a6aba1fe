"""Sign-ups for dated shifts: take a place, give it back, a person's next shifts.

A place is taken by ONE conditional UPDATE of the shift's counter
(``taken = taken + 1 WHERE taken < places AND cancelled_at IS NULL AND starts_at > now``), then the
sign-up row is inserted (or a cancelled one is made confirmed again) in the same transaction: two
people racing for the last place are serialised by the shift's row (PostgreSQL's row lock, SQLite's
write lock) and exactly one UPDATE matches. Cancelling gives the place back in the same transaction
(``taken - 1``, never below 0). Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from bot.store import models
from bot.store.retention import as_utc

logger = logging.getLogger(__name__)

OK, FULL, PAST, ALREADY, CANCELLED, UNKNOWN = "ok", "full", "past", "already", "cancelled", "unknown"
TOO_LATE = "too_late"
# Statuses that hold a place on the shift.
HOLDING = ("confirmed", "attended")


@dataclass(frozen=True)
class SignupResult:
    """How a sign-up went: ``ok``, ``full``, ``past``, ``already``, ``cancelled`` (the shift) or ``unknown``."""

    status: str
    signup_id: int | None = None

    @property
    def ok(self) -> bool:
        """True when the place was taken now."""
        return self.status == OK


@dataclass(frozen=True)
class CancelResult:
    """How a cancellation went: ``ok``, ``too_late`` (started or past), ``already`` (not confirmed) or ``unknown``."""

    status: str
    signup_id: int | None = None
    shift_id: int | None = None

    @property
    def ok(self) -> bool:
        """True when the sign-up was cancelled now and its place freed."""
        return self.status == OK


def _own(session: Session, *, shift_id: int, volunteer_id: int) -> models.Signup | None:
    return session.scalar(
        select(models.Signup).where(models.Signup.shift_id == shift_id, models.Signup.volunteer_id == volunteer_id)
    )


def own(session: Session, *, shift_id: int, volunteer_id: int) -> models.Signup | None:
    """The volunteer's sign-up row for the shift, whatever its status, if any."""
    return _own(session, shift_id=shift_id, volunteer_id=volunteer_id)


def sign_up(session: Session, *, shift_id: int, volunteer_id: int, now: datetime) -> SignupResult:
    """Take a place on the shift for the volunteer (see the module's docstring); nothing half-written."""
    shift = session.get(models.Shift, shift_id)
    if shift is None:
        return SignupResult(UNKNOWN)
    mine = _own(session, shift_id=shift_id, volunteer_id=volunteer_id)
    if mine is not None and mine.status in HOLDING:
        return SignupResult(ALREADY, mine.id)
    if shift.mission is None or shift.mission.status != "open":
        return SignupResult(CANCELLED)
    table = models.Shift.__table__
    taken = session.execute(
        update(table)
        .where(table.c.id == shift_id, table.c.taken < table.c.places, table.c.cancelled_at.is_(None))
        .where(table.c.starts_at > now)
        .values(taken=table.c.taken + 1)
    )
    if taken.rowcount != 1:
        session.refresh(shift)
        if shift.cancelled_at is not None:
            return SignupResult(CANCELLED)
        if as_utc(shift.starts_at) <= now:
            return SignupResult(PAST)
        return SignupResult(FULL)
    # The shift's row is ours until the commit: a second click of the same person waited for it.
    session.expire_all()
    mine = _own(session, shift_id=shift_id, volunteer_id=volunteer_id)
    if mine is not None and mine.status in HOLDING:
        session.execute(update(table).where(table.c.id == shift_id, table.c.taken > 0).values(taken=table.c.taken - 1))
        return SignupResult(ALREADY, mine.id)
    if mine is not None:  # cancelled (by the person, staff or the shift) or a no-show: confirmed again
        signups = models.Signup.__table__
        session.execute(
            update(signups)
            .where(signups.c.id == mine.id)
            .values(
                status="confirmed", created_at=now, cancelled_at=None, cancelled_by=None, reminder_sent_at=None,
                reminder_answer=None, reminder_answered_at=None, followup_sent_at=None, checkin_sent_at=None,
                checkin_done_at=None, rating=None, comment=None,
            )
        )  # fmt: skip
        session.expire_all()
        logger.info("signup %s confirmed again (shift %s)", mine.id, shift_id)
        return SignupResult(OK, int(mine.id))
    row = models.Signup(shift_id=shift_id, volunteer_id=volunteer_id, status="confirmed", created_at=now)
    session.add(row)
    session.flush()
    logger.info("signup %s made (shift %s)", row.id, shift_id)
    return SignupResult(OK, int(row.id))


def cancel(session: Session, *, signup_id: int, volunteer_id: int | None, by: str, now: datetime) -> CancelResult:
    """Cancel a confirmed sign-up before its shift starts and free its place (``volunteer_id`` None: staff)."""
    signup = session.get(models.Signup, signup_id)
    if signup is None or (volunteer_id is not None and signup.volunteer_id != volunteer_id):
        return CancelResult(UNKNOWN)
    shift_id = int(signup.shift_id)
    if signup.status != "confirmed" or signup.shift.cancelled_at is not None:
        return CancelResult(ALREADY, int(signup.id), shift_id)
    if as_utc(signup.shift.starts_at) <= now:
        return CancelResult(TOO_LATE, int(signup.id), shift_id)
    signups, shifts = models.Signup.__table__, models.Shift.__table__
    claimed = session.execute(
        update(signups)
        .where(signups.c.id == signup_id, signups.c.status == "confirmed")
        .values(status="cancelled", cancelled_at=now, cancelled_by=by)
    )
    if claimed.rowcount != 1:  # cancelled meanwhile by another request
        return CancelResult(ALREADY, int(signup.id), shift_id)
    session.execute(update(shifts).where(shifts.c.id == shift_id, shifts.c.taken > 0).values(taken=shifts.c.taken - 1))
    session.expire_all()
    logger.info("signup %s cancelled by %s", signup_id, by)
    return CancelResult(OK, signup_id, shift_id)


def upcoming_for(session: Session, *, volunteer_id: int, now: datetime) -> list[models.Signup]:
    """The volunteer's confirmed sign-ups for shifts not cancelled and not started yet, earliest first."""
    return _confirmed_for(session, volunteer_id, models.Shift.starts_at > now)


def in_progress_for(session: Session, *, volunteer_id: int, now: datetime) -> list[models.Signup]:
    """The volunteer's confirmed sign-ups for shifts going on at ``now`` (started, not ended, not cancelled)."""
    return _confirmed_for(session, volunteer_id, models.Shift.starts_at <= now, models.Shift.ends_at > now)


def _confirmed_for(session: Session, volunteer_id: int, *when: Any) -> list[models.Signup]:
    """The volunteer's confirmed sign-ups for shifts not cancelled and matching ``when``, earliest first."""
    signup, shift = models.Signup, models.Shift
    statement = (
        select(signup)
        .join(shift, shift.id == signup.shift_id)
        .where(signup.volunteer_id == volunteer_id, signup.status == "confirmed", shift.cancelled_at.is_(None), *when)
        .options(joinedload(signup.shift).joinedload(shift.mission))
        .order_by(shift.starts_at, signup.id)
    )
    return list(session.scalars(statement).unique())


@dataclass(frozen=True)
class ShiftRecord:
    """What the database holds of a volunteer's shifts, hours and attestations (the right of access)."""

    upcoming: list[tuple[datetime, datetime, str]]  # (start, end, mission title), earliest first
    past: int  # sign-ups for shifts that have started (attended, no-show or not yet checked in)
    cancelled: int
    feedback: int  # check-ins answered with a rating or a comment
    minutes: int  # hours logged, from check-ins and staff
    attestation_names: list[str]  # names printed on the attestation links still kept


def record_for(session: Session, *, volunteer_id: int, now: datetime) -> ShiftRecord:
    """Everything kept about the volunteer's shifts, hours and attestations, counted (one query each)."""
    signup, shift = models.Signup, models.Shift
    upcoming = [
        (as_utc(row.shift.starts_at), as_utc(row.shift.ends_at), row.shift.mission.title)
        for row in upcoming_for(session, volunteer_id=volunteer_id, now=now)
    ]
    counts = session.execute(
        select(signup.status, shift.starts_at > now, func.count())
        .join(shift, shift.id == signup.shift_id)
        .where(signup.volunteer_id == volunteer_id)
        .group_by(signup.status, shift.starts_at > now)
    ).all()
    cancelled = sum(n for status, _, n in counts if status == "cancelled")
    past = sum(n for status, ahead, n in counts if status != "cancelled" and not ahead)
    feedback = session.scalar(
        select(func.count())
        .select_from(signup)
        .where(signup.volunteer_id == volunteer_id, (signup.rating.is_not(None)) | (signup.comment.is_not(None)))
    )
    minutes = session.scalar(
        select(func.coalesce(func.sum(models.HoursEntry.minutes), 0)).where(
            models.HoursEntry.volunteer_id == volunteer_id
        )
    )
    names = session.scalars(
        select(models.AttestationLink.full_name)
        .where(models.AttestationLink.volunteer_id == volunteer_id)
        .distinct()
        .order_by(models.AttestationLink.full_name)
    ).all()
    return ShiftRecord(upcoming, past, cancelled, int(feedback or 0), int(minutes or 0), list(names))


def access_rows(session: Session, *, volunteer_id: int) -> dict[str, list[dict[str, Any]]]:
    """The volunteer's sign-ups (with check-in answers), hours and attestation links, for a data export."""

    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else as_utc(moment).isoformat()

    signups = session.scalars(
        select(models.Signup)
        .options(joinedload(models.Signup.shift).joinedload(models.Shift.mission))
        .where(models.Signup.volunteer_id == volunteer_id)
        .order_by(models.Signup.id)
    ).all()
    hours = session.scalars(
        select(models.HoursEntry).where(models.HoursEntry.volunteer_id == volunteer_id).order_by(models.HoursEntry.day)
    ).all()
    links = session.scalars(
        select(models.AttestationLink)
        .where(models.AttestationLink.volunteer_id == volunteer_id)
        .order_by(models.AttestationLink.id)
    ).all()
    return {
        "signups": [
            {"mission_id": s.shift.mission_id, "mission": s.shift.mission.title, "starts_at": iso(s.shift.starts_at),
             "ends_at": iso(s.shift.ends_at), "status": s.status, "created_at": iso(s.created_at),
             "cancelled_at": iso(s.cancelled_at), "cancelled_by": s.cancelled_by,
             "reminder_answer": s.reminder_answer, "checkin_done_at": iso(s.checkin_done_at), "rating": s.rating,
             "comment": s.comment}
            for s in signups
        ],
        "hours": [
            {"day": h.day.isoformat(), "minutes": h.minutes, "mission": h.mission_title, "source": h.source}
            for h in hours
        ],
        "attestation_links": [
            {"period_start": a.period_start.isoformat(), "period_end": a.period_end.isoformat(),
             "full_name": a.full_name, "created_at": iso(a.created_at), "expires_at": iso(a.expires_at)}
            for a in links
        ],
    }  # fmt: skip


def of_volunteer(session: Session, *, volunteer_id: int) -> list[tuple[models.Signup, int | None]]:
    """The volunteer's sign-ups, newest shift first, each with the minutes its check-in logged (console)."""
    minutes = (
        select(models.HoursEntry.minutes)
        .where(models.HoursEntry.signup_id == models.Signup.id)
        .correlate(models.Signup)
        .scalar_subquery()
    )
    rows = session.execute(
        select(models.Signup, minutes)
        .join(models.Shift, models.Shift.id == models.Signup.shift_id)
        .options(joinedload(models.Signup.shift).joinedload(models.Shift.mission))
        .where(models.Signup.volunteer_id == volunteer_id)
        .order_by(models.Shift.starts_at.desc())
    ).all()
    return [(signup, logged) for signup, logged in rows]
