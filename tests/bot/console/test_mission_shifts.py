"""Dated shifts on a mission's console page: list, add a date or a weekly series, change places, cancel
(with confirmation, people told); address and contact in the mission form; the API's read-only shifts."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.config import Settings
from bot.console import missions as console_missions
from bot.profile import TimeSlot
from bot.shifts import label as shift_label
from bot.store import models, staff
from bot.store import shifts as shift_store
from bot.store import signups as signup_store
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import ADMIN, add_volunteer, csrf_of

PAGE = "/console/missions/M002"  # the demo's grocery welcome: undated, with an address and a contact


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def _shift_count(settings: Settings, mission_id: str = "M002") -> int:
    with session_scope(settings.database_url) as session:
        statement = select(func.count()).select_from(models.Shift).where(models.Shift.mission_id == mission_id)
        return int(session.scalar(statement) or 0)


def _post(client: TestClient, url: str, data: dict[str, str]) -> str:
    token = csrf_of(client.get(PAGE).text)
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


def _add_date(client: TestClient, day: date, start: str = "09:00", end: str = "12:00", places: str = "3") -> str:
    return _post(client, f"{PAGE}/creneaux", {"date": day.isoformat(), "start": start, "end": end, "places": places})


def _shift_id(settings: Settings, day: date) -> int:
    starts_at = datetime.combine(day, datetime.min.time().replace(hour=9), tzinfo=ZoneInfo("Europe/Paris"))
    with session_scope(settings.database_url) as session:
        statement = select(models.Shift.id).where(
            models.Shift.mission_id == "M002", models.Shift.starts_at == starts_at.astimezone(timezone.utc)
        )
        return int(session.scalars(statement).one())


def _sign_up(settings: Settings, shift_id: int, sender_id: str) -> int:
    volunteer_id = add_volunteer(settings.database_url, sender_id=sender_id, first_name="Julie")
    with session_scope(settings.database_url) as session:
        signup = models.Signup(shift_id=shift_id, volunteer_id=volunteer_id, status="confirmed")
        session.add(signup)
        shift = session.get(models.Shift, shift_id)
        assert shift is not None
        shift.taken += 1
        session.flush()
        return int(signup.id)


def test_the_page_lists_the_next_dates_with_places_taken_and_the_attendance_link(
    coordinator: TestClient, console_settings: Settings
) -> None:
    page = html.unescape(coordinator.get("/console/missions/M001").text)  # demo: every Wednesday and Saturday
    assert "Prochaines dates (" in page and "Prochaines dates (0)" not in page
    assert "chaque samedi, 09:00–12:00, 4 place(s)" in page
    assert 'href="/console/missions/M001/attendance"' in page
    assert "Entrepôt de la banque alimentaire, 14 rue Francis-de-Pressensé" in page
    assert "Martine, 04 78 00 00 01" in page


def test_add_a_date_then_change_its_places(coordinator: TestClient, console_settings: Settings) -> None:
    day = _today() + timedelta(days=10)
    before = _shift_count(console_settings)
    page = _add_date(coordinator, day)
    assert "Créneau ajouté." in page and _shift_count(console_settings) == before + 1
    shift_id = _shift_id(console_settings, day)
    page = _post(coordinator, f"{PAGE}/creneaux/{shift_id}/places", {"places": "5"})
    assert "Places du créneau modifiées." in page
    with session_scope(console_settings.database_url) as session:
        shift = session.get(models.Shift, shift_id)
        assert shift is not None and shift.places == 5
        audit = session.scalars(select(models.AuditEntry).where(models.AuditEntry.action == "mission")).all()
        assert {entry.details["change"] for entry in audit} >= {"shift_add", "shift_places"}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"days": -1}, "la date"),
        ({"start": "12:00", "end": "09:00"}, "l'heure de fin (09:00) doit être après celle du début (12:00)"),
        ({"start": "09:00", "end": "09:00"}, "l'heure de fin (09:00) doit être après"),
        ({"places": "0"}, "places : nombre entier ≥ 1"),
        ({"places": "deux"}, "places : nombre entier ≥ 1"),
        ({"date": "demain"}, "date attendue"),
    ],
)
def test_a_bad_date_is_refused_with_the_reason_and_nothing_written(
    coordinator: TestClient, console_settings: Settings, form: dict[str, object], message: str
) -> None:
    day = _today() + timedelta(days=int(str(form.get("days", 20))))
    data = {"date": day.isoformat(), "start": "09:00", "end": "12:00", "places": "2"}
    data.update({key: str(value) for key, value in form.items() if key != "days"})
    before = _shift_count(console_settings)
    page = _post(coordinator, f"{PAGE}/creneaux", data)
    assert "Créneau non ajouté : " in page and message in page
    assert _shift_count(console_settings) == before


def test_a_past_date_says_so(coordinator: TestClient) -> None:
    page = _add_date(coordinator, _today() - timedelta(days=1))
    assert "Créneau non ajouté : la date" in page and "est passée" in page


def test_places_below_those_taken_are_refused(coordinator: TestClient, console_settings: Settings) -> None:
    day = _today() + timedelta(days=11)
    _add_date(coordinator, day, places="2")
    shift_id = _shift_id(console_settings, day)
    _sign_up(console_settings, shift_id, "places-1")
    _sign_up(console_settings, shift_id, "places-2")
    page = _post(coordinator, f"{PAGE}/creneaux/{shift_id}/places", {"places": "1"})
    assert "Places non modifiées : 2 personne(s) déjà inscrite(s) : impossible de descendre à 1 place(s)." in page
    for bad in ("0", "x"):
        assert "Places non modifiées" in _post(coordinator, f"{PAGE}/creneaux/{shift_id}/places", {"places": bad})
    with session_scope(console_settings.database_url) as session:
        shift = session.get(models.Shift, shift_id)
        assert shift is not None and shift.places == 2


def test_add_a_weekly_series(coordinator: TestClient, console_settings: Settings) -> None:
    before = _shift_count(console_settings)
    data = {"day": "thursday", "start": "18:00", "end": "20:00", "places": "2", "starts_on": "", "ends_on": ""}
    page = _post(coordinator, f"{PAGE}/series", data)
    assert "Série de créneaux ajoutée." in page and "chaque jeudi, 18:00–20:00, 2 place(s)" in page
    assert _shift_count(console_settings) - before in (4, 5)  # the Thursdays of the next four weeks
    refused = _post(coordinator, f"{PAGE}/series", {**data, "day": "jeudii"})
    assert "Série non ajoutée : jour inconnu 'jeudii'" in refused
    past = (_today() - timedelta(days=3)).isoformat()
    assert "Série non ajoutée : la date de fin" in _post(coordinator, f"{PAGE}/series", {**data, "ends_on": past})


def test_cancel_a_shift_after_confirmation_and_tell_the_people(
    coordinator: TestClient, console_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[list[int]] = []
    monkeypatch.setattr(console_missions, "tell_cancelled", lambda settings, ids: told.append(list(ids)))
    day = _today() + timedelta(days=12)
    _add_date(coordinator, day)
    shift_id = _shift_id(console_settings, day)
    signup_id = _sign_up(console_settings, shift_id, "cancel-1")
    confirm = html.unescape(coordinator.get(f"{PAGE}/creneaux/{shift_id}/annuler").text)
    assert "1 personne(s) inscrite(s)" in confirm and "Oui, annuler ce créneau" in confirm
    page = _post(coordinator, f"{PAGE}/creneaux/{shift_id}/annuler", {})
    assert "Créneau annulé. 1 personne(s) inscrite(s) prévenue(s)." in page
    assert told == [[signup_id]]
    with session_scope(console_settings.database_url) as session:
        signup = session.get(models.Signup, signup_id)
        assert signup is not None and (signup.status, signup.cancelled_by) == ("cancelled", "shift")
    assert "Ce créneau est déjà annulé." in _post(coordinator, f"{PAGE}/creneaux/{shift_id}/annuler", {})
    assert told == [[signup_id]]


def _series_shifts(settings: Settings, series_id: int) -> list[tuple[date, bool]]:
    with session_scope(settings.database_url) as session:
        statement = select(models.Shift).where(models.Shift.series_id == series_id).order_by(models.Shift.starts_at)
        zone = ZoneInfo("Europe/Paris")
        return [(s.starts_at.replace(tzinfo=timezone.utc).astimezone(zone).date(), s.cancelled_at is None)
                for s in session.scalars(statement)]  # fmt: skip


def test_stop_a_weekly_series_after_confirmation_and_tell_the_people(
    coordinator: TestClient, console_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[list[int]] = []
    monkeypatch.setattr(console_missions, "tell_cancelled", lambda settings, ids: told.append(list(ids)))
    data = {"day": "friday", "start": "14:00", "end": "16:00", "places": "3", "starts_on": "", "ends_on": ""}
    _post(coordinator, f"{PAGE}/series", data)
    with session_scope(console_settings.database_url) as session:
        series_id = int(session.scalars(select(func.max(models.ShiftSeries.id))).one())
    dates = [day for day, _ in _series_shifts(console_settings, series_id)]
    assert len(dates) >= 4
    with session_scope(console_settings.database_url) as session:
        later = session.scalars(
            select(models.Shift.id).where(models.Shift.series_id == series_id).order_by(models.Shift.starts_at)
        ).all()
    signup_id = _sign_up(console_settings, int(later[2]), "series-stop-1")
    page = html.unescape(coordinator.get(PAGE).text)
    assert f'action="/console/missions/M002/series/{series_id}/arreter"' in page and "Arrêter la série…" in page
    stop_from = dates[1].isoformat()
    confirm = html.unescape(coordinator.get(f"{PAGE}/series/{series_id}/arreter?from={stop_from}").text)
    assert f"Arrêter la série à partir du {dates[1]:%d/%m/%Y} ?" in confirm
    assert f"{len(dates) - 1} date(s) déjà prévue(s)" in confirm and "1 personne(s) inscrite(s)" in confirm
    assert "Oui, arrêter la série" in confirm
    page = _post(coordinator, f"{PAGE}/series/{series_id}/arreter", {"from": stop_from})
    assert f"Série arrêtée à partir du {dates[1]:%d/%m/%Y}. 1 personne(s) inscrite(s) prévenue(s)." in page
    assert "(arrêtée)" not in page  # the first date is still to come: the series still runs until then
    assert told == [[signup_id]]
    # the first date stays; the signed-up date is cancelled (kept, its people told); the others are gone
    assert _series_shifts(console_settings, series_id) == [(dates[0], True), (dates[2], False)]
    with session_scope(console_settings.database_url) as session:
        signup = session.get(models.Signup, signup_id)
        assert signup is not None and (signup.status, signup.cancelled_by) == ("cancelled", "shift")
        series = session.get(models.ShiftSeries, series_id)
        assert series is not None and series.ends_on == dates[1] - timedelta(days=1)
        audit = session.scalars(select(models.AuditEntry).where(models.AuditEntry.action == "mission")).all()
        stops = [e.details for e in audit if e.details.get("change") == "shift_series_stop"]
        assert stops == [{"change": "shift_series_stop", "series": series_id, "signups": 1}]
        # the hourly unfolding does not bring the dates back
        shift_store.unfold(session, now=datetime.now(timezone.utc), zone="Europe/Paris", horizon_weeks=4)
    assert _series_shifts(console_settings, series_id) == [(dates[0], True), (dates[2], False)]


def test_stopping_a_series_from_a_past_day_or_without_csrf_is_refused(
    coordinator: TestClient, console_settings: Settings
) -> None:
    data = {"day": "monday", "start": "14:00", "end": "16:00", "places": "3", "starts_on": "", "ends_on": ""}
    _post(coordinator, f"{PAGE}/series", data)
    with session_scope(console_settings.database_url) as session:
        series_id = int(session.scalars(select(func.max(models.ShiftSeries.id))).one())
    before = _series_shifts(console_settings, series_id)
    past = (_today() - timedelta(days=1)).isoformat()
    page = _post(coordinator, f"{PAGE}/series/{series_id}/arreter", {"from": past})
    assert "Série non arrêtée : le " in page and "est passé." in page
    stop = f"{PAGE}/series/{series_id}/arreter"
    assert "Série non arrêtée : date attendue" in _post(coordinator, stop, {"from": "x"})
    today = _today().isoformat()
    response = coordinator.post(f"{PAGE}/series/{series_id}/arreter", data={"from": today})
    assert response.status_code == 403
    assert coordinator.get(f"/console/missions/M001/series/{series_id}/arreter?from={today}").status_code == 404
    assert _series_shifts(console_settings, series_id) == before


def test_someone_signed_up_to_a_date_is_in_the_missions_lists_and_not_suggested(
    coordinator: TestClient, console_settings: Settings
) -> None:
    url = console_settings.database_url
    slots = (TimeSlot("wednesday", "afternoon"), TimeSlot("saturday", "morning"))
    volunteer_id = add_volunteer(
        url, sender_id="dates-1", first_name="Sabine", skills=("logistics",), availability=slots
    )
    suggested = coordinator.get("/console/missions/M001").text.split('<table id="suggestions">', 1)[1]
    assert f'href="/console/leads/{volunteer_id}"' in suggested.split("</table>", 1)[0]
    now = datetime.now(timezone.utc)
    with session_scope(url) as session:  # what "Plus d'infos" → "S'inscrire à une date" does: no application
        first = shift_store.upcoming(session, mission_id="M001", now=now)[0]
        assert signup_store.sign_up(session, shift_id=first.id, volunteer_id=volunteer_id, now=now).ok
        day = shift_label(first.starts_at, first.ends_at, "Europe/Paris").split(",")[0]
    page = html.unescape(coordinator.get("/console/missions/M001").text)
    listed = page.split("Inscrits sur des dates (1)", 1)[1].split("</section>", 1)[0]
    assert f'<a href="/console/leads/{volunteer_id}">Sabine</a>' in listed
    assert f"1 date(s) à venir, prochaine le {day}" in listed
    suggested = page.split('<table id="suggestions">', 1)[1].split("</table>", 1)[0]
    assert f'href="/console/leads/{volunteer_id}"' not in suggested  # they already said yes


def test_a_form_without_its_csrf_token_is_refused(coordinator: TestClient, console_settings: Settings) -> None:
    before = _shift_count(console_settings)
    day = (_today() + timedelta(days=15)).isoformat()
    response = coordinator.post(f"{PAGE}/creneaux", data={"date": day, "start": "09:00", "end": "12:00", "places": "1"})
    assert response.status_code == 403 and _shift_count(console_settings) == before


def test_another_missions_shift_is_not_found(coordinator: TestClient, console_settings: Settings) -> None:
    with session_scope(console_settings.database_url) as session:
        other = session.scalars(select(models.Shift.id).where(models.Shift.mission_id == "M001")).first()
    assert coordinator.get(f"{PAGE}/creneaux/{other}/annuler").status_code == 404


def test_address_and_contact_in_the_mission_form(coordinator: TestClient) -> None:
    form = coordinator.get("/console/missions/M002/modifier").text
    assert 'value="Épicerie solidaire, 5 avenue des Peupliers"' in html.unescape(form)
    data = {
        "title": "Accueil à l'épicerie solidaire", "description": "Accueillir.", "town": "Vaulx-en-Velin",
        "places": "6", "filled": "2", "min_age": "16", "skills": ["reception"], "causes": ["solidarity"],
        "schedule": ["tuesday:evening"],
        "address": "Local du Mas, 3 rue des Acacias", "contact": "Nadia, 04 78 00 00 09",
    }  # fmt: skip
    page = html.unescape(
        coordinator.post("/console/missions/M002/modifier", data={**data, "csrf_token": csrf_of(form)}).text
    )
    assert "Mission enregistrée." in page
    assert "Local du Mas, 3 rue des Acacias" in page and "Nadia, 04 78 00 00 09" in page


@pytest.fixture()
def api(console_settings: Settings) -> Iterator[TestClient]:
    with session_scope(console_settings.database_url) as session:
        token = staff.create_token(session, email=ADMIN[0])
    with TestClient(create_app(console_settings), headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def test_the_api_lists_a_missions_shifts_read_only(api: TestClient) -> None:
    shifts = api.get("/api/missions/M001/shifts").json()
    assert shifts and {"id", "starts_at", "ends_at", "label", "places", "taken", "places_left"} <= set(shifts[0])
    assert shifts[0]["label"].split()[0] in ("mercredi", "samedi")
    assert [shift["starts_at"] for shift in shifts] == sorted(shift["starts_at"] for shift in shifts)
    assert api.get("/api/missions/M999/shifts").status_code == 404
    assert api.post("/api/missions/M001/shifts", json={}).status_code == 405
    mission = api.get("/api/missions/M001").json()
    assert mission["address"] == "Entrepôt de la banque alimentaire, 14 rue Francis-de-Pressensé"
