"""What the urgent call reads: urgent missions below target, and who it must leave alone."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.store import models
from bot.store.staffing import ACCEPTED


def missions_to_call(session: Session) -> list[str]:
    """Ids of the open urgent missions with places left, by id."""
    mission = models.Mission
    return list(
        session.execute(
            select(mission.id)
            .where(mission.status == "open", mission.urgent.is_(True), mission.places_filled < mission.places_total)
            .order_by(mission.id)
        ).scalars()
    )


def waiting_applicants(session: Session, *, mission_id: str) -> int:
    """Volunteers who said yes to the mission and wait for staff to confirm them."""
    application = models.Application
    return int(
        session.execute(
            select(func.count()).where(application.mission_id == mission_id, application.status != ACCEPTED)
        ).scalar_one()
    )


def urgent_sent_since(session: Session, *, mission_id: str, since: datetime) -> int:
    """How many urgent invitations to the mission went out since ``since``."""
    invitation = models.Invitation
    return int(
        session.execute(
            select(func.count()).where(
                invitation.mission_id == mission_id, invitation.kind == "urgent", invitation.created_at >= since
            )
        ).scalar_one()
    )


def invited_since(session: Session, *, volunteer_id: int, since: datetime) -> bool:
    """True when the volunteer got an invitation of any kind since ``since``."""
    invitation = models.Invitation
    found = session.execute(
        select(invitation.id).where(invitation.volunteer_id == volunteer_id, invitation.created_at >= since).limit(1)
    ).first()
    return found is not None


def left_out(session: Session, *, mission_id: str, invited_since: datetime, channels: Collection[str]) -> set[int]:
    """Ids of the volunteers an urgent call to the mission must not invite.

    Those who opted out of proposals, write on a channel the assistant cannot write first on,
    have no consent in force, were invited to anything since ``invited_since`` or to this
    mission ever, declined it, or whose conversation a staff member holds.
    """
    volunteer, invitation = models.Volunteer, models.Invitation
    takeover, consent, decline = models.Takeover, models.Consent, models.Decline
    held = takeover.ended_at.is_(None)
    statement = select(volunteer.id).where(
        or_(
            volunteer.proposals_opt_out_at.is_not(None),
            volunteer.channel.not_in(list(channels)),
            volunteer.id.not_in(select(consent.volunteer_id).where(consent.withdrawn_at.is_(None))),
            volunteer.id.in_(
                select(invitation.volunteer_id).where(
                    or_(invitation.created_at >= invited_since, invitation.mission_id == mission_id)
                )
            ),
            volunteer.id.in_(select(decline.volunteer_id).where(decline.mission_id == mission_id)),
            volunteer.id.in_(select(takeover.volunteer_id).where(held, takeover.volunteer_id.is_not(None))),
            volunteer.sender_id.in_(select(takeover.sender_id).where(held)),
        )
    )
    return set(session.execute(statement).scalars())
