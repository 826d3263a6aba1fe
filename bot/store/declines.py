"""Why volunteers turned missions down (``declines``), and their choice to receive no more proposals.

A decline is recorded as soon as the volunteer says no, with the reason ``unknown``; the reason
they then give replaces it. Declined missions are left out of that volunteer's next proposals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.store import models

logger = logging.getLogger(__name__)

# The reasons the ``declines`` table accepts (its check constraint), as the console names them.
REASON_LABELS = {
    "too_far": "Trop loin",
    "wrong_days": "Pas les bons jours",
    "not_my_cause": "Pas ma cause",
    "other": "Autre raison",
    "unknown": "Sans réponse",
}
REASONS = tuple(REASON_LABELS)


@dataclass(frozen=True)
class DeclineView:
    """One decline as the console shows it."""

    reason: str
    mission_id: str | None
    mission_title: str | None
    text: str | None
    created_at: datetime

    @property
    def reason_label(self) -> str:
        """The reason in French."""
        return REASON_LABELS.get(self.reason, self.reason)


def record(session: Session, *, volunteer_id: int, mission_ids: Sequence[str]) -> list[int]:
    """One decline per mission that still exists, reused when this volunteer declined it before; their ids.

    Nothing is recorded without a known mission: saying no twice, or pressing an old button again,
    adds no row (a volunteer cannot flood the table or the dashboard's counts).
    """
    known = set(session.execute(select(models.Mission.id).where(models.Mission.id.in_(list(mission_ids)))).scalars())
    wanted = [mission_id for mission_id in dict.fromkeys(mission_ids) if mission_id in known]
    earlier = dict(
        session.execute(
            select(models.Decline.mission_id, models.Decline.id).where(
                models.Decline.volunteer_id == volunteer_id, models.Decline.mission_id.in_(wanted)
            )
        ).all()
    )
    rows = [
        models.Decline(volunteer_id=volunteer_id, mission_id=mission_id, reason="unknown")
        for mission_id in wanted
        if mission_id not in earlier
    ]
    session.add_all(rows)
    session.flush()
    logger.info("volunteer %s declined %d mission(s)", volunteer_id, len(wanted))
    new = {row.mission_id: row.id for row in rows}
    return [earlier.get(mission_id) or new[mission_id] for mission_id in wanted]


def give_reason(
    session: Session, *, volunteer_id: int, decline_ids: Sequence[int], reason: str, text: str | None = None
) -> int:
    """Set the reason (and the volunteer's words) of these declines of this volunteer; rows changed."""
    if not decline_ids:
        return 0
    changed = session.execute(
        update(models.Decline)
        .where(models.Decline.volunteer_id == volunteer_id, models.Decline.id.in_(list(decline_ids)))
        .values(reason=reason, text=text)
        .execution_options(synchronize_session=False)
    ).rowcount
    logger.info("volunteer %s gave reason %s for %d decline(s)", volunteer_id, reason, changed or 0)
    return changed or 0


def declined_mission_ids(session: Session, *, volunteer_id: int) -> set[str]:
    """The missions this volunteer turned down, never to be proposed to them again."""
    return set(
        session.execute(
            select(models.Decline.mission_id).where(
                models.Decline.volunteer_id == volunteer_id, models.Decline.mission_id.is_not(None)
            )
        ).scalars()
    )


def of_volunteer(session: Session, *, volunteer_id: int) -> list[DeclineView]:
    """A volunteer's declines, newest first, with the mission's title."""
    rows = session.execute(
        select(models.Decline, models.Mission.title)
        .outerjoin(models.Mission, models.Mission.id == models.Decline.mission_id)
        .where(models.Decline.volunteer_id == volunteer_id)
        .order_by(models.Decline.created_at.desc(), models.Decline.id.desc())
    ).all()
    return [DeclineView(d.reason, d.mission_id, title, d.text, d.created_at) for d, title in rows]


def counts_by_reason(session: Session, *, since: datetime) -> dict[str, int]:
    """How many declines there were per reason since a moment (reasons with none are absent)."""
    rows = session.execute(
        select(models.Decline.reason, func.count())
        .where(models.Decline.created_at >= since)
        .group_by(models.Decline.reason)
    ).all()
    return {reason: count for reason, count in rows}


def most_declined(session: Session, *, since: datetime, limit: int = 10) -> list[tuple[str, str, int]]:
    """The missions declined most often since a moment: (mission id, title, declines), most first."""
    count = func.count(models.Decline.id)
    rows = session.execute(
        select(models.Mission.id, models.Mission.title, count)
        .join(models.Decline, models.Decline.mission_id == models.Mission.id)
        .where(models.Decline.created_at >= since)
        .group_by(models.Mission.id, models.Mission.title)
        .order_by(count.desc(), models.Mission.id)
        .limit(limit)
    ).all()
    return [(mission_id, title, n) for mission_id, title, n in rows]


def stop_proposals(session: Session, *, volunteer: models.Volunteer) -> None:
    """The volunteer wants no more proposals: remember when they said so (the first time is kept)."""
    if volunteer.proposals_opt_out_at is None:
        volunteer.proposals_opt_out_at = models.utcnow()
        session.flush()
    logger.info("volunteer %s opted out of proposals", volunteer.id)


def resume_proposals(session: Session, *, volunteer: models.Volunteer) -> bool:
    """The volunteer asks for missions again: proposals resume. True if they had opted out."""
    if volunteer.proposals_opt_out_at is None:
        return False
    volunteer.proposals_opt_out_at = None
    session.flush()
    logger.info("volunteer %s receives proposals again", volunteer.id)
    return True


def unwilling(session: Session, *, mission_id: str) -> set[int]:
    """Volunteers nobody should invite to this mission: they opted out of proposals, or declined it."""
    opted_out = select(models.Volunteer.id).where(models.Volunteer.proposals_opt_out_at.is_not(None))
    declined = select(models.Decline.volunteer_id).where(models.Decline.mission_id == mission_id)
    return set(session.execute(opted_out.union(declined)).scalars())
