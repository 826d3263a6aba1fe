"""Attendance, hours and feedback: per mission (who came, hours, ratings) and per volunteer (hours log, attestation).

Every staff member sees and records attendance and hours, as they see every lead's profile
(``bot.console.access``); an attestation prints a full name and is handed to the person, so only
those who see the lead's contact details (admins, the coordinator who follows the lead) make one.
Bad input gets a French message and writes nothing. Changes are audited with ids only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.attestations import cec_staff_note, create_link, say_hours
from bot.config import Settings
from bot.console import access
from bot.console.deps import DbSession, Forbidden, RowId, SettingsDep, Staff, actor, flashed, redirect, render
from bot.errors import InvalidDataError, NotFoundError
from bot.shifts import label, local
from bot.store import hours as hours_store
from bot.store import leads as lead_store
from bot.store import models, staffing

logger = logging.getLogger(__name__)
router = APIRouter()

STATUS_WORDS = {"confirmed": "inscrit", "cancelled": "annulé", "attended": "présent", "no_show": "absent"}
ANSWER_WORDS = {"yes": "oui, toujours OK", "no": "non"}
BAD_HOURS = "nombre d'heures invalide : indiquez par exemple 2, 2,5 ou 2 h 30 (plus de 0 et 24 au plus)"
REFUSALS = {
    hours_store.INVALID_MINUTES: BAD_HOURS + " ; 24 heures au plus par jour pour une même personne",
    hours_store.UNKNOWN: "cette inscription n'existe pas",
    hours_store.CANCELLED: "cette inscription est annulée",
    hours_store.NOT_ENDED: "ce créneau n'est pas encore terminé",
    hours_store.NOT_STARTED: "ce créneau n'a pas encore commencé",
    hours_store.ALREADY: "c'est déjà enregistré",
}
ATTESTATION_FOR_CONTACT = (
    "Seuls la personne qui suit ce bénévole (« Suivi par ») et les administrateurs génèrent ses attestations."
)
MAX_FIELD = 40


def parse_hours(text: str) -> int:
    """Hours typed by staff as minutes: "2", "2,5", "2.5", "2h30", "2 h 30", "2:30"; InvalidDataError otherwise."""
    raw = text.strip().lower()[:MAX_FIELD]
    whole = re.fullmatch(r"(\d{1,2})(?:[.,](\d{1,2}))?\s*(?:h|heures?)?", raw)
    clock = re.fullmatch(r"(\d{1,2})\s*(?:h|:)\s*(\d{1,2})(?:\s*min)?", raw)
    minutes: int | None = None
    if whole:
        fraction = whole.group(2) or "0"
        minutes = int(whole.group(1)) * 60 + round(int(fraction) * 60 / 10 ** len(fraction))
    elif clock and int(clock.group(2)) < 60:
        minutes = int(clock.group(1)) * 60 + int(clock.group(2))
    if minutes is None or not 0 < minutes <= hours_store.MAX_MINUTES:
        raise InvalidDataError(BAD_HOURS)
    return minutes


def _day(text: str, *, field: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise InvalidDataError(f"{field} : date invalide (jj/mm/aaaa)") from None


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- a mission's attendance


def _attendance_url(mission_id: str) -> str:
    return f"/console/missions/{quote(mission_id)}/attendance"


def _signup_of(session: Session, mission_id: str, signup_id: int) -> models.Signup:
    signup = session.get(models.Signup, signup_id)
    if signup is None or signup.shift.mission_id != mission_id:
        raise NotFoundError("cette inscription n'existe pas")
    return signup


@router.get("/missions/{mission_id}/attendance")
def attendance_page(
    *, request: Request, mission_id: str, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Per shift, ahead and past: who signed up, status, reminder answer, hours, rating and comment; totals.

    The comment is shown to those who see the person's conversation (``bot.console.access``), as on the lead page.
    """
    mission = staffing.get(session, mission_id=mission_id)
    upcoming, past = hours_store.attendance(session, mission_id=mission.id, now=_now())
    totals = hours_store.mission_totals(session, mission_id=mission.id)
    # a check-in's comment is free text (often a phone number): shown like the conversation, as on the lead page
    people = {attendee.volunteer.id for item in (*upcoming, *past) for attendee in item.attendees}
    sees_comment_of = access.sees_contact_among(session, member, volunteer_ids=people)
    return render(
        request,
        "attendance.html",
        {
            "mission": mission,
            "upcoming": [
                (item, label(item.shift.starts_at, item.shift.ends_at, settings.timezone)) for item in upcoming
            ],
            "past": [(item, label(item.shift.starts_at, item.shift.ends_at, settings.timezone)) for item in past],
            "totals": totals,
            "total_hours": say_hours(totals.minutes),
            "status_words": STATUS_WORDS,
            "answer_words": ANSWER_WORDS,
            "sees_comment_of": sees_comment_of,
            "say_hours": say_hours,
            "error": flashed(request, "error"),
        },
    )


def _refused(mission_id: str, message: str) -> Response:
    text = message[:1].upper() + message[1:]
    return redirect(_attendance_url(mission_id), error=text + ".")


@router.post("/missions/{mission_id}/attendance/{signup_id}/present")
async def mark_present(
    *, request: Request, mission_id: str, signup_id: RowId, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Mark the person present with their hours, or correct the hours already recorded."""
    signup = _signup_of(session, mission_id, signup_id)
    form = await request.form()
    try:
        minutes = parse_hours(str(form.get("hours") or ""))
    except InvalidDataError as error:
        return _refused(mission_id, str(error))
    entry = session.scalar(select(models.HoursEntry).where(models.HoursEntry.signup_id == signup.id))
    if signup.status == "attended" and entry is not None:
        hours_store.edit(session, entry_id=entry.id, minutes=minutes, staff_id=member.id)
        change = "hours_edit"
    else:
        outcome = hours_store.record_checkin_hours(
            session, signup_id=signup.id, minutes=minutes, now=_now(), staff_id=member.id, zone=settings.timezone
        )
        if not outcome.ok:
            session.rollback()
            return _refused(mission_id, REFUSALS[outcome.status])
        change = "attended"
    lead_store.record_audit(
        session, actor=actor(member), action="update", subject=f"volunteer:{signup.volunteer_id}",
        change=change, signup=signup.id,
    )  # fmt: skip
    session.commit()
    return redirect(_attendance_url(mission_id), f"Présence enregistrée : {say_hours(minutes)}.")


@router.post("/missions/{mission_id}/attendance/{signup_id}/absent")
def mark_absent(*, mission_id: str, signup_id: RowId, member: Staff, session: DbSession) -> Response:
    """Record that the person could not come (their hours, if any, are removed)."""
    signup = _signup_of(session, mission_id, signup_id)
    outcome = hours_store.mark_no_show(session, signup_id=signup.id, now=_now(), staff_id=member.id)
    if not outcome.ok:
        session.rollback()
        return _refused(mission_id, REFUSALS[outcome.status])
    lead_store.record_audit(
        session, actor=actor(member), action="update", subject=f"volunteer:{signup.volunteer_id}",
        change="absent", signup=signup.id,
    )  # fmt: skip
    session.commit()
    return redirect(_attendance_url(mission_id), "Absence enregistrée.")


# --------------------------------------------------------------------------- a volunteer's hours


def _hours_url(volunteer_id: int) -> str:
    return f"/console/leads/{volunteer_id}/hours"


def _mission_choices(session: Session) -> list[tuple[str, str]]:
    return [(row.id, row.title) for row in session.execute(select(models.Mission.id, models.Mission.title)
                                                           .order_by(models.Mission.title))]  # fmt: skip


def _hours_page(
    request: Request,
    session: Session,
    settings: Settings,
    member: models.StaffMember,
    volunteer: models.Volunteer,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    link: str | None = None,
    status_code: int = 200,
) -> Response:
    today = local(_now(), settings.timezone).date()
    years = hours_store.by_year(session, volunteer_id=volunteer.id)
    defaults = {
        "day": today.isoformat(), "hours": "", "mission_id": "",
        "start": date(today.year, 1, 1).isoformat(), "end": today.isoformat(), "full_name": "",
    }  # fmt: skip
    context: dict[str, Any] = {
        "volunteer": volunteer,
        "entries": hours_store.log(session, volunteer_id=volunteer.id),
        "years": [(year, say_hours(minutes), cec_staff_note(settings, minutes=minutes)) for year, minutes in years],
        "missions": _mission_choices(session),
        "values": {**defaults, **(values or {})},
        "today": today.isoformat(),
        "may_attest": access.sees_contact_of(session, member, volunteer_id=volunteer.id),
        "attest_hint": ATTESTATION_FOR_CONTACT,
        "link_hours": settings.attestation_link_hours,
        "say_hours": say_hours,
        "error": error,
        "link": link,
    }
    return render(request, "hours.html", context, status_code=status_code)


@router.get("/leads/{volunteer_id}/hours")
def hours_page(
    *, request: Request, volunteer_id: RowId, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """The volunteer's hours log, yearly totals with the CEC summary, and the attestation form."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    return _hours_page(request, session, settings, member, volunteer)


@router.post("/leads/{volunteer_id}/hours")
async def hours_add(
    *, request: Request, volunteer_id: RowId, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Add hours by hand: a day not in the future, 0 < hours <= 24, a mission."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip()[:MAX_FIELD] for name in ("day", "hours", "mission_id")}
    try:
        entry = hours_store.add_staff_hours(
            session, volunteer_id=volunteer.id, mission_id=values["mission_id"],
            day=_day(values["day"], field="date"), minutes=parse_hours(values["hours"]), staff_id=member.id,
            today=local(_now(), settings.timezone).date(),
        )  # fmt: skip
    except InvalidDataError as error:
        session.rollback()
        volunteer = lead_store.get(session, volunteer_id=volunteer_id)
        return _hours_page(request, session, settings, member, volunteer, values=values, error=_sentence(error),
                           status_code=400)  # fmt: skip
    lead_store.record_audit(
        session, actor=actor(member), action="update", subject=f"volunteer:{volunteer.id}", change="hours_add",
        entry=entry.id,
    )  # fmt: skip
    session.commit()
    return redirect(_hours_url(volunteer_id), "Heures ajoutées.")


@router.post("/leads/{volunteer_id}/hours/{entry_id}/edit")
async def hours_edit(
    *, request: Request, volunteer_id: RowId, entry_id: RowId, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Correct the hours of one line of the log."""
    typed = str((await request.form()).get("hours") or "")

    def change() -> None:
        hours_store.edit(
            session, entry_id=entry_id, minutes=parse_hours(typed), staff_id=member.id, volunteer_id=volunteer_id
        )

    return _change_line(request, session, settings, member, volunteer_id, entry_id, change, "hours_edit",
                        "Heures corrigées.")  # fmt: skip


@router.post("/leads/{volunteer_id}/hours/{entry_id}/accept")
def hours_accept(
    *, request: Request, volunteer_id: RowId, entry_id: RowId, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Accept a line "à vérifier": its declared hours count in attestations from now on."""

    def change() -> None:
        hours_store.accept(session, entry_id=entry_id, staff_id=member.id, volunteer_id=volunteer_id)

    return _change_line(request, session, settings, member, volunteer_id, entry_id, change, "hours_accept",
                        "Heures validées : elles comptent en entier dans les attestations.")  # fmt: skip


def _change_line(
    request: Request, session: Session, settings: Settings, member: models.StaffMember, volunteer_id: int,
    entry_id: int, change: Callable[[], None], audit: str, done: str,
) -> Response:  # fmt: skip
    """One change to a line of a volunteer's hours log: done, audited and committed, or the page with the error."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)  # 404 for an unknown volunteer
    try:
        change()
    except InvalidDataError as error:
        session.rollback()
        volunteer = lead_store.get(session, volunteer_id=volunteer_id)
        return _hours_page(request, session, settings, member, volunteer, error=_sentence(error), status_code=400)
    lead_store.record_audit(
        session, actor=actor(member), action="update", subject=f"volunteer:{volunteer.id}", change=audit,
        entry=entry_id,
    )  # fmt: skip
    session.commit()
    return redirect(_hours_url(volunteer_id), done)


@router.post("/leads/{volunteer_id}/hours/{entry_id}/delete")
def hours_delete(*, volunteer_id: RowId, entry_id: RowId, member: Staff, session: DbSession) -> Response:
    """Remove one line of the log (a check-in's sign-up goes back to "inscrit")."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    hours_store.delete(session, entry_id=entry_id, staff_id=member.id, volunteer_id=volunteer.id)
    lead_store.record_audit(
        session, actor=actor(member), action="update", subject=f"volunteer:{volunteer.id}", change="hours_delete",
        entry=entry_id,
    )  # fmt: skip
    session.commit()
    return redirect(_hours_url(volunteer_id), "Ligne d'heures supprimée.")


@router.post("/leads/{volunteer_id}/attestation")
async def attestation_create(
    *, request: Request, volunteer_id: RowId, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Generate an attestation over a period: the expiring link is shown, to download or pass on."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    if not access.sees_contact_of(session, member, volunteer_id=volunteer.id):
        raise Forbidden(ATTESTATION_FOR_CONTACT)
    form = await request.form()
    values = {name: str(form.get(name) or "").strip()[:120] for name in ("start", "end", "full_name")}
    try:
        if not values["full_name"]:
            raise InvalidDataError("indiquez le nom complet à imprimer sur l'attestation")
        start, end = _day(values["start"], field="début"), _day(values["end"], field="fin")
        link = create_link(
            session, settings, volunteer_id=volunteer.id, start=start, end=end, full_name=values["full_name"],
            staff_id=member.id,
        )  # fmt: skip
        if link is None:
            raise InvalidDataError("aucune heure de bénévolat sur cette période : pas d'attestation à générer")
    except InvalidDataError as error:
        session.rollback()
        volunteer = lead_store.get(session, volunteer_id=volunteer_id)
        return _hours_page(request, session, settings, member, volunteer, values=values, error=_sentence(error),
                           status_code=400)  # fmt: skip
    session.commit()
    logger.info("attestation generated for volunteer %s by staff member %s", volunteer.id, member.id)
    return _hours_page(request, session, settings, member, volunteer, values=values, link=link)


def _sentence(error: Exception) -> str:
    text = str(error).strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."
