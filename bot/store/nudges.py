"""Messages the assistant sent on its own (``nudges``): who may get one, what was sent, "stop relances".

Three kinds: ``unfinished_profile`` (consent given, profile never finished: one reminder, ever),
``inactive`` (a volunteer with nothing for INACTIVE_MONTHS: one suggestion per such period) and
``retention`` (the notice before erasure, ``bot privacy purge``). ``via`` lists the channels reached
("telegram", "web", "email", comma-separated).

"Stop relances" is ``volunteers.nudges_opt_out_at`` for a volunteer. Someone without a profile
gets at most one reminder anyway; when they say it before it came, a row of kind
``unfinished_profile`` with ``via = "stop"`` (nothing sent) takes its place, and keeps any later
profile of the same conversation from being nudged. Rows go with the person's erasure
(:func:`forget_sender`) and with their conversation's purge.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.rasa.channels import owner_of
from bot.store import conversations, models
from bot.store.retention import as_utc
from bot.store.session import get_engine

KINDS = ("unfinished_profile", "inactive", "retention")
STOPPED = "stop"  # ``via`` of the marker left by "stop relances" from someone without a profile


@dataclass(frozen=True)
class Unfinished:
    """A conversation with consent given and no profile stored: its sender id, channel, last message."""

    sender_id: str
    channel: str
    last_message: datetime


@dataclass(frozen=True)
class Inactive:
    """A volunteer with nothing since the period began (ids only, no personal data)."""

    volunteer_id: int
    channel: str
    sender_id: str
    has_email: bool


@dataclass(frozen=True)
class NudgeView:
    """One nudge as the console lists it."""

    id: int
    kind: str
    sent_at: datetime
    via: str
    volunteer_id: int | None
    first_name: str | None
    mission_id: str | None


def record(
    session: Session,
    *,
    kind: str,
    channel: str,
    sender_id: str,
    via: Collection[str],
    at: datetime,
    volunteer_id: int | None = None,
    mission_id: str | None = None,
) -> int:
    """Remember a nudge that went out on the channels ``via``; returns its id."""
    nudge = models.Nudge(
        kind=kind,
        channel=channel,
        sender_id=sender_id,
        volunteer_id=volunteer_id,
        mission_id=mission_id,
        via=",".join(via)[:64],
        sent_at=at,
    )
    session.add(nudge)
    session.flush()
    return int(nudge.id)


def unfinished_reminded(session: Session, *, sender_id: str) -> bool:
    """True once this conversation got its reminder (or said "stop relances" before it)."""
    found = session.execute(
        select(models.Nudge.id)
        .where(models.Nudge.sender_id == sender_id, models.Nudge.kind == "unfinished_profile")
        .limit(1)
    ).first()
    return found is not None


def stopped_without_profile(session: Session, *, sender_ids: Collection[str]) -> set[str]:
    """The sender ids among these that said "stop relances" before having a profile."""
    if not sender_ids:
        return set()
    return set(
        session.execute(
            select(models.Nudge.sender_id).where(models.Nudge.via == STOPPED, models.Nudge.sender_id.in_(sender_ids))
        ).scalars()
    )


def stop(session: Session, *, channel: str, sender_id: str, now: datetime) -> bool:
    """ "Stop relances": no re-engagement message ever again; False if it was already so."""
    volunteer = session.execute(
        select(models.Volunteer).where(models.Volunteer.channel == channel, models.Volunteer.sender_id == sender_id)
    ).scalar_one_or_none()
    if volunteer is None:  # the channel a turn reports may differ from the stored one: the sender id decides
        rows = list(session.execute(select(models.Volunteer).where(models.Volunteer.sender_id == sender_id)).scalars())
        volunteer = rows[0] if len(rows) == 1 else None
    if volunteer is not None:
        if volunteer.nudges_opt_out_at is not None:
            return False
        volunteer.nudges_opt_out_at = now
        session.flush()
        return True
    if stopped_without_profile(session, sender_ids=[sender_id]):
        return False
    record(session, kind="unfinished_profile", channel=channel, sender_id=sender_id, via=[STOPPED], at=now)
    return True


def opted_out(session: Session, *, volunteer_id: int) -> datetime | None:
    """When this volunteer said "stop relances", if they did."""
    moment = session.execute(
        select(models.Volunteer.nudges_opt_out_at).where(models.Volunteer.id == volunteer_id)
    ).scalar_one_or_none()
    return as_utc(moment) if moment is not None else None


def unfinished_profiles(
    tracker_url: str, *, silent_since: datetime, not_before: datetime, known: Collection[str]
) -> list[Unfinished]:
    """Conversations whose person accepted consent, has no profile (not in ``known``) and last wrote
    between ``not_before`` and ``silent_since``, longest silent first.

    Consent is the conversation's latest ``consent`` slot (``given``); a refusal or an erasure after it
    leaves none. Messages the application injects (``EXTERNAL: …``) are not the person's.
    """
    if not conversations.has_events_table(tracker_url):
        return []
    e = conversations.events.c
    written = e.type_name == "user"
    with get_engine(tracker_url).connect() as connection:
        rows = connection.execute(
            select(e.sender_id, e.timestamp, e.data)
            .where(written, e.timestamp >= not_before.timestamp())
            .order_by(e.id)
        ).all()
        last: dict[str, float] = {}
        for sender_id, timestamp, data in rows:
            parsed = json.loads(data or "{}")
            if (parsed.get("metadata") or {}).get("is_external") or str(parsed.get("text") or "").startswith(
                "EXTERNAL: "
            ):
                continue
            last[sender_id] = max(last.get(sender_id, 0.0), float(timestamp or 0.0))
        quiet = [s for s, at in last.items() if at < silent_since.timestamp() and s not in known]
        if not quiet:
            return []
        consent: dict[str, str | None] = {}
        for sender_id, data in connection.execute(
            select(e.sender_id, e.data)
            .where(e.type_name == "slot", e.action_name == "consent", e.sender_id.in_(quiet))
            .order_by(e.id)
        ):
            consent[sender_id] = json.loads(data or "{}").get("value")
    found = [
        Unfinished(sender_id, owner_of(sender_id), datetime.fromtimestamp(last[sender_id], tz=timezone.utc))
        for sender_id in quiet
        if consent.get(sender_id) == "given"
    ]
    return sorted(found, key=lambda u: (u.last_message, u.sender_id))


def profile_senders(session: Session) -> set[str]:
    """Sender ids that have a stored profile."""
    return set(session.execute(select(models.Volunteer.sender_id)).scalars())


def last_activity(session: Session, *, volunteer_id: int) -> datetime:
    """The latest of: a message (``last_seen_at``), the profile, a sign-up to a shift, hours recorded."""
    volunteer = session.get(models.Volunteer, volunteer_id)
    assert volunteer is not None
    moments = [as_utc(volunteer.last_seen_at), as_utc(volunteer.created_at)]
    for column, owner in (
        (models.Signup.created_at, models.Signup.volunteer_id),
        (models.HoursEntry.created_at, models.HoursEntry.volunteer_id),
    ):
        latest = session.execute(select(func.max(column)).where(owner == volunteer_id)).scalar_one()
        if latest is not None:
            moments.append(as_utc(latest))
    return max(moments)


def inactive_volunteers(session: Session, *, since: datetime, channels: Collection[str]) -> list[Inactive]:
    """Volunteers with nothing since ``since`` who may get a suggestion, least recently seen first.

    Nothing: no message, profile, sign-up or hours since then. Left out: "stop relances", no more
    proposals, a suggestion already sent since then, a conversation held by staff, and anyone the
    assistant can reach neither in the conversation (``channels``) nor by e-mail.
    """
    v = models.Volunteer
    recent_signup = select(models.Signup.id).where(
        models.Signup.volunteer_id == v.id, models.Signup.created_at >= since
    )
    recent_hours = select(models.HoursEntry.id).where(
        models.HoursEntry.volunteer_id == v.id, models.HoursEntry.created_at >= since
    )
    suggested = select(models.Nudge.id).where(
        models.Nudge.volunteer_id == v.id, models.Nudge.kind == "inactive", models.Nudge.sent_at >= since
    )
    stopped = select(models.Nudge.id).where(models.Nudge.sender_id == v.sender_id, models.Nudge.via == STOPPED)
    held = select(models.Takeover.id).where(
        models.Takeover.sender_id == v.sender_id, models.Takeover.ended_at.is_(None)
    )
    rows = session.execute(
        select(v.id, v.channel, v.sender_id, v.email)
        .where(
            v.last_seen_at < since,
            v.created_at < since,
            v.nudges_opt_out_at.is_(None),
            v.proposals_opt_out_at.is_(None),
            or_(v.channel.in_(channels), v.email.is_not(None)),
            ~recent_signup.exists(),
            ~recent_hours.exists(),
            ~suggested.exists(),
            ~stopped.exists(),
            ~held.exists(),
        )
        .order_by(v.last_seen_at, v.id)
    ).all()
    return [Inactive(row.id, row.channel, row.sender_id, bool(row.email)) for row in rows]


def suggested_since(session: Session, *, volunteer_id: int, since: datetime) -> bool:
    """True when this volunteer got a suggestion since ``since``."""
    found = session.execute(
        select(models.Nudge.id)
        .where(
            models.Nudge.volunteer_id == volunteer_id, models.Nudge.kind == "inactive", models.Nudge.sent_at >= since
        )
        .limit(1)
    ).first()
    return found is not None


def set_via(session: Session, *, nudge_id: int, via: Collection[str]) -> None:
    """The channels a nudge finally reached."""
    session.execute(update(models.Nudge).where(models.Nudge.id == nudge_id).values(via=",".join(via)[:64]))


def remove(session: Session, *, nudge_id: int) -> None:
    """Forget a nudge that could not be sent after all."""
    session.execute(delete(models.Nudge).where(models.Nudge.id == nudge_id))


def forget_sender(session: Session, *, sender_id: str, channel: str | None = None) -> int:
    """Erase the nudges of a conversation (erasure, purge of a conversation without profile)."""
    query = delete(models.Nudge).where(models.Nudge.sender_id == sender_id)
    if channel is not None:
        query = query.where(models.Nudge.channel == channel)
    return session.execute(query).rowcount or 0


def with_email(session: Session, volunteer_ids: Collection[int]) -> set[int]:
    """Which of these volunteers gave an e-mail address."""
    if not volunteer_ids:
        return set()
    return set(
        session.execute(
            select(models.Volunteer.id).where(
                models.Volunteer.id.in_(volunteer_ids), models.Volunteer.email.is_not(None)
            )
        ).scalars()
    )


def recent(session: Session, *, limit: int = 100) -> list[NudgeView]:
    """The latest nudges, newest first, with the volunteer's first name when they have a profile."""
    rows = session.execute(
        select(models.Nudge, models.Volunteer.first_name)
        .outerjoin(models.Volunteer, models.Volunteer.id == models.Nudge.volunteer_id)
        .where(models.Nudge.via != STOPPED)
        .order_by(models.Nudge.sent_at.desc(), models.Nudge.id.desc())
        .limit(limit)
    ).all()
    return [
        NudgeView(n.id, n.kind, as_utc(n.sent_at), n.via, n.volunteer_id, first_name, n.mission_id)
        for n, first_name in rows
    ]


def counts(session: Session, *, since: datetime) -> dict[str, int]:
    """How many nudges of each kind went out since ``since``."""
    rows = session.execute(
        select(models.Nudge.kind, func.count(models.Nudge.id))
        .where(models.Nudge.sent_at >= since, models.Nudge.via != STOPPED)
        .group_by(models.Nudge.kind)
    ).all()
    found = {kind: int(count) for kind, count in rows}
    return {kind: found.get(kind, 0) for kind in KINDS}


def opted_out_count(session: Session) -> int:
    """How many volunteers said "stop relances"."""
    return int(
        session.execute(
            select(func.count(models.Volunteer.id)).where(models.Volunteer.nudges_opt_out_at.is_not(None))
        ).scalar_one()
    )
