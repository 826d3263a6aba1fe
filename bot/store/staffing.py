"""Missions as staff manage them: lists with their counts, who is interested, who is on it, closing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.errors import InvalidDataError, NotFoundError
from bot.store import models

logger = logging.getLogger(__name__)

ACCEPTED = "acceptée"


@dataclass(frozen=True)
class MissionRow:
    """A mission with what staff need to see at a glance."""

    mission: models.Mission
    interested: int
    accepted: int

    @property
    def places_left(self) -> int:
        """Volunteers still wanted."""
        return max(self.mission.places_total - self.mission.places_filled, 0)


def _counts(session: Session, mission_ids: list[str]) -> dict[str, tuple[int, int]]:
    if not mission_ids:
        return {}
    rows = session.execute(
        select(models.Application.mission_id, func.count())
        .where(models.Application.mission_id.in_(mission_ids))
        .group_by(models.Application.mission_id)
    ).all()
    interested = {mission_id: int(n) for mission_id, n in rows}
    accepted_rows = session.execute(
        select(models.Application.mission_id, func.count())
        .where(models.Application.mission_id.in_(mission_ids), models.Application.status == ACCEPTED)
        .group_by(models.Application.mission_id)
    ).all()
    accepted = {mission_id: int(n) for mission_id, n in accepted_rows}
    return {mission_id: (interested.get(mission_id, 0), accepted.get(mission_id, 0)) for mission_id in mission_ids}


def listing(
    session: Session, *, status: str | None = "open", search: str | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[MissionRow], int]:
    """A page of missions (open ones by default) with their counts, and how many there are."""
    where = []
    if status:
        where.append(models.Mission.status == status)
    if search and search.strip():
        pattern = f"%{search.strip().lower()}%"
        where.append(func.lower(models.Mission.title).like(pattern) | func.lower(models.Mission.id).like(pattern))
    total = session.execute(select(func.count(models.Mission.id)).where(*where)).scalar_one()
    missions = list(
        session.execute(
            select(models.Mission)
            .where(*where)
            .order_by(models.Mission.id)
            .limit(per_page)
            .offset((max(page, 1) - 1) * per_page)
        ).scalars()
    )
    counts = _counts(session, [m.id for m in missions])
    return [MissionRow(m, *counts[m.id]) for m in missions], total


def needing_volunteers(session: Session, *, limit: int = 200) -> list[MissionRow]:
    """Open missions under their target, the most places left first."""
    left = models.Mission.places_total - models.Mission.places_filled
    missions = list(
        session.execute(
            select(models.Mission)
            .where(models.Mission.status == "open", left > 0)
            .order_by(left.desc(), models.Mission.id)
            .limit(limit)
        ).scalars()
    )
    counts = _counts(session, [m.id for m in missions])
    return [MissionRow(m, *counts[m.id]) for m in missions]


def get(session: Session, *, mission_id: str) -> models.Mission:
    """A mission with its skills, causes and schedule; NotFoundError if there is none."""
    mission = session.execute(
        select(models.Mission)
        .where(models.Mission.id == mission_id)
        .options(
            selectinload(models.Mission.skills),
            selectinload(models.Mission.causes),
            selectinload(models.Mission.schedule),
        )
    ).scalar_one_or_none()
    if mission is None:
        raise NotFoundError(f"la mission {mission_id} n'existe pas")
    return mission


def applicants(session: Session, *, mission_id: str) -> list[tuple[models.Application, models.Volunteer]]:
    """Volunteers who said yes to the mission, oldest first."""
    rows = session.execute(
        select(models.Application, models.Volunteer)
        .join(models.Volunteer, models.Volunteer.id == models.Application.volunteer_id)
        .where(models.Application.mission_id == mission_id)
        .order_by(models.Application.created_at, models.Application.id)
    ).all()
    return [(application, volunteer) for application, volunteer in rows]


@dataclass(frozen=True)
class ShiftVolunteer:
    """A volunteer signed up to dates of the mission (in the chat, "S'inscrire à une date")."""

    volunteer: models.Volunteer
    upcoming: int  # dates ahead they are signed up to
    next_start: datetime | None  # the first of them (UTC)
    attended: int  # dates they came to


def shift_volunteers(session: Session, *, mission_id: str, now: datetime) -> list[ShiftVolunteer]:
    """Volunteers signed up to the mission's dates (ahead, or attended), soonest next date first.

    A sign-up to a date is a yes to the mission that leaves no application: without this list,
    someone who signed up from "Plus d'infos" was in none of the mission's lists.
    """
    signup, shift = models.Signup, models.Shift
    ahead = (signup.status == "confirmed") & (shift.starts_at > now) & shift.cancelled_at.is_(None)
    came = signup.status == "attended"
    rows = session.execute(
        select(
            signup.volunteer_id,
            func.count().filter(ahead),
            func.min(shift.starts_at).filter(ahead),
            func.count().filter(came),
        )
        .join(shift, shift.id == signup.shift_id)
        .where(shift.mission_id == mission_id, ahead | came)
        .group_by(signup.volunteer_id)
    ).all()
    people = {row.id: row for row in session.scalars(select(models.Volunteer).where(
        models.Volunteer.id.in_([volunteer_id for volunteer_id, *_ in rows])))}  # fmt: skip
    found = [
        ShiftVolunteer(people[volunteer_id], int(upcoming), first, int(attended))
        for volunteer_id, upcoming, first, attended in rows
        if volunteer_id in people
    ]
    far = datetime.max.replace(tzinfo=None)
    return sorted(found, key=lambda one: (one.next_start is None, (one.next_start or far).replace(tzinfo=None)))


def invitations(session: Session, *, mission_id: str) -> list[tuple[models.Invitation, models.Volunteer]]:
    """Invitations sent for the mission, newest first, with the volunteer (and the staff member, loaded)."""
    rows = session.execute(
        select(models.Invitation, models.Volunteer)
        .join(models.Volunteer, models.Volunteer.id == models.Invitation.volunteer_id)
        .where(models.Invitation.mission_id == mission_id)
        .options(selectinload(models.Invitation.staff))
        .order_by(models.Invitation.created_at.desc(), models.Invitation.id.desc())
    ).all()
    return [(invitation, volunteer) for invitation, volunteer in rows]


def accept(session: Session, *, mission_id: str, volunteer_id: int) -> None:
    """Confirm an interested volunteer on the mission: one place fewer to fill."""
    mission = get(session, mission_id=mission_id)
    application = session.execute(
        select(models.Application).where(
            models.Application.mission_id == mission_id, models.Application.volunteer_id == volunteer_id
        )
    ).scalar_one_or_none()
    if application is None:
        raise NotFoundError("ce bénévole ne s'est pas proposé pour cette mission")
    if application.status == ACCEPTED:
        return
    if mission.places_filled >= mission.places_total:
        raise InvalidDataError("toutes les places de cette mission sont déjà pourvues")
    application.status = ACCEPTED
    mission.places_filled += 1
    session.flush()


def set_status(session: Session, *, mission_id: str, status: str) -> models.Mission:
    """Close or reopen a mission (closed missions are never proposed)."""
    if status not in ("open", "closed"):
        raise InvalidDataError(f"statut de mission inconnu : {status}")
    mission = get(session, mission_id=mission_id)
    mission.status = status
    session.flush()
    logger.info("mission %s is now %s", mission_id, status)
    return mission


def last_invitation(session: Session, *, volunteer_id: int, mission_id: str) -> datetime | None:
    """When this volunteer was last invited to this mission (by staff or an urgent call)."""
    return session.execute(
        select(func.max(models.Invitation.created_at)).where(
            models.Invitation.volunteer_id == volunteer_id, models.Invitation.mission_id == mission_id
        )
    ).scalar_one()


def record_invitation(
    session: Session, *, volunteer_id: int, mission_id: str, staff_id: int | None, kind: str = "staff"
) -> models.Invitation:
    """Remember that a staff member (or the assistant's urgent call, ``staff_id`` None) invited a volunteer."""
    invitation = models.Invitation(volunteer_id=volunteer_id, mission_id=mission_id, staff_id=staff_id, kind=kind)
    session.add(invitation)
    session.flush()
    return invitation
