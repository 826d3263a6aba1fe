"""Missions: import (upsert) from the association's files, list, and load for matching."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.profile import Mission, Place, TimeSlot, sort_slots
from bot.store import models

logger = logging.getLogger(__name__)


def upsert(session: Session, missions: Iterable[Mission]) -> tuple[int, int]:
    """Create or update missions by id; returns (created, updated)."""
    created = updated = 0
    for mission in missions:
        row = session.get(models.Mission, mission.id)
        if row is None:
            row = models.Mission(id=mission.id)
            session.add(row)
            created += 1
        else:
            updated += 1
        row.title = mission.title
        row.description = mission.description
        row.remote = mission.remote
        row.places_total = mission.places_total
        row.places_filled = mission.places_filled
        row.min_age = mission.min_age
        row.city = mission.place.name if mission.place else None
        row.postcode = mission.place.postcode if mission.place else None
        row.latitude = mission.place.latitude if mission.place else None
        row.longitude = mission.place.longitude if mission.place else None
        row.skills = [models.MissionSkill(skill=key) for key in dict.fromkeys(mission.skills)]
        row.causes = [models.MissionCause(cause=key) for key in dict.fromkeys(mission.causes)]
        row.schedule = [models.MissionSlot(day=s.day, period=s.period) for s in sort_slots(mission.schedule)]
        session.flush()
    logger.info("imported missions: %d created, %d updated", created, updated)
    return created, updated


def open_missions(session: Session) -> list[Mission]:
    """Every open mission, as matching sees them, ordered by id."""
    rows = session.execute(
        select(models.Mission)
        .where(models.Mission.status == "open")
        .options(
            selectinload(models.Mission.skills),
            selectinload(models.Mission.causes),
            selectinload(models.Mission.schedule),
        )
        .order_by(models.Mission.id)
    ).scalars()
    return [to_domain(row) for row in rows]


def to_domain(row: models.Mission) -> Mission:
    """A stored mission as the plain value matching uses."""
    place = None
    if row.city is not None and row.latitude is not None and row.longitude is not None:
        place = Place(row.city, row.latitude, row.longitude, row.postcode)
    return Mission(
        id=row.id,
        title=row.title,
        description=row.description,
        causes=tuple(c.cause for c in row.causes),
        skills=tuple(s.skill for s in row.skills),
        schedule=tuple(sort_slots(TimeSlot(s.day, s.period) for s in row.schedule)),
        place=place,
        remote=row.remote,
        places_total=row.places_total,
        places_filled=row.places_filled,
        min_age=row.min_age,
    )


def get(session: Session, mission_id: str) -> Mission | None:
    """One mission by id, open or not."""
    row = session.get(models.Mission, mission_id)
    return to_domain(row) if row is not None else None
