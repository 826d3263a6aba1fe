"""Re-engagement, with restraint: one reminder of an unfinished profile, one suggestion after a long silence.

Two scheduled jobs (``bot.background.JOBS``, every 5 minutes):

- :func:`remind_unfinished`: a person who accepted consent but never finished their profile gets
  ONE reminder ``UNFINISHED_PROFILE_HOURS`` after their last message (never a second one; not when the
  last message is more than :data:`LATE` older than that: a late reminder is worse than none);
- :func:`suggest_to_inactive`: a volunteer with nothing for ``INACTIVE_MONTHS`` (no message, profile,
  sign-up or hours) gets ONE suggestion per such period, the best mission for them with its reason,
  and nothing at all when no mission fits.

Nobody who said "stop relances" or "plus de propositions", whose conversation a staff member holds,
or without consent (no consent: no profile and no ``consent`` slot) is nudged. Each run sends at most
``NUDGES_PER_RUN`` of each. A nudge goes in the conversation where the assistant can write first
(Telegram, the chat bubble: a closed bubble shows it when reopened) and by e-mail when the volunteer
gave an address. Each person is claimed in ``job_runs`` before anything is sent and the nudge is
recorded (``nudges``) before the claim is dropped, so two processes never send the same nudge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot import matching
from bot.assistant_api import trigger_intent
from bot.config import Settings
from bot.errors import AssistantUnavailableError, ConversationRefusedError
from bot.missions import Mission, Proposal
from bot.privacy import CONVERSATION_CHANNELS, months_before
from bot.store import declines, models, outbox
from bot.store import missions as mission_store
from bot.store import nudges as nudge_store
from bot.store import takeovers as takeover_store
from bot.store import volunteers as volunteer_store
from bot.store.jobs import claim
from bot.store.session import session_scope

logger = logging.getLogger(__name__)

UNFINISHED_INTENT = "unfinished_profile_nudge"
INACTIVE_INTENT = "inactive_suggestion"
LATE = timedelta(days=7)
CLAIM_KIND = "nudge"
CLAIM_LIFETIME = timedelta(minutes=10)  # a delivery takes seconds: a claim this old was left by a dead process

Trigger = Callable[..., object]


def remind_unfinished(
    settings: Settings,
    *,
    now: datetime | None = None,
    trigger: Trigger = trigger_intent,
    channels: Collection[str] = CONVERSATION_CHANNELS,
) -> int:
    """Send the one reminder to people whose profile is unfinished; returns how many got it.

    ``channels``: the conversations the assistant can write first in (a test names REST to read it back).
    """
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    silent_since = now - timedelta(hours=settings.unfinished_profile_hours)
    with session_scope(settings.database_url) as session:
        known = nudge_store.profile_senders(session)
    candidates = nudge_store.unfinished_profiles(
        settings.tracker_store_url, silent_since=silent_since, not_before=silent_since - LATE, known=known
    )
    sent = 0
    for person in candidates:
        if sent >= settings.nudges_per_run:
            break
        if person.channel not in channels:
            continue
        key = f"unfinished:{person.sender_id}"[:96]
        with session_scope(settings.database_url) as session:
            if not _claim(session, key):
                continue
            if (
                nudge_store.unfinished_reminded(session, sender_id=person.sender_id)
                or volunteer_store.find_by_sender(session, sender_id=person.sender_id) is not None
                or takeover_store.open_for(session, sender_id=person.sender_id) is not None
            ):
                _release(session, key)
                continue
        try:
            trigger(settings, sender_id=person.sender_id, intent=UNFINISHED_INTENT)
        except ConversationRefusedError:
            logger.warning("unfinished profile reminder refused by the assistant; skipped")
            with session_scope(settings.database_url) as session:
                _release(session, key)
            continue
        except AssistantUnavailableError:
            with session_scope(settings.database_url) as session:
                _release(session, key)
            logger.warning("unfinished profile reminders stopped: assistant unreachable; next run tries again")
            break
        with session_scope(settings.database_url) as session:
            nudge_store.record(
                session,
                kind="unfinished_profile",
                channel=person.channel,
                sender_id=person.sender_id,
                via=[person.channel],
                at=now,
            )
            _release(session, key)
        sent += 1
    if sent:
        logger.info("unfinished profile reminders: %d sent", sent)
    return sent


def suggest_to_inactive(
    settings: Settings,
    *,
    now: datetime | None = None,
    trigger: Trigger = trigger_intent,
    channels: Collection[str] = CONVERSATION_CHANNELS,
) -> int:
    """Send one suggestion to volunteers with nothing for INACTIVE_MONTHS; returns how many got one."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    since = months_before(now, settings.inactive_months)
    with session_scope(settings.database_url) as session:
        people = nudge_store.inactive_volunteers(session, since=since, channels=channels)
        catalogue = mission_store.open_missions(session, now=now) if people else []
    sent = 0
    for person in people:
        if sent >= settings.nudges_per_run:
            break
        key = f"inactive:{person.volunteer_id}"
        with session_scope(settings.database_url) as session:
            if not _claim(session, key):
                continue
            best = _best_mission(session, settings, person.volunteer_id, catalogue)
            if best is None or not _still_wanted(session, person, since=since):
                _release(session, key)  # nothing fits (nothing is sent), or taken care of meanwhile
                continue
            proposal, mission = best
        via: list[str] = []
        if person.channel in channels:
            try:
                trigger(
                    settings, sender_id=person.sender_id, intent=INACTIVE_INTENT, entities={"mission_id": mission.id}
                )
                via.append(person.channel)
            except ConversationRefusedError:
                logger.warning("suggestion to volunteer %s refused by the assistant", person.volunteer_id)
            except AssistantUnavailableError:
                with session_scope(settings.database_url) as session:
                    _release(session, key)
                logger.warning("suggestions stopped: assistant unreachable; next run tries again")
                break
        with session_scope(settings.database_url) as session:
            if person.has_email and _queue_suggestion_email(session, settings, person.volunteer_id, proposal, mission):
                via.append("email")
            if via:
                nudge_store.record(
                    session,
                    kind="inactive",
                    channel=person.channel,
                    sender_id=person.sender_id,
                    volunteer_id=person.volunteer_id,
                    mission_id=mission.id,
                    via=via,
                    at=now,
                )
            _release(session, key)
        if via:
            sent += 1
    if sent:
        logger.info("suggestions to inactive volunteers: %d sent", sent)
    return sent


def stop_nudges(*, channel: str, sender_id: str, now: datetime | None = None) -> bool:
    """ "Stop relances" said in the conversation; False when it was already so."""
    with session_scope() as session:
        return nudge_store.stop(session, channel=channel, sender_id=sender_id, now=now or datetime.now(timezone.utc))


def has_profile(*, sender_id: str) -> bool:
    """True when this conversation's person has a stored profile (they finished it meanwhile)."""
    with session_scope() as session:
        return volunteer_store.find_by_sender(session, sender_id=sender_id) is not None


def _best_mission(
    session: Session, settings: Settings, volunteer_id: int, catalogue: list[Mission]
) -> tuple[Proposal, Mission] | None:
    """The best open mission for this volunteer, with a reason, not declined nor applied to; None if none."""
    volunteer = session.get(models.Volunteer, volunteer_id)
    if volunteer is None or not catalogue:
        return None
    profile = volunteer_store.to_submission(volunteer).matching_profile(
        adult_age=settings.adult_age, min_age=settings.min_age
    )
    left_out = declines.declined_mission_ids(session, volunteer_id=volunteer_id)
    left_out |= {application.mission_id for application in volunteer.applications}
    by_id = {mission.id: mission for mission in catalogue}
    ranked = [p for p in matching.rank_missions(profile, by_id.values(), limit=3, exclude=left_out) if p.reasons]
    return (ranked[0], by_id[ranked[0].mission_id]) if ranked else None


def _still_wanted(session: Session, person: nudge_store.Inactive, *, since: datetime) -> bool:
    """Checked again once claimed: still opted in, not suggested to meanwhile, conversation not held."""
    volunteer = session.get(models.Volunteer, person.volunteer_id)
    return (
        volunteer is not None
        and volunteer.nudges_opt_out_at is None
        and volunteer.proposals_opt_out_at is None
        and not nudge_store.suggested_since(session, volunteer_id=person.volunteer_id, since=since)
        and takeover_store.open_for(session, sender_id=person.sender_id) is None
    )


def _queue_suggestion_email(
    session: Session, settings: Settings, volunteer_id: int, proposal: Proposal, mission: Mission
) -> bool:
    """The suggestion by e-mail (first name filled in when sent); False when the address is gone."""
    volunteer = session.get(models.Volunteer, volunteer_id)
    if volunteer is None or not volunteer.email:
        return False
    reasons = " ; ".join(proposal.reasons)
    body = (
        f"Bonjour {outbox.first_name_of(volunteer_id)},\n\n"
        f"Cela fait un moment ! Une mission pourrait vous plaire : {outbox.literal(mission.title)}.\n"
        f"Pourquoi vous : {outbox.literal(reasons)}.\n\n"
        "Pour en savoir plus ou vous inscrire, écrivez simplement à notre assistant, là où vous avez créé "
        "votre profil.\n"
        "Vous ne souhaitez plus recevoir ce genre de message ? Écrivez-lui « stop relances ».\n\n"
        f"{settings.association_name}\n"
    )
    outbox.queue_to_volunteer(
        session,
        volunteer_id=volunteer_id,
        kind="nudge",
        subject=f"Une mission pour vous : {outbox.literal(mission.title)}",
        body=body,
    )
    return True


def _claim(session: Session, key: str) -> bool:
    """Claim one person for this run (dropping claims left by a process that died mid-delivery)."""
    stale = datetime.now(timezone.utc) - CLAIM_LIFETIME
    session.execute(delete(models.JobRun).where(models.JobRun.kind == CLAIM_KIND, models.JobRun.at < stale))
    return claim(session, kind=CLAIM_KIND, key=key)


def _release(session: Session, key: str) -> None:
    """Drop the claim on a person once done (or not done); the nudge row says what was sent."""
    session.execute(delete(models.JobRun).where(models.JobRun.kind == CLAIM_KIND, models.JobRun.key == key))
