"""Dated shifts of missions: the next ones, places left, cancellation, series unfolded ahead, a file's plan applied.

Shifts are stored in UTC; a series says its day and times in local time (``TIMEZONE``) and is
unfolded into :class:`~bot.store.models.Shift` rows up to ``SHIFT_HORIZON_WEEKS`` ahead, each at
its local time that day (so 9:00 stays 9:00 across a change of daylight saving time).

Unfolding is idempotent and safe in several processes at once: a shift is one row per
(mission, start) (a unique constraint), inserted with ``INSERT ... ON CONFLICT DO NOTHING``, so a
second process inserting the same shift adds nothing and fails nothing.

Re-importing the missions file (:func:`apply_plan`) keeps every shift that is still in it, with
its sign-ups; a shift ahead that is no longer in it is deleted when nobody ever signed up for it,
and cancelled otherwise (the people signed up are then told, by the caller, with
``bot.signups.tell_cancelled``). A shift cancelled in the console stays cancelled. Shifts already
started are history and never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.errors import InvalidDataError, NotFoundError
from bot.missions import Opening, ShiftPlan
from bot.profile import DAYS
from bot.store import models
from bot.store.retention import as_utc

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- reading


def upcoming(session: Session, *, mission_id: str, now: datetime, until: datetime | None = None) -> list[models.Shift]:
    """The mission's shifts not cancelled and starting after ``now`` (and before ``until``), earliest first."""
    shift = models.Shift
    statement = select(shift).where(shift.mission_id == mission_id, shift.cancelled_at.is_(None), shift.starts_at > now)
    if until is not None:
        statement = statement.where(shift.starts_at < until)
    return list(session.scalars(statement.order_by(shift.starts_at, shift.id)))


def places_left(shift: models.Shift) -> int:
    """Places still free on the shift (never below 0)."""
    return max(shift.places - (shift.taken or 0), 0)


def openings(
    session: Session, *, mission_ids: Select, now: datetime, until: datetime, zone: str
) -> dict[str, list[Opening]]:
    """The shifts ahead of these missions in one query, by mission, earliest first (what proposals use)."""
    table = models.Shift.__table__
    statement = (
        select(table.c.id, table.c.mission_id, table.c.starts_at, table.c.ends_at, table.c.places, table.c.taken)
        .where(
            table.c.mission_id.in_(mission_ids),
            table.c.cancelled_at.is_(None),
            table.c.starts_at > now,
            table.c.starts_at < until,
        )
        .order_by(table.c.mission_id, table.c.starts_at)
    )
    found: dict[str, list[Opening]] = {}
    for shift_id, mission_id, starts_at, ends_at, places, taken in session.execute(statement):
        opening = Opening(shift_id, as_utc(starts_at), as_utc(ends_at), max(places - (taken or 0), 0), zone)
        found.setdefault(mission_id, []).append(opening)
    return found


def dated_mission_ids(session: Session, *, mission_ids: Select) -> set[str]:
    """Which of these missions have dated shifts (any shift not cancelled, or a series)."""
    shifts, series = models.Shift.__table__, models.ShiftSeries.__table__
    with_shifts = select(shifts.c.mission_id).where(
        shifts.c.mission_id.in_(mission_ids), shifts.c.cancelled_at.is_(None)
    )
    with_series = select(series.c.mission_id).where(series.c.mission_id.in_(mission_ids))
    return set(session.scalars(with_shifts.union(with_series)))


def series_of(session: Session, *, mission_id: str) -> list[models.ShiftSeries]:
    """The mission's recurring series."""
    series = models.ShiftSeries
    return list(session.scalars(select(series).where(series.mission_id == mission_id).order_by(series.id)))


# --------------------------------------------------------------------------- changing one shift


def cancel_shift(session: Session, *, shift_id: int, now: datetime) -> list[int]:
    """Cancel a shift: its confirmed sign-ups become cancelled (by "shift"); returns their ids to tell them.

    One conditional UPDATE claims the cancellation: a shift already cancelled returns [].
    """
    shift, signup = models.Shift.__table__, models.Signup.__table__
    session.flush()  # the ORM objects are expired below: nothing pending may be lost
    claimed = session.execute(
        update(shift).where(shift.c.id == shift_id, shift.c.cancelled_at.is_(None)).values(cancelled_at=now, taken=0)
    )
    if claimed.rowcount != 1:
        return []
    ids = list(
        session.scalars(
            select(signup.c.id)
            .where(signup.c.shift_id == shift_id, signup.c.status == "confirmed")
            .order_by(signup.c.id)
        )
    )
    if ids:
        session.execute(
            update(signup)
            .where(signup.c.id.in_(ids), signup.c.status == "confirmed")
            .values(status="cancelled", cancelled_at=now, cancelled_by="shift")
        )
    session.expire_all()
    logger.info("shift %s cancelled, %d sign-ups cancelled", shift_id, len(ids))
    return ids


def set_places(session: Session, *, shift_id: int, places: int, now: datetime) -> models.Shift:
    """Change a shift's places; refused (InvalidDataError, in French) below 1 or below the places taken."""
    session.flush()
    shift = _shift_ahead(session, shift_id=shift_id, now=now)
    if places < 1:
        raise InvalidDataError("il faut au moins 1 place")
    # One conditional UPDATE, so a sign-up racing this change is never left over the limit.
    changed = session.execute(
        update(models.Shift.__table__)
        .where(models.Shift.id == shift_id, models.Shift.taken <= places)
        .values(places=places)
    )
    if changed.rowcount != 1:
        session.refresh(shift)
        raise InvalidDataError(
            f"{shift.taken} personne(s) déjà inscrite(s) : impossible de descendre à {places} place(s)"
        )
    session.refresh(shift)
    return shift


def _shift_ahead(session: Session, *, shift_id: int, now: datetime) -> models.Shift:
    shift = session.get(models.Shift, shift_id)
    if shift is None:
        raise NotFoundError("ce créneau n'existe pas")
    if shift.cancelled_at is not None:
        raise InvalidDataError("ce créneau est annulé")
    if as_utc(shift.starts_at) <= now:
        raise InvalidDataError("ce créneau a déjà commencé")
    return shift


def local_moment(day: date, moment: time, zone: str) -> datetime:
    """The UTC instant of a local date and time in ``zone`` (daylight saving time included)."""
    return datetime.combine(day, moment, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def local_today(now: datetime, zone: str) -> date:
    """Today's date in ``zone``."""
    return as_utc(now).astimezone(ZoneInfo(zone)).date()


def add_one_off(session: Session, *, mission_id: str, plan: ShiftPlan, now: datetime, zone: str) -> models.Shift:
    """Add a dated shift; refused in French when it is in the past or the mission already has one then."""
    if plan.on is None:
        raise InvalidDataError("date manquante")
    starts_at, ends_at = local_moment(plan.on, plan.start, zone), local_moment(plan.on, plan.end, zone)
    if starts_at <= now:
        raise InvalidDataError("la date est passée")
    if ends_at <= starts_at:
        raise InvalidDataError("l'heure de fin doit être après celle du début")
    if plan.places < 1:
        raise InvalidDataError("il faut au moins 1 place")
    shift = models.Shift
    same = session.scalar(select(shift).where(shift.mission_id == mission_id, shift.starts_at == starts_at))
    if same is not None and same.cancelled_at is None:
        raise InvalidDataError("la mission a déjà un créneau qui commence à cette heure-là")
    if same is not None:  # a cancelled shift at that time is opened again (its sign-ups stay cancelled)
        same.cancelled_at, same.ends_at, same.places, same.taken, same.series_id = None, ends_at, plan.places, 0, None
        session.flush()
        return same
    row = models.Shift(
        mission_id=mission_id, starts_at=starts_at, ends_at=ends_at, places=plan.places, taken=0, created_at=now
    )
    session.add(row)
    session.flush()
    return row


def add_series(
    session: Session, *, mission_id: str, plan: ShiftPlan, now: datetime, zone: str, horizon_weeks: int
) -> models.ShiftSeries:
    """Add a weekly series and unfold it over the horizon."""
    if plan.every not in DAYS:
        raise InvalidDataError("jour de la semaine inconnu")
    if plan.end <= plan.start:
        raise InvalidDataError("l'heure de fin doit être après celle du début")
    if plan.places < 1:
        raise InvalidDataError("il faut au moins 1 place")
    today = local_today(now, zone)
    if plan.ends_on is not None and plan.ends_on < today:
        raise InvalidDataError("la date de fin est passée")
    if plan.ends_on is not None and plan.starts_on is not None and plan.ends_on < plan.starts_on:
        raise InvalidDataError("la date de fin est avant celle du début")
    series = models.ShiftSeries(
        mission_id=mission_id,
        day=plan.every,
        start_time=f"{plan.start:%H:%M}",
        end_time=f"{plan.end:%H:%M}",
        places=plan.places,
        starts_on=plan.starts_on or today,
        ends_on=plan.ends_on,
    )
    session.add(series)
    session.flush()
    unfold(session, now=now, zone=zone, horizon_weeks=horizon_weeks, series_ids=[series.id])
    return series


def stop_series(session: Session, *, series_id: int, from_day: date, now: datetime, zone: str) -> list[int]:
    """Stop a weekly series from a local day on: it unfolds no more, its shifts from that day are removed.

    A shift nobody ever signed up for is deleted, one with sign-ups is cancelled like a single
    shift (:func:`cancel_shift`); returns the sign-ups cancelled, for the caller to tell them.
    Refused (InvalidDataError, in French) for a day in the past.
    """
    series = session.get(models.ShiftSeries, series_id)
    if series is None:
        raise NotFoundError("cette série n'existe pas")
    if from_day < local_today(now, zone):
        raise InvalidDataError("la date est passée")
    last_day = from_day - timedelta(days=1)
    if series.ends_on is None or series.ends_on > last_day:
        series.ends_on = last_day
    cancelled: list[int] = []
    first_start = max(local_moment(from_day, time(0, 0), zone), now)
    for shift in _ahead(session, mission_id=series.mission_id, now=first_start, series_id=series.id):
        cancelled += _remove(session, shift, now=now)
    session.flush()
    logger.info("series %s stopped from %s, %d sign-ups cancelled", series_id, from_day, len(cancelled))
    return cancelled


def stopping_count(session: Session, *, series_id: int, from_day: date, now: datetime, zone: str) -> tuple[int, int]:
    """What stopping the series from ``from_day`` would do: (dates removed, people signed up to tell)."""
    series = session.get(models.ShiftSeries, series_id)
    if series is None:
        raise NotFoundError("cette série n'existe pas")
    first_start = max(local_moment(from_day, time(0, 0), zone), now)
    shifts = _ahead(session, mission_id=series.mission_id, now=first_start, series_id=series.id)
    people = sum(1 for shift in shifts for signup in shift.signups if signup.status == "confirmed")
    return len(shifts), people


# --------------------------------------------------------------------------- unfolding series


def unfold(
    session: Session, *, now: datetime, zone: str, horizon_weeks: int, series_ids: Sequence[int] | None = None
) -> int:
    """Insert the shifts of the series (all, or these) that are missing up to the horizon; returns how many."""
    today = local_today(now, zone)
    last_day = today + timedelta(weeks=horizon_weeks)
    table = models.ShiftSeries
    statement = select(table).where((table.ends_on.is_(None)) | (table.ends_on >= today))
    if series_ids is not None:
        statement = statement.where(table.id.in_(list(series_ids)))
    rows: list[dict[str, object]] = []
    for series in session.scalars(statement):
        rows.extend(_occurrences(series, today=today, last_day=last_day, now=now, zone=zone))
    if not rows:
        return 0
    inserted = 0
    for start in range(0, len(rows), 500):
        result = session.execute(_insert_if_absent(session, rows[start : start + 500]))
        inserted += max(result.rowcount or 0, 0)
    if inserted:
        logger.info("unfolded %d shifts", inserted)
    return inserted


def _occurrences(
    series: models.ShiftSeries, *, today: date, last_day: date, now: datetime, zone: str
) -> Iterable[dict[str, object]]:
    first = max(series.starts_on, today)
    last = min(series.ends_on, last_day) if series.ends_on is not None else last_day
    weekday = DAYS.index(series.day)
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    start, end = time.fromisoformat(series.start_time), time.fromisoformat(series.end_time)
    while day <= last:
        starts_at = local_moment(day, start, zone)
        if starts_at > now:
            yield {
                "mission_id": series.mission_id,
                "series_id": series.id,
                "starts_at": starts_at,
                "ends_at": local_moment(day, end, zone),
                "places": series.places,
                "taken": 0,
                "created_at": now,
            }
        day += timedelta(days=7)


def _insert_if_absent(session: Session, rows: list[dict[str, object]]) -> Any:
    """INSERT ... ON CONFLICT (mission_id, starts_at) DO NOTHING, in the database's own dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(models.Shift.__table__).values(rows).on_conflict_do_nothing(index_elements=["mission_id", "starts_at"])
    )


# --------------------------------------------------------------------------- a file's plan


def apply_plan(
    session: Session, *, mission_id: str, plans: Sequence[ShiftPlan], now: datetime, zone: str, horizon_weeks: int
) -> list[int]:
    """Make the mission's shifts ahead those of ``plans`` (a re-import); returns the sign-ups cancelled.

    Series are matched by day and times, one-off shifts by their start: those still in the plan
    keep their rows and sign-ups (places updated, refused below the places taken); those gone
    are removed (:func:`_remove`). Then the series are unfolded.
    """
    cancelled: list[int] = []
    today = local_today(now, zone)
    existing = {(s.day, s.start_time, s.end_time): s for s in series_of(session, mission_id=mission_id)}
    kept_series: set[int] = set()
    for plan in (p for p in plans if p.recurring):
        key = (str(plan.every), f"{plan.start:%H:%M}", f"{plan.end:%H:%M}")
        series = existing.get(key)
        if series is None:
            series = models.ShiftSeries(
                mission_id=mission_id, day=key[0], start_time=key[1], end_time=key[2], places=plan.places,
                starts_on=plan.starts_on or today, ends_on=plan.ends_on,
            )  # fmt: skip
            session.add(series)
            session.flush()
        else:
            series.places = plan.places
            series.starts_on = plan.starts_on or series.starts_on
            series.ends_on = plan.ends_on
            for shift in _ahead(session, mission_id=mission_id, now=now, series_id=series.id):
                day = as_utc(shift.starts_at).astimezone(ZoneInfo(zone)).date()
                if day < series.starts_on or (series.ends_on is not None and day > series.ends_on):
                    cancelled += _remove(session, shift, now=now)
                else:
                    _set_plan_places(session, shift, plan.places, zone)
        kept_series.add(series.id)
    for series in existing.values():
        if series.id in kept_series:
            continue
        for shift in _ahead(session, mission_id=mission_id, now=now, series_id=series.id):
            cancelled += _remove(session, shift, now=now)
        session.execute(
            update(models.Shift.__table__).where(models.Shift.series_id == series.id).values(series_id=None)
        )
        session.delete(series)
    wanted: dict[datetime, ShiftPlan] = {}
    for plan in plans:
        if plan.on is not None:
            wanted[local_moment(plan.on, plan.start, zone)] = plan
    for shift in _ahead(session, mission_id=mission_id, now=now, series_id=None, with_cancelled=True):
        found = wanted.pop(as_utc(shift.starts_at), None)
        if found is None:
            if shift.cancelled_at is None:
                cancelled += _remove(session, shift, now=now)
            continue
        if shift.cancelled_at is not None:
            continue  # cancelled in the console: it stays so (its people were told), whatever the file says
        shift.ends_at = local_moment(found.on or today, found.end, zone)
        _set_plan_places(session, shift, found.places, zone)
    for starts_at, plan in wanted.items():
        if starts_at <= now:
            continue
        ends_at = local_moment(plan.on or today, plan.end, zone)
        taken_by_series = session.scalar(
            select(models.Shift).where(models.Shift.mission_id == mission_id, models.Shift.starts_at == starts_at)
        )
        if taken_by_series is not None:  # a series' shift at the same time becomes this dated one
            taken_by_series.series_id = None
            taken_by_series.ends_at = ends_at
            _set_plan_places(session, taken_by_series, plan.places, zone)
            continue
        session.add(
            models.Shift(
                mission_id=mission_id, starts_at=starts_at, ends_at=ends_at, places=plan.places, taken=0,
                created_at=now,
            )
        )  # fmt: skip
    session.flush()
    unfold(session, now=now, zone=zone, horizon_weeks=horizon_weeks, series_ids=sorted(kept_series))
    return cancelled


def _ahead(
    session: Session, *, mission_id: str, now: datetime, series_id: int | None, with_cancelled: bool = False
) -> list[models.Shift]:
    shift = models.Shift
    statement = select(shift).where(shift.mission_id == mission_id, shift.starts_at > now)
    statement = statement.where(shift.series_id.is_(None) if series_id is None else shift.series_id == series_id)
    if not with_cancelled:
        statement = statement.where(shift.cancelled_at.is_(None))
    return list(session.scalars(statement.order_by(shift.starts_at)))


def _set_plan_places(session: Session, shift: models.Shift, places: int, zone: str) -> None:
    if places < (shift.taken or 0):
        from bot.shifts import label

        raise InvalidDataError(
            f"mission {shift.mission_id}, créneau du {label(shift.starts_at, shift.ends_at, zone)} : "
            f"{shift.taken} personne(s) inscrite(s), impossible de descendre à {places} place(s)"
        )
    shift.places = places


def _remove(session: Session, shift: models.Shift, *, now: datetime) -> list[int]:
    """A shift ahead no longer wanted: deleted if nobody ever signed up, else cancelled (its sign-ups returned)."""
    has_signups = session.scalar(select(exists().where(models.Signup.shift_id == shift.id)))
    if not has_signups:
        session.execute(delete(models.Shift.__table__).where(models.Shift.id == shift.id))
        return []
    return cancel_shift(session, shift_id=shift.id, now=now)
