"""The numbers behind the dashboard: the funnel per week and per channel, the drop-off per question.

Conversations started, consent and the drop-off come from Rasa's tracker store (table
``events``): they exist before anyone stores a profile. The later stages come from the
application database. Each stage counts people, in the ISO week the stage was reached.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.store import conversations
from bot.store import leads as lead_store

logger = logging.getLogger(__name__)

STAGES = (
    ("started", "Conversations commencées"),
    ("consented", "Consentement donné"),
    ("profile", "Profil complet"),
    ("proposed", "Missions proposées"),
    ("interested", "Intéressés par une mission"),
    ("contacted", "Contactés par l'équipe"),
    ("active", "Bénévoles actifs"),
)
QUESTIONS = (
    ("first_name", "Prénom"),
    ("age_group", "Âge"),
    ("place", "Commune"),
    ("skills", "Compétences"),
    ("availability", "Disponibilités"),
    ("causes", "Domaines d'action"),
    ("contact", "Contact (e-mail ou téléphone)"),
)


@dataclass
class Funnel:
    """Counts per stage, per week and per channel, and where unfinished profiles stopped."""

    weeks: list[date]
    channels: list[str]
    totals: dict[str, int] = field(default_factory=dict)
    by_week: dict[str, dict[date, int]] = field(default_factory=dict)
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    dropoff: list[tuple[str, int]] = field(default_factory=list)
    tracker_available: bool = True


def week_of(moment: datetime) -> date:
    """The Monday of the moment's week."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    day = moment.astimezone(timezone.utc).date()
    return day - timedelta(days=day.weekday())


Reached = list[tuple[datetime, str]]  # (when the stage was reached, channel), one per person


def _tracker_stages(url: str, since: datetime) -> tuple[Reached, Reached, list[tuple[str, int]]]:
    since_ts = since.timestamp()
    first_seen, channel_rows, consent_rows, slot_rows = conversations.funnel_rows(url, since_ts=since_ts)
    channel_of: dict[str, str] = {}
    for sender_id, data in channel_rows:
        try:
            channel_of[sender_id] = json.loads(data or "{}").get("input_channel") or "rest"
        except ValueError:
            channel_of[sender_id] = "rest"
    started = [
        (datetime.fromtimestamp(ts, tz=timezone.utc), channel_of.get(sender, "rest"))
        for sender, ts in first_seen.items()
        if ts is not None and ts >= since_ts
    ]
    consented = [
        (datetime.fromtimestamp(ts, tz=timezone.utc), channel_of.get(sender, "rest"))
        for sender, ts in consent_rows
        if ts is not None and ts >= since_ts
    ]
    last_question: dict[str, str] = {}
    saved: set[str] = set()
    for sender, name, data in slot_rows:
        try:
            value = json.loads(data or "{}").get("value")
        except ValueError:
            continue
        if name == "profile_status" and value == "saved":
            saved.add(sender)
        elif name == "requested_slot" and value:
            last_question[sender] = str(value)
    stopped = Counter(q for sender, q in last_question.items() if sender not in saved)
    return started, consented, [(key, stopped.get(key, 0)) for key, _ in QUESTIONS]


def compute(session: Session, tracker_store_url: str, *, weeks: int = 8, now: datetime | None = None) -> Funnel:
    """The funnel over the last ``weeks`` weeks (this one included)."""
    now = now or datetime.now(timezone.utc)
    this_week = week_of(now)
    week_list = [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    since = datetime.combine(week_list[0], datetime.min.time(), tzinfo=timezone.utc)
    reached: dict[str, Reached] = lead_store.funnel_stages(session, since=since)
    funnel = Funnel(weeks=week_list, channels=[])
    try:
        started, consented, funnel.dropoff = _tracker_stages(tracker_store_url, since)
    except SQLAlchemyError as error:
        logger.warning("tracker store unreadable for the dashboard: %s", type(error).__name__)
        started, consented, funnel.tracker_available = [], [], False
        funnel.dropoff = [(key, 0) for key, _ in QUESTIONS]
    reached["started"], reached["consented"] = started, consented
    channels: set[str] = set()
    for stage, _ in STAGES:
        per_week: dict[date, int] = defaultdict(int)
        per_channel: dict[str, int] = defaultdict(int)
        for moment, channel in reached.get(stage, []):
            per_week[week_of(moment)] += 1
            per_channel[channel] += 1
            channels.add(channel)
        funnel.totals[stage] = len(reached.get(stage, []))
        funnel.by_week[stage] = {week: per_week.get(week, 0) for week in week_list}
        funnel.by_channel[stage] = dict(per_channel)
    funnel.channels = sorted(channels)
    return funnel
