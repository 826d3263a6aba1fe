"""Urgent missions below target call for volunteers by themselves.

Every five minutes the web app (:mod:`bot.background`) runs :func:`call_volunteers`. For each
open mission marked urgent with places left, the assistant invites the volunteers the console
would suggest first (:func:`bot.console.suggestions.suggest`, with at least one reason to
give), exactly as a staff member's "Inviter" does: ``mission_invitation`` is injected into
their conversation and ``action_invite_to_mission`` presents the mission with its reasons on
their channel. Limits:

- per mission and day (``TIMEZONE``): at most ``URGENT_CALL_SIZE`` invitations, and at most
  :data:`CALLS_PER_PLACE` per place still wanted (places left, minus the volunteers who said
  yes and wait for staff to confirm them): most invited people do not answer, but a mission
  with one place left needs no crowd;
- per volunteer: one invitation of any kind in :data:`QUIET_DAYS` days; never someone who
  opted out of proposals, declined the mission, applied or was invited to it, whose
  conversation a staff member holds, without consent, too young or out of reach (the
  ranking's own rules), or on a channel the assistant cannot write first on (REST).

An invitation is recorded (kind ``urgent``, no staff member) and audited only once Rasa took
it; when Rasa cannot be reached nothing is recorded and the next run tries again. Two web app
processes never invite one person twice: each claims the volunteer in ``job_runs`` while it
delivers, checks no invitation arrived meanwhile, and drops the claim with the invitation
recorded (so no volunteer id stays behind in ``job_runs``).
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.assistant_api import trigger_intent
from bot.config import Settings
from bot.console.suggestions import POOL, suggest
from bot.errors import AssistantUnavailableError, ConversationRefusedError
from bot.privacy import PUSH_CHANNELS
from bot.store import leads as lead_store
from bot.store import models, staffing
from bot.store import urgent as urgent_store
from bot.store.jobs import claim
from bot.store.session import session_scope

logger = logging.getLogger(__name__)

CALLS_PER_PLACE = 3
QUIET_DAYS = 7
# Telegram pushes; the chat bubble shows the invitation at once when open, else in its history when reopened.
URGENT_CHANNELS = PUSH_CHANNELS | {"web"}
CLAIM_KIND = "urgent call"
CLAIM_LIFETIME = timedelta(minutes=10)  # a delivery takes seconds: a claim this old was left by a dead process


def call_volunteers(
    settings: Settings, *, now: datetime | None = None, channels: frozenset[str] = URGENT_CHANNELS
) -> int:
    """Invite the best-matching consented volunteers to urgent missions below target; returns how many."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    with session_scope(settings.database_url) as session:
        mission_ids = urgent_store.missions_to_call(session)
    sent = 0
    for mission_id in mission_ids:
        try:
            sent += _call_for(settings, mission_id, now=now, channels=channels)
        except AssistantUnavailableError:
            logger.warning(
                "urgent call for mission %s stopped: assistant unreachable; next run tries again", mission_id
            )
            break
    return sent


def _start_of_day(settings: Settings, now: datetime) -> datetime:
    zone = ZoneInfo(settings.timezone)
    return datetime.combine(now.astimezone(zone).date(), time(), tzinfo=zone).astimezone(timezone.utc)


def _call_for(settings: Settings, mission_id: str, *, now: datetime, channels: frozenset[str]) -> int:
    """Invite today's share of volunteers to one mission; AssistantUnavailableError stops the run."""
    today = _start_of_day(settings, now)
    with session_scope(settings.database_url) as session:
        mission = staffing.get(session, mission_id=mission_id)
        wanted = mission.places_total - mission.places_filled
        wanted -= urgent_store.waiting_applicants(session, mission_id=mission_id)
        done = urgent_store.urgent_sent_since(session, mission_id=mission_id, since=today)
        budget = min(settings.urgent_call_size, CALLS_PER_PLACE * wanted) - done
        if budget <= 0:
            return 0
        excluded = urgent_store.left_out(
            session, mission_id=mission_id, invited_since=now - timedelta(days=QUIET_DAYS), channels=channels
        )
        ranked = suggest(session, settings, mission=mission, limit=POOL, excluded=excluded)
        chosen = [suggestion for suggestion in ranked if suggestion.proposal.reasons][:budget]
        people = [(s.volunteer.id, s.volunteer.sender_id) for s in chosen]
    sent = 0
    for volunteer_id, sender_id in people:
        if _invite(settings, mission_id, volunteer_id, sender_id, now=now):
            sent += 1
    if sent:
        logger.info("urgent call for mission %s: %d volunteers invited", mission_id, sent)
    return sent


def _invite(settings: Settings, mission_id: str, volunteer_id: int, sender_id: str, *, now: datetime) -> bool:
    """Deliver one invitation and record it; False when another process invites the volunteer or just did."""
    key = str(volunteer_id)
    with session_scope(settings.database_url) as session:
        _drop_stale_claims(session)
        if not claim(session, kind=CLAIM_KIND, key=key):
            return False
        if urgent_store.invited_since(session, volunteer_id=volunteer_id, since=now - timedelta(days=QUIET_DAYS)):
            # invited by another process between the ranking and the claim; the claim goes explicitly
            # (on SQLite a rollback would not take back what the claim's savepoint already committed)
            _release(session, key)
            return False
    try:
        trigger_intent(settings, sender_id=sender_id, intent="mission_invitation", entities={"mission_id": mission_id})
    except ConversationRefusedError:
        logger.warning("urgent call: the assistant refused the invitation of volunteer %s; skipped", volunteer_id)
        with session_scope(settings.database_url) as session:
            _release(session, key)
        return False
    except AssistantUnavailableError:
        with session_scope(settings.database_url) as session:
            _release(session, key)
        raise
    with session_scope(settings.database_url) as session:
        invitation = staffing.record_invitation(
            session, volunteer_id=volunteer_id, mission_id=mission_id, staff_id=None, kind="urgent"
        )
        invitation.created_at = now
        lead_store.record_audit(
            session, actor="assistant", action="invite", subject=f"volunteer:{volunteer_id}", mission=mission_id,
            kind="urgent",
        )  # fmt: skip
        _release(session, key)
    logger.info("volunteer %s invited to urgent mission %s", volunteer_id, mission_id)
    return True


def _drop_stale_claims(session: Session) -> None:
    """Claims left by a process that died while delivering: after a few minutes, anyone may call again."""
    stale = datetime.now(timezone.utc) - CLAIM_LIFETIME
    session.execute(delete(models.JobRun).where(models.JobRun.kind == CLAIM_KIND, models.JobRun.at < stale))


def _release(session: Session, key: str) -> None:
    """Drop the claim on a volunteer once delivered (or failed)."""
    session.execute(delete(models.JobRun).where(models.JobRun.kind == CLAIM_KIND, models.JobRun.key == key))
