"""Invitations staff send from the console: the mission, worded for this volunteer with its reasons.

The console asks Rasa to inject the intent ``mission_invitation`` (``bot.assistant_api``);
the rule runs ``action_invite_to_mission``, which calls :func:`invitation` here.
"""

from __future__ import annotations

import logging

from bot import matching
from bot.config import get_settings
from bot.missions import Mission, Proposal
from bot.store import missions as mission_store
from bot.store import models
from bot.store import volunteers as volunteer_store
from bot.store.session import session_scope

logger = logging.getLogger(__name__)


def _volunteer(session: object, channel: str, sender_id: str) -> models.Volunteer | None:
    found = volunteer_store.find(session, channel=channel, sender_id=sender_id)
    if found is not None:
        return found
    # An injected intent may carry no input channel: the sender id alone decides when it is unambiguous.
    return volunteer_store.find_by_sender(session, sender_id=sender_id)


def invitation(*, channel: str, sender_id: str, mission_id: str) -> tuple[Proposal, Mission] | None:
    """The mission as proposed to this volunteer (recorded as a proposal); None if it cannot be offered."""
    settings = get_settings()
    with session_scope() as session:
        volunteer = _volunteer(session, channel, sender_id)
        mission = mission_store.get_open(session, mission_id)
        if volunteer is None or mission is None:
            return None
        profile = volunteer_store.to_submission(volunteer).matching_profile(
            adult_age=settings.adult_age, min_age=settings.min_age
        )
        ranked = matching.rank_missions(profile, [mission], limit=1)
        if not ranked:
            if mission.places_left == 0 or (mission.min_age or 0) > (profile.age or 0):
                return None  # full, or the volunteer is too young: never invite
            # Staff chose this volunteer although the mission is far away: no reason to make up.
            ranked = [Proposal(mission_id=mission.id, title=mission.title, score=0.0, reasons=())]
        volunteer_store.record_proposals(session, volunteer=volunteer, proposals=ranked)
        logger.info("mission %s presented to volunteer %s", mission.id, volunteer.id)
        return ranked[0], mission
