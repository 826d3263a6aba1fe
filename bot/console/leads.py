"""Leads: the filtered list with its CSV export, a lead's page, follow-up, rectification and RGPD tools."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bot.attestations import say_hours
from bot.config import Settings
from bot.console import access
from bot.console.attendance import STATUS_WORDS
from bot.console.deps import Admin, DbSession, Forbidden, RowId, SettingsDep, Staff, actor, download, redirect, render
from bot.console.forms import (
    CHANNELS,
    cause_choices,
    form_choices,
    parse_lead_filter,
    query_string,
    resolve_town,
    skill_choices,
)
from bot.console.transcript import TranscriptUnavailable, read_transcript
from bot.console.views import slots_label, when
from bot.errors import InvalidDataError
from bot.privacy import erase_person
from bot.profile import TimeSlot
from bot.shifts import label
from bot.store import declines as decline_store
from bot.store import leads as lead_store
from bot.store import models
from bot.store import signups as signup_store
from bot.store import staff as staff_store
from bot.store import volunteers as volunteer_store
from bot.understanding import find_email, find_phone

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/leads")
NOT_YOURS = (
    "Seuls la personne qui suit ce candidat (« Suivi par ») et les administrateurs voient ses coordonnées "
    "et corrigent son profil."
)
TAKE_IT = "Attribuez-vous ce candidat (« Suivi par ») pour voir ses coordonnées et sa conversation."
FOLLOWED_BY_ANOTHER = "Ce candidat est suivi par un autre responsable : seul un administrateur peut le réattribuer."

CSV_COLUMNS = (
    ("id", "Identifiant"), ("first_name", "Prénom"), ("email", "E-mail"), ("phone", "Téléphone"),
    ("city", "Commune"), ("postcode", "Code postal"), ("channel", "Canal"), ("status", "Statut"),
    ("skills", "Compétences"), ("causes", "Domaines"), ("availability", "Disponibilités"),
    ("created_at", "Arrivé le"),
)  # fmt: skip


@router.get("")
def lead_list(*, request: Request, member: Staff, session: DbSession) -> Response:
    """The leads, filtered, sorted and paged."""
    filters, errors = parse_lead_filter(request.query_params)
    filters = access.search_as(member, filters)
    page = lead_store.search(session, filters=filters)
    params = request.query_params
    return render(
        request,
        "leads.html",
        {
            "page": page,
            "filters": filters,
            "errors": errors,
            "params": params,
            "skills": skill_choices(),
            "causes": cause_choices(),
            "members": staff_store.all_members(session),
            "sorts": lead_store.SORTS,
            "prev_qs": query_string(params, page=page.page - 1) if page.page > 1 else None,
            "next_qs": query_string(params, page=page.page + 1) if page.page < page.pages else None,
            "export_qs": query_string(params),
            "can_export": member.role == "admin" or not filters.is_empty,
        },
    )


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting like a formula would run in a spreadsheet: neutralise it.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/export.csv")
def export_csv(*, request: Request, member: Staff, session: DbSession) -> Response:
    """The filtered list as CSV (the whole list needs an admin; contact details follow ``access``)."""
    filters, errors = parse_lead_filter(request.query_params, with_paging=False)
    filters = access.search_as(member, filters)
    if errors:
        raise InvalidDataError(" ".join(errors))
    if filters.is_empty and member.role != "admin":
        raise InvalidDataError("choisissez au moins un filtre : seul un administrateur exporte toute la liste")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([label for _, label in CSV_COLUMNS])
    count = 0
    skill_labels, cause_labels = skill_choices(), cause_choices()
    assigned = lead_store.assignments(session)
    for v in lead_store.iterate(session, filters=filters):
        contact = access.sees_contact(member, assigned_staff_id=assigned.get(v.id))
        row: dict[str, Any] = {
            "id": v.id, "first_name": v.first_name, "email": v.email if contact else None,
            "phone": v.phone if contact else None, "city": v.city,
            "postcode": v.postcode, "channel": CHANNELS.get(v.channel, v.channel),
            "status": lead_store.STATUS_LABELS.get(v.status, v.status),
            "skills": ", ".join(skill_labels.get(s.skill, s.skill) for s in v.skills),
            "causes": ", ".join(cause_labels.get(c.cause, c.cause) for c in v.causes),
            "availability": slots_label(v.availability), "created_at": when(v.created_at),
        }  # fmt: skip
        writer.writerow([_csv_cell(row[key]) for key, _ in CSV_COLUMNS])
        count += 1
    used = [
        key
        for key in ("status", "skill", "cause", "day", "period", "channel", "q", "town")
        if request.query_params.get(key)
    ]
    lead_store.record_audit(
        session, actor=actor(member), action="export", subject="leads:csv", rows=count, filters=used
    )
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return download(
        "\ufeff" + out.getvalue(),  # the byte-order mark makes spreadsheets read UTF-8
        filename=f"candidats-{stamp}.csv",
        media_type="text/csv; charset=utf-8",
    )


def lead_details(
    session: Session, settings: Settings, volunteer: models.Volunteer, *, with_conversation: bool = True
) -> dict[str, Any]:
    """Everything a lead's page shows besides the profile itself (the conversation only when asked for)."""
    transcript, transcript_error = [], None
    try:
        if with_conversation:
            transcript = read_transcript(settings.tracker_store_url, volunteer.sender_id)
    except TranscriptUnavailable:
        transcript_error = "La conversation n'a pas pu être lue (base des conversations indisponible)."
    return {
        "follow_up": lead_store.existing_follow_up(session, volunteer_id=volunteer.id),
        "notes": lead_store.notes(session, volunteer_id=volunteer.id),
        "invitations": lead_store.invitations(session, volunteer_id=volunteer.id),
        "handoffs": lead_store.handoffs_of(session, volunteer=volunteer),
        "declines": decline_store.of_volunteer(session, volunteer_id=volunteer.id),
        "signups": [
            (signup, minutes, label(signup.shift.starts_at, signup.shift.ends_at, settings.timezone))
            for signup, minutes in signup_store.of_volunteer(session, volunteer_id=volunteer.id)
        ],
        "status_words": STATUS_WORDS,
        "say_hours": say_hours,
        "transcript": transcript,
        "transcript_error": transcript_error,
    }


@router.get("/{volunteer_id}")
def lead_page(
    *,
    request: Request,
    volunteer_id: RowId,
    member: Staff,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """A lead's page: profile, consent, proposals, applications, conversation, notes, follow-up."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    lead_store.record_audit(session, actor=actor(member), action="view", subject=f"volunteer:{volunteer.id}")
    assigned = access.assigned_staff_id(session, volunteer_id=volunteer.id)
    contact = access.sees_contact(member, assigned_staff_id=assigned)
    context = lead_details(session, settings, volunteer, with_conversation=contact)
    context.update(
        volunteer=volunteer,
        sees_contact=contact,
        contact_hint=TAKE_IT if assigned is None else NOT_YOURS,
        next_statuses=lead_store.NEXT_STATUSES.get(volunteer.status, ()),
        members=staff_store.all_members(session),
    )
    return render(request, "lead.html", context)


@router.post("/{volunteer_id}/status")
def lead_status(
    *,
    volunteer_id: RowId,
    status: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    member: Staff,
    session: DbSession,
) -> Response:
    """Move the lead along the workflow."""
    volunteer = lead_store.change_status(session, volunteer_id=volunteer_id, status=status, reason=reason)
    lead_store.record_audit(
        session, actor=actor(member), action="status", subject=f"volunteer:{volunteer_id}", status=volunteer.status
    )
    session.commit()
    return redirect(f"/console/leads/{volunteer_id}", f"Statut : {lead_store.STATUS_LABELS[volunteer.status]}.")


@router.post("/{volunteer_id}/assign")
def lead_assign(
    *,
    volunteer_id: RowId,
    staff_id: Annotated[str, Form()] = "",
    member: Staff,
    session: DbSession,
) -> Response:
    """Assign the lead to a staff member (or to nobody); a lead someone else follows, admins only."""
    target = int(staff_id) if staff_id.isascii() and staff_id.isdigit() and len(staff_id) < 10 else None
    lead_store.get(session, volunteer_id=volunteer_id)
    if not access.may_reassign(member, assigned_staff_id=access.assigned_staff_id(session, volunteer_id=volunteer_id)):
        raise Forbidden(FOLLOWED_BY_ANOTHER)
    lead_store.assign(session, volunteer_id=volunteer_id, staff_id=target)
    lead_store.record_audit(
        session, actor=actor(member), action="assign", subject=f"volunteer:{volunteer_id}", staff_id=target
    )
    session.commit()
    return redirect(f"/console/leads/{volunteer_id}", "Attribution enregistrée.")


@router.post("/{volunteer_id}/notes")
def lead_note(
    *,
    volunteer_id: RowId,
    text: Annotated[str, Form()] = "",
    member: Staff,
    session: DbSession,
) -> Response:
    """Add a note to the lead."""
    lead_store.add_note(session, volunteer_id=volunteer_id, staff_id=member.id, text=text)
    lead_store.record_audit(session, actor=actor(member), action="note", subject=f"volunteer:{volunteer_id}")
    session.commit()
    return redirect(f"/console/leads/{volunteer_id}", "Note ajoutée.")


# --------------------------------------------------------------------------- rectification


def _edit_page(
    request: Request, volunteer: models.Volunteer, values: dict[str, Any], error: str | None = None
) -> Response:
    return render(
        request,
        "lead_edit.html",
        {
            "volunteer": volunteer,
            "values": values,
            "error": error,
            **form_choices(),
        },  # fmt: skip
        status_code=400 if error else 200,
    )


@router.get("/{volunteer_id}/edit")
def lead_edit_form(
    *,
    request: Request,
    volunteer_id: RowId,
    member: Staff,
    session: DbSession,
) -> Response:
    """The rectification form, filled with the stored profile."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    if not access.sees_contact_of(session, member, volunteer_id=volunteer.id):
        raise Forbidden(NOT_YOURS)
    values = {
        "first_name": volunteer.first_name,
        "email": volunteer.email or "",
        "phone": volunteer.phone or "",
        "town": volunteer.postcode and f"{volunteer.city} {volunteer.postcode}" or (volunteer.city or ""),
        "skills": [s.skill for s in volunteer.skills],
        "causes": [c.cause for c in volunteer.causes],
        "availability": [f"{a.day}:{a.period}" for a in volunteer.availability],
    }
    return _edit_page(request, volunteer, values)


@router.post("/{volunteer_id}/edit")
async def lead_edit(
    *,
    request: Request,
    volunteer_id: RowId,
    member: Staff,
    session: DbSession,
) -> Response:
    """Correct the profile at the person's request; the audit log names the fields, not the values."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    if not access.sees_contact_of(session, member, volunteer_id=volunteer.id):
        raise Forbidden(NOT_YOURS)
    form = await request.form()
    values = {
        "first_name": str(form.get("first_name") or "").strip(),
        "email": str(form.get("email") or "").strip(),
        "phone": str(form.get("phone") or "").strip(),
        "town": str(form.get("town") or "").strip(),
        "skills": [str(v) for v in form.getlist("skills")],
        "causes": [str(v) for v in form.getlist("causes")],
        "availability": [str(v) for v in form.getlist("availability")],
    }
    try:
        change = _rectification(values)
        changed = lead_store.rectify(session, volunteer_id=volunteer_id, change=change)
    except InvalidDataError as error:
        session.rollback()
        message = str(error)
        return _edit_page(
            request, lead_store.get(session, volunteer_id=volunteer_id), values, message[:1].upper() + message[1:]
        )
    if changed:
        lead_store.record_audit(
            session, actor=actor(member), action="update", subject=f"volunteer:{volunteer.id}", fields=changed
        )
    session.commit()
    return redirect(f"/console/leads/{volunteer_id}", "Profil corrigé." if changed else "Aucun changement.")


def _rectification(values: dict[str, Any]) -> lead_store.Rectification:
    email = None
    if values["email"]:
        email = find_email(values["email"])
        if email is None:
            raise InvalidDataError(f"adresse e-mail invalide : « {values['email'][:100]} »")
    phone = None
    if values["phone"]:
        phone = find_phone(values["phone"])
        if phone is None:
            raise InvalidDataError(f"numéro de téléphone invalide : « {values['phone'][:40]} »")
    place = None
    if values["town"]:
        place = resolve_town(values["town"][:120])
        if place is None:
            raise InvalidDataError(f"commune inconnue : « {values['town'][:120]} »")
    known_skills, known_causes = skill_choices(), cause_choices()
    if any(key not in known_skills for key in values["skills"]) or any(
        key not in known_causes for key in values["causes"]
    ):
        raise InvalidDataError("compétence ou domaine inconnu")
    slots = []
    for key in values["availability"]:
        try:
            slots.append(TimeSlot.from_key(key))
        except ValueError:
            raise InvalidDataError("créneau inconnu") from None
    return lead_store.Rectification(
        first_name=values["first_name"][:60],
        email=email,
        phone=phone,
        place=place,
        skills=values["skills"],
        causes=values["causes"],
        availability=slots,
    )


# --------------------------------------------------------------------------- admins: access and erasure


def person_data(session: Session, settings: Settings, volunteer: models.Volunteer) -> dict[str, Any]:
    """Everything held about a person, as JSON: the export form plus what the lead page shows."""
    data: dict[str, Any] = volunteer_store.export_one(volunteer)
    details = lead_details(session, settings, volunteer)
    follow_up = details["follow_up"]
    data.update(
        age_group=volunteer.age_group,
        consents=[
            {"text_version": c.text_version, "channel": c.channel, "given_at": _iso(c.given_at),
             "withdrawn_at": _iso(c.withdrawn_at)}
            for c in volunteer.consents
        ],
        applications=[
            {"mission_id": a.mission_id, "title": a.mission.title, "status": a.status, "created_at": _iso(a.created_at)}
            for a in volunteer.applications
        ],
        invitations=[{"mission_id": i.mission_id, "created_at": _iso(i.created_at)} for i in details["invitations"]],
        handoff_requests=[{"status": h.status, "created_at": _iso(h.created_at)} for h in details["handoffs"]],
        declines=[
            {"mission_id": d.mission_id, "reason": d.reason, "text": d.text, "created_at": _iso(d.created_at)}
            for d in details["declines"]
        ],
        proposals_opt_out_at=_iso(volunteer.proposals_opt_out_at),
        follow_up={
            "refusal_reason": follow_up.refusal_reason if follow_up else None,
            "assigned_to": follow_up.assigned_staff.email if follow_up and follow_up.assigned_staff else None,
        },
        staff_notes=[{"text": n.text, "created_at": _iso(n.created_at)} for n in details["notes"]],
        conversation=[
            {"speaker": t.speaker, "text": t.text, "at": t.at.isoformat(), "buttons": list(t.buttons)}
            for t in details["transcript"]
        ],
        **signup_store.access_rows(session, volunteer_id=volunteer.id),
    )  # fmt: skip
    return data


def _iso(moment: datetime | None) -> str | None:
    return volunteer_store._iso(moment)


@router.get("/{volunteer_id}/export.json")
def lead_export(
    *,
    volunteer_id: RowId,
    member: Admin,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Right of access: everything about one person, as a JSON download (admins)."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    data = person_data(session, settings, volunteer)
    lead_store.record_audit(session, actor=actor(member), action="export", subject=f"volunteer:{volunteer.id}")
    return download(
        json.dumps(data, ensure_ascii=False, indent=2),
        filename=f"donnees-candidat-{volunteer.id}.json",
        media_type="application/json",
    )


@router.get("/{volunteer_id}/erase")
def lead_erase_confirm(
    *,
    request: Request,
    volunteer_id: RowId,
    member: Admin,
    session: DbSession,
) -> Response:
    """Ask an admin to confirm an erasure."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    return render(request, "lead_erase.html", {"volunteer": volunteer})


@router.post("/{volunteer_id}/erase")
def lead_erase(
    *,
    volunteer_id: RowId,
    confirm: Annotated[str, Form()] = "",
    member: Admin,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Right to erasure: the person leaves every table and Rasa's tracker store; an anonymous audit trace stays."""
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    if confirm != "oui":
        raise InvalidDataError("cochez la case de confirmation pour effacer ces données")
    sender_id, channel, who = volunteer.sender_id, volunteer.channel, actor(member)
    session.rollback()  # erase_person works in its own unit of work; hold no transaction meanwhile
    erase_person(settings, channel=channel, sender_id=sender_id, actor=who)
    logger.info("volunteer %s erased by staff member %s", volunteer_id, member.id)
    return redirect("/console/leads", "Les données de cette personne ont été effacées.")
