"""What the conversation does with the database: the services behind the Rasa actions.

Actions pass plain slot values in and get plain values back; every function opens one
unit of work, so a profile is either stored whole with its consent, or not at all. Those that
are safe to run twice (reads, and writes that create or replace) run once more when the
database connection is lost in their middle; any other database failure reaches the action,
and the volunteer is told politely (``bot.rasa.action_fallback``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot import matching
from bot.config import get_settings
from bot.errors import InvalidDataError, NotFoundError
from bot.missions import Mission, Proposal
from bot.notifications import alerts
from bot.profile import ConsentRecord, Place, ProfileSubmission, TimeSlot, VolunteerProfile
from bot.store import declines as decline_store
from bot.store import missions as mission_store
from bot.store import signups as signup_store
from bot.store import volunteers as volunteer_store
from bot.store.session import retried_if_disconnected, session_scope

logger = logging.getLogger(__name__)


def profile_from_slots(slots: Mapping[str, Any]) -> ProfileSubmission:
    """Build the profile to store from the form's slots; raises InvalidDataError if incomplete."""
    first_name = slots.get("first_name")
    age_group = slots.get("age_group")
    if not first_name or age_group not in ("adult", "minor"):
        raise InvalidDataError("le profil n'a pas de prénom ou de tranche d'âge éligible")
    if not slots.get("email") and not slots.get("phone"):
        raise InvalidDataError("le profil n'a ni e-mail ni téléphone")
    return ProfileSubmission(
        first_name=str(first_name),
        age_group=str(age_group),
        place=place_from_slot(slots.get("place")),
        skills=tuple(slots.get("skills") or ()),
        causes=tuple(slots.get("causes") or ()),
        availability=tuple(slots_from_keys(slots.get("availability") or ())),
        email=slots.get("email") or None,
        phone=slots.get("phone") or None,
    )


def place_from_slot(value: str | None) -> Place | None:
    """The place held in the ``place`` slot, or None."""
    if not value:
        return None
    try:
        return Place.from_slot(value)
    except (ValueError, TypeError, AttributeError, KeyError):  # a slot holds whatever it was given
        logger.warning("ignored a malformed place slot")
        return None


def slots_from_keys(keys: Sequence[str]) -> list[TimeSlot]:
    """Availability slot keys ("saturday:morning") as TimeSlots; malformed keys are skipped."""
    slots = []
    for key in keys:
        try:
            slots.append(TimeSlot.from_key(key))
        except (ValueError, TypeError, AttributeError):
            logger.warning("ignored a malformed availability key")
    return slots


def slots_for_profile(profile: ProfileSubmission) -> dict[str, Any]:
    """Slot values that restore a stored profile into a conversation."""
    return {
        "first_name": profile.first_name,
        "age_group": profile.age_group,
        "place": profile.place.to_slot() if profile.place else None,
        "skills": list(profile.skills),
        "causes": list(profile.causes),
        "availability": [slot.key for slot in profile.availability],
        "email": profile.email,
        "phone": profile.phone,
        "contact": profile.email or profile.phone,
    }


@dataclass(frozen=True)
class StoredVolunteer:
    """A returning volunteer, as the conversation needs them."""

    profile: ProfileSubmission
    consent: ConsentRecord | None
    applications: tuple[str, ...]
    proposals: tuple[str, ...] = ()
    created_at: datetime | None = None
    last_active: datetime | None = None
    shifts: signup_store.ShiftRecord | None = None  # sign-ups, hours, attestations (the right of access)


@retried_if_disconnected
def load_volunteer(*, channel: str, sender_id: str) -> StoredVolunteer | None:
    """The stored profile behind this conversation, or None.

    Reading is not activity: a session the assistant opens itself (a retention notice)
    must not keep the person's data alive. Activity is recorded by the tracker store.
    """
    with session_scope() as session:
        volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
        if volunteer is None:
            return None
        return StoredVolunteer(
            profile=volunteer_store.to_submission(volunteer),
            consent=_first_consent(volunteer),
            applications=tuple(a.mission.title for a in volunteer.applications),
            proposals=tuple(dict.fromkeys(p.mission.title for p in volunteer.proposals)),
            created_at=volunteer.created_at,
            last_active=volunteer.last_seen_at,
            shifts=signup_store.record_for(session, volunteer_id=volunteer.id, now=datetime.now(timezone.utc)),
        )


@retried_if_disconnected
def open_handoffs(*, channel: str, sender_id: str) -> list[datetime]:
    """When the person asked to talk to somebody (requests on record)."""
    with session_scope() as session:
        return volunteer_store.handoff_times(session, channel=channel, sender_id=sender_id)


def _first_consent(volunteer: volunteer_store.models.Volunteer) -> ConsentRecord | None:
    if not volunteer.consents:
        return None
    first = volunteer.consents[0]
    return ConsentRecord(text_version=first.text_version, given_at=first.given_at, channel=first.channel)


def consent_to_slot(consent: ConsentRecord) -> str:
    """The conversation's record of consent: ``"version|ISO timestamp"``."""
    return f"{consent.text_version}|{consent.given_at.isoformat()}"


def consent_from_slot(value: str | None, channel: str) -> ConsentRecord | None:
    """The consent recorded in the conversation, if any."""
    if not value or "|" not in value:
        return None
    version, _, moment = value.partition("|")
    try:
        return ConsentRecord(text_version=version, given_at=datetime.fromisoformat(moment), channel=channel)
    except ValueError:
        return None


@retried_if_disconnected
def save_profile(
    *, channel: str, sender_id: str, slots: Mapping[str, Any], consent: ConsentRecord | None
) -> ProfileSubmission:
    """Store the confirmed profile and its consent in one transaction."""
    profile = profile_from_slots(slots)
    with session_scope() as session:
        volunteer_store.save_profile(
            session, channel=channel, sender_id=sender_id, profile=profile, consent=consent, source=slots.get("source")
        )
    return profile


def _volunteer_profile(profile: ProfileSubmission) -> VolunteerProfile:
    settings = get_settings()
    return profile.matching_profile(adult_age=settings.adult_age, min_age=settings.min_age)


def propose_missions(*, channel: str, sender_id: str, exclude: Sequence[str] = ()) -> list[tuple[Proposal, Mission]]:
    """Rank open missions for a stored volunteer, but those they declined; record the proposals and return them."""
    with session_scope() as session:
        volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
        if volunteer is None:
            raise NotFoundError("aucun profil enregistré pour cette conversation")
        profile = _volunteer_profile(volunteer_store.to_submission(volunteer))
        declined = decline_store.declined_mission_ids(session, volunteer_id=volunteer.id)
        ranked = _rank(profile, mission_store.open_missions(session), [*exclude, *declined])
        volunteer_store.record_proposals(session, volunteer=volunteer, proposals=[p for p, _ in ranked])
        return ranked


@retried_if_disconnected
def browse_missions(*, slots: Mapping[str, Any], exclude: Sequence[str] = ()) -> list[tuple[Proposal, Mission]]:
    """Missions for somebody without a stored profile, ranked on what the conversation says (nothing stored)."""
    profile = VolunteerProfile(
        skills=tuple(slots.get("skills") or ()),
        causes=tuple(slots.get("causes") or ()),
        availability=tuple(slots_from_keys(slots.get("availability") or ())),
        place=place_from_slot(slots.get("place")),
    )
    with session_scope() as session:
        return _rank(profile, mission_store.open_missions(session), exclude)


def _rank(
    profile: VolunteerProfile, missions: Sequence[Mission], exclude: Sequence[str]
) -> list[tuple[Proposal, Mission]]:
    """The best missions not yet proposed, each with the mission it proposes."""
    by_id = {m.id: m for m in missions}
    proposals = matching.rank_missions(
        profile, by_id.values(), limit=get_settings().proposals_per_turn, exclude=set(exclude)
    )
    return [(p, by_id[p.mission_id]) for p in proposals]


@retried_if_disconnected
def apply_to_mission(*, channel: str, sender_id: str, mission_id: str) -> tuple[str, bool]:
    """Record the volunteer's interest in a mission; returns (mission title, newly recorded)."""
    with session_scope() as session:
        volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
        if volunteer is None:
            raise NotFoundError("aucun profil enregistré pour cette conversation")
        mission = mission_store.get(session, mission_id)
        if mission is None:
            raise NotFoundError(f"la mission {mission_id} n'existe pas")
        created = volunteer_store.record_application(session, volunteer=volunteer, mission_id=mission_id)
        return mission.title, created


@retried_if_disconnected
def request_handoff(*, channel: str, sender_id: str) -> None:
    """Record that the person asked to talk to somebody, and queue the e-mail to staff who want one."""
    with session_scope() as session:
        request = volunteer_store.record_handoff(session, channel=channel, sender_id=sender_id)
        alerts.handoff_requested(session, get_settings(), request=request)


def forget(*, channel: str, sender_id: str) -> bool:
    """Erase everything stored about this conversation's person; False if nothing was.

    Called by ``action_forget_me``, in a turn of the conversation itself: the tracker store, its
    one owner, erases the conversation at the end of this turn (bot.rasa.tracker_store).
    """
    from bot.privacy import erase_person

    return erase_person(get_settings(), channel=channel, sender_id=sender_id, actor="volunteer", conversation=False)
