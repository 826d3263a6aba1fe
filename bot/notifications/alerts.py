"""E-mails queued when something happens: a handoff request, a full mission losing a volunteer.

They are queued in the transaction that records the event. Texts that cannot be written (a broken
``notifications.yml``) never stop the event itself: the error is logged and no e-mail is queued.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from urllib.parse import quote

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.errors import InvalidDataError
from bot.notifications.texts import compose, one_line, piece
from bot.store import jobs, models, outbox

logger = logging.getLogger(__name__)


def handoff_requested(session: Session, settings: Settings, *, request: models.HandoffRequest) -> int:
    """Queue the e-mail of a new handoff request for staff who want them, once per request; returns how many."""
    folder = settings.association_dir
    try:
        person = (
            outbox.first_name_of(request.volunteer_id)
            if request.volunteer_id
            else piece(folder, "handoff", "anonymous")
        )
        subject, body = compose(
            folder,
            "handoff",
            person=person,
            link=f"{outbox.CONSOLE}/console/handoffs/{request.id}",
            queue=f"{outbox.CONSOLE}/console/handoffs",
        )
    except InvalidDataError as error:
        logger.error("handoff request %s: no e-mail queued, the texts are broken: %s", request.id, error)
        return 0
    if not jobs.claim(session, kind="handoff", key=str(request.id)):
        return 0  # an open request asked for again: staff were told already
    queued = outbox.queue(session, kind="handoff", subject=subject, body=body)
    logger.info("handoff request %s: %d e-mails queued", request.id, queued)
    return queued


def mission_below_target(session: Session, settings: Settings, *, mission: models.Mission, full_since: datetime) -> int:
    """Queue the alert of a full mission that lost a volunteer, once per drop and once a day at most.

    ``full_since`` is when the mission was last changed while full: the drop from that state is
    claimed once, so that the same change seen by two processes sends one alert.
    """
    try:
        subject, body = compose(
            settings.association_dir,
            "missions",
            title=outbox.literal(one_line(mission.title)),
            filled=mission.places_filled,
            total=mission.places_total,
            link=f"{outbox.CONSOLE}/console/missions/{quote(mission.id)}",
        )
    except InvalidDataError as error:
        logger.error("mission %s below target: no e-mail queued, the texts are broken: %s", mission.id, error)
        return 0
    moment = full_since if full_since.tzinfo else full_since.replace(tzinfo=timezone.utc)
    if not jobs.claim(session, kind="below_target", key=f"{mission.id}:{moment.timestamp():.6f}"):
        return 0
    today = datetime.now(timezone.utc).date().isoformat()
    if not jobs.claim(session, kind="below_target_day", key=f"{mission.id}:{today}"):
        return 0  # a mission going full and short again and again: one alert a day is enough
    queued = outbox.queue(session, kind="missions", subject=subject, body=body)
    logger.info("mission %s below target: %d e-mails queued", mission.id, queued)
    return queued
