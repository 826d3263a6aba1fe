"""Reading the console's query strings and forms into domain values, with French error messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlencode

from bot.profile import DAYS, PERIODS, Place
from bot.store.leads import SORTS, STATUSES, LeadFilter
from bot.taxonomy import load_taxonomy

DAY_LABELS = {
    "monday": "lundi", "tuesday": "mardi", "wednesday": "mercredi", "thursday": "jeudi",
    "friday": "vendredi", "saturday": "samedi", "sunday": "dimanche",
}  # fmt: skip
PERIOD_LABELS = {"morning": "matin", "afternoon": "après-midi", "evening": "soir"}
CHANNELS = {"rest": "REST / intégration", "web": "Site web (bulle)", "telegram": "Telegram"}
FILTER_FIELDS = (
    "status", "skill", "cause", "day", "period", "town", "distance", "channel", "from", "to", "q", "assigned", "sort",
)  # fmt: skip
MAX_DISTANCE_KM = 500


def skill_choices() -> dict[str, str]:
    """Skill keys and their French labels, in the taxonomy's order."""
    return {key: term.label for key, term in load_taxonomy().skills.items()}


def cause_choices() -> dict[str, str]:
    """Cause keys and their French labels, in the taxonomy's order."""
    return {key: term.label for key, term in load_taxonomy().causes.items()}


def form_choices() -> dict[str, object]:
    """What the profile and mission forms offer: skills, causes, days and periods."""
    return {"skills": skill_choices(), "causes": cause_choices(), "days": DAYS, "periods": PERIODS}


@cache
def _place(town: str) -> Place | None:
    from bot.understanding import lookup_place

    return lookup_place(town)


def resolve_town(town: str) -> Place | None:
    """The place a town name or postcode designates (the gazetteer, as in conversations)."""
    return _place(town.strip())


def _date(value: str, label: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label} : date invalide « {value} » (format AAAA-MM-JJ).")
        return None


def parse_lead_filter(params: Mapping[str, str], *, with_paging: bool = True) -> tuple[LeadFilter, list[str]]:
    """A LeadFilter from the list's query string; unusable values are dropped with a message."""
    errors: list[str] = []
    values: dict[str, Any] = {}

    def pick(name: str, allowed: Any, label: str) -> str | None:
        value = (params.get(name) or "").strip()
        if not value:
            return None
        if value not in allowed:
            errors.append(f"{label} inconnu(e) : « {value} ».")
            return None
        return value

    values["status"] = pick("status", STATUSES, "Statut")
    values["skill"] = pick("skill", skill_choices(), "Compétence")
    values["cause"] = pick("cause", cause_choices(), "Domaine")
    values["day"] = pick("day", DAYS, "Jour")
    values["period"] = pick("period", PERIODS, "Période")
    values["channel"] = pick("channel", CHANNELS, "Canal")
    town = (params.get("town") or "").strip()
    if town:
        place = resolve_town(town[:120])
        if place is None:
            errors.append(f"Commune inconnue : « {town[:120]} ».")
        values["place"] = place
    distance = (params.get("distance") or "").strip().replace(",", ".")
    if distance:
        try:
            km = float(distance)
            if not 0 <= km <= MAX_DISTANCE_KM:
                raise ValueError
            values["distance_km"] = km
        except ValueError:
            errors.append(f"Distance : nombre de kilomètres entre 0 et {MAX_DISTANCE_KM} attendu.")
    if params.get("from"):
        values["created_from"] = _date(params["from"], "Depuis le", errors)
    if params.get("to"):
        values["created_to"] = _date(params["to"], "Jusqu'au", errors)
    search = (params.get("q") or "").strip()
    values["search"] = search[:100] or None
    assigned = (params.get("assigned") or "").strip()
    if assigned:
        if assigned.isascii() and assigned.isdigit() and len(assigned) < 10:
            values["assigned_staff_id"] = int(assigned)
        else:
            errors.append("Responsable inconnu.")
    sort = (params.get("sort") or "recent").strip()
    if sort not in SORTS or (sort == "distance" and values.get("place") is None):
        sort = "recent"
    values["sort"] = sort
    if with_paging:
        page = params.get("page") or "1"
        values["page"] = int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 7 else 1
    return LeadFilter(**{k: v for k, v in values.items() if v is not None}), errors


def query_string(params: Mapping[str, str], **changes: Any) -> str:
    """The list's query string with some values changed (for pagination and export links)."""
    values = {key: params.get(key, "") for key in FILTER_FIELDS if params.get(key)}
    for key, value in changes.items():
        if value in (None, ""):
            values.pop(key, None)
        else:
            values[key] = str(value)
    return urlencode(values)
