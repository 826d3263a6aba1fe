"""Suggested volunteers for a mission: a fast SQL pre-selection, then the exact ranking of bot.matching.

Scoring every stored volunteer in Python would take seconds with 100,000 of them. The
pre-selection keeps, among the leads still in play (not refused, not archived, not already
candidates for the mission) and within the distance limit of an on-site mission, the
``POOL`` who share the most with the mission (skills, slots and causes weighted as in
``matching.yml``), nearest first; ``bot.matching.suggest_volunteers`` then ranks those
exactly and words the reasons. When few share anything, the nearest ones fill the pool.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from bot import matching
from bot.config import Settings
from bot.profile import Proposal
from bot.store import missions as mission_store
from bot.store import models
from bot.store import volunteers as volunteer_store
from bot.store.leads import KM_PER_DEGREE

POOL = 300
CLOSED_STATUSES = ("refusé", "archivé")


@dataclass(frozen=True)
class Suggestion:
    """A volunteer who fits the mission, with the proposal they would receive."""

    volunteer: models.Volunteer
    proposal: Proposal
    invited: bool


def _candidates(session: Session, mission: models.Mission, max_km: float) -> list[int]:
    v = models.Volunteer
    where = [v.status.notin_(CLOSED_STATUSES)]
    applied = select(models.Application.volunteer_id).where(models.Application.mission_id == mission.id)
    where.append(v.id.notin_(applied))
    distance = literal(0.0)
    if not mission.remote and mission.latitude is not None and mission.longitude is not None:
        cos_latitude = math.cos(math.radians(mission.latitude))
        dlat, dlon = max_km / KM_PER_DEGREE, max_km / (KM_PER_DEGREE * max(cos_latitude, 0.01))
        where += [
            v.latitude.between(mission.latitude - dlat, mission.latitude + dlat),
            v.longitude.between(mission.longitude - dlon, mission.longitude + dlon),
        ]
        lat_km = (v.latitude - mission.latitude) * KM_PER_DEGREE
        lon_km = (v.longitude - mission.longitude) * (KM_PER_DEGREE * cos_latitude)
        distance = lat_km * lat_km + lon_km * lon_km
    weights = matching.load_rules().weights
    parts = []
    skills = [s.skill for s in mission.skills]
    causes = [c.cause for c in mission.causes]
    slots = [(s.day, s.period) for s in mission.schedule]
    if skills:
        parts.append(
            select(models.VolunteerSkill.volunteer_id.label("vid"), literal(weights.skills).label("w")).where(
                models.VolunteerSkill.skill.in_(skills)
            )
        )
    if slots:
        a = models.VolunteerAvailability
        parts.append(
            select(a.volunteer_id.label("vid"), literal(weights.availability).label("w")).where(
                or_(*[and_(a.day == day, a.period == period) for day, period in slots])
            )
        )
    if causes:
        parts.append(
            select(models.VolunteerCause.volunteer_id.label("vid"), literal(weights.causes).label("w")).where(
                models.VolunteerCause.cause.in_(causes)
            )
        )
    chosen: list[int] = []
    if parts:
        shared = union_all(*parts).subquery()
        overlap = func.sum(shared.c.w).label("overlap")
        query = (
            select(v.id)
            .join(shared, shared.c.vid == v.id)
            .where(*where)
            .group_by(v.id)
            .order_by(overlap.desc(), func.min(distance), v.id)
            .limit(POOL)
        )
        chosen = list(session.execute(query).scalars())
    if len(chosen) < POOL:
        rest = select(v.id).where(*where, v.id.notin_(chosen) if chosen else literal(True))
        chosen += list(session.execute(rest.order_by(distance, v.id).limit(POOL - len(chosen))).scalars())
    return chosen


def suggest(session: Session, settings: Settings, *, mission: models.Mission, limit: int = 10) -> list[Suggestion]:
    """The volunteers who fit the mission best, best first, with the reasons each fits."""
    rules = matching.load_rules()
    ids = _candidates(session, mission, rules.max_distance_km)
    if not ids:
        return []
    volunteers = {
        row.id: row
        for row in session.execute(
            select(models.Volunteer)
            .where(models.Volunteer.id.in_(ids))
            .options(
                selectinload(models.Volunteer.skills),
                selectinload(models.Volunteer.causes),
                selectinload(models.Volunteer.availability),
            )
        ).scalars()
    }
    profiles = [
        (
            str(volunteer_id),
            volunteer_store.to_submission(row).matching_profile(adult_age=settings.adult_age, min_age=settings.min_age),
        )
        for volunteer_id, row in volunteers.items()
    ]
    ranked = matching.suggest_volunteers(mission_store.to_domain(mission), profiles, limit=limit, rules=rules)
    invited = set(
        session.execute(
            select(models.Invitation.volunteer_id).where(
                models.Invitation.mission_id == mission.id, models.Invitation.volunteer_id.in_(ids)
            )
        ).scalars()
    )
    return [Suggestion(volunteers[int(vid)], proposal, int(vid) in invited) for vid, proposal in ranked]
