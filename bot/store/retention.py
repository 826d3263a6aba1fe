"""Activity and retention: when a volunteer last wrote, who is due a notice, who has been inactive too long.

Activity is the last time the person themself did something in the conversation: a
message they wrote (recorded by the tracker store, ``touch``), their profile saved,
missions proposed at their request, an application. Messages the assistant sends on its
own initiative (a retention notice, an invitation) are not activity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from bot.store import models


@dataclass(frozen=True)
class InactiveVolunteer:
    """A volunteer seen by the retention rules (ids and dates only, no personal data)."""

    id: int
    channel: str
    sender_id: str
    last_active: datetime
    notice_sent_at: datetime | None


# Activity is recorded to within this much: retention counts in months, and a message
# written soon after the last recorded one then writes nothing to the database.
ACTIVITY_RESOLUTION = timedelta(minutes=10)


_volunteers = models.Volunteer.__table__
_TOUCH = (
    update(_volunteers)
    .where(
        _volunteers.c.channel == bindparam("on_channel"),
        _volunteers.c.sender_id == bindparam("sender"),
        _volunteers.c.last_seen_at < bindparam("older_than"),
    )
    .values(last_seen_at=bindparam("at"))
)


def touch(session: Session, *, channel: str, sender_id: str, at: datetime | None = None) -> bool:
    """Record that the person wrote at ``at`` (now); False when nothing was older than it by the resolution.

    That is when they have no stored profile, or their last activity is already recorded
    less than ``ACTIVITY_RESOLUTION`` before ``at``. Run for every message the person writes:
    one statement, built once.
    """
    at = at or models.utcnow()
    result = session.execute(
        _TOUCH, {"on_channel": channel, "sender": sender_id, "at": at, "older_than": at - ACTIVITY_RESOLUTION}
    )
    return bool(result.rowcount)


def inactive_since(session: Session, *, before: datetime) -> list[InactiveVolunteer]:
    """Volunteers whose last activity is older than ``before``, least recently active first."""
    rows = session.execute(
        select(models.Volunteer, models.RetentionNotice.sent_at)
        .outerjoin(models.RetentionNotice, models.RetentionNotice.volunteer_id == models.Volunteer.id)
        .where(models.Volunteer.last_seen_at < before)
        .order_by(models.Volunteer.last_seen_at, models.Volunteer.id)
    ).all()
    return [
        InactiveVolunteer(v.id, v.channel, v.sender_id, as_utc(v.last_seen_at), as_utc(sent) if sent else None)
        for v, sent in rows
    ]


def record_notice(session: Session, *, volunteer_id: int, at: datetime) -> None:
    """Remember that the retention notice went to this volunteer."""
    session.execute(delete(models.RetentionNotice).where(models.RetentionNotice.volunteer_id == volunteer_id))
    session.add(models.RetentionNotice(volunteer_id=volunteer_id, sent_at=at))
    session.flush()


def stale_handoffs(session: Session, *, before: datetime) -> list[models.HandoffRequest]:
    """Requests to talk to a person, from people without a profile, older than ``before``."""
    return list(
        session.execute(
            select(models.HandoffRequest).where(
                models.HandoffRequest.volunteer_id.is_(None), models.HandoffRequest.created_at < before
            )
        ).scalars()
    )


def volunteer_senders(session: Session) -> set[str]:
    """Sender ids of every stored volunteer (their conversations age with their profile)."""
    return set(session.execute(select(models.Volunteer.sender_id)).scalars())


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def delete_handoffs(session: Session, handoff_ids: list[int]) -> None:
    """Delete these requests to talk to somebody (the purge's, of people who left no profile)."""
    for handoff_id in handoff_ids:
        handoff = session.get(models.HandoffRequest, handoff_id)
        if handoff is not None:
            session.delete(handoff)
