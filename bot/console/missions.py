"""Missions: list, create, edit, close, import; per mission its volunteers, suggestions and invitations."""

from __future__ import annotations

import logging
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from bot.assistant_api import trigger_intent
from bot.console.deps import DbSession, RowId, SettingsDep, Staff, actor, flashed, redirect, render
from bot.console.forms import form_choices, resolve_town
from bot.console.suggestions import suggest
from bot.errors import AssistantUnavailableError, InvalidDataError, NotFoundError
from bot.missions import DAY_NAMES_FR, Mission, ShiftPlan, _parse_mission, parse_shift_plan, read_missions
from bot.profile import DAYS
from bot.shifts import label, local, say_day, tell_cancelled
from bot.store import declines as decline_store
from bot.store import leads as lead_store
from bot.store import missions as mission_store
from bot.store import models, staffing
from bot.store import shifts as shift_store
from bot.store import takeovers as takeover_store
from bot.store.retention import as_utc
from bot.taxonomy import load_taxonomy

logger = logging.getLogger(__name__)
REINVITE_DAYS = 7  # the same mission, the same person: once a week at most
router = APIRouter(prefix="/missions")
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_LISTED_SHIFTS = 60


@router.get("")
def mission_list(
    *,
    request: Request,
    status: str = "open",
    q: str = "",
    page: int = 1,
    member: Staff,
    session: DbSession,
) -> Response:
    """Missions with their places and volunteers."""
    status = status if status in ("open", "closed", "all") else "open"
    page = max(1, min(page, 100000))
    rows, total = staffing.listing(session, status=None if status == "all" else status, search=q[:100], page=page)
    pages = max(1, -(-total // 50))
    return render(
        request,
        "missions.html",
        {"rows": rows, "total": total, "status": status, "q": q[:100], "page": page, "pages": pages},
    )


@router.get("/besoin")
def needs(*, request: Request, member: Staff, session: DbSession) -> Response:
    """The alert list: open missions still short of volunteers."""
    return render(request, "needs.html", {"rows": staffing.needing_volunteers(session)})


# --------------------------------------------------------------------------- create, edit, import


def _form_page(request: Request, values: dict[str, Any], *, editing: bool, error: str | None = None) -> Response:
    return render(
        request,
        "mission_form.html",
        {
            "values": values,
            "editing": editing,
            "error": error,
            **form_choices(),
        },  # fmt: skip
        status_code=400 if error else 200,
    )


def _values_of(mission: models.Mission) -> dict[str, Any]:
    return {
        "id": mission.id, "title": mission.title, "description": mission.description,
        "town": f"{mission.city} {mission.postcode or ''}".strip() if mission.city else "",
        "remote": mission.remote, "urgent": mission.urgent,
        "places": str(mission.places_total), "filled": str(mission.places_filled),
        "min_age": "" if mission.min_age is None else str(mission.min_age),
        "skills": [s.skill for s in mission.skills], "causes": [c.cause for c in mission.causes],
        "schedule": [f"{s.day}:{s.period}" for s in mission.schedule],
        "address": mission.address or "", "contact": mission.contact or "",
    }  # fmt: skip


async def _read_form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {
        "id": str(form.get("id") or "").strip()[:32],
        "title": str(form.get("title") or "").strip()[:120],
        "description": str(form.get("description") or "").strip()[:5000],
        "town": str(form.get("town") or "").strip()[:120],
        "remote": form.get("remote") == "oui",
        "urgent": form.get("urgent") == "oui",
        "places": str(form.get("places") or "").strip(),
        "filled": str(form.get("filled") or "0").strip(),
        "min_age": str(form.get("min_age") or "").strip(),
        "skills": [str(v) for v in form.getlist("skills")],
        "causes": [str(v) for v in form.getlist("causes")],
        "schedule": [str(v) for v in form.getlist("schedule")],
        "address": str(form.get("address") or "").strip()[:200],
        "contact": str(form.get("contact") or "").strip()[:200],
    }


def _mission_from(values: dict[str, Any]) -> Mission:
    """Check the form like an imported file (same parser, same French messages)."""

    def number(name: str, label: str) -> int | None:
        raw = values[name]
        if raw == "":
            return None
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
            raise InvalidDataError(f"{label} : nombre entier attendu")
        return int(raw)

    entry: dict[str, Any] = {
        "id": values["id"], "title": values["title"], "description": values["description"],
        "remote": values["remote"], "urgent": values["urgent"], "places": number("places", "Places"),
        "filled": number("filled", "Déjà pourvues") or 0,
        "skills": values["skills"], "causes": values["causes"],
        "schedule": [dict(zip(("day", "period"), key.split(":", 1), strict=False)) for key in values["schedule"]],
        "address": values["address"], "contact": values["contact"],
    }  # fmt: skip
    if values["min_age"]:
        entry["min_age"] = number("min_age", "Âge minimum")
    if values["town"]:
        place = resolve_town(values["town"])
        if place is None:
            raise InvalidDataError(f"commune inconnue : « {values['town']} »")
        entry.update(city=place.name, postcode=place.postcode, latitude=place.latitude, longitude=place.longitude)
    return _parse_mission(entry, "Mission", load_taxonomy())


@router.get("/nouvelle")
def mission_new(*, request: Request, member: Staff) -> Response:
    """The form to create a mission."""
    values = {"id": "", "title": "", "description": "", "town": "", "remote": False, "urgent": False,
              "places": "1", "filled": "0",
              "min_age": "", "skills": [], "causes": [], "schedule": [], "address": "", "contact": ""}  # fmt: skip
    return _form_page(request, values, editing=False)


@router.post("/nouvelle")
async def mission_create(*, request: Request, member: Staff, session: DbSession) -> Response:
    """Create a mission from the form."""
    values = await _read_form(request)
    try:
        mission = _mission_from(values)
        if mission_store.exists(session, mission.id):
            raise InvalidDataError(f"l'identifiant {mission.id} est déjà pris")
    except InvalidDataError as error:
        return _form_page(request, values, editing=False, error=str(error))
    mission_store.upsert(session, [mission])
    lead_store.record_audit(
        session, actor=actor(member), action="mission", subject=f"mission:{mission.id}", change="create"
    )
    session.commit()
    return redirect(f"/console/missions/{quote(mission.id)}", "Mission créée.")


@router.get("/importer")
def mission_import_form(*, request: Request, member: Staff) -> Response:
    """The form to import missions from a CSV or YAML file."""
    return render(request, "mission_import.html", {})


@router.post("/importer")
async def mission_import(*, request: Request, member: Staff, session: DbSession, settings: SettingsDep) -> Response:
    """Import (create or update) missions from an uploaded file."""
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return render(request, "mission_import.html", {"error": "Choisissez un fichier CSV ou YAML."}, 400)
    suffix = Path(upload.filename).suffix.lower()
    content = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        return render(request, "mission_import.html", {"error": "Fichier trop volumineux (5 Mo au plus)."}, 400)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"import{suffix}"
        path.write_bytes(content)
        try:
            loaded = read_missions(path)
        except InvalidDataError as error:
            message = str(error).replace(path.name, upload.filename)
            return render(request, "mission_import.html", {"error": message}, 400)
    try:
        result = mission_store.import_missions(session, loaded)
    except InvalidDataError as error:  # e.g. fewer places than people signed up on a shift: nothing written
        session.rollback()
        return render(request, "mission_import.html", {"error": str(error)}, 400)
    created, updated = result.created, result.updated
    lead_store.record_audit(
        session, actor=actor(member), action="import", subject="missions", created=created, updated=updated
    )
    session.commit()
    tell_cancelled(settings, result.cancelled_signups)
    message = f"{len(loaded)} missions importées ({created} nouvelles, {updated} mises à jour)."
    if result.cancelled_signups:
        message += f" {len(result.cancelled_signups)} inscription(s) annulée(s) : les bénévoles sont prévenus."
    return redirect("/console/missions", message)


@router.get("/{mission_id}")
def mission_page(
    *,
    request: Request,
    mission_id: str,
    member: Staff,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """A mission: its places, interested and confirmed volunteers, suggestions and the invitations sent."""
    mission = staffing.get(session, mission_id=mission_id)
    applicants = staffing.applicants(session, mission_id=mission_id)
    unwilling = decline_store.unwilling(session, mission_id=mission.id)  # opted out, or declined it
    suggestions = suggest(session, settings, mission=mission, excluded=unwilling) if mission.status == "open" else []
    now = datetime.now(timezone.utc)
    today = local(now, settings.timezone).date()
    return render(
        request,
        "mission.html",
        {
            "mission": mission,
            "shifts": [
                (shift, label(shift.starts_at, shift.ends_at, settings.timezone))
                for shift in shift_store.upcoming(session, mission_id=mission.id, now=now)[:MAX_LISTED_SHIFTS]
            ],
            "series": [
                (series, _say_series(series), _series_running(series, today))
                for series in shift_store.series_of(session, mission_id=mission.id)
            ],
            "today": today.isoformat(),
            "days": DAYS,
            "settings_horizon": settings.shift_horizon_weeks,
            "places_left": max(mission.places_total - mission.places_filled, 0),
            "interested": [(a, v) for a, v in applicants if a.status != staffing.ACCEPTED],
            "accepted": [(a, v) for a, v in applicants if a.status == staffing.ACCEPTED],
            "on_dates": [
                (one, say_day(as_utc(one.next_start), settings.timezone) if one.next_start else "")
                for one in staffing.shift_volunteers(session, mission_id=mission.id, now=now)
            ],
            "suggestions": suggestions,
            "invitations": staffing.invitations(session, mission_id=mission_id),
            "error": flashed(request, "error"),
        },
    )


@router.get("/{mission_id}/modifier")
def mission_edit_form(
    *,
    request: Request,
    mission_id: str,
    member: Staff,
    session: DbSession,
) -> Response:
    """The form to edit a mission."""
    return _form_page(request, _values_of(staffing.get(session, mission_id=mission_id)), editing=True)


@router.post("/{mission_id}/modifier")
async def mission_edit(
    *,
    request: Request,
    mission_id: str,
    member: Staff,
    session: DbSession,
) -> Response:
    """Save a mission's changes (its id never changes)."""
    staffing.get(session, mission_id=mission_id)
    values = await _read_form(request)
    values["id"] = mission_id
    try:
        mission = _mission_from(values)
    except InvalidDataError as error:
        return _form_page(request, values, editing=True, error=str(error))
    mission_store.upsert(session, [mission])
    lead_store.record_audit(
        session, actor=actor(member), action="mission", subject=f"mission:{mission_id}", change="edit"
    )
    session.commit()
    return redirect(f"/console/missions/{quote(mission_id)}", "Mission enregistrée.")


@router.post("/{mission_id}/statut")
def mission_status(
    *,
    mission_id: str,
    status: Annotated[str, Form()],
    member: Staff,
    session: DbSession,
) -> Response:
    """Close or reopen a mission."""
    staffing.set_status(session, mission_id=mission_id, status=status)
    lead_store.record_audit(
        session, actor=actor(member), action="mission", subject=f"mission:{mission_id}", change=status
    )
    session.commit()
    return redirect(
        f"/console/missions/{quote(mission_id)}", "Mission fermée." if status == "closed" else "Mission rouverte."
    )


@router.post("/{mission_id}/accepter")
def mission_accept(
    *,
    mission_id: str,
    volunteer_id: Annotated[int, Form()],
    member: Staff,
    session: DbSession,
) -> Response:
    """Confirm an interested volunteer on the mission."""
    staffing.accept(session, mission_id=mission_id, volunteer_id=volunteer_id)
    lead_store.record_audit(
        session,
        actor=actor(member),
        action="mission",
        subject=f"volunteer:{volunteer_id}",
        mission=mission_id,
        change="accept",
    )
    session.commit()
    return redirect(f"/console/missions/{quote(mission_id)}", "Bénévole confirmé sur la mission.")


def _not_to_invite(session: Session, *, volunteer: models.Volunteer, mission_id: str) -> str | None:
    """Why this volunteer must not be invited to this mission now, in French; None when they may be."""
    if volunteer.proposals_opt_out_at is not None:
        return "Cette personne a demandé à ne plus recevoir de propositions : l'invitation n'a pas été envoyée."
    if volunteer.id in decline_store.unwilling(session, mission_id=mission_id):
        return "Cette personne a déjà décliné cette mission : l'invitation n'a pas été envoyée."
    last = staffing.last_invitation(session, volunteer_id=volunteer.id, mission_id=mission_id)
    if last is not None and as_utc(last) > datetime.now(timezone.utc) - timedelta(days=REINVITE_DAYS):
        return (f"Cette personne a déjà été invitée à cette mission il y a moins de {REINVITE_DAYS} jours : "
                "attendez sa réponse.")  # fmt: skip
    return None


@router.post("/{mission_id}/inviter")
def mission_invite(
    *,
    mission_id: str,
    volunteer_id: Annotated[int, Form()],
    member: Staff,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Ask the assistant to invite the volunteer to the mission on their channel."""
    mission = staffing.get(session, mission_id=mission_id)
    volunteer = lead_store.get(session, volunteer_id=volunteer_id)
    if mission.status != "open":
        raise InvalidDataError("cette mission est fermée")
    refusal = _not_to_invite(session, volunteer=volunteer, mission_id=mission.id)
    if refusal is not None:
        return redirect(f"/console/missions/{quote(mission_id)}", error=refusal)
    held = takeover_store.open_for(session, sender_id=volunteer.sender_id)
    if held is not None:  # the assistant is silent in that conversation: it would deliver nothing
        message = ("Un membre de l'équipe tient la conversation de cette personne : l'assistant n'y parle pas. "
                   "Écrivez-lui directement depuis la conversation, ou rendez-lui la main, puis invitez.")  # fmt: skip
        return redirect(f"/console/missions/{quote(mission_id)}", error=message)
    try:
        trigger_intent(
            settings, sender_id=volunteer.sender_id, intent="mission_invitation", entities={"mission_id": mission.id}
        )
    except AssistantUnavailableError:
        logger.warning(
            "invitation of volunteer %s to mission %s failed: assistant unreachable", volunteer_id, mission_id
        )
        message = ("L'assistant est injoignable : l'invitation n'a pas été envoyée. "
                   "Vérifiez que le serveur Rasa fonctionne, puis réessayez.")  # fmt: skip
        return redirect(f"/console/missions/{quote(mission_id)}", error=message)
    staffing.record_invitation(session, volunteer_id=volunteer_id, mission_id=mission_id, staff_id=member.id)
    lead_store.record_audit(
        session, actor=actor(member), action="invite", subject=f"volunteer:{volunteer_id}", mission=mission_id
    )
    session.commit()
    logger.info("volunteer %s invited to mission %s", volunteer_id, mission_id)
    return redirect(
        f"/console/missions/{quote(mission_id)}", "Invitation envoyée : l'assistant l'a transmise au bénévole."
    )


# --------------------------------------------------------------------------- dated shifts


def _say_series(series: models.ShiftSeries) -> str:
    """ "chaque samedi, 09:00–12:00, 4 places, du 01/12/2026 au 30/06/2027"."""
    words = f"chaque {DAY_NAMES_FR[series.day]}, {series.start_time}–{series.end_time}, {series.places} place(s)"
    words += f", à partir du {series.starts_on:%d/%m/%Y}"
    return words + (f", jusqu'au {series.ends_on:%d/%m/%Y}" if series.ends_on else "")


def _series_running(series: models.ShiftSeries, today: date) -> bool:
    """Whether the series still has dates to come (it can be stopped)."""
    return series.ends_on is None or series.ends_on >= today


def _shift_error(mission_id: str, message: str) -> Response:
    return redirect(f"/console/missions/{quote(mission_id)}#creneaux", error=message)


async def _shift_plan(request: Request, settings: SettingsDep, *, recurring: bool) -> ShiftPlan:
    """The one-off shift or series of the page's forms, checked like the missions file (same French messages)."""
    form = await request.form()
    raw_places = str(form.get("places") or "").strip()
    if not (raw_places.isascii() and raw_places.isdigit()) or len(raw_places) > 4:
        raise InvalidDataError("places : nombre entier ≥ 1 attendu")
    entry: dict[str, Any] = {
        "start": str(form.get("start") or "").strip()[:5],
        "end": str(form.get("end") or "").strip()[:5],
        "places": int(raw_places),
    }
    if recurring:
        entry["every"] = str(form.get("day") or "").strip()[:12]
        for name, field in (("from", "starts_on"), ("until", "ends_on")):
            value = str(form.get(field) or "").strip()[:10]
            if value:
                entry[name] = value
    else:
        entry["date"] = str(form.get("date") or "").strip()[:10]
    today = local(datetime.now(timezone.utc), settings.timezone).date()
    try:
        return parse_shift_plan(entry, "Créneau", today=today)
    except InvalidDataError as error:
        raise InvalidDataError(str(error).removeprefix("Créneau, shifts: ")) from None


@router.post("/{mission_id}/creneaux")
async def shift_add(
    *, request: Request, mission_id: str, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Add a dated shift (one date) to the mission."""
    mission = staffing.get(session, mission_id=mission_id)
    try:
        plan = await _shift_plan(request, settings, recurring=False)
        shift = shift_store.add_one_off(
            session, mission_id=mission.id, plan=plan, now=datetime.now(timezone.utc), zone=settings.timezone
        )
    except InvalidDataError as error:
        session.rollback()
        return _shift_error(mission.id, f"Créneau non ajouté : {error}.")
    lead_store.record_audit(
        session,
        actor=actor(member),
        action="mission",
        subject=f"mission:{mission.id}",
        change="shift_add",
        shift=shift.id,
    )
    session.commit()
    return redirect(f"/console/missions/{quote(mission.id)}", "Créneau ajouté.")


@router.post("/{mission_id}/series")
async def series_add(
    *, request: Request, mission_id: str, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Add a weekly series to the mission; its shifts are created over the horizon (SHIFT_HORIZON_WEEKS)."""
    mission = staffing.get(session, mission_id=mission_id)
    try:
        plan = await _shift_plan(request, settings, recurring=True)
        series = shift_store.add_series(
            session, mission_id=mission.id, plan=plan, now=datetime.now(timezone.utc), zone=settings.timezone,
            horizon_weeks=settings.shift_horizon_weeks,
        )  # fmt: skip
    except InvalidDataError as error:
        session.rollback()
        return _shift_error(mission.id, f"Série non ajoutée : {error}.")
    lead_store.record_audit(
        session, actor=actor(member), action="mission", subject=f"mission:{mission.id}", change="shift_series",
        series=series.id,
    )  # fmt: skip
    session.commit()
    return redirect(f"/console/missions/{quote(mission.id)}", "Série de créneaux ajoutée.")


def _mission_shift(session: Session, mission_id: str, shift_id: int) -> models.Shift:
    shift = session.get(models.Shift, shift_id)
    if shift is None or shift.mission_id != mission_id:
        raise NotFoundError("ce créneau n'existe pas")
    return shift


@router.post("/{mission_id}/creneaux/{shift_id}/places")
def shift_places(
    *,
    mission_id: str,
    shift_id: RowId,
    places: Annotated[str, Form()],
    member: Staff,
    session: DbSession,
) -> Response:
    """Change a shift's places (never below the people signed up)."""
    _mission_shift(session, mission_id, shift_id)
    wanted = places.strip()
    try:
        if not (wanted.isascii() and wanted.isdigit()) or len(wanted) > 4:
            raise InvalidDataError("places : nombre entier ≥ 1 attendu")
        shift_store.set_places(session, shift_id=shift_id, places=int(wanted), now=datetime.now(timezone.utc))
    except InvalidDataError as error:
        session.rollback()
        return _shift_error(mission_id, f"Places non modifiées : {error}.")
    lead_store.record_audit(
        session, actor=actor(member), action="mission", subject=f"mission:{mission_id}", change="shift_places",
        shift=shift_id, places=int(wanted),
    )  # fmt: skip
    session.commit()
    return redirect(f"/console/missions/{quote(mission_id)}", "Places du créneau modifiées.")


@router.get("/{mission_id}/creneaux/{shift_id}/annuler")
def shift_cancel_form(
    *, request: Request, mission_id: str, shift_id: RowId, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Ask for confirmation before cancelling a shift, saying how many people will be told."""
    mission = staffing.get(session, mission_id=mission_id)
    shift = _mission_shift(session, mission_id, shift_id)
    signed_up = sum(1 for signup in shift.signups if signup.status == "confirmed")
    return render(
        request,
        "mission_shift_cancel.html",
        {
            "mission": mission,
            "shift": shift,
            "label": label(shift.starts_at, shift.ends_at, settings.timezone),
            "signed_up": signed_up,
        },
    )


@router.post("/{mission_id}/creneaux/{shift_id}/annuler")
def shift_cancel(
    *, mission_id: str, shift_id: RowId, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Cancel a shift; the people signed up are told by the assistant (bot.signups.tell_cancelled)."""
    shift = _mission_shift(session, mission_id, shift_id)
    now = datetime.now(timezone.utc)
    if shift.cancelled_at is not None:
        return _shift_error(mission_id, "Ce créneau est déjà annulé.")
    if as_utc(shift.starts_at) <= now:
        return _shift_error(mission_id, "Ce créneau a déjà commencé : il ne peut plus être annulé.")
    cancelled = shift_store.cancel_shift(session, shift_id=shift_id, now=now)
    lead_store.record_audit(
        session, actor=actor(member), action="mission", subject=f"mission:{mission_id}", change="shift_cancel",
        shift=shift_id, signups=len(cancelled),
    )  # fmt: skip
    session.commit()
    tell_cancelled(settings, cancelled)
    told = f" {len(cancelled)} personne(s) inscrite(s) prévenue(s)." if cancelled else ""
    return redirect(f"/console/missions/{quote(mission_id)}", f"Créneau annulé.{told}")


def _series_and_day(
    session: Session, mission_id: str, series_id: int, raw_day: str, settings: SettingsDep
) -> tuple[models.ShiftSeries, date]:
    """The mission's series and the local day it stops from (refused in French when not a date ahead)."""
    series = session.get(models.ShiftSeries, series_id)
    if series is None or series.mission_id != mission_id:
        raise NotFoundError("cette série n'existe pas")
    try:
        day = date.fromisoformat(raw_day.strip()[:10])
    except ValueError:
        raise InvalidDataError("date attendue (AAAA-MM-JJ)") from None
    if day < local(datetime.now(timezone.utc), settings.timezone).date():
        raise InvalidDataError(f"le {day:%d/%m/%Y} est passé")
    return series, day


@router.get("/{mission_id}/series/{series_id}/arreter")
def series_stop_form(
    *, request: Request, mission_id: str, series_id: RowId, member: Staff, session: DbSession, settings: SettingsDep
) -> Response:
    """Ask for confirmation before stopping a series, saying how many dates go and how many people are told."""
    mission = staffing.get(session, mission_id=mission_id)
    try:
        series, day = _series_and_day(session, mission.id, series_id, request.query_params.get("from", ""), settings)
    except InvalidDataError as error:
        return _shift_error(mission.id, f"Série non arrêtée : {error}.")
    dates, people = shift_store.stopping_count(
        session, series_id=series.id, from_day=day, now=datetime.now(timezone.utc), zone=settings.timezone
    )
    context = {"mission": mission, "series": series, "words": _say_series(series), "day": day}
    return render(request, "mission_series_stop.html", {**context, "dates": dates, "signed_up": people})


@router.post("/{mission_id}/series/{series_id}/arreter")
def series_stop(
    *,
    mission_id: str,
    series_id: RowId,
    from_day: Annotated[str, Form(alias="from")],
    member: Staff,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Stop a weekly series from a day: its dates from then are cancelled and the people signed up told."""
    now = datetime.now(timezone.utc)
    try:
        series, day = _series_and_day(session, mission_id, series_id, from_day, settings)
        cancelled = shift_store.stop_series(session, series_id=series.id, from_day=day, now=now, zone=settings.timezone)
    except InvalidDataError as error:
        session.rollback()
        return _shift_error(mission_id, f"Série non arrêtée : {error}.")
    lead_store.record_audit(
        session, actor=actor(member), action="mission", subject=f"mission:{mission_id}", change="shift_series_stop",
        series=series_id, signups=len(cancelled),
    )  # fmt: skip
    session.commit()
    tell_cancelled(settings, cancelled)
    told = f" {len(cancelled)} personne(s) inscrite(s) prévenue(s)." if cancelled else ""
    return redirect(f"/console/missions/{quote(mission_id)}", f"Série arrêtée à partir du {day:%d/%m/%Y}.{told}")
