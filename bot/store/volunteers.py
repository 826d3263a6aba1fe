"""Volunteers: save a confirmed profile with its consent, find, export and forget; read them for bulk matching."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from bot.errors import ConsentRequiredError, NotFoundError
from bot.missions import Proposal
from bot.profile import ConsentRecord, Place, ProfileSubmission, TimeSlot, sort_slots
from bot.store import models

logger = logging.getLogger(__name__)

SOURCE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

EXPORT_FIELDS = (
    "id", "channel", "sender_id", "first_name", "email", "phone", "city", "postcode", "skills",
    "availability", "interests", "consent_at", "status", "proposed_missions", "created_at", "updated_at",
    "source",
)  # fmt: skip


def find(session: Session, *, channel: str, sender_id: str) -> models.Volunteer | None:
    """The volunteer behind a conversation, if they saved a profile."""
    return session.execute(
        select(models.Volunteer).where(models.Volunteer.channel == channel, models.Volunteer.sender_id == sender_id)
    ).scalar_one_or_none()


def save_profile(
    session: Session,
    *,
    channel: str,
    sender_id: str,
    profile: ProfileSubmission,
    consent: ConsentRecord | None,
    source: str | None = None,
) -> models.Volunteer:
    """Create or replace the volunteer's profile, recording the consent it was given under.

    ``source`` says where the lead came from (a Telegram deep link); the first one known is kept.
    """
    volunteer = find(session, channel=channel, sender_id=sender_id)
    if consent is None and (volunteer is None or not volunteer.consents):
        raise ConsentRequiredError("un profil ne peut être enregistré qu'après consentement")
    if volunteer is None:
        volunteer = models.Volunteer(channel=channel, sender_id=sender_id)
        session.add(volunteer)
    volunteer.first_name = profile.first_name
    volunteer.source = volunteer.source or _clean_source(source)
    volunteer.age_group = profile.age_group
    volunteer.email = profile.email
    volunteer.phone = profile.phone
    _set_place(volunteer, profile.place)
    volunteer.skills = [
        models.VolunteerSkill(skill=key, position=i) for i, key in enumerate(dict.fromkeys(profile.skills))
    ]
    volunteer.causes = [
        models.VolunteerCause(cause=key, position=i) for i, key in enumerate(dict.fromkeys(profile.causes))
    ]
    volunteer.availability = [
        models.VolunteerAvailability(day=slot.day, period=slot.period) for slot in sort_slots(profile.availability)
    ]
    volunteer.last_seen_at = models.utcnow()
    if consent is not None and not any(c.text_version == consent.text_version for c in volunteer.consents):
        volunteer.consents.append(
            models.Consent(text_version=consent.text_version, channel=consent.channel, given_at=consent.given_at)
        )
    session.flush()
    logger.info("saved profile of volunteer %s", volunteer.id)
    return volunteer


def _clean_source(source: object) -> str | None:
    """A lead source as Telegram allows it in deep links (letters, digits, _ and -, 64 at most), else None."""
    if isinstance(source, str) and SOURCE_RE.fullmatch(source):
        return source
    return None


def _set_place(volunteer: models.Volunteer, place: Place | None) -> None:
    volunteer.city = place.name if place else None
    volunteer.postcode = place.postcode if place else None
    volunteer.latitude = place.latitude if place else None
    volunteer.longitude = place.longitude if place else None


def to_submission(volunteer: models.Volunteer) -> ProfileSubmission:
    """The stored profile in the form the conversation and matching use."""
    return ProfileSubmission(
        first_name=volunteer.first_name,
        age_group=volunteer.age_group,
        place=place_of(volunteer),
        skills=tuple(s.skill for s in volunteer.skills),
        causes=tuple(c.cause for c in volunteer.causes),
        availability=tuple(sort_slots(TimeSlot(a.day, a.period) for a in volunteer.availability)),
        email=volunteer.email,
        phone=volunteer.phone,
    )


def place_of(volunteer: models.Volunteer) -> Place | None:
    """The volunteer's place, if they gave one."""
    if volunteer.city is None or volunteer.latitude is None or volunteer.longitude is None:
        return None
    return Place(volunteer.city, volunteer.latitude, volunteer.longitude, volunteer.postcode)


def record_proposals(session: Session, *, volunteer: models.Volunteer, proposals: Sequence[Proposal]) -> None:
    """Remember which missions were proposed, with the reasons shown."""
    for proposal in proposals:
        volunteer.proposals.append(
            models.Proposal(mission_id=proposal.mission_id, score=proposal.score, reasons=list(proposal.reasons))
        )
    volunteer.last_seen_at = models.utcnow()
    session.flush()


def record_application(session: Session, *, volunteer: models.Volunteer, mission_id: str) -> bool:
    """Record that the volunteer is interested in a mission; False if already recorded."""
    if session.get(models.Mission, mission_id) is None:
        raise NotFoundError(f"la mission {mission_id} n'existe pas")
    if any(a.mission_id == mission_id for a in volunteer.applications):
        return False
    volunteer.applications.append(models.Application(mission_id=mission_id))
    volunteer.last_seen_at = models.utcnow()
    session.flush()
    logger.info("volunteer %s applied to mission %s", volunteer.id, mission_id)
    return True


def handoff_times(session: Session, *, channel: str, sender_id: str) -> list[datetime]:
    """When the person behind a conversation asked to talk to somebody, oldest first."""
    request = models.HandoffRequest
    return list(
        session.execute(
            select(request.created_at)
            .where(request.channel == channel, request.sender_id == sender_id)
            .order_by(request.id)
        ).scalars()
    )


def find_by_sender(session: Session, *, sender_id: str) -> models.Volunteer | None:
    """The one volunteer with this sender id on any channel; None if there is none or several."""
    rows = list(session.execute(select(models.Volunteer).where(models.Volunteer.sender_id == sender_id)).scalars())
    return rows[0] if len(rows) == 1 else None


def record_handoff(session: Session, *, channel: str, sender_id: str) -> models.HandoffRequest:
    """Record that somebody asked to talk to a person (reuses an open request)."""
    volunteer = find(session, channel=channel, sender_id=sender_id)
    open_request = session.execute(
        select(models.HandoffRequest).where(
            models.HandoffRequest.channel == channel,
            models.HandoffRequest.sender_id == sender_id,
            models.HandoffRequest.status == "ouverte",
        )
    ).scalar_one_or_none()
    if open_request is not None:
        return open_request
    request = models.HandoffRequest(
        channel=channel, sender_id=sender_id, volunteer_id=volunteer.id if volunteer else None
    )
    session.add(request)
    session.flush()
    logger.info("handoff request %s recorded", request.id)
    return request


def pseudonym(channel: str, sender_id: str) -> str:
    """A one-way reference to a conversation for the anonymous audit log."""
    return hashlib.sha256(f"{channel}:{sender_id}".encode()).hexdigest()[:16]


def forget(session: Session, *, sender_id: str, channel: str | None = None, actor: str = "volunteer") -> int:
    """Erase everything stored about a sender id; keep only an anonymous audit entry. Returns rows erased."""
    query = select(models.Volunteer).where(models.Volunteer.sender_id == sender_id)
    handoffs = delete(models.HandoffRequest).where(models.HandoffRequest.sender_id == sender_id)
    takeovers = delete(models.Takeover).where(models.Takeover.sender_id == sender_id)
    if channel is not None:
        query = query.where(models.Volunteer.channel == channel)
        handoffs = handoffs.where(models.HandoffRequest.channel == channel)
        takeovers = takeovers.where(models.Takeover.channel == channel)
    volunteers = list(session.execute(query).scalars())
    removed_takeovers = session.execute(takeovers).rowcount or 0  # before the handoffs they refer to
    removed_handoffs = session.execute(handoffs).rowcount or 0
    if not volunteers and not removed_handoffs and not removed_takeovers:
        raise NotFoundError("aucune donnée enregistrée pour cet identifiant")
    for volunteer in volunteers:
        _free_places(session, volunteer_id=int(volunteer.id))
        session.add(
            models.AuditEntry(
                actor=actor,
                action="erase",
                subject=pseudonym(volunteer.channel, volunteer.sender_id),
                details={"volunteer_id": volunteer.id},
            )
        )
        session.delete(volunteer)
    if not volunteers:  # someone without a profile: the audit still says something was erased
        subject = pseudonym(channel or "*", sender_id)
        details = {"handoff_requests": removed_handoffs, "takeovers": removed_takeovers}
        session.add(models.AuditEntry(actor=actor, action="erase", subject=subject, details=details))
    session.flush()
    logger.info("erased %d volunteer(s) and %d handoff request(s)", len(volunteers), removed_handoffs)
    return len(volunteers) + removed_handoffs


def _free_places(session: Session, *, volunteer_id: int) -> None:
    """The places the volunteer's confirmed sign-ups held, given back before the sign-ups go with them."""
    signups, shifts = models.Signup.__table__, models.Shift.__table__
    held = select(signups.c.shift_id).where(signups.c.volunteer_id == volunteer_id, signups.c.status == "confirmed")
    for shift_id in list(session.execute(held).scalars()):
        freed = update(shifts).where(shifts.c.id == shift_id, shifts.c.taken > 0)
        session.execute(freed.values(taken=shifts.c.taken - 1))


def count(session: Session) -> int:
    """Number of stored volunteers."""
    return session.execute(select(func.count()).select_from(models.Volunteer)).scalar_one()


def export(session: Session) -> list[dict[str, object]]:
    """Every stored volunteer in the export form of DESIGN.md, oldest first."""
    volunteers = session.execute(
        select(models.Volunteer)
        .options(
            selectinload(models.Volunteer.skills),
            selectinload(models.Volunteer.causes),
            selectinload(models.Volunteer.availability),
            selectinload(models.Volunteer.consents),
            selectinload(models.Volunteer.proposals).selectinload(models.Proposal.mission),
        )
        .order_by(models.Volunteer.id)
    ).scalars()
    return [export_one(v) for v in volunteers]


def export_one(volunteer: models.Volunteer) -> dict[str, object]:
    """One volunteer in the export form of DESIGN.md."""
    consent_at = volunteer.consents[0].given_at if volunteer.consents else None
    return {
        "id": volunteer.id,
        "channel": volunteer.channel,
        "sender_id": volunteer.sender_id,
        "first_name": volunteer.first_name,
        "email": volunteer.email,
        "phone": volunteer.phone,
        "city": volunteer.city,
        "postcode": volunteer.postcode,
        "skills": [s.skill for s in volunteer.skills],
        "availability": [
            slot.as_dict() for slot in sort_slots(TimeSlot(a.day, a.period) for a in volunteer.availability)
        ],
        "interests": [c.cause for c in volunteer.causes],
        "consent_at": _iso(consent_at),
        "status": volunteer.status,
        "proposed_missions": [
            {"id": p.mission_id, "title": p.mission.title, "score": p.score, "reasons": list(p.reasons)}
            for p in volunteer.proposals
        ],
        "created_at": _iso(volunteer.created_at),
        "updated_at": _iso(volunteer.updated_at),
        "source": volunteer.source,
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


# --------------------------------------------------------------------------- staff suggestions (matching in bulk)


@dataclass(frozen=True)
class MatchingRows:
    """What matching reads of volunteers, as plain rows: the console builds its arrays from them."""

    volunteers: list[Any]  # (id, latitude, longitude, status, age_group, updated_at)
    skills: list[tuple[int, str]]
    causes: list[tuple[int, str]]
    availability: list[tuple[int, str, str]]  # (volunteer id, day, period)


def matching_rows(session: Session, *, since: datetime | None = None) -> MatchingRows:
    """Every volunteer, or those changed since ``since``, with their skills, causes and slots."""
    v = models.Volunteer
    query = select(v.id, v.latitude, v.longitude, v.status, v.age_group, v.updated_at)
    if since is not None:
        query = query.where(v.updated_at >= since)
    volunteers = list(session.execute(query).all())
    if not volunteers:
        return MatchingRows([], [], [], [])
    # A full read reads whole tables; a refresh only the rows of the volunteers that changed.
    changed = [row[0] for row in volunteers] if since is not None else None

    def of(column: Any) -> list[Any]:
        return [] if changed is None else [column.in_(changed)]

    skill, cause, slot = models.VolunteerSkill, models.VolunteerCause, models.VolunteerAvailability
    return MatchingRows(
        volunteers,
        [tuple(row) for row in session.execute(select(skill.volunteer_id, skill.skill).where(*of(skill.volunteer_id)))],
        [tuple(row) for row in session.execute(select(cause.volunteer_id, cause.cause).where(*of(cause.volunteer_id)))],
        [
            tuple(row)
            for row in session.execute(select(slot.volunteer_id, slot.day, slot.period).where(*of(slot.volunteer_id)))
        ],
    )


def last_change(session: Session) -> tuple[datetime | None, int]:
    """When a volunteer last changed, and how many there are (two queries: SQLite answers max() from its index)."""
    latest = session.execute(select(func.max(models.Volunteer.updated_at))).scalar()
    return latest, session.execute(select(func.count()).select_from(models.Volunteer)).scalar_one()


def by_ids(session: Session, volunteer_ids: list[int]) -> dict[int, models.Volunteer]:
    """The volunteers with these ids, by id."""
    rows = session.execute(select(models.Volunteer).where(models.Volunteer.id.in_(volunteer_ids))).scalars()
    return {row.id: row for row in rows}


def applicants(session: Session, *, mission_id: str) -> set[int]:
    """Ids of the volunteers who said they were interested in the mission, or signed up to one of its dates."""
    application, signup, shift = models.Application, models.Signup, models.Shift
    interested = select(application.volunteer_id).where(application.mission_id == mission_id)
    signed_up = (
        select(signup.volunteer_id)
        .join(shift, shift.id == signup.shift_id)
        .where(shift.mission_id == mission_id, signup.status.in_(("confirmed", "attended")))
    )
    return set(session.execute(interested.union(signed_up)).scalars())


def invited(session: Session, *, mission_id: str, volunteer_ids: list[int]) -> set[int]:
    """Which of these volunteers staff already invited to the mission."""
    invitation = models.Invitation
    return set(
        session.execute(
            select(invitation.volunteer_id).where(
                invitation.mission_id == mission_id, invitation.volunteer_id.in_(volunteer_ids)
            )
        ).scalars()
    )
