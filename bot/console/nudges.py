"""'Relances': what the assistant sent on its own to bring people back, or to warn them before erasure.

Every staff member sees it (first names and dates only, like the leads' list): the recent nudges,
their kind and the channels they went by, and how many of each kind in the last 30 days.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.console.deps import DbSession, SettingsDep, Staff, render
from bot.store import models
from bot.store import nudges as nudge_store

router = APIRouter(prefix="/relances")

KIND_LABELS = {
    "unfinished_profile": "Inscription pas finie",
    "inactive": "Suggestion après un long silence",
    "retention": "Avis avant suppression des données",
}
VIA_LABELS = {"telegram": "Telegram", "web": "Bulle du site", "email": "E-mail", "rest": "REST"}
WINDOW_DAYS = 30


def via_label(via: str) -> str:
    """The channels a nudge went by, in French ("Telegram, E-mail")."""
    return ", ".join(VIA_LABELS.get(part, part) for part in via.split(",") if part) or "—"


@router.get("")
def nudges_page(*, request: Request, member: Staff, session: DbSession, settings: SettingsDep) -> Response:
    """The latest nudges and the counts of the last 30 days."""
    since = models.utcnow() - timedelta(days=WINDOW_DAYS)
    return render(
        request,
        "nudges.html",
        {
            "rows": nudge_store.recent(session, limit=100),
            "counts": nudge_store.counts(session, since=since),
            "opted_out": nudge_store.opted_out_count(session),
            "kinds": KIND_LABELS,
            "via": via_label,
            "window_days": WINDOW_DAYS,
            "settings": settings,
        },
    )
