"""Missions: import (upsert) from the association's files, list, and load for matching."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql import Select

from bot.missions import Mission, Opening
from bot.profile import Place, TimeSlot, sort_slots
from bot.store import models
from bot.store import shifts as shift_store

logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """What an import did: missions created and updated, sign-ups cancelled with the shifts gone from the file."""

    created: int = 0
    updated: int = 0
    cancelled_signups: list[int] = field(default_factory=list)


def upsert(session: Session, missions: Iterable[Mission], *, now: datetime | None = None) -> tuple[int, int]:
    """Create or update missions by id; returns (created, updated).

    Sign-ups cancelled because their shift left the file are not told here: callers that import
    dated shifts use :func:`import_missions` and tell them after the commit.
    """
    result = import_missions(session, missions, now=now)
    return result.created, result.updated


def import_missions(session: Session, missions: Iterable[Mission], *, now: datetime | None = None) -> ImportResult:
    """Create or update missions by id with their dated shifts (bot.store.shifts.apply_plan), in the caller's unit.

    After the commit, tell ``result.cancelled_signups`` (``bot.shifts.tell_cancelled``).
    """
    from bot.config import get_settings

    settings = get_settings()
    now = now or models.utcnow()
    result = ImportResult()
    created = updated = 0
    for mission in missions:
        row = session.get(models.Mission, mission.id)
        if row is None:
            row = models.Mission(id=mission.id)
            session.add(row)
            created += 1
        else:
            updated += 1
        full_since = row.updated_at if _is_full(row) else None
        filled_before = row.places_filled
        row.title = mission.title
        row.description = mission.description
        row.remote = mission.remote
        row.places_total = mission.places_total
        row.places_filled = mission.places_filled
        row.min_age = mission.min_age
        row.urgent = mission.urgent
        row.address = mission.address or None
        row.contact = mission.contact or None
        row.city = mission.place.name if mission.place else None
        row.postcode = mission.place.postcode if mission.place else None
        row.latitude = mission.place.latitude if mission.place else None
        row.longitude = mission.place.longitude if mission.place else None
        row.skills = [models.MissionSkill(skill=key) for key in dict.fromkeys(mission.skills)]
        row.causes = [models.MissionCause(cause=key) for key in dict.fromkeys(mission.causes)]
        row.schedule = [models.MissionSlot(day=s.day, period=s.period) for s in sort_slots(mission.schedule)]
        session.flush()
        if mission.shifts is not None:
            result.cancelled_signups += shift_store.apply_plan(
                session,
                mission_id=mission.id,
                plans=mission.shifts,
                now=now,
                zone=settings.timezone,
                horizon_weeks=settings.shift_horizon_weeks,
            )
        if full_since is not None and row.places_filled < min(filled_before, row.places_total):
            _alert_below_target(session, row, full_since)
    logger.info("imported missions: %d created, %d updated", created, updated)
    result.created, result.updated = created, updated
    return result


def _is_full(row: models.Mission) -> bool:
    return row.status == "open" and row.places_total is not None and row.places_filled >= row.places_total


def _alert_below_target(session: Session, row: models.Mission, full_since: datetime) -> None:
    """A full mission lost a confirmed volunteer: staff who want it are told (bot.notifications)."""
    from bot.config import get_settings
    from bot.notifications import alerts  # only when needed: storing missions does not need e-mail otherwise

    alerts.mission_below_target(session, get_settings(), mission=row, full_since=full_since)


def open_missions(session: Session, *, now: datetime | None = None) -> list[Mission]:
    """Every open mission, as matching sees them, ordered by id, with their shifts ahead in the horizon.

    Read as plain rows, six queries, without ORM objects: every proposal of missions reads
    them all, and loading them through the ORM was a fifth of the action server's CPU.
    """
    from bot.config import get_settings

    settings = get_settings()
    now = now or models.utcnow()
    mission = models.Mission.__table__
    open_ids = select(mission.c.id).where(mission.c.status == "open")
    skills = _values_by_mission(session, models.MissionSkill.__table__, open_ids, "skill")
    causes = _values_by_mission(session, models.MissionCause.__table__, open_ids, "cause")
    schedule = _values_by_mission(session, models.MissionSlot.__table__, open_ids, "day", "period")
    dated = shift_store.dated_mission_ids(session, mission_ids=open_ids)
    until = now + timedelta(weeks=settings.shift_horizon_weeks)
    openings = shift_store.openings(session, mission_ids=open_ids, now=now, until=until, zone=settings.timezone)
    rows = session.execute(select(mission).where(mission.c.status == "open").order_by(mission.c.id))
    return [
        _mission(
            row,
            skills=tuple(skill for (skill,) in skills.get(row.id, ())),
            causes=tuple(cause for (cause,) in causes.get(row.id, ())),
            schedule=tuple(sort_slots(TimeSlot(day, period) for day, period in schedule.get(row.id, ()))),
            dated=row.id in dated,
            openings=tuple(openings.get(row.id, ())),
        )
        for row in rows
    ]


def _values_by_mission(session: Session, table: Table, mission_ids: Select, *columns: str) -> dict[str, list[tuple]]:
    """Rows of a mission's child table, by mission id, ordered as the ORM relationships order them."""
    chosen = [table.c[name] for name in columns]
    statement = select(table.c.mission_id, *chosen).where(table.c.mission_id.in_(mission_ids))
    found: dict[str, list[tuple]] = {}
    for mission_id, *values in session.execute(statement.order_by(table.c.mission_id, *chosen)):
        found.setdefault(mission_id, []).append(tuple(values))
    return found


def to_domain(row: models.Mission, *, now: datetime | None = None) -> Mission:
    """A stored mission as the plain value matching uses, with its shifts ahead like :func:`open_missions`.

    Without its dates, a dated mission whose dates are all full would still be suggested to staff
    and offered by urgent calls and invitations.
    """
    from bot.config import get_settings

    dated: bool = False
    openings: tuple[Opening, ...] = ()
    session = object_session(row)
    if session is not None:
        settings = get_settings()
        now = now or models.utcnow()
        one = select(models.Mission.__table__.c.id).where(models.Mission.__table__.c.id == row.id)
        dated = row.id in shift_store.dated_mission_ids(session, mission_ids=one)
        until = now + timedelta(weeks=settings.shift_horizon_weeks)
        found = shift_store.openings(session, mission_ids=one, now=now, until=until, zone=settings.timezone)
        openings = tuple(found.get(row.id, ()))
    return _mission(
        row,
        causes=tuple(c.cause for c in row.causes),
        skills=tuple(s.skill for s in row.skills),
        schedule=tuple(sort_slots(TimeSlot(s.day, s.period) for s in row.schedule)),
        dated=dated,
        openings=openings,
    )


def _mission(
    row: Any,
    *,
    skills: tuple[str, ...],
    causes: tuple[str, ...],
    schedule: tuple[TimeSlot, ...],
    dated: bool = False,
    openings: tuple[Opening, ...] = (),
) -> Mission:
    """A mission's columns (an ORM object or a plain row) and its lists, as the value matching uses."""
    place = None
    if row.city is not None and row.latitude is not None and row.longitude is not None:
        place = Place(row.city, row.latitude, row.longitude, row.postcode)
    return Mission(
        id=row.id,
        title=row.title,
        description=row.description,
        causes=causes,
        skills=skills,
        schedule=schedule,
        place=place,
        remote=row.remote,
        places_total=row.places_total,
        places_filled=row.places_filled,
        min_age=row.min_age,
        urgent=row.urgent,
        address=row.address or "",
        contact=row.contact or "",
        dated=dated,
        openings=openings,
    )


def get(session: Session, mission_id: str) -> Mission | None:
    """One mission by id, open or not."""
    row = session.get(models.Mission, mission_id)
    return to_domain(row) if row is not None else None


def get_open(session: Session, mission_id: str) -> Mission | None:
    """One mission by id if it is open (staff can still invite to it)."""
    row = session.get(models.Mission, mission_id)
    return to_domain(row) if row is not None and row.status == "open" else None


def exists(session: Session, mission_id: str) -> bool:
    """True when a mission has this id, open or closed."""
    return session.get(models.Mission, mission_id) is not None
