"""The daily digest: new leads since the previous one, and the missions still short of volunteers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.notifications.texts import compose, one_line, piece
from bot.store import jobs, outbox, staffing
from bot.store.session import session_scope

logger = logging.getLogger(__name__)


def daily_digest(settings: Settings, *, now: datetime | None = None) -> int:
    """Queue the day's digest once DIGEST_HOUR has come (once per day, whichever process claims it); returns how many.

    Nothing is queued on a day without new leads: the missions short of volunteers are listed
    with new leads, never alone.
    """
    now = now or datetime.now(timezone.utc)
    local = now.astimezone(ZoneInfo(settings.timezone))
    if local.hour < settings.digest_hour:
        return 0
    with session_scope(settings.database_url) as session:
        since = outbox.last_run(session, kind="digest") or now - timedelta(days=1)
        if not jobs.claim(session, kind="digest", key=local.date().isoformat()):
            return 0
        leads = outbox.new_leads(session, since=since)
        if not leads:
            logger.info("daily digest %s: no new lead, nothing sent", local.date())
            return 0
        folder = settings.association_dir
        missions = [row.mission for row in staffing.needing_volunteers(session)]
        mission_lines = [
            piece(
                folder,
                "digest",
                "mission",
                title=outbox.literal(one_line(mission.title)),
                filled=mission.places_filled,
                total=mission.places_total,
                link=f"{outbox.CONSOLE}/console/missions/{quote(mission.id)}",
            )
            for mission in missions
        ] or [piece(folder, "digest", "no_mission")]
        lead_lines = [
            piece(
                folder,
                "digest",
                "lead",
                first_name=outbox.first_name_of(lead),
                link=f"{outbox.CONSOLE}/console/leads/{lead}",
            )
            for lead in leads
        ]
        subject, body = compose(
            folder,
            "digest",
            count=len(leads),
            leads="\n".join(lead_lines),
            missions="\n".join(mission_lines),
            console=f"{outbox.CONSOLE}/console/",
        )
        queued = outbox.queue(session, kind="digest", subject=subject, body=body)
    logger.info("daily digest %s: %d leads, %d e-mails queued", local.date(), len(leads), queued)
    return queued
