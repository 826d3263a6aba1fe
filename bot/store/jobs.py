"""Scheduled work across processes: leases on jobs (``job_leases``) and claims on units of work (``job_runs``).

Two mechanisms, both one SQL statement that the database makes atomic on SQLite and PostgreSQL alike:

- a **lease** says which process runs a job now and until when: :func:`take` is one conditional
  UPDATE (free or expired, and due), so two processes never run the same job at once, and the row
  remembers when the job last ran, which survives restarts;
- a **claim** marks one unit of work done once (a day's digest, a volunteer's yearly summary):
  :func:`claim` inserts its key, and the first insert wins. Jobs whose units live in their own
  table claim them there instead (``UPDATE signups SET reminder_sent_at = … WHERE … IS NULL``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import models
from bot.store.retention import as_utc

# How far apart two processes' clocks, or two moments read before a lease was taken, may be before
# a start "in the future" counts as a clock set back.
CLOCK_SLACK = timedelta(minutes=5)


def claim(session: Session, *, kind: str, key: str) -> bool:
    """True if this call claimed ``(kind, key)``, False if it was claimed before (by anyone)."""
    try:
        with session.begin_nested():
            session.add(models.JobRun(kind=kind, key=key[:96]))
            session.flush()
    except IntegrityError:
        return False
    return True


def ensure(session: Session, names: list[str]) -> None:
    """Create the lease rows of these jobs if they are missing (two processes may race: both fine)."""
    known = set(session.execute(select(models.JobLease.name).where(models.JobLease.name.in_(names))).scalars())
    for name in names:
        if name in known:
            continue
        try:
            with session.begin_nested():
                session.add(models.JobLease(name=name))
                session.flush()
        except IntegrityError:
            pass  # another process created it first


def take(session: Session, *, name: str, holder: str, now: datetime, every: float, lease: float) -> bool:
    """Take the lease of job ``name`` if it is free (or expired) and the job is due; True if taken.

    Due means its last start is at least ``every`` seconds ago. The lease lasts ``lease`` seconds:
    if the holder dies, another process takes the job over after that.
    """
    due_before = now - timedelta(seconds=every)
    result = session.execute(
        update(models.JobLease)
        .where(
            models.JobLease.name == name,
            or_(
                models.JobLease.until.is_(None),
                models.JobLease.until < now,
                models.JobLease.until > now + timedelta(seconds=lease) + CLOCK_SLACK,  # set by a clock far ahead
            ),
            or_(
                models.JobLease.last_started_at.is_(None),
                models.JobLease.last_started_at <= due_before,
                # The clock went back (not just another process's "now" a little later than ours).
                models.JobLease.last_started_at > now + CLOCK_SLACK,
            ),
        )
        .values(holder=holder, until=now + timedelta(seconds=lease), last_started_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, *, name: str, holder: str, now: datetime, error: str | None) -> None:
    """Give the lease back after a run; ``error`` is the failure's class name, None when it went well."""
    session.execute(
        update(models.JobLease)
        .where(models.JobLease.name == name, models.JobLease.holder == holder)
        .values(until=None, last_finished_at=now, last_error=error)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class LeaseState:
    """How a job stands: who runs it (if anyone), when it last started and finished, its last error."""

    name: str
    holder: str | None
    until: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_error: str | None


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


def states(session: Session) -> dict[str, LeaseState]:
    """Every job's lease, by name."""
    rows = session.execute(select(models.JobLease)).scalars()
    return {
        row.name: LeaseState(
            name=row.name,
            holder=row.holder,
            until=_utc(row.until),
            last_started_at=_utc(row.last_started_at),
            last_finished_at=_utc(row.last_finished_at),
            last_error=row.last_error,
        )
        for row in rows
    }
