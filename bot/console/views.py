"""How stored values are shown to staff: French labels, dates in Paris time (Jinja2 filters)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.console.forms import CHANNELS, DAY_LABELS, PERIOD_LABELS, cause_choices, skill_choices
from bot.profile import TimeSlot, sort_slots
from bot.store.leads import STATUS_LABELS

PARIS = ZoneInfo("Europe/Paris")
ROLE_LABELS = {"admin": "administrateur", "coordinator": "coordinateur"}
AUDIT_ACTIONS = {
    "view": "a consulté",
    "export": "a exporté",
    "update": "a modifié",
    "erase": "a effacé",
    "status": "a changé le statut",
    "assign": "a attribué",
    "note": "a ajouté une note",
    "invite": "a invité",
    "login": "s'est connecté",
    "staff": "a géré les comptes",
    "mission": "a modifié une mission",
    "import": "a importé des missions",
    "takeover": "a pris la main sur une conversation",
    "message": "a écrit dans une conversation",
    "handback": "a rendu la main à l'assistant",
}


def when(moment: datetime | None) -> str:
    """A date and time in Paris: ``22/11/2026 19:05``."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def skill_label(key: str) -> str:
    """French label of a skill key (the key if unknown)."""
    return skill_choices().get(key, key)


def cause_label(key: str) -> str:
    """French label of a cause key (the key if unknown)."""
    return cause_choices().get(key, key)


def slots_label(rows: Iterable[Any]) -> str:
    """Availability rows (day, period) as French text."""
    slots = sort_slots(TimeSlot(row.day, row.period) for row in rows)
    return ", ".join(f"{DAY_LABELS[s.day]} {PERIOD_LABELS[s.period]}" for s in slots) or "—"


def install_filters(env: Any) -> None:
    """Make the helpers available in every template."""
    env.filters.update(
        when=when,
        skill=skill_label,
        cause=cause_label,
        slots=slots_label,
        status=lambda s: STATUS_LABELS.get(s, s),
        channel=lambda c: CHANNELS.get(c, c),
        role=lambda r: ROLE_LABELS.get(r, r),
        audit_action=lambda a: AUDIT_ACTIONS.get(a, a),
        day=lambda d: DAY_LABELS.get(d, d),
        period=lambda p: PERIOD_LABELS.get(p, p),
    )
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        DAY_LABELS=DAY_LABELS,
        PERIOD_LABELS=PERIOD_LABELS,
        CHANNELS=CHANNELS,
    )
