"""Signing up for a shift in the chat, its calendar file, cancelling, and being told of a cancelled shift.

What ``actions/shifts.py`` calls (the actions hold no SQL): the next dates of a mission
(:func:`shift_choices`), a sign-up with its confirmation e-mail (:func:`book`), the person's next
shifts (:func:`my_shifts`), which of them a typed cancellation names (:func:`pick`), a cancellation
with the staff's e-mail (:func:`cancel`). Each change and its e-mail are one transaction.

The calendar file is served at ``/calendar/{token}.ics`` (``bot.calendar_routes``): the token is
the sign-up's id and an HMAC of it (:func:`calendar_token`), so a link cannot be guessed from
another; the file holds no personal data.

When staff cancel a shift (``bot.store.shifts.cancel_shift``), :func:`tell_cancelled` pushes the
external intent ``shift_cancelled`` into each person's conversation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot import ics, reminders
from bot.assistant_api import trigger_intent
from bot.attestations import say_hours
from bot.config import Settings, derived_secret
from bot.errors import InvalidDataError
from bot.notifications.texts import compose, one_line
from bot.opening_hours import DAY_NAMES
from bot.shifts import MONTH_NAMES, DateLine, label, local, say_day
from bot.store import models, outbox
from bot.store import shifts as shift_store
from bot.store import signups as signup_store
from bot.store import takeovers as takeover_store
from bot.store import volunteers as volunteer_store
from bot.store.retention import as_utc
from bot.store.session import session_scope
from bot.texts import labels, load_yaml

logger = logging.getLogger(__name__)

MAX_CHOICES = 6
NO_PROFILE = "no_profile"
TOO_YOUNG = "too_young"  # the mission's minimum age is above the person's age group (legal eligibility)
FILE_NAME = "signups.yml"


@cache
def texts(folder: str | None = None) -> dict[str, Any]:
    """The words of data/association/signups.yml."""
    return load_yaml(FILE_NAME, folder)


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)


def _volunteer(session: Session, *, channel: str, sender_id: str) -> models.Volunteer | None:
    found = volunteer_store.find(session, channel=channel, sender_id=sender_id)
    # An injected intent may carry no input channel: the sender id alone decides when it is unambiguous.
    return found if found is not None else volunteer_store.find_by_sender(session, sender_id=sender_id)


def where_of(mission: models.Mission) -> str:
    """Where to go: "12 rue du Port, Villeurbanne" (what is known of it; "" when nothing)."""
    parts = [part for part in (mission.address, mission.city) if part]
    if len(parts) == 2 and parts[1].lower() in parts[0].lower():
        parts = parts[:1]  # the address already names the town
    return ", ".join(parts)


# --------------------------------------------------------------------------- the calendar file


def calendar_token(settings: Settings, signup_id: int) -> str:
    """The token of a sign-up's calendar link: its id and an HMAC of it."""
    key = derived_secret(settings, "calendar").encode()
    digest = hmac.new(key, str(signup_id).encode(), hashlib.sha256).hexdigest()[:32]
    return f"{signup_id}-{digest}"


def signup_of_token(settings: Settings, token: str) -> int | None:
    """The sign-up id a token stands for, or None when it is not one we made (constant-time compare)."""
    head, _, _ = token.partition("-")
    if not (head.isascii() and head.isdigit()) or len(head) > 12:  # "²".isdigit(), and int("²") fails
        return None
    expected = calendar_token(settings, int(head))
    return int(head) if hmac.compare_digest(expected.encode(), token.encode()) else None


def calendar_url(settings: Settings, signup_id: int) -> str:
    """The absolute link of a sign-up's calendar file."""
    return f"{settings.public_url.rstrip('/')}/calendar/{quote(calendar_token(settings, signup_id))}.ics"


def _calendar(settings: Settings, signup: models.Signup, now: datetime) -> str:
    shift, mission = signup.shift, signup.shift.mission
    host = urlsplit(settings.public_url).hostname or "localhost"
    words = texts(settings.association_dir)["calendar"]
    return ics.calendar_file(
        uid=f"signup-{signup.id}@{host}",
        starts_at=as_utc(shift.starts_at),
        ends_at=as_utc(shift.ends_at),
        summary=mission.title,
        location=where_of(mission),
        description=words["description"].format(contact=mission.contact) if mission.contact else "",
        stamp=now,
    )


def calendar_for_token(settings: Settings, token: str, *, now: datetime | None = None) -> str | None:
    """The calendar file of a live sign-up; None for a bad token, a cancelled or unknown sign-up or shift."""
    signup_id = signup_of_token(settings, token)
    if signup_id is None:
        return None
    with session_scope(settings.database_url) as session:
        signup = session.get(models.Signup, signup_id)
        if signup is None or signup.status not in signup_store.HOLDING or signup.shift.cancelled_at is not None:
            return None
        return _calendar(settings, signup, _now(now))


# --------------------------------------------------------------------------- signing up


@dataclass(frozen=True)
class Choices:
    """A mission's next dates with places left (at most :data:`MAX_CHOICES`)."""

    mission_id: str
    mission: str
    shifts: tuple[DateLine, ...]


def _choices(session: Session, settings: Settings, *, mission_id: str, now: datetime, skip: int | None) -> Choices:
    mission = session.get(models.Mission, mission_id)
    title = mission.title if mission is not None else ""
    if mission is None or mission.status != "open":
        return Choices(mission_id, title, ())
    until = now + timedelta(weeks=settings.shift_horizon_weeks)
    found = []
    for shift in shift_store.upcoming(session, mission_id=mission_id, now=now, until=until):
        line = DateLine.of(shift, settings.timezone)
        if line.places_left > 0 and shift.id != skip:
            found.append(line)
    return Choices(mission_id, title, tuple(found[:MAX_CHOICES]))


def shift_choices(
    settings: Settings,
    *,
    mission_id: str,
    now: datetime | None = None,
    skip_labels: frozenset[str] | set[str] = frozenset(),
) -> Choices | None:
    """The mission's next dates with places left (those in ``skip_labels`` left out); None when unknown or closed."""
    with session_scope(settings.database_url) as session:
        mission = session.get(models.Mission, mission_id)
        if mission is None or mission.status != "open":
            return None
        choices = _choices(session, settings, mission_id=mission_id, now=_now(now), skip=None)
    return dataclasses.replace(choices, shifts=tuple(line for line in choices.shifts if line.label not in skip_labels))


def with_open_dates(settings: Settings, mission_ids: Sequence[str], *, now: datetime | None = None) -> set[str]:
    """Those of ``mission_ids`` that still have a next date with places left."""
    found = set()
    for mission_id in mission_ids:
        choices = shift_choices(settings, mission_id=mission_id, now=now)
        if choices is not None and choices.shifts:
            found.add(mission_id)
    return found


def _old_enough(settings: Settings, volunteer: models.Volunteer, mission: models.Mission | None) -> bool:
    """Whether the person's age group meets the mission's minimum age, read as the matching reads it."""
    age = settings.adult_age if volunteer.age_group == "adult" else settings.min_age
    return mission is None or (mission.min_age or 0) <= age


def too_young_for(settings: Settings, *, mission_id: str, channel: str, sender_id: str) -> int | None:
    """The mission's minimum age when this conversation's volunteer is too young for it, else None."""
    with session_scope(settings.database_url) as session:
        volunteer = _volunteer(session, channel=channel, sender_id=sender_id)
        mission = session.get(models.Mission, mission_id)
        if volunteer is None or mission is None or _old_enough(settings, volunteer, mission):
            return None
        return int(mission.min_age or 0)


def too_young_text(settings: Settings, *, mission: str, min_age: int) -> str:
    """What the assistant says instead of a mission's dates to someone below its minimum age."""
    return str(texts(settings.association_dir)["too_young"]).format(mission=mission, min_age=min_age)


def has_profile(settings: Settings, *, channel: str, sender_id: str) -> bool:
    """Whether this conversation belongs to a stored volunteer (who consented)."""
    with session_scope(settings.database_url) as session:
        return _volunteer(session, channel=channel, sender_id=sender_id) is not None


def choice_buttons(settings: Settings, choices: Choices) -> list[dict[str, str]]:
    """The dates as buttons (``/choose_shift``), then the way out."""
    words = texts(settings.association_dir)
    buttons = []
    for choice in choices.shifts:
        title = words["shift_button_one" if choice.places_left == 1 else "shift_button"]
        payload = f'/choose_shift{{"shift_id": {choice.shift_id}}}'
        buttons.append({"title": title.format(label=choice.label, n=choice.places_left), "payload": payload})
    buttons.append({"title": words["none_button"], "payload": "/no_shift_fits"})
    return buttons


@dataclass(frozen=True)
class Booking:
    """How a sign-up in the chat went, in words; ``others``: other dates of the mission when it failed."""

    status: str  # bot.store.signups' statuses, or "no_profile"
    signup_id: int | None = None
    when: str = ""
    mission: str = ""
    where: str = ""
    calendar_url: str = ""
    emailed: bool = False
    others: Choices | None = None
    reminder_ahead: bool = False  # a reminder will go the day before (not for a shift today or tomorrow too late)
    min_age: int = 0  # the mission's, when the person is too young for it


def book(settings: Settings, *, shift_id: int, channel: str, sender_id: str, now: datetime | None = None) -> Booking:
    """Sign the person up for the shift, with the e-mail and its calendar file, in one transaction."""
    now = _now(now)
    with session_scope(settings.database_url) as session:
        volunteer = _volunteer(session, channel=channel, sender_id=sender_id)
        if volunteer is None:
            return Booking(NO_PROFILE)
        wanted = session.get(models.Shift, shift_id)
        if wanted is not None and not _old_enough(settings, volunteer, wanted.mission):
            # a button of a mission browsed before the profile said the age: matching never proposes it
            return Booking(TOO_YOUNG, mission=wanted.mission.title, min_age=int(wanted.mission.min_age or 0))
        churn = _rebooked_after_own_cancel(session, shift_id=shift_id, volunteer_id=volunteer.id, now=now)
        result = signup_store.sign_up(session, shift_id=shift_id, volunteer_id=volunteer.id, now=now)
        shift = session.get(models.Shift, shift_id)
        if shift is None:
            return Booking(result.status)
        when, mission = label(shift.starts_at, shift.ends_at, settings.timezone), shift.mission
        if result.signup_id is None:
            others = _choices(session, settings, mission_id=shift.mission_id, now=now, skip=shift_id)
            return Booking(result.status, when=when, mission=mission.title, others=others)
        signup = session.get(models.Signup, result.signup_id)
        emailed = False
        if result.ok and not churn:
            _tell_staff(session, settings, signup, now, what="shift_signup")
        if result.ok and not churn and volunteer.email and _may_email(session, settings, volunteer.email, now):
            _queue_confirmation(session, settings, signup, now)
            emailed = True
        return Booking(
            result.status,
            signup_id=result.signup_id,
            when=when,
            mission=mission.title,
            where=where_of(mission),
            calendar_url=calendar_url(settings, result.signup_id),
            emailed=emailed,
            reminder_ahead=_reminder_ahead(settings, signup),
        )


# The e-mail address a profile gives is not verified: sign-ups must not let anyone make the
# association write to an address again and again (book, cancel, book again: one e-mail a turn).
CHURN_HOURS = 24
CONFIRMATIONS_PER_ADDRESS_A_DAY = 10


def _rebooked_after_own_cancel(session: Session, *, shift_id: int, volunteer_id: int, now: datetime) -> bool:
    """Whether a sign-up would take back a place the person gave up themselves within CHURN_HOURS.

    The first sign-up's e-mails (to staff, to the person, with the same calendar file) said it all:
    taking the place back says nothing new by e-mail, only in the chat.
    """
    prior = signup_store.own(session, shift_id=shift_id, volunteer_id=volunteer_id)
    return (
        prior is not None
        and prior.status == "cancelled"
        and prior.cancelled_by == "volunteer"
        and prior.cancelled_at is not None
        and as_utc(prior.cancelled_at) > now - timedelta(hours=CHURN_HOURS)
    )


def _may_email(session: Session, settings: Settings, address: str, now: datetime) -> bool:
    """Whether a sign-up confirmation may still go to ``address`` today, whichever profile gave it, erased
    or not; if so it is counted (models.ConfirmationSent: a keyed digest of the address, kept a day)."""
    since = now - timedelta(hours=CHURN_HOURS)
    session.execute(delete(models.ConfirmationSent).where(models.ConfirmationSent.created_at < since))
    key = derived_secret(settings, "confirmation-cap").encode()
    digest = hmac.new(key, address.strip().lower().encode(), hashlib.sha256).hexdigest()
    sent = session.scalar(
        select(func.count())
        .select_from(models.ConfirmationSent)
        .where(models.ConfirmationSent.address_digest == digest, models.ConfirmationSent.created_at >= since)
    )
    if int(sent or 0) >= CONFIRMATIONS_PER_ADDRESS_A_DAY:
        return False
    session.add(models.ConfirmationSent(address_digest=digest, created_at=now))
    return True


def _reminder_ahead(settings: Settings, signup: models.Signup) -> bool:
    return reminders.reminder_ahead(
        settings, starts_at=signup.shift.starts_at, signed_up_at=signup.created_at,
        reminder_sent_at=signup.reminder_sent_at,
    )  # fmt: skip


def _queue_confirmation(session: Session, settings: Settings, signup: models.Signup, now: datetime) -> None:
    words = texts(settings.association_dir)
    template = words["confirmation"]
    shift, mission = signup.shift, signup.shift.mission
    where = where_of(mission)
    fields = {
        "first_name": outbox.first_name_of(signup.volunteer_id),
        "mission": outbox.literal(mission.title),
        "when": label(shift.starts_at, shift.ends_at, settings.timezone),
        "association": settings.association_name,
        "address_line": template["address"].format(address=outbox.literal(where)) if where else "",
        "contact_line": template["contact"].format(contact=outbox.literal(mission.contact)) if mission.contact else "",
        "reminder_line": template.get("reminder", "") if _reminder_ahead(settings, signup) else "",
    }
    outbox.queue_to_volunteer(
        session,
        volunteer_id=signup.volunteer_id,
        kind="shift",
        subject=one_line(template["subject"].format(**fields)),
        body=template["body"].format(**fields),
        attachment_name=words["calendar"]["file_name"],
        attachment=_calendar(settings, signup, now),
    )


# --------------------------------------------------------------------------- the person's shifts


@dataclass(frozen=True)
class MyShift:
    """One of the person's next shifts, in words."""

    signup_id: int
    mission_id: str
    mission: str
    when: str
    day: str
    where: str
    local_day: date
    reminder_ahead: bool = False


def _my_shift(settings: Settings, signup: models.Signup) -> MyShift:
    shift = signup.shift
    return MyShift(
        signup_id=int(signup.id),
        mission_id=str(shift.mission_id),
        mission=shift.mission.title,
        when=label(shift.starts_at, shift.ends_at, settings.timezone),
        day=say_day(shift.starts_at, settings.timezone),
        where=where_of(shift.mission),
        local_day=local(shift.starts_at, settings.timezone).date(),
        reminder_ahead=_reminder_ahead(settings, signup),
    )


def my_shifts(settings: Settings, *, channel: str, sender_id: str, now: datetime | None = None) -> list[MyShift]:
    """The person's confirmed sign-ups for shifts ahead, earliest first ([] without a profile)."""
    with session_scope(settings.database_url) as session:
        volunteer = _volunteer(session, channel=channel, sender_id=sender_id)
        if volunteer is None:
            return []
        signups = signup_store.upcoming_for(session, volunteer_id=volunteer.id, now=_now(now))
        return [_my_shift(settings, signup) for signup in signups]


def too_late_to_cancel(
    settings: Settings, *, channel: str, sender_id: str, now: datetime | None = None
) -> Cancellation | None:
    """The person's shift going on now ("too_late": cancelling in the chat is over, the contact to warn); None if none.

    What "je ne peux plus venir" typed during a shift answers, when no shift is ahead to cancel.
    """
    with session_scope(settings.database_url) as session:
        volunteer = _volunteer(session, channel=channel, sender_id=sender_id)
        if volunteer is None:
            return None
        going_on = signup_store.in_progress_for(session, volunteer_id=volunteer.id, now=_now(now))
        if not going_on:
            return None
        signup = going_on[0]
        return Cancellation(signup_store.TOO_LATE, _my_shift(settings, signup), signup.shift.mission.contact or "")


def cancel_buttons(settings: Settings, shifts: Sequence[MyShift], *, confirm: bool = False) -> list[dict[str, str]]:
    """One "Annuler : samedi 14 décembre" button per sign-up (``/cancel_signup``).

    ``confirm``: the button asks "Voulez-vous vraiment … ?" first (``signup_choice``), as under
    "mes créneaux", where it is the first word of a cancellation; without it the button cancels
    (``signup_id``), as in "which one?" after a cancellation typed in words.
    """
    title = texts(settings.association_dir)["cancel_button"]
    entity = "signup_choice" if confirm else "signup_id"
    return [
        {"title": title.format(day=s.day), "payload": f'/cancel_signup{{"{entity}": {s.signup_id}}}'} for s in shifts
    ]


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_DAYS = {_plain(name): number for number, name in enumerate(DAY_NAMES)}
_MONTHS = {_plain(name): number for number, name in enumerate(MONTH_NAMES, start=1)}
_MONTHS.update({"fev": 2, "janv": 1, "sept": 9, "oct": 10, "nov": 11, "dec": 12, "juil": 7, "avr": 4})
_SLASH_DATE = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:er)?\s+([a-z]+)")
_DAY_NUMBER = re.compile(r"\b(?:le|du|ce|pour le|au)\s+(\d{1,2})(?:er)?\b(?!\s*(?:h|heures?|:|place|personne))")


def named_days(text: str, *, today: date) -> tuple[set[int], set[date], set[int]]:
    """What a sentence names: weekdays (0 = Monday), exact dates, days of the month (month left open)."""
    words = _plain(text)
    weekdays = {number for name, number in _DAYS.items() if re.search(rf"\b{name}s?\b", words)}
    dates: set[date] = set()
    if re.search(r"\bapres[- ]?demain\b", words):
        dates.add(today + timedelta(days=2))
    elif re.search(r"\b(?:demain|dem1|2main)\b", words):
        dates.add(today + timedelta(days=1))
    if re.search(r"\b(?:aujourd ?hui|ajd|auj|ce soir|ce matin|cet aprem|cet apres-midi)\b", words):
        dates.add(today)
    for day, month in _SLASH_DATE.findall(words):
        dates |= _in_year(int(day), int(month), today)
    month_days: set[int] = set()
    for day, month_word in _DAY_MONTH.findall(words):
        month = _MONTHS.get(month_word) or _MONTHS.get(month_word[:4]) or _MONTHS.get(month_word[:3])
        if month is not None:
            dates |= _in_year(int(day), month, today)
    # "le 19", and "samedi 19" (a weekday before the number names the day of the month as well)
    after_weekday = re.findall(rf"\b(?:{'|'.join(_DAYS)})\s+(\d{{1,2}})(?:er)?\b(?!\s*(?:h|heures?|:))", words)
    for day in [*_DAY_NUMBER.findall(words), *after_weekday]:
        if 1 <= int(day) <= 31:
            month_days.add(int(day))
    return weekdays, dates, month_days


def _in_year(day: int, month: int, today: date) -> set[date]:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return set()
        if candidate >= today:
            return {candidate}
    return set()


def pick(shifts: Sequence[MyShift], text: str, *, today: date) -> list[MyShift]:
    """The sign-ups a sentence names by day or date ("samedi", "demain", "le 14", "14/12"); [] when none is named."""
    named = named_days(text, today=today)
    if not any(named):
        return []
    return [s for s in shifts if _is_named(s.local_day, named)]


def _is_named(day: date, named: tuple[set[int], set[date], set[int]]) -> bool:
    """Whether ``day`` fits every kind of day a sentence named (weekdays, dates, days of the month)."""
    weekdays, dates, month_days = named
    return (
        (not weekdays or day.weekday() in weekdays)
        and (not dates or day in dates)
        and (not month_days or day.day in month_days)
    )


_PARTS_OF_DAY = {"matin": (0, 12), "apres-midi": (12, 18), "aprem": (12, 18), "soir": (18, 24)}


def pick_offered(lines: Sequence[DateLine], text: str, *, today: date) -> list[DateLine] | None:
    """The dates offered that a sentence names ("demain matin", "le 19", "samedi 19"); None when it names no day."""
    named = named_days(text, today=today)
    if not any(named):
        return None
    words = _plain(text)
    hours = [span for name, span in _PARTS_OF_DAY.items() if re.search(rf"\b{name}\b", words)]
    return [
        line
        for line in lines
        if line.starts is not None
        and _is_named(line.starts.date(), named)
        and (not hours or any(low <= line.starts.hour < high for low, high in hours))
    ]


_CANCEL_WORDS = re.compile(r"\b(?:ne|n|pas|plus|annul\w*|desinscri\w*|desist\w*|empechement|imprevu|absente?)\b")


def says_no(text: str) -> bool:
    """Whether words naming a date say the person will not come ("je ne peux pas le 19"), not that it suits."""
    return _CANCEL_WORDS.search(_plain(text).replace("'", " ").replace("’", " ")) is not None


def today_in(settings: Settings, now: datetime | None = None) -> date:
    """Today's date in TIMEZONE."""
    return local(_now(now), settings.timezone).date()


@dataclass(frozen=True)
class Cancellation:
    """How a cancellation in the chat went: bot.store.signups' statuses, the shift in words."""

    status: str
    shift: MyShift | None = None
    contact: str = ""


def cancel(
    settings: Settings, *, signup_id: int, channel: str, sender_id: str, now: datetime | None = None
) -> Cancellation:
    """Cancel the person's own sign-up and tell staff by e-mail, in one transaction."""
    now = _now(now)
    with session_scope(settings.database_url) as session:
        volunteer = _volunteer(session, channel=channel, sender_id=sender_id)
        if volunteer is None:
            return Cancellation(signup_store.UNKNOWN)
        result = signup_store.cancel(session, signup_id=signup_id, volunteer_id=volunteer.id, by="volunteer", now=now)
        if result.status == signup_store.UNKNOWN:
            return Cancellation(result.status)
        signup = session.get(models.Signup, signup_id)
        view = _my_shift(settings, signup)
        if result.ok:
            _tell_staff(session, settings, signup, now)
        return Cancellation(result.status, view, signup.shift.mission.contact or "")


def _tell_staff(
    session: Session, settings: Settings, signup: models.Signup, now: datetime, *, what: str = "shift"
) -> None:
    """E-mail staff who chose the shifts' alerts: ``shift`` (a cancellation) or ``shift_signup`` (a sign-up).

    Not when the very same alert (same person, shift and places left) went within CHURN_HOURS: a place
    taken back silently (_rebooked_after_own_cancel) and given up again tells staff nothing new.
    """
    shift, mission = signup.shift, signup.shift.mission
    session.refresh(shift)  # the place was taken or given back by an UPDATE outside the ORM
    try:
        subject, body = compose(
            settings.association_dir,
            what,
            person=outbox.first_name_of(signup.volunteer_id),
            title=outbox.literal(one_line(mission.title)),
            when=label(shift.starts_at, shift.ends_at, settings.timezone),
            taken=shift.taken,
            places=shift.places,
            link=f"{outbox.CONSOLE}/console/missions/{quote(mission.id)}",
        )
    except InvalidDataError as error:
        logger.error("signup %s (%s): no e-mail to staff, the texts are broken: %s", signup.id, what, error)
        return
    if _staff_told_already(session, subject=subject, body=body, now=now):
        logger.info(
            "signup %s (%s): staff had the same alert within %d h, not sent again", signup.id, what, CHURN_HOURS
        )
        return
    queued = outbox.queue(session, kind="shift", subject=subject, body=body)
    logger.info("signup %s (%s): %d e-mails to staff queued", signup.id, what, queued)


def _staff_told_already(session: Session, *, subject: str, body: str, now: datetime) -> bool:
    """Whether staff were queued this exact alert within CHURN_HOURS (the body names the person by a marker)."""
    sent = select(models.OutgoingEmail.id).where(
        models.OutgoingEmail.staff_id.is_not(None),
        models.OutgoingEmail.kind == "shift",
        models.OutgoingEmail.subject == subject,
        models.OutgoingEmail.body == body,
        models.OutgoingEmail.created_at > now - timedelta(hours=CHURN_HOURS),
    )
    return session.scalar(sent.limit(1)) is not None


# --------------------------------------------------------------------------- a shift cancelled by staff


@dataclass(frozen=True)
class CancelledNotice:
    """What the person is told when the association cancelled their shift, with the mission's other dates."""

    when: str
    mission: str
    others: Choices


def cancelled_notice(
    settings: Settings, *, signup_id: int, channel: str, sender_id: str, now: datetime | None = None
) -> CancelledNotice | None:
    """The person's sign-up cancelled by the association; None if unknown, someone else's or still on."""
    now = _now(now)
    with session_scope(settings.database_url) as session:
        volunteer = _volunteer(session, channel=channel, sender_id=sender_id)
        signup = session.get(models.Signup, signup_id)
        if volunteer is None or signup is None or signup.volunteer_id != volunteer.id:
            return None
        shift = signup.shift
        if signup.status != "cancelled" and shift.cancelled_at is None:
            return None
        others = _choices(session, settings, mission_id=shift.mission_id, now=now, skip=shift.id)
        return CancelledNotice(label(shift.starts_at, shift.ends_at, settings.timezone), shift.mission.title, others)


Trigger = Callable[..., object]


def tell_cancelled(settings: Settings, signup_ids: Sequence[int], *, trigger: Trigger = trigger_intent) -> int:
    """Push ``shift_cancelled`` into each person's conversation; how many were told (failures logged by id)."""
    told = 0
    for signup_id in signup_ids:
        try:
            with session_scope(settings.database_url) as session:
                signup = session.get(models.Signup, signup_id)
                if signup is None or signup.volunteer is None:
                    continue  # erased meanwhile
                sender_id = signup.volunteer.sender_id
                if takeover_store.open_for(session, sender_id=sender_id) is not None:
                    logger.info("signup %s cancelled: conversation held by staff, not pushed", signup_id)
                    continue
            trigger(settings, sender_id=sender_id, intent="shift_cancelled", entities={"signup_id": signup_id})
            told += 1
        except Exception as error:  # noqa: BLE001 - one person's failure must not stop the others
            logger.warning("telling signup %s of its cancelled shift failed: %s", signup_id, type(error).__name__)
    return told


def record_in_words(record: signup_store.ShiftRecord, zone: str) -> dict[str, str]:
    """The right of access's lines on shifts, hours, check-ins and attestations (labels.yml's words)."""
    words = labels()
    shifts = []
    if record.upcoming:
        dates = " ; ".join(f"{label(start, end, zone)} ({title})" for start, end, title in record.upcoming)
        shifts.append(words["my_data_shifts_upcoming"].format(list=dates))
    if record.past:
        shifts.append(words["my_data_shifts_past"].format(n=record.past))
    if record.cancelled:
        shifts.append(words["my_data_shifts_cancelled"].format(n=record.cancelled))
    names = ", ".join(record.attestation_names)
    return {
        "shifts": ", ".join(shifts) or words["my_data_no_shift"],
        "hours": say_hours(record.minutes) if record.minutes else words["my_data_no_hours"],
        "feedback": words["my_data_feedback"].format(n=record.feedback)
        if record.feedback
        else words["my_data_no_feedback"],
        "attestations": words["my_data_attestations"].format(names=names) if names else words["my_data_no_attestation"],
    }
