"""The JSON API for leads and missions, at /api/, described by OpenAPI at /api/openapi.json.

Every call carries ``Authorization: Bearer TOKEN`` (``bot staff token EMAIL`` creates one;
only its hash is stored). Errors are JSON ``{"detail": "..."}`` in French: 401 without a
valid token, 404 for an unknown id, 400 for unusable data, 422 for malformed parameters.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bot.console import access
from bot.console.deps import DbSession, SettingsDep
from bot.console.forms import resolve_town
from bot.console.suggestions import suggest
from bot.errors import InvalidDataError
from bot.missions import _parse_mission
from bot.profile import DAYS, PERIODS
from bot.shifts import label
from bot.store import leads as lead_store
from bot.store import missions as mission_store
from bot.store import models, staffing
from bot.store import shifts as shift_store
from bot.store import signups as signup_store
from bot.store import staff as staff_store
from bot.store import volunteers as volunteer_store
from bot.store.retention import as_utc
from bot.taxonomy import load_taxonomy

bearer = HTTPBearer(auto_error=False, description="Jeton créé par `bot staff token EMAIL`.")
NoNul = r"^[^\x00]*$"  # PostgreSQL refuses NUL characters in text: reject them up front
MAX_ID = 2**31 - 1


def api_staff(
    session: DbSession, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> models.StaffMember:
    """The staff member the bearer token belongs to; 401 otherwise."""
    token = credentials.credentials if credentials is not None else ""
    member = staff_store.staff_for_token(session, token=token) if "\x00" not in token else None
    if member is None:
        raise HTTPException(401, "jeton d'accès manquant ou invalide", headers={"WWW-Authenticate": "Bearer"})
    return member


ApiStaff = Annotated[models.StaffMember, Depends(api_staff)]
router = APIRouter(tags=["API"])

Status = Literal["nouveau", "contacté", "entretien", "actif", "refusé", "archivé"]
Day = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Period = Literal["morning", "afternoon", "evening"]
Channel = Literal["rest", "telegram", "web"]


class Slot(BaseModel):
    """A half-day of the week."""

    day: Day
    period: Period


class LeadSummary(BaseModel):
    """A lead in a list."""

    id: int
    first_name: str
    city: str | None
    postcode: str | None
    channel: str
    status: str
    skills: list[str]
    causes: list[str]
    availability: list[Slot]
    created_at: datetime
    distance_km: float | None = None


class LeadPageOut(BaseModel):
    """A page of leads and how many match in all."""

    total: int
    page: int
    per_page: int
    items: list[LeadSummary]


class ProposalOut(BaseModel):
    """A mission proposed to the lead, with the reasons shown."""

    id: str
    title: str
    score: float
    reasons: list[str]


class SignupOut(BaseModel):
    """A sign-up to a shift and what followed (the lead page's "Créneaux")."""

    mission_id: str
    mission: str
    starts_at: str | None
    ends_at: str | None
    status: str
    created_at: str | None
    cancelled_at: str | None
    cancelled_by: str | None
    reminder_answer: str | None
    checkin_done_at: str | None
    rating: int | None
    comment: str | None = Field(description="null for those who do not see the contact details, as the conversation")


class HoursOut(BaseModel):
    """Hours of volunteering done on one day."""

    day: date
    minutes: int
    mission: str
    source: str


class AttestationLinkOut(BaseModel):
    """An attestation link issued: its period and the full name it prints."""

    period_start: date
    period_end: date
    full_name: str | None = Field(description="null for those who do not see the contact details")
    created_at: str | None
    expires_at: str | None


class LeadDetail(BaseModel):
    """Everything the lead page shows (except the conversation); contact details as ``bot.console.access`` says."""

    id: int
    channel: str
    sender_id: str | None = Field(description="id of the conversation; null with the contact details")
    first_name: str
    email: str | None = Field(description="null when the lead is assigned to another staff member, or to nobody")
    phone: str | None
    city: str | None
    postcode: str | None
    skills: list[str]
    availability: list[Slot]
    interests: list[str]
    consent_at: str | None
    status: str
    proposed_missions: list[ProposalOut]
    applications: list[str]
    refusal_reason: str | None
    assigned_to: str | None
    created_at: str | None
    updated_at: str | None
    signups: list[SignupOut]
    hours: list[HoursOut]
    attestation_links: list[AttestationLinkOut]


class StatusChange(BaseModel):
    """A move along the workflow; a refusal needs a reason."""

    status: Status
    reason: str | None = Field(default=None, max_length=1000, regex=NoNul)


class MissionIn(BaseModel):
    """A mission to create or replace."""

    title: str = Field(min_length=1, max_length=120, regex=NoNul)
    description: str = Field(default="", max_length=5000, regex=NoNul)
    town: str | None = Field(default=None, max_length=120, regex=NoNul, description="commune ou code postal")
    remote: bool = False
    urgent: bool = Field(default=False, description="below target, the assistant invites volunteers by itself")
    places: int = Field(ge=1, le=100000)
    filled: int = Field(default=0, ge=0, le=100000)
    min_age: int | None = Field(default=None, ge=0, le=120)
    skills: list[str] = Field(default_factory=list, max_items=50)
    causes: list[str] = Field(default_factory=list, max_items=50)
    schedule: list[Slot] = Field(min_items=1, max_items=21)
    address: str | None = Field(
        default=None, max_length=200, regex=NoNul, description="where to go on the day; omitted: unchanged"
    )
    contact: str | None = Field(
        default=None, max_length=200, regex=NoNul, description="whom to ask on the day; omitted: unchanged"
    )


class MissionNew(MissionIn):
    """A mission to create, with its id."""

    id: str = Field(min_length=1, max_length=32, regex=r"^[A-Za-z0-9_-]+$")


class MissionOut(BaseModel):
    """A mission with its places and volunteers."""

    id: str
    title: str
    description: str
    city: str | None
    postcode: str | None
    remote: bool
    urgent: bool
    status: str
    places_total: int
    places_filled: int
    places_left: int
    interested: int
    skills: list[str]
    causes: list[str]
    schedule: list[Slot]
    address: str | None = None
    contact: str | None = None


class ShiftOut(BaseModel):
    """A dated shift of a mission (times in UTC, label in the association's time zone)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    label: str
    places: int
    taken: int
    places_left: int
    series_id: int | None


class MissionPageOut(BaseModel):
    """A page of missions and how many there are."""

    total: int
    page: int
    per_page: int
    items: list[MissionOut]


class SuggestionOut(BaseModel):
    """A volunteer who fits a mission, with the reasons."""

    volunteer_id: int
    first_name: str
    score: float
    reasons: list[str]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "jeton manquant ou invalide"},
    404: {"description": "introuvable"},
    400: {"description": "données inutilisables"},
}


def _slots(rows: Any) -> list[Slot]:
    ordered = sorted(rows, key=lambda r: (DAYS.index(r.day), PERIODS.index(r.period)))
    return [Slot(day=r.day, period=r.period) for r in ordered]


def _summary(volunteer: models.Volunteer, distance: float | None = None) -> LeadSummary:
    return LeadSummary(
        id=volunteer.id,
        first_name=volunteer.first_name,
        city=volunteer.city,
        postcode=volunteer.postcode,
        channel=volunteer.channel,
        status=volunteer.status,
        skills=[s.skill for s in volunteer.skills],
        causes=[c.cause for c in volunteer.causes],
        availability=_slots(volunteer.availability),
        created_at=volunteer.created_at,
        distance_km=round(distance, 1) if distance is not None else None,
    )


def _actor(member: models.StaffMember) -> str:
    return f"api:staff:{member.id}"


@router.get("/leads", response_model=LeadPageOut, responses=ERRORS)
def api_leads(
    member: ApiStaff,
    session: DbSession,
    status: Status | None = None,
    skill: Annotated[str | None, Query(max_length=40, pattern=NoNul)] = None,
    cause: Annotated[str | None, Query(max_length=40, pattern=NoNul)] = None,
    day: Day | None = None,
    period: Period | None = None,
    town: Annotated[str | None, Query(max_length=120, pattern=NoNul, description="commune ou code postal")] = None,
    distance_km: Annotated[float | None, Query(ge=0, le=500)] = None,
    channel: Channel | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    q: Annotated[str | None, Query(max_length=100, pattern=NoNul, description="prénom ou e-mail")] = None,
    sort: Literal["recent", "oldest", "name", "status", "distance"] = "recent",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LeadPageOut:
    """Leads filtered like the console's list, one page at a time."""
    place = None
    if town:
        place = resolve_town(town)
        if place is None:
            raise InvalidDataError(f"commune inconnue : « {town} »")
    filters = lead_store.LeadFilter(
        status=status, skill=skill, cause=cause, day=day, period=period, place=place, distance_km=distance_km,
        channel=channel, created_from=created_from, created_to=created_to, search=q,
        sort=sort if sort != "distance" or place else "recent", page=page, per_page=per_page,
    )  # fmt: skip
    result = lead_store.search(session, filters=access.search_as(member, filters))
    lead_store.record_audit(session, actor=_actor(member), action="view", subject="leads:list", rows=len(result.rows))
    return LeadPageOut(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        items=[_summary(v, result.distances.get(v.id)) for v in result.rows],
    )


LeadId = Annotated[int, Path(ge=1, le=MAX_ID)]
MissionId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/leads/{volunteer_id}", response_model=LeadDetail, responses=ERRORS)
def api_lead(volunteer_id: LeadId, member: ApiStaff, session: DbSession) -> LeadDetail:
    """One lead: profile, proposals, applications and follow-up."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    lead_store.record_audit(session, actor=_actor(member), action="view", subject=f"volunteer:{volunteer.id}")
    return _detail(session, volunteer, member)


def _detail(session: Session, volunteer: models.Volunteer, member: models.StaffMember) -> LeadDetail:
    data = volunteer_store.export_one(volunteer)
    follow_up = lead_store.existing_follow_up(session, volunteer_id=volunteer.id)
    shifts = signup_store.access_rows(session, volunteer_id=volunteer.id)
    data.update(
        applications=[a.mission_id for a in volunteer.applications],
        refusal_reason=follow_up.refusal_reason if follow_up else None,
        assigned_to=follow_up.assigned_staff.email if follow_up and follow_up.assigned_staff else None,
        **shifts,
    )
    if not access.sees_contact(member, assigned_staff_id=follow_up.assigned_staff_id if follow_up else None):
        # a check-in's comment is free text and the full name is asked for the attestation only: hidden with them
        data.update(email=None, phone=None, sender_id=None)
        data.update(
            signups=[{**row, "comment": None} for row in shifts["signups"]],
            attestation_links=[{**row, "full_name": None} for row in shifts["attestation_links"]],
        )
    return LeadDetail.parse_obj(data)


@router.post("/leads/{volunteer_id}/status", response_model=LeadDetail, responses=ERRORS)
def api_lead_status(volunteer_id: LeadId, change: StatusChange, member: ApiStaff, session: DbSession) -> LeadDetail:
    """Move a lead along the workflow (nouveau → contacté → entretien → actif, refusé with a reason, archivé)."""
    lead_store.change_status(session, volunteer_id=volunteer_id, status=change.status, reason=change.reason)
    lead_store.record_audit(
        session, actor=_actor(member), action="status", subject=f"volunteer:{volunteer_id}", status=change.status
    )
    session.commit()  # before the answer: a client's next call must see it
    return _detail(session, lead_store.get(session, volunteer_id=volunteer_id), member)


def _mission_out(session: Session, mission: models.Mission) -> MissionOut:
    interested = len(staffing.applicants(session, mission_id=mission.id))
    return MissionOut(
        id=mission.id,
        title=mission.title,
        description=mission.description,
        city=mission.city,
        postcode=mission.postcode,
        remote=mission.remote,
        urgent=mission.urgent,
        status=mission.status,
        places_total=mission.places_total,
        places_filled=mission.places_filled,
        places_left=max(mission.places_total - mission.places_filled, 0),
        interested=interested,
        skills=[s.skill for s in mission.skills],
        causes=[c.cause for c in mission.causes],
        schedule=_slots(mission.schedule),
        address=mission.address,
        contact=mission.contact,
    )


@router.get("/missions", response_model=MissionPageOut, responses=ERRORS)
def api_missions(
    member: ApiStaff,
    session: DbSession,
    status: Literal["open", "closed", "all"] = "open",
    needing_volunteers: bool = False,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MissionPageOut:
    """Missions (open ones by default); ``needing_volunteers`` keeps those under their target."""
    if needing_volunteers:
        rows = staffing.needing_volunteers(session, limit=per_page * page)[(page - 1) * per_page :]
        total = len(staffing.needing_volunteers(session, limit=100000))
    else:
        rows, total = staffing.listing(
            session, status=None if status == "all" else status, page=page, per_page=per_page
        )
    items = [_mission_out(session, staffing.get(session, mission_id=row.mission.id)) for row in rows]
    return MissionPageOut(total=total, page=page, per_page=per_page, items=items)


@router.get("/missions/{mission_id}", response_model=MissionOut, responses=ERRORS)
def api_mission(mission_id: MissionId, member: ApiStaff, session: DbSession) -> MissionOut:
    """One mission with its places and volunteers."""
    return _mission_out(session, staffing.get(session, mission_id=mission_id))


def _save_mission(session: Session, mission_id: str, body: MissionIn) -> models.Mission:
    entry: dict[str, Any] = {
        "id": mission_id, "title": body.title, "description": body.description, "remote": body.remote,
        "urgent": body.urgent, "places": body.places, "filled": body.filled, "skills": body.skills,
        "causes": body.causes,
        "schedule": [slot.dict() for slot in body.schedule],
    }  # fmt: skip
    if body.min_age is not None:
        entry["min_age"] = body.min_age
    existing = session.get(models.Mission, mission_id)
    for name in ("address", "contact"):
        given = getattr(body, name)
        entry[name] = given if given is not None else (getattr(existing, name, None) or "")
    if body.town:
        place = resolve_town(body.town)
        if place is None:
            raise InvalidDataError(f"commune inconnue : « {body.town} »")
        entry.update(city=place.name, postcode=place.postcode, latitude=place.latitude, longitude=place.longitude)
    mission = _parse_mission(entry, "mission", load_taxonomy())
    mission_store.upsert(session, [mission])
    return staffing.get(session, mission_id=mission_id)


@router.post("/missions", response_model=MissionOut, status_code=201, responses=ERRORS)
def api_mission_create(body: MissionNew, member: ApiStaff, session: DbSession) -> MissionOut:
    """Create a mission; 400 if the id is taken or a field is unusable."""
    if mission_store.exists(session, body.id):
        raise InvalidDataError(f"l'identifiant {body.id} est déjà pris")
    row = _save_mission(session, body.id, body)
    lead_store.record_audit(
        session, actor=_actor(member), action="mission", subject=f"mission:{body.id}", change="create"
    )
    session.commit()  # before the answer: a client's next call must see it
    return _mission_out(session, row)


@router.put("/missions/{mission_id}", response_model=MissionOut, responses=ERRORS)
def api_mission_update(mission_id: MissionId, body: MissionIn, member: ApiStaff, session: DbSession) -> MissionOut:
    """Replace an existing mission's fields."""
    staffing.get(session, mission_id=mission_id)
    row = _save_mission(session, mission_id, body)
    lead_store.record_audit(
        session, actor=_actor(member), action="mission", subject=f"mission:{mission_id}", change="edit"
    )
    session.commit()
    return _mission_out(session, row)


@router.get("/missions/{mission_id}/suggestions", response_model=list[SuggestionOut], responses=ERRORS)
def api_mission_suggestions(
    mission_id: MissionId,
    member: ApiStaff,
    session: DbSession,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[SuggestionOut]:
    """The volunteers who fit the mission best, with the reasons (reverse matching)."""
    mission = staffing.get(session, mission_id=mission_id)
    return [
        SuggestionOut(
            volunteer_id=s.volunteer.id,
            first_name=s.volunteer.first_name,
            score=s.proposal.score,
            reasons=list(s.proposal.reasons),
        )  # fmt: skip
        for s in suggest(session, settings, mission=mission, limit=limit)
    ]


@router.get("/missions/{mission_id}/shifts", response_model=list[ShiftOut], responses=ERRORS)
def api_mission_shifts(
    mission_id: MissionId, member: ApiStaff, session: DbSession, settings: SettingsDep
) -> list[ShiftOut]:
    """The mission's dated shifts ahead, not cancelled, earliest first (read-only)."""
    mission = staffing.get(session, mission_id=mission_id)
    return [
        ShiftOut(
            id=shift.id,
            starts_at=as_utc(shift.starts_at),
            ends_at=as_utc(shift.ends_at),
            label=label(shift.starts_at, shift.ends_at, settings.timezone),
            places=shift.places,
            taken=shift.taken,
            places_left=shift_store.places_left(shift),
            series_id=shift.series_id,
        )
        for shift in shift_store.upcoming(session, mission_id=mission.id, now=datetime.now(timezone.utc))
    ]
