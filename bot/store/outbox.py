"""The e-mail outbox (``outgoing_emails``): queue, lease, mark sent or failed, and what still waits.

An e-mail goes to one staff member or to one volunteer who gave an address (reminders, nudges, notices).

An e-mail is stored as written when it is queued, but for two markers filled in when it is sent
(:func:`render`): the console's address (``[[console]]``, from ``PUBLIC_URL``) and first names
(``[[prénom:ID]]``, looked up by lead id), so that a lead erased meanwhile is never named.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.store import models

CONSOLE = "[[console]]"
ERASED = "(personne effacée)"
MAX_BACKOFF = timedelta(hours=1)
_FIRST_NAME = re.compile(r"\[\[prénom:(\d+)\]\]")
# Which staff member's choice each kind of e-mail follows (``staff_members.notify_*``).
PREFERENCES = {
    "handoff": models.StaffMember.notify_handoffs,
    "digest": models.StaffMember.notify_digest,
    "missions": models.StaffMember.notify_missions,
    "shift": models.StaffMember.notify_missions,  # a volunteer signed up for a shift or cancelled (bot.signups)
}


@dataclass(frozen=True)
class Waiting:
    """E-mails the SMTP server refused or could not be reached for, still to be sent."""

    count: int
    since: datetime
    last_error: str


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)  # SQLite: naive UTC


def first_name_of(volunteer_id: int) -> str:
    """The marker a lead's first name is written as in a queued e-mail."""
    return f"[[prénom:{volunteer_id}]]"


def queue(session: Session, *, kind: str, subject: str, body: str) -> int:
    """Queue one e-mail per staff member who chose this kind; returns how many."""
    recipients = session.execute(select(models.StaffMember.id).where(PREFERENCES[kind].is_(True))).scalars().all()
    session.add_all(
        models.OutgoingEmail(staff_id=staff_id, kind=kind, subject=subject[:200], body=body) for staff_id in recipients
    )
    session.flush()
    return len(recipients)


def queue_to_volunteer(
    session: Session,
    *,
    volunteer_id: int,
    kind: str,
    subject: str,
    body: str,
    attachment_name: str | None = None,
    attachment: str | None = None,
) -> int:
    """Queue one e-mail to a volunteer who gave an address (reminders, notices); returns its id.

    The caller checks that the volunteer has an address; the row is erased with the volunteer.
    ``attachment`` is a calendar file (text/calendar) named ``attachment_name``.
    """
    email = models.OutgoingEmail(
        volunteer_id=volunteer_id,
        kind=kind,
        subject=subject[:200],
        body=body,
        attachment_name=attachment_name,
        attachment=attachment,
    )
    session.add(email)
    session.flush()
    return int(email.id)


def choose(session: Session, *, staff_id: int, handoffs: bool, digest: bool, missions: bool) -> None:
    """What a staff member receives from now on (e-mails already queued still go)."""
    member = session.get(models.StaffMember, staff_id)
    if member is not None:
        member.notify_handoffs, member.notify_digest, member.notify_missions = handoffs, digest, missions
        session.flush()


# Once accepted by the SMTP server an e-mail is kept this long (what was sent, if someone asks),
# then deleted by the daily purge (bot.privacy): an e-mail to a volunteer says which dates they took.
SENT_KEPT_DAYS = 30


def delete_sent_before(session: Session, *, before: datetime) -> int:
    """Delete the e-mails the SMTP server accepted before ``before``; how many."""
    result = session.execute(
        delete(models.OutgoingEmail)
        .where(models.OutgoingEmail.sent_at.is_not(None), models.OutgoingEmail.sent_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def due(session: Session, *, now: datetime, limit: int = 50) -> list[int]:
    """Ids of the e-mails to send now, oldest first."""
    return list(
        session.execute(
            select(models.OutgoingEmail.id)
            .where(models.OutgoingEmail.sent_at.is_(None), models.OutgoingEmail.next_attempt_at <= now)
            .order_by(models.OutgoingEmail.next_attempt_at, models.OutgoingEmail.id)
            .limit(limit)
        ).scalars()
    )


def lease(session: Session, *, email_id: int, now: datetime, until: datetime) -> bool:
    """Take an e-mail to send it (no other process will until ``until``); False if someone took it first."""
    taken = session.execute(
        update(models.OutgoingEmail)
        .where(
            models.OutgoingEmail.id == email_id,
            models.OutgoingEmail.sent_at.is_(None),
            models.OutgoingEmail.next_attempt_at <= now,
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)


def get(session: Session, *, email_id: int) -> models.OutgoingEmail | None:
    """One e-mail with its recipient."""
    return session.get(models.OutgoingEmail, email_id)


def address_of(session: Session, email: models.OutgoingEmail) -> str | None:
    """The one address an e-mail goes to: its staff member's, or its volunteer's (None once they removed it)."""
    if email.staff_id is not None:
        return str(email.staff.email) if email.staff is not None else None
    address = session.execute(
        select(models.Volunteer.email).where(models.Volunteer.id == email.volunteer_id)
    ).scalar_one_or_none()
    return str(address) if address else None


def drop(session: Session, *, email_id: int) -> None:
    """Forget an e-mail that has nobody to go to any more (a volunteer who removed their address)."""
    email = session.get(models.OutgoingEmail, email_id)
    if email is not None:
        session.delete(email)
        session.flush()


def mark_sent(session: Session, *, email_id: int, now: datetime) -> None:
    """The SMTP server accepted the e-mail."""
    email = session.get(models.OutgoingEmail, email_id)
    if email is not None:
        email.sent_at = now
        email.attempts += 1
        email.last_error = None
        session.flush()


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most an hour."""
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 6)), MAX_BACKOFF)


def mark_failed(session: Session, *, email_id: int, error: str, now: datetime) -> None:
    """Sending failed: count it, keep the error's name, try again later (never given up)."""
    email = session.get(models.OutgoingEmail, email_id)
    if email is not None:
        email.attempts += 1
        email.last_error = error[:200]
        email.next_attempt_at = now + backoff(email.attempts)
        session.flush()


def waiting(session: Session) -> Waiting | None:
    """The e-mails to staff that failed at least once and still wait, or None when there are none.

    E-mails to volunteers are not counted: an address a volunteer mistyped would keep the notice on for ever.
    """
    pending = (
        models.OutgoingEmail.sent_at.is_(None),
        models.OutgoingEmail.attempts > 0,
        models.OutgoingEmail.staff_id.is_not(None),
    )
    count, since = session.execute(
        select(func.count(models.OutgoingEmail.id), func.min(models.OutgoingEmail.created_at)).where(*pending)
    ).one()
    if not count:
        return None
    last_error = session.execute(
        select(models.OutgoingEmail.last_error)
        .where(*pending)
        .order_by(models.OutgoingEmail.next_attempt_at.desc(), models.OutgoingEmail.id.desc())
        .limit(1)
    ).scalar_one()
    return Waiting(int(count), _aware(since), last_error or "")


def new_leads(session: Session, *, since: datetime) -> list[int]:
    """Ids of the leads whose profile was stored after ``since``, oldest first."""
    return list(
        session.execute(
            select(models.Volunteer.id)
            .where(models.Volunteer.created_at > since)
            .order_by(models.Volunteer.created_at, models.Volunteer.id)
        ).scalars()
    )


def last_run(session: Session, *, kind: str) -> datetime | None:
    """When work of this kind was last claimed (``job_runs``), if ever."""
    moment = session.execute(select(func.max(models.JobRun.at)).where(models.JobRun.kind == kind)).scalar_one()
    return _aware(moment) if moment is not None else None


def render(session: Session, text: str, *, console_url: str) -> str:
    """An e-mail's text as sent: the console's address and the first names of leads that still exist."""
    text = text.replace(CONSOLE, console_url.rstrip("/"))  # first, so a first name cannot bring one in
    ids = {int(found) for found in _FIRST_NAME.findall(text)}
    names = _first_names(session, sorted(ids))
    return _FIRST_NAME.sub(lambda match: names.get(int(match.group(1)), ERASED), text)


def literal(text: str) -> str:
    """Free text written into an e-mail (a mission's title): never read as a marker when sent."""
    return text.replace("[[", "[ [")


def shown_name(first_name: str) -> str:
    """A first name as an e-mail shows it: one line, no control characters, 60 characters at most."""
    visible = "".join(
        " " if unicodedata.category(c) == "Cc" else c for c in first_name if unicodedata.category(c) != "Cf"
    )
    return " ".join(visible.split())[:60] or "?"


def _first_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(models.Volunteer.id, models.Volunteer.first_name).where(models.Volunteer.id.in_(ids))
    ).all()
    return {volunteer_id: shown_name(first_name) for volunteer_id, first_name in rows}
