"""Conversations a staff member holds (``takeovers``): one open takeover per conversation at most.

The database enforces "one holder at a time" (a unique index on the sender id of the open
rows), so two staff members clicking "Prendre la main" at the same moment cannot both win.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.store import models
from bot.store.models import utcnow


class AlreadyHeld(Exception):
    """Someone else holds the conversation."""

    def __init__(self, takeover: models.Takeover) -> None:
        super().__init__("conversation already held")
        self.takeover = takeover


def open_for(session: Session, *, sender_id: str) -> models.Takeover | None:
    """The open takeover of a conversation, if a staff member holds it."""
    return session.execute(
        select(models.Takeover)
        .options(selectinload(models.Takeover.staff))
        .where(models.Takeover.sender_id == sender_id, models.Takeover.ended_at.is_(None))
    ).scalar_one_or_none()


def held(session: Session) -> list[models.Takeover]:
    """Every open takeover, oldest first."""
    return list(
        session.execute(
            select(models.Takeover)
            .options(selectinload(models.Takeover.staff))
            .where(models.Takeover.ended_at.is_(None))
            .order_by(models.Takeover.started_at, models.Takeover.id)
        ).scalars()
    )


def start(
    session: Session,
    *,
    sender_id: str,
    channel: str,
    staff_id: int,
    volunteer_id: int | None = None,
    handoff_id: int | None = None,
) -> models.Takeover:
    """Open a takeover for ``staff_id``; the same member's open one if they hold it already.

    Raises :class:`AlreadyHeld` when another member holds the conversation.
    """
    current = open_for(session, sender_id=sender_id)
    if current is not None:
        if current.staff_id == staff_id:
            return current
        raise AlreadyHeld(current)
    takeover = models.Takeover(
        sender_id=sender_id, channel=channel, staff_id=staff_id, volunteer_id=volunteer_id, handoff_id=handoff_id
    )
    try:
        with session.begin_nested():
            session.add(takeover)
            session.flush()
    except IntegrityError:  # someone else opened one between the read and the write
        current = open_for(session, sender_id=sender_id)
        if current is None:
            raise
        raise AlreadyHeld(current) from None
    return takeover


def still_open(session: Session, takeover_id: int) -> bool:
    """True while the takeover is open (not handed back, not deleted by an erasure)."""
    found = session.execute(
        select(models.Takeover.id).where(models.Takeover.id == takeover_id, models.Takeover.ended_at.is_(None))
    ).first()
    return found is not None


def touch(session: Session, takeover_id: int, *, at: datetime | None = None) -> bool:
    """The holder just wrote: the silence counts from now. False if the takeover is over or gone."""
    result = session.execute(
        update(models.Takeover)
        .where(models.Takeover.id == takeover_id, models.Takeover.ended_at.is_(None))
        .values(last_activity_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def end(session: Session, takeover_id: int, *, reason: str) -> bool:
    """Close an open takeover ("staff", "silence", "request", "expired", "erased", "failed").

    Atomic: of two callers ending the same takeover (two clicks, two processes), exactly one
    gets True and goes on to tell the person.
    """
    result = session.execute(
        update(models.Takeover)
        .where(models.Takeover.id == takeover_id, models.Takeover.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def reopen(session: Session, takeover_id: int) -> bool:
    """Undo :func:`end` when the assistant could not be given the conversation back (False if impossible)."""
    try:
        with session.begin_nested():
            result = session.execute(
                update(models.Takeover)
                .where(models.Takeover.id == takeover_id)
                .values(ended_at=None, ended_reason=None)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:  # someone took the conversation over meanwhile
        return False
    return bool(result.rowcount)


def forget_sender(session: Session, *, sender_id: str) -> int:
    """Delete every takeover of a conversation (erasure); returns how many."""
    result = session.execute(delete(models.Takeover).where(models.Takeover.sender_id == sender_id))
    return int(result.rowcount or 0)
