"""A volunteer says no to missions, and why; or asks for no more proposals: the services behind the actions.

Saying no records the declined missions at once (reason ``unknown``), so that they are never proposed
again even if the volunteer does not say why; the reason they give next replaces it. Their own
words are kept as they are, never classified (``other``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from bot.errors import InvalidDataError, NotFoundError
from bot.store import declines as decline_store
from bot.store import volunteers as volunteer_store
from bot.store.session import retried_if_disconnected, session_scope

logger = logging.getLogger(__name__)

REASONS = decline_store.REASONS
# A volunteer's words are bounded: they explain a choice, they are not a letter.
MAX_WORDS_LENGTH = 500


def _volunteer_id(session: Session, channel: str, sender_id: str) -> int:
    volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
    if volunteer is None:
        raise NotFoundError("aucun profil enregistré pour cette conversation")
    return volunteer.id


def decline(*, channel: str, sender_id: str, mission_ids: Sequence[str]) -> list[int]:
    """Record that the volunteer turned these missions down; the ids of the declines, to give their reason."""
    with session_scope() as session:
        volunteer_id = _volunteer_id(session, channel, sender_id)
        return decline_store.record(session, volunteer_id=volunteer_id, mission_ids=mission_ids)


@retried_if_disconnected
def give_reason(
    *, channel: str, sender_id: str, decline_ids: Sequence[int], reason: str, words: str | None = None
) -> int:
    """Say why the volunteer declined (a reason of REASONS, and their words for ``other``); declines changed."""
    if reason not in REASONS:
        raise InvalidDataError(f"raison inconnue : {reason}")
    text = words.strip()[:MAX_WORDS_LENGTH] if words and words.strip() else None
    with session_scope() as session:
        volunteer_id = _volunteer_id(session, channel, sender_id)
        return decline_store.give_reason(
            session, volunteer_id=volunteer_id, decline_ids=decline_ids, reason=reason, text=text
        )


@retried_if_disconnected
def stop_proposals(*, channel: str, sender_id: str) -> None:
    """The volunteer wants no more proposals (urgent calls leave them out)."""
    with session_scope() as session:
        volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
        if volunteer is None:
            raise NotFoundError("aucun profil enregistré pour cette conversation")
        decline_store.stop_proposals(session, volunteer=volunteer)


@retried_if_disconnected
def resume_proposals(*, channel: str, sender_id: str) -> bool:
    """The volunteer asks for missions again: True if they had asked for no more proposals before."""
    with session_scope() as session:
        volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
        return volunteer is not None and decline_store.resume_proposals(session, volunteer=volunteer)
