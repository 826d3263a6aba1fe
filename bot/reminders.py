"""After a sign-up: the reminder the day before, its one follow-up, the check-in after, the yearly summary.

Four scheduled jobs (``bot.background.JOBS``, every minute):

- :func:`send_reminders`: sign-ups still "confirmed" whose shift starts **tomorrow** (local date,
  ``TIMEZONE``), once the local time is past ``REMINDER_HOUR`` today and the shift has not started.
  A sign-up made after today's reminder hour for a shift tomorrow gets none: its confirmation, a
  few hours ago at most, said everything a reminder would (and asking "toujours OK ?" right after
  "c'est noté" would be odd). Days are local days, so a shift the day after a change of time gets
  its reminder at the right local hour (the local day is 23 or 25 hours long);
- :func:`send_followups`: a reminder unanswered after ``REMINDER_FOLLOWUP_HOURS``, shift not
  started: followed up once;
- :func:`send_checkins`: ``CHECKIN_DELAY_MINUTES`` after a shift ended, for sign-ups still
  "confirmed" (not cancelled, no attendance recorded by staff); shifts ended more than
  :data:`CHECKIN_WINDOW` ago are left alone (a check-in weeks late helps nobody);
- :func:`send_yearly_summaries`: from January 1st, to each volunteer with hours in the past year.

Each due set is one set-based query (:func:`due_reminders` ...), indexed by the shift's start or
end. Each sign-up is then claimed by one conditional UPDATE (``reminder_sent_at IS NULL``...), in
batches of :data:`BATCH`, so that two processes never send the same message: the UPDATE of the
second finds the column already set. The message goes on every channel that can reach the
person: their conversation (``trigger_intent``: Telegram pushes, the chat bubble shows it at once
or when reopened) and an e-mail when they gave an address. At most :data:`RASA_CONCURRENCY` calls
to Rasa run at once, so that conversations are not slowed. A failure for one person is logged
by ids and the others go on; when Rasa cannot be reached at all, the claims of the people reached
by nothing are given back (set to NULL again) and the next run tries again. A person erased
meanwhile has no sign-up left: nothing is claimed, nothing is sent.

The second half holds what the conversation needs (``actions/follow_up.py``): the reminder's and
check-in's wording, the answers ("oui", the hours, the rating, the comment) stored in one
transaction, and the attestation's period.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.assistant_api import trigger_intent
from bot.config import Settings
from bot.errors import AssistantUnavailableError, ConversationRefusedError
from bot.shifts import label, local
from bot.store import models, outbox
from bot.store import takeovers as takeover_store
from bot.store import volunteers as volunteer_store
from bot.store.jobs import claim
from bot.store.retention import as_utc
from bot.store.session import session_scope
from bot.texts import load_yaml

logger = logging.getLogger(__name__)

# Channels where the assistant can write first: Telegram pushes, the bubble shows it (at once or when reopened).
CONVERSATION_CHANNELS = frozenset({"telegram", "web"})
REMINDER, FOLLOWUP, CHECKIN = "shift_reminder", "shift_reminder_followup", "shift_checkin"
YEARLY_SUMMARY = "yearly_summary"
BATCH = 200
# One call to Rasa at a time: three at once cost the conversations a fifth of their turn p95 (make bench,
# part reminders); one at a time sends 10,000 reminders in about 20 minutes, well before the day.
RASA_CONCURRENCY = 1
CHECKIN_WINDOW = timedelta(days=3)
COLUMNS = {REMINDER: "reminder_sent_at", FOLLOWUP: "followup_sent_at", CHECKIN: "checkin_sent_at"}

Trigger = Callable[..., object]


def _utc(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(timezone.utc)


# --------------------------------------------------------------------------- due sets (one query each)


def reminder_window(settings: Settings, now: datetime) -> tuple[datetime, datetime, datetime] | None:
    """(today's reminder moment, tomorrow's start, the day after's start) in UTC; None before the reminder hour."""
    zone = ZoneInfo(settings.timezone)
    today = now.astimezone(zone).date()
    moment = datetime.combine(today, time(settings.reminder_hour), tzinfo=zone).astimezone(timezone.utc)
    if now < moment:
        return None
    return moment, _local_midnight(today + timedelta(days=1), zone), _local_midnight(today + timedelta(days=2), zone)


def reminder_moment(settings: Settings, starts_at: datetime) -> datetime:
    """When the reminder of a shift goes: REMINDER_HOUR on the local day before the shift's local day, in UTC."""
    zone = ZoneInfo(settings.timezone)
    day_before = as_utc(starts_at).astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day_before, time(settings.reminder_hour), tzinfo=zone).astimezone(timezone.utc)


def reminder_ahead(
    settings: Settings, *, starts_at: datetime, signed_up_at: datetime, reminder_sent_at: datetime | None = None
) -> bool:
    """Whether the reminder job will still send this sign-up its reminder (the rule of :func:`due_reminders`).

    Signed up before the reminder moment, which comes before the start, and not sent yet: "je vous
    enverrai un rappel la veille" is said only then (not for a shift today, nor tomorrow past the hour).
    """
    moment = reminder_moment(settings, as_utc(starts_at))
    return reminder_sent_at is None and as_utc(signed_up_at) < moment < as_utc(starts_at)


def due_reminders(session: Session, settings: Settings, *, now: datetime) -> list[int]:
    """Ids of the sign-ups whose reminder is due now (shift tomorrow, reminder hour past, signed up before it)."""
    window = reminder_window(settings, now)
    if window is None:
        return []
    moment, start, end = window
    signup, shift = models.Signup, models.Shift
    statement = (
        select(signup.id)
        .join(shift, shift.id == signup.shift_id)
        .where(
            shift.starts_at >= max(start, now),
            shift.starts_at < end,
            shift.cancelled_at.is_(None),
            signup.status == "confirmed",
            signup.reminder_sent_at.is_(None),
            signup.created_at < moment,
        )
        .order_by(shift.starts_at, signup.id)
    )
    return list(session.execute(statement).scalars())


def due_followups(session: Session, settings: Settings, *, now: datetime) -> list[int]:
    """Ids of the sign-ups whose reminder is unanswered after REMINDER_FOLLOWUP_HOURS, shift not started."""
    signup, shift = models.Signup, models.Shift
    statement = (
        select(signup.id)
        .join(shift, shift.id == signup.shift_id)
        .where(
            shift.starts_at > now,
            shift.starts_at < now + timedelta(days=2),
            shift.cancelled_at.is_(None),
            signup.status == "confirmed",
            signup.reminder_sent_at <= now - timedelta(hours=settings.reminder_followup_hours),
            signup.reminder_answer.is_(None),
            signup.followup_sent_at.is_(None),
        )
        .order_by(shift.starts_at, signup.id)
    )
    return list(session.execute(statement).scalars())


def due_checkins(session: Session, settings: Settings, *, now: datetime) -> list[int]:
    """Ids of the sign-ups to check in: shift ended CHECKIN_DELAY_MINUTES ago (in CHECKIN_WINDOW), confirmed."""
    signup, shift = models.Signup, models.Shift
    ended_before = now - timedelta(minutes=settings.checkin_delay_minutes)
    statement = (
        select(signup.id)
        .join(shift, shift.id == signup.shift_id)
        .where(
            shift.ends_at <= ended_before,
            shift.ends_at > ended_before - CHECKIN_WINDOW,
            shift.cancelled_at.is_(None),
            signup.status == "confirmed",
            signup.checkin_sent_at.is_(None),
            signup.checkin_done_at.is_(None),
        )
        .order_by(shift.ends_at, signup.id)
    )
    return list(session.execute(statement).scalars())


DUE = {REMINDER: due_reminders, FOLLOWUP: due_followups, CHECKIN: due_checkins}


def claim_signups(session: Session, *, kind: str, signup_ids: Iterable[int], now: datetime) -> list[int]:
    """Claim each sign-up for ``kind`` by one conditional UPDATE (column still NULL); the ids this call won."""
    column = getattr(models.Signup, COLUMNS[kind])
    table = models.Signup.__table__
    won = []
    for signup_id in signup_ids:
        result = session.execute(
            update(table).where(models.Signup.id == signup_id, column.is_(None)).values({COLUMNS[kind]: now})
        )
        if result.rowcount == 1:
            won.append(signup_id)
    return won


def _give_back(settings: Settings, *, kind: str, signup_ids: Sequence[int], now: datetime) -> None:
    """Undo claims nobody was reached for (an UPDATE back to NULL, only where this run set them)."""
    if not signup_ids:
        return
    column = getattr(models.Signup, COLUMNS[kind])
    with session_scope(settings.database_url) as session:
        session.execute(
            update(models.Signup.__table__)
            .where(models.Signup.id.in_(list(signup_ids)), column == now)
            .values({COLUMNS[kind]: None})
        )


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Delivery:
    """One sign-up to tell about: who, where, and what the e-mail says (None: no address)."""

    signup_id: int
    volunteer_id: int
    sender_id: str
    conversation: bool
    email: tuple[str, str] | None  # (subject, body)


@cache
def _emails(folder: str | None = None) -> dict[str, Any]:
    return load_yaml("volunteer_emails.yml", folder)


def _email_for(kind: str, settings: Settings, signup: models.Signup) -> tuple[str, str] | None:
    if kind == FOLLOWUP or not signup.volunteer.email:
        return None  # the follow-up is a nudge in the chat; the e-mail reminder already went
    template = _emails(settings.association_dir)["reminder" if kind == REMINDER else "checkin"]
    shift, mission = signup.shift, signup.shift.mission
    contact = mission.contact or ""
    fields = {
        "first_name": outbox.first_name_of(signup.volunteer_id),
        "mission": outbox.literal(mission.title),
        "when": label(shift.starts_at, shift.ends_at, settings.timezone),
        "association": settings.association_name,
        "address_line": template.get("address", "").format(address=outbox.literal(mission.address))
        if mission.address
        else "",
        "contact_line": template["contact"].format(contact=outbox.literal(contact)) if contact else "",
    }
    return template["subject"].format(**fields), template["body"].format(**fields)


def _deliveries(settings: Settings, session: Session, kind: str, signup_ids: Sequence[int]) -> list[Delivery]:
    out = []
    for signup_id in signup_ids:
        signup = session.get(models.Signup, signup_id)
        if signup is None or signup.volunteer is None:
            continue  # erased meanwhile
        volunteer = signup.volunteer
        held = takeover_store.open_for(session, sender_id=volunteer.sender_id) is not None
        out.append(
            Delivery(
                signup_id=signup_id,
                volunteer_id=volunteer.id,
                sender_id=volunteer.sender_id,
                conversation=volunteer.channel in CONVERSATION_CHANNELS and not held,
                email=_email_for(kind, settings, signup),
            )
        )
    return out


def _push(settings: Settings, trigger: Trigger, kind: str, delivery: Delivery) -> str:
    """Push one message into the person's conversation: "sent", "refused" or "unavailable"."""
    try:
        trigger(settings, sender_id=delivery.sender_id, intent=kind, entities={"signup_id": delivery.signup_id})
    except AssistantUnavailableError:
        return "unavailable"
    except ConversationRefusedError:
        logger.warning("%s for signup %s refused by the assistant", kind, delivery.signup_id)
        return "refused"
    except Exception as error:  # noqa: BLE001 (one person's failure must not stop the others)
        logger.warning("%s for signup %s failed: %s", kind, delivery.signup_id, type(error).__name__)
        return "refused"
    return "sent"


def _send(settings: Settings, kind: str, *, now: datetime, trigger: Trigger) -> int:
    """Claim and send every due message of ``kind``; how many people were reached."""
    with session_scope(settings.database_url) as session:
        due = DUE[kind](session, settings, now=now)
    reached = 0
    for start in range(0, len(due), BATCH):
        with session_scope(settings.database_url) as session:
            won = claim_signups(session, kind=kind, signup_ids=due[start : start + BATCH], now=now)
            deliveries = _deliveries(settings, session, kind, won)
            for delivery in deliveries:
                if delivery.email is not None:
                    subject, body = delivery.email
                    outbox.queue_to_volunteer(
                        session,
                        volunteer_id=delivery.volunteer_id,
                        kind=kind_of_email(kind),
                        subject=subject,
                        body=body,
                    )
        pushed = [d for d in deliveries if d.conversation]
        with ThreadPoolExecutor(max_workers=RASA_CONCURRENCY) as pool:
            sent = pool.map(lambda d: _push(settings, trigger, kind, d), pushed)
            outcomes = dict(zip((d.signup_id for d in pushed), sent, strict=True))
        unreached = [d.signup_id for d in deliveries if d.email is None and outcomes.get(d.signup_id, "none") != "sent"]
        reached += len(deliveries) - len(unreached)
        if "unavailable" in outcomes.values():
            unsent = [i for i in unreached if outcomes.get(i) == "unavailable"]
            _give_back(settings, kind=kind, signup_ids=unsent, now=now)
            logger.warning("%s: assistant unreachable, %d given back for the next run", kind, len(unsent))
            break
    if reached:
        logger.info("%s: %d people reached", kind, reached)
    return reached


def kind_of_email(kind: str) -> str:
    """The outbox kind of an e-mail about a sign-up ("reminder", "checkin")."""
    return "checkin" if kind == CHECKIN else "reminder"


def send_reminders(settings: Settings, *, now: datetime | None = None, trigger: Trigger = trigger_intent) -> int:
    """Scheduled job: the reminders of tomorrow's shifts, once the reminder hour is past."""
    return _send(settings, REMINDER, now=_utc(now), trigger=trigger)


def send_followups(settings: Settings, *, now: datetime | None = None, trigger: Trigger = trigger_intent) -> int:
    """Scheduled job: follow up, once, reminders left unanswered."""
    return _send(settings, FOLLOWUP, now=_utc(now), trigger=trigger)


def send_checkins(settings: Settings, *, now: datetime | None = None, trigger: Trigger = trigger_intent) -> int:
    """Scheduled job: "comment ça s'est passé ?" after shifts."""
    return _send(settings, CHECKIN, now=_utc(now), trigger=trigger)


# --------------------------------------------------------------------------- yearly summary


def volunteers_with_hours(session: Session, *, year: int) -> list[tuple[int, int]]:
    """(volunteer id, minutes as attestations count them) of everyone with hours in ``year``, one query."""
    from bot.store import hours as hours_store

    entry = models.HoursEntry
    rows = session.execute(
        select(entry.volunteer_id, func.sum(hours_store.counted()))
        .where(entry.day >= date(year, 1, 1), entry.day <= date(year, 12, 31))
        .group_by(entry.volunteer_id)
        .order_by(entry.volunteer_id)
    ).all()
    return [(int(volunteer_id), int(minutes)) for volunteer_id, minutes in rows]


def send_yearly_summaries(settings: Settings, *, now: datetime | None = None, trigger: Trigger = trigger_intent) -> int:
    """Scheduled job, in January: each volunteer with hours last year hears their total and the CEC threshold."""
    now = _utc(now)
    today = local(now, settings.timezone).date()
    if today.month != 1:
        return 0
    year = today.year - 1
    from bot.attestations import cec_summary
    from bot.store import hours as hours_store

    with session_scope(settings.database_url) as session:
        people = volunteers_with_hours(session, year=year)
    sent = 0
    for volunteer_id, minutes in people:
        with session_scope(settings.database_url) as session:
            volunteer = session.get(models.Volunteer, volunteer_id)
            if volunteer is None or not claim(session, kind=YEARLY_SUMMARY, key=f"{year}:{volunteer_id}"):
                continue
            if volunteer.email:
                template = _emails(settings.association_dir)["yearly_summary"]
                pending = hours_store.pending_between(
                    session, volunteer_id=volunteer_id, start=date(year, 1, 1), end=date(year, 12, 31)
                )
                fields = {
                    "first_name": outbox.first_name_of(volunteer_id),
                    "year": year,
                    "association": settings.association_name,
                    "summary": cec_summary(settings, minutes=minutes, year=year, pending=pending),
                }
                outbox.queue_to_volunteer(
                    session,
                    volunteer_id=volunteer_id,
                    kind="summary",
                    subject=template["subject"].format(**fields),
                    body=template["body"].format(**fields),
                )
            channel, sender_id = volunteer.channel, volunteer.sender_id
            held = takeover_store.open_for(session, sender_id=sender_id) is not None
        if channel in CONVERSATION_CHANNELS and not held:
            try:
                trigger(settings, sender_id=sender_id, intent=YEARLY_SUMMARY, entities={"year": year})
            except AssistantUnavailableError:
                logger.warning("yearly summary of volunteer %s: assistant unreachable", volunteer_id)
            except Exception as error:  # noqa: BLE001
                logger.warning("yearly summary of volunteer %s failed: %s", volunteer_id, type(error).__name__)
        sent += 1
    if sent:
        logger.info("yearly summaries %s: %d volunteers", year, sent)
    return sent


# --------------------------------------------------------------------------- the conversation's side


@dataclass(frozen=True)
class SignupView:
    """A sign-up as the conversation tells it: state, shift in words, mission, planned minutes."""

    signup_id: int
    status: str
    when: str
    day: str
    mission: str
    address: str | None
    planned_minutes: int
    started: bool
    ended: bool
    checkin_done: bool
    reminder_answer: str | None


def _owned(session: Session, *, signup_id: int, channel: str, sender_id: str) -> models.Signup | None:
    """The sign-up if it belongs to the person of this conversation (else None: never someone else's)."""
    signup = session.get(models.Signup, signup_id)
    if signup is None:
        return None
    volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
    if volunteer is None:
        volunteer = volunteer_store.find_by_sender(session, sender_id=sender_id)
    return signup if volunteer is not None and signup.volunteer_id == volunteer.id else None


def _view(settings: Settings, signup: models.Signup, now: datetime) -> SignupView:
    from bot.shifts import say_day

    shift = signup.shift
    starts, ends = as_utc(shift.starts_at), as_utc(shift.ends_at)
    return SignupView(
        signup_id=signup.id,
        status="cancelled" if shift.cancelled_at is not None else signup.status,
        when=label(starts, ends, settings.timezone),
        day=say_day(starts, settings.timezone),
        mission=shift.mission.title,
        address=shift.mission.address,
        planned_minutes=int((ends - starts).total_seconds() // 60),
        started=starts <= now,
        ended=ends <= now,
        checkin_done=signup.checkin_done_at is not None or signup.status in ("attended", "no_show"),
        reminder_answer=signup.reminder_answer,
    )


def signup_view(
    settings: Settings, *, signup_id: int, channel: str, sender_id: str, now: datetime | None = None
) -> SignupView | None:
    """The person's own sign-up in words; None when unknown or someone else's."""
    with session_scope(settings.database_url) as session:
        signup = _owned(session, signup_id=signup_id, channel=channel, sender_id=sender_id)
        return _view(settings, signup, _utc(now)) if signup is not None else None


def answer_reminder(
    settings: Settings, *, signup_id: int, channel: str, sender_id: str, answer: str, now: datetime | None = None
) -> SignupView | None:
    """Store "yes" or "no" to "toujours OK ?" (the first answer counts); the sign-up as it is then."""
    now = _utc(now)
    with session_scope(settings.database_url) as session:
        signup = _owned(session, signup_id=signup_id, channel=channel, sender_id=sender_id)
        if signup is None:
            return None
        if signup.status == "confirmed" and as_utc(signup.shift.starts_at) > now:
            session.execute(
                update(models.Signup.__table__)
                .where(models.Signup.id == signup_id, models.Signup.status == "confirmed")
                .values(reminder_answer=answer, reminder_answered_at=now)
            )
            session.refresh(signup)
        return _view(settings, signup, now)


@dataclass(frozen=True)
class CheckinResult:
    """How a check-in ended: "ok", "no_show", "already", "cancelled", "not_ended", "unknown", "invalid"."""

    status: str
    view: SignupView | None = None
    # Set when the hours declared are well over the shift's length and wait for staff ("à vérifier"):
    # what attestations count meanwhile (the planned length).
    counted_minutes: int | None = None


def finish_checkin(
    settings: Settings,
    *,
    signup_id: int,
    channel: str,
    sender_id: str,
    minutes: int | None,
    rating: int | None = None,
    comment: str | None = None,
    now: datetime | None = None,
) -> CheckinResult:
    """Record a check-in in ONE transaction: hours (or absence when ``minutes`` is None), rating, comment, done."""
    from bot.store import hours as hours_store

    now = _utc(now)
    with session_scope(settings.database_url) as session:
        signup = _owned(session, signup_id=signup_id, channel=channel, sender_id=sender_id)
        if signup is None:
            return CheckinResult("unknown")
        view = _view(settings, signup, now)
        if view.status == "cancelled":
            return CheckinResult("cancelled", view)
        if view.checkin_done:
            return CheckinResult("already", view)
        if minutes is None:
            outcome = hours_store.mark_no_show(session, signup_id=signup_id, now=now)
        else:
            outcome = hours_store.record_checkin_hours(
                session, signup_id=signup_id, minutes=minutes, now=now, zone=settings.timezone
            )
        if not outcome.ok:
            session.rollback()
            status = {"not_started": "not_ended", "invalid_minutes": "invalid"}.get(outcome.status, outcome.status)
            return CheckinResult(status, view)
        session.execute(
            update(models.Signup.__table__)
            .where(models.Signup.id == signup_id)
            .values(
                checkin_done_at=now,
                rating=rating if rating is not None and 1 <= rating <= 5 else None,
                comment=(comment or "").strip()[:2000] or None,
            )
        )
        logger.info("check-in of signup %s recorded (%s)", signup_id, "present" if minutes else "absent")
        return CheckinResult("no_show" if minutes is None else "ok", view, outcome.counted_minutes)


def checkin_state(
    settings: Settings, *, signup_id: int, channel: str, sender_id: str, now: datetime | None = None
) -> CheckinResult:
    """Whether this sign-up can be checked in now ("ok"), or why not (nothing written)."""
    now = _utc(now)
    view = signup_view(settings, signup_id=signup_id, channel=channel, sender_id=sender_id, now=now)
    if view is None:
        return CheckinResult("unknown")
    if view.status == "cancelled":
        return CheckinResult("cancelled", view)
    if view.checkin_done:
        return CheckinResult("already", view)
    if not view.ended:
        return CheckinResult("not_ended", view)
    return CheckinResult("ok", view)


# --------------------------------------------------------------------------- attestations and the summary

PERIODS = ("this_year", "last_year", "all")


def is_period(period: str) -> bool:
    """Whether ``period`` is one of the buttons' or a span of days read from words (bot.understanding.periods)."""
    from bot.understanding.periods import span_dates

    return period in PERIODS or span_dates(period) is not None


def period_dates(period: str, *, today: date) -> tuple[date, date]:
    """The dates of an attestation's period: this year, last year, since the beginning, or a span (end ≤ today)."""
    from bot.understanding.periods import span_dates

    days = span_dates(period)
    if days is not None:
        return days[0], min(days[1], today)
    if period == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if period == "all":
        from bot.store.hours import EARLIEST_DAY

        return EARLIEST_DAY, today
    return date(today.year, 1, 1), today


# "je suis Robert Dupont", "c'est Robert Dupont", "mon nom : Robert Dupont": the name is what follows.
NAME_LEAD_IN = re.compile(
    r"^\s*(?:(?:bonjour|salut)[\s,]+)?(?:je\s+suis|je\s+m['’]\s*appelle|moi\s+c['’]est|c['’]est|"
    r"mon\s+nom(?:\s+complet)?\s*(?:est|c['’]est|:)|nom\s*:|au\s+nom\s+de)\s*:?\s*",
    re.IGNORECASE,
)


def clean_full_name(text: str) -> str | None:
    """A full name as typed, cleaned (lead-ins, spaces, quotes, no digits or markup); None when not 2-120 letters."""
    name = " ".join(NAME_LEAD_IN.sub("", text, count=1).replace("\u00a0", " ").split()).strip(" .,;:!?\"'«»")
    if not 2 <= len(name) <= 120 or any(c.isdigit() or c in "<>{}[]/\\@#*_=|" for c in name):
        return None
    return name if sum(c.isalpha() for c in name) >= 2 else None


@dataclass(frozen=True)
class AttestationOffer:
    """An attestation link (or None: no hours in the period) and when it expires, in words."""

    url: str | None
    expires: str


def attestation_link(
    settings: Settings, *, channel: str, sender_id: str, period: str, full_name: str, now: datetime | None = None
) -> AttestationOffer | None:
    """A link to the person's attestation for ``period``; None when they have no profile."""
    from bot import attestations

    now = _utc(now)
    today = local(now, settings.timezone).date()
    start, end = period_dates(period if is_period(period) else "this_year", today=today)
    with session_scope(settings.database_url) as session:
        volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
        if volunteer is None:
            volunteer = volunteer_store.find_by_sender(session, sender_id=sender_id)
        if volunteer is None:
            return None
        url = attestations.create_link(
            session, settings, volunteer_id=volunteer.id, start=start, end=end, full_name=full_name, now=now
        )
    expires_at = now + timedelta(hours=settings.attestation_link_hours)
    expires = f"{label(expires_at, expires_at, settings.timezone).split(',')[0]} à {_say_clock(expires_at, settings)}"
    return AttestationOffer(url, expires)


def _say_clock(moment: datetime, settings: Settings) -> str:
    from bot.opening_hours import say_time

    return say_time(local(moment, settings.timezone).time())


def has_profile(settings: Settings, *, channel: str, sender_id: str) -> bool:
    """Whether this conversation belongs to a stored volunteer."""
    with session_scope(settings.database_url) as session:
        found = volunteer_store.find(session, channel=channel, sender_id=sender_id)
        return (found or volunteer_store.find_by_sender(session, sender_id=sender_id)) is not None


def recorded_minutes(
    settings: Settings, *, channel: str, sender_id: str, period: str | None = None, now: datetime | None = None
) -> int:
    """The volunteering minutes recorded for this conversation's volunteer, in ``period`` (all when None), as
    attestations count them; 0 without a profile. The attestation checks it before asking for a full name: no
    name is asked for nothing."""
    return _minutes_of(settings, channel=channel, sender_id=sender_id, period=period, now=now)[0]


def minutes_to_check(
    settings: Settings, *, channel: str, sender_id: str, period: str | None = None, now: datetime | None = None
) -> int:
    """The minutes declared in ``period`` (all when None) beyond what attestations count: lines staff will check."""
    return _minutes_of(settings, channel=channel, sender_id=sender_id, period=period, now=now)[1]


def _minutes_of(
    settings: Settings, *, channel: str, sender_id: str, period: str | None, now: datetime | None
) -> tuple[int, int]:
    """(minutes counted, minutes waiting for staff) of this conversation's volunteer in ``period``."""
    from bot.store import hours as hours_store

    start, end = date.min, date.max
    if period is not None:
        start, end = period_dates(period, today=local(_utc(now), settings.timezone).date())
    with session_scope(settings.database_url) as session:
        volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
        volunteer = volunteer or volunteer_store.find_by_sender(session, sender_id=sender_id)
        if volunteer is None:
            return 0, 0
        return (
            hours_store.minutes_between(session, volunteer_id=volunteer.id, start=start, end=end),
            hours_store.pending_between(session, volunteer_id=volunteer.id, start=start, end=end),
        )


def yearly_summary_text(settings: Settings, *, channel: str, sender_id: str, year: int) -> str | None:
    """The person's hours in ``year`` and what they mean for the CEC, in French; None without a profile."""
    from bot.attestations import cec_summary
    from bot.store import hours as hours_store

    with session_scope(settings.database_url) as session:
        volunteer = volunteer_store.find(session, channel=channel, sender_id=sender_id)
        volunteer = volunteer or volunteer_store.find_by_sender(session, sender_id=sender_id)
        if volunteer is None:
            return None
        start, end = date(year, 1, 1), date(year, 12, 31)
        minutes = hours_store.minutes_between(session, volunteer_id=volunteer.id, start=start, end=end)
        pending = hours_store.pending_between(session, volunteer_id=volunteer.id, start=start, end=end)
    return cec_summary(settings, minutes=minutes, year=year, pending=pending)
