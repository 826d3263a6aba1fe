"""Leads as staff see them: filtered lists, follow-up (status, assignment, notes), rectification, audit.

Every function takes a keyword-only ``session``; the console and the JSON API call them
inside one unit of work per request.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import ColumnElement, Select

from bot.errors import InvalidDataError, NotFoundError
from bot.geo import KM_PER_DEGREE, flat_km
from bot.profile import Place, TimeSlot, sort_slots
from bot.store import models

logger = logging.getLogger(__name__)

STATUSES = ("nouveau", "contacté", "entretien", "actif", "refusé", "archivé")
STATUS_LABELS = {
    "nouveau": "Nouveau",
    "contacté": "Contacté",
    "entretien": "Entretien",
    "actif": "Actif",
    "refusé": "Refusé",
    "archivé": "Archivé",
}
# The workflow: one step forward, refuse (with a reason) or archive from anywhere, reopen a closed lead.
NEXT_STATUSES = {
    "nouveau": ("contacté", "refusé", "archivé"),
    "contacté": ("entretien", "refusé", "archivé"),
    "entretien": ("actif", "refusé", "archivé"),
    "actif": ("archivé",),
    "refusé": ("nouveau", "archivé"),
    "archivé": ("nouveau",),
}
SORTS = {
    "recent": "Plus récents",
    "oldest": "Plus anciens",
    "name": "Prénom",
    "status": "Statut",
    "distance": "Distance",
}
PER_PAGE = 50


@dataclass(frozen=True)
class LeadFilter:
    """What the leads list is filtered and sorted by (every field optional)."""

    status: str | None = None
    skill: str | None = None
    cause: str | None = None
    day: str | None = None
    period: str | None = None
    place: Place | None = None
    distance_km: float | None = None
    channel: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    search: str | None = None
    # The search matches e-mails only of the leads assigned to this staff member (a coordinator,
    # who sees no other lead's e-mail: else guessing an address letter by letter would reveal it).
    # None: every lead's e-mail (admins, the command line).
    email_search_for: int | None = None
    assigned_staff_id: int | None = None
    sort: str = "recent"
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def is_empty(self) -> bool:
        """No filter at all (sorting and paging aside): the list is every lead."""
        return replace(self, sort="recent", page=1, per_page=PER_PAGE, email_search_for=None) == LeadFilter()


@dataclass
class LeadPage:
    """One page of the filtered list, with the total count."""

    rows: list[models.Volunteer]
    total: int
    page: int
    per_page: int
    distances: dict[int, float] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _squared_km(place: Place) -> ColumnElement:
    """The square of bot.geo.flat_km as a SQL expression (exact enough at a town's scale, any SQL engine)."""
    cos_latitude = math.cos(math.radians(place.latitude))
    dlat = (models.Volunteer.latitude - place.latitude) * KM_PER_DEGREE
    dlon = (models.Volunteer.longitude - place.longitude) * (KM_PER_DEGREE * cos_latitude)
    return dlat * dlat + dlon * dlon


def _as_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def conditions(filters: LeadFilter) -> list[ColumnElement]:
    """The SQL conditions of a filter on the volunteers table."""
    v = models.Volunteer
    where: list[ColumnElement] = []
    if filters.status:
        where.append(v.status == filters.status)
    if filters.channel:
        where.append(v.channel == filters.channel)
    if filters.skill:
        where.append(
            v.id.in_(select(models.VolunteerSkill.volunteer_id).where(models.VolunteerSkill.skill == filters.skill))
        )
    if filters.cause:
        where.append(
            v.id.in_(select(models.VolunteerCause.volunteer_id).where(models.VolunteerCause.cause == filters.cause))
        )
    if filters.day or filters.period:
        slot = select(models.VolunteerAvailability.volunteer_id)
        if filters.day:
            slot = slot.where(models.VolunteerAvailability.day == filters.day)
        if filters.period:
            slot = slot.where(models.VolunteerAvailability.period == filters.period)
        where.append(v.id.in_(slot))
    if filters.place is not None:
        km = filters.distance_km if filters.distance_km is not None else 10.0
        place = filters.place
        dlat = km / KM_PER_DEGREE
        dlon = km / (KM_PER_DEGREE * max(math.cos(math.radians(place.latitude)), 0.01))
        where += [
            v.latitude.between(place.latitude - dlat, place.latitude + dlat),
            v.longitude.between(place.longitude - dlon, place.longitude + dlon),
            _squared_km(place) <= km * km,
        ]
    if filters.created_from:
        where.append(v.created_at >= _as_utc(filters.created_from))
    if filters.created_to:
        where.append(v.created_at < _as_utc(filters.created_to + timedelta(days=1)))
    if filters.search and filters.search.strip():
        pattern = _like(filters.search.strip())
        email = func.lower(v.email).like(pattern, escape="\\")
        if filters.email_search_for is not None:
            email = and_(email, v.id.in_(_assigned_to(filters.email_search_for)))
        where.append(or_(func.lower(v.first_name).like(pattern, escape="\\"), email))
    if filters.assigned_staff_id is not None:
        where.append(v.id.in_(_assigned_to(filters.assigned_staff_id)))
    return where


def _assigned_to(staff_id: int) -> Select:
    """The ids of the leads assigned to a staff member."""
    return select(models.LeadFollowUp.volunteer_id).where(models.LeadFollowUp.assigned_staff_id == staff_id)


def _ordered(query: Select, filters: LeadFilter) -> Select:
    v = models.Volunteer
    if filters.sort == "oldest":
        return query.order_by(v.created_at, v.id)
    if filters.sort == "name":
        return query.order_by(func.lower(v.first_name), v.id)
    if filters.sort == "status":
        return query.order_by(v.status, v.created_at.desc(), v.id.desc())
    if filters.sort == "distance" and filters.place is not None:
        return query.order_by(_squared_km(filters.place), v.id)
    return query.order_by(v.created_at.desc(), v.id.desc())


def _with_details(query: Select) -> Select:
    return query.options(
        selectinload(models.Volunteer.skills),
        selectinload(models.Volunteer.causes),
        selectinload(models.Volunteer.availability),
    )


def search(session: Session, *, filters: LeadFilter) -> LeadPage:
    """One page of leads matching the filter, and how many match in all."""
    where = conditions(filters)
    total = session.execute(select(func.count(models.Volunteer.id)).where(*where)).scalar_one()
    page = max(1, filters.page)
    query = _ordered(select(models.Volunteer).where(*where), filters)
    query = query.limit(filters.per_page).offset((page - 1) * filters.per_page)
    rows = list(session.execute(_with_details(query)).scalars())
    distances = {}
    if filters.place is not None:
        for row in rows:
            if row.latitude is not None and row.longitude is not None:
                distances[row.id] = flat_km(
                    filters.place.latitude, filters.place.longitude, row.latitude, row.longitude
                )
    return LeadPage(rows=rows, total=total, page=page, per_page=filters.per_page, distances=distances)


def iterate(session: Session, *, filters: LeadFilter, batch: int = 1000) -> Iterable[models.Volunteer]:
    """Every lead matching the filter, in the filter's order (for the CSV export)."""
    query = _with_details(_ordered(select(models.Volunteer).where(*conditions(filters)), filters))
    offset = 0
    while True:
        rows = list(session.execute(query.limit(batch).offset(offset)).scalars())
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


# --------------------------------------------------------------------------- one lead


def get(session: Session, *, volunteer_id: int) -> models.Volunteer:
    """A lead with everything its page shows; NotFoundError if there is none."""
    volunteer = session.execute(
        select(models.Volunteer)
        .where(models.Volunteer.id == volunteer_id)
        .options(
            selectinload(models.Volunteer.skills),
            selectinload(models.Volunteer.causes),
            selectinload(models.Volunteer.availability),
            selectinload(models.Volunteer.consents),
            selectinload(models.Volunteer.proposals).selectinload(models.Proposal.mission),
            selectinload(models.Volunteer.applications).selectinload(models.Application.mission),
        )
    ).scalar_one_or_none()
    if volunteer is None:
        raise NotFoundError(f"le candidat {volunteer_id} n'existe pas")
    return volunteer


def follow_up(session: Session, *, volunteer_id: int) -> models.LeadFollowUp:
    """The follow-up record of a lead, created on first use."""
    row = session.get(models.LeadFollowUp, volunteer_id)
    if row is None:
        row = models.LeadFollowUp(volunteer_id=volunteer_id)
        session.add(row)
        session.flush()
    return row


def existing_follow_up(session: Session, *, volunteer_id: int) -> models.LeadFollowUp | None:
    """The follow-up record of a lead if staff have followed it up (reading creates nothing)."""
    return session.get(models.LeadFollowUp, volunteer_id)


def assignments(session: Session, *, volunteer_ids: Collection[int] | None = None) -> dict[int, int]:
    """Lead id → the staff member it is assigned to, for every assigned lead (or those of ``volunteer_ids``)."""
    f = models.LeadFollowUp
    statement = select(f.volunteer_id, f.assigned_staff_id).where(f.assigned_staff_id.is_not(None))
    if volunteer_ids is not None:
        statement = statement.where(f.volunteer_id.in_(list(volunteer_ids)))
    rows = session.execute(statement)
    return {volunteer_id: staff_id for volunteer_id, staff_id in rows}


def notes(session: Session, *, volunteer_id: int) -> list[models.LeadNote]:
    """Staff notes on a lead, oldest first."""
    return list(
        session.execute(
            select(models.LeadNote)
            .where(models.LeadNote.volunteer_id == volunteer_id)
            .options(selectinload(models.LeadNote.staff))
            .order_by(models.LeadNote.created_at, models.LeadNote.id)
        ).scalars()
    )


def invitations(session: Session, *, volunteer_id: int) -> list[models.Invitation]:
    """Missions staff invited the lead to, oldest first."""
    return list(
        session.execute(
            select(models.Invitation)
            .where(models.Invitation.volunteer_id == volunteer_id)
            .options(selectinload(models.Invitation.mission), selectinload(models.Invitation.staff))
            .order_by(models.Invitation.created_at, models.Invitation.id)
        ).scalars()
    )


def handoffs_of(session: Session, *, volunteer: models.Volunteer) -> list[models.HandoffRequest]:
    """The lead's requests to talk to a person."""
    return list(
        session.execute(
            select(models.HandoffRequest)
            .where(
                models.HandoffRequest.channel == volunteer.channel,
                models.HandoffRequest.sender_id == volunteer.sender_id,
            )
            .order_by(models.HandoffRequest.created_at)
        ).scalars()
    )


def add_note(session: Session, *, volunteer_id: int, staff_id: int, text: str) -> models.LeadNote:
    """Add a staff note to a lead."""
    text = text.strip()
    if not text:
        raise InvalidDataError("la note est vide")
    if len(text) > 5000:
        raise InvalidDataError("la note dépasse 5000 caractères")
    get(session, volunteer_id=volunteer_id)
    note = models.LeadNote(volunteer_id=volunteer_id, staff_id=staff_id, text=text)
    session.add(note)
    session.flush()
    return note


def change_status(session: Session, *, volunteer_id: int, status: str, reason: str | None = None) -> models.Volunteer:
    """Move a lead along the workflow; a refusal needs a reason."""
    volunteer = get(session, volunteer_id=volunteer_id)
    if status not in STATUSES:
        raise InvalidDataError(f"statut inconnu : {status}")
    if status == volunteer.status:
        return volunteer
    if status not in NEXT_STATUSES.get(volunteer.status, STATUSES):
        raise InvalidDataError(
            f"on ne peut pas passer de « {STATUS_LABELS.get(volunteer.status, volunteer.status)} » "
            f"à « {STATUS_LABELS[status]} »"
        )
    record = follow_up(session, volunteer_id=volunteer_id)
    if status == "refusé":
        reason = (reason or "").strip()
        if not reason:
            raise InvalidDataError("indiquez la raison du refus")
        record.refusal_reason = reason[:1000]
    elif status == "nouveau":
        record.refusal_reason = None
    now = models.utcnow()
    if status in ("contacté", "entretien", "actif") and record.contacted_at is None:
        record.contacted_at = now
    if status == "actif" and record.active_at is None:
        record.active_at = now
    volunteer.status = status
    session.flush()
    logger.info("lead %s moved to status %s", volunteer_id, status)
    return volunteer


def assign(session: Session, *, volunteer_id: int, staff_id: int | None) -> None:
    """Assign a lead to a staff member (None: nobody)."""
    get(session, volunteer_id=volunteer_id)
    if staff_id is not None and session.get(models.StaffMember, staff_id) is None:
        raise InvalidDataError("ce responsable n'existe pas")
    follow_up(session, volunteer_id=volunteer_id).assigned_staff_id = staff_id
    session.flush()


@dataclass(frozen=True)
class Rectification:
    """Profile fields staff may correct at the person's request."""

    first_name: str
    email: str | None
    phone: str | None
    place: Place | None
    skills: Sequence[str]
    causes: Sequence[str]
    availability: Sequence[TimeSlot]


def rectify(session: Session, *, volunteer_id: int, change: Rectification) -> list[str]:
    """Correct a lead's profile; returns the names of the fields that changed (never their values)."""
    volunteer = get(session, volunteer_id=volunteer_id)
    if not change.first_name.strip():
        raise InvalidDataError("le prénom est obligatoire")
    if not change.email and not change.phone:
        raise InvalidDataError("il faut au moins un e-mail ou un téléphone")
    changed: list[str] = []

    def set_field(name: str, value: object) -> None:
        if getattr(volunteer, name) != value:
            setattr(volunteer, name, value)
            changed.append(name)

    set_field("first_name", change.first_name.strip()[:60])
    set_field("email", change.email)
    set_field("phone", change.phone)
    place = change.place
    if (volunteer.city, volunteer.postcode) != ((place.name, place.postcode) if place else (None, None)):
        volunteer.city = place.name if place else None
        volunteer.postcode = place.postcode if place else None
        volunteer.latitude = place.latitude if place else None
        volunteer.longitude = place.longitude if place else None
        changed.append("place")
    skills = list(dict.fromkeys(change.skills))
    if [s.skill for s in volunteer.skills] != skills:
        volunteer.skills = [models.VolunteerSkill(skill=key, position=i) for i, key in enumerate(skills)]
        changed.append("skills")
    causes = list(dict.fromkeys(change.causes))
    if [c.cause for c in volunteer.causes] != causes:
        volunteer.causes = [models.VolunteerCause(cause=key, position=i) for i, key in enumerate(causes)]
        changed.append("causes")
    slots = sort_slots(change.availability)
    if sort_slots(TimeSlot(a.day, a.period) for a in volunteer.availability) != slots:
        volunteer.availability = [models.VolunteerAvailability(day=s.day, period=s.period) for s in slots]
        changed.append("availability")
    if changed:
        volunteer.updated_at = models.utcnow()
    session.flush()
    return changed


# --------------------------------------------------------------------------- queues


def open_handoffs(session: Session) -> list[tuple[models.HandoffRequest, models.Volunteer | None]]:
    """Open requests to talk to a person, oldest first, with the lead when there is one."""
    rows = session.execute(
        select(models.HandoffRequest, models.Volunteer)
        .outerjoin(
            models.Volunteer,
            and_(
                models.Volunteer.channel == models.HandoffRequest.channel,
                models.Volunteer.sender_id == models.HandoffRequest.sender_id,
            ),
        )
        .where(models.HandoffRequest.status == "ouverte")
        .order_by(models.HandoffRequest.created_at, models.HandoffRequest.id)
    ).all()
    return [(request, volunteer) for request, volunteer in rows]


def handoff(session: Session, *, request_id: int) -> models.HandoffRequest:
    """A request to talk to somebody; NotFoundError if there is none."""
    request = session.get(models.HandoffRequest, request_id)
    if request is None:
        raise NotFoundError("cette demande n'existe pas")
    return request


def close_handoff(session: Session, *, request_id: int) -> None:
    """Mark a request as handled."""
    handoff(session, request_id=request_id).status = "traitée"
    session.flush()


def record_audit(session: Session, *, actor: str, action: str, subject: str, **details: object) -> None:
    """Leave a trace of who did what to which record (ids only, never personal data)."""
    session.add(models.AuditEntry(actor=actor, action=action, subject=subject, details=details))
    session.flush()


def audit_entries(session: Session, *, page: int = 1, per_page: int = 100) -> tuple[list[models.AuditEntry], int]:
    """A page of the audit log, newest first, and the number of entries."""
    total = session.execute(select(func.count()).select_from(models.AuditEntry)).scalar_one()
    rows = session.execute(
        select(models.AuditEntry)
        .order_by(models.AuditEntry.at.desc(), models.AuditEntry.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).scalars()
    return list(rows), total


def funnel_stages(session: Session, *, since: datetime) -> dict[str, list[tuple[datetime, str]]]:
    """For the dashboard's funnel: when each lead reached each stage since ``since``, with its channel."""
    v = models.Volunteer

    def firsts(column: object, table: type, key: object) -> list[tuple[datetime, str]]:
        first = func.min(column)
        rows = session.execute(
            select(v.channel, first).join(table, key == v.id).group_by(v.id, v.channel).having(first >= since)
        ).all()
        return [(moment, channel) for channel, moment in rows]

    profile = [tuple(row) for row in session.execute(select(v.created_at, v.channel).where(v.created_at >= since))]
    f = models.LeadFollowUp
    contacted = session.execute(
        select(f.contacted_at, v.channel).join(v, v.id == f.volunteer_id).where(f.contacted_at >= since)
    ).all()
    active = session.execute(
        select(f.active_at, v.channel).join(v, v.id == f.volunteer_id).where(f.active_at >= since)
    ).all()
    return {
        "profile": profile,
        "proposed": firsts(models.Proposal.created_at, models.Proposal, models.Proposal.volunteer_id),
        "interested": firsts(models.Application.created_at, models.Application, models.Application.volunteer_id),
        "contacted": [tuple(row) for row in contacted],
        "active": [tuple(row) for row in active],
    }
