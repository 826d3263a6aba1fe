"""The console's attendance page of a mission and hours page of a volunteer: marks, hours, totals, attestations."""

from __future__ import annotations

import html
import itertools
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.config import Settings
from bot.console.attendance import parse_hours
from bot.errors import InvalidDataError
from bot.store import models
from bot.store.session import session_scope
from tests.bot.console.conftest import add_volunteer, csrf_of

NOW = datetime.now(timezone.utc)
_numbers = itertools.count(1)


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def _mission_with_shifts(settings: Settings) -> tuple[str, dict[str, int]]:
    """A mission with a past shift (three people: one came and rated it, one could not, one to mark)
    and a shift ahead (one person signed up, another cancelled): its id and the sign-up ids by name."""
    number = next(_numbers)
    mission_id = f"MA{number:02d}"
    people = {name: add_volunteer(settings.database_url, sender_id=f"att-{number}-{name}", first_name=name.title())
              for name in ("julie", "karim", "lea", "sam", "zoe")}  # fmt: skip
    with session_scope(settings.database_url) as session:
        session.add(models.Mission(id=mission_id, title=f"Maraude {number}"))
        session.flush()
        past = models.Shift(mission_id=mission_id, starts_at=NOW - timedelta(days=2, hours=3),
                            ends_at=NOW - timedelta(days=2), places=5, taken=3)  # fmt: skip
        ahead = models.Shift(mission_id=mission_id, starts_at=NOW + timedelta(days=3),
                             ends_at=NOW + timedelta(days=3, hours=2), places=5, taken=1)  # fmt: skip
        session.add_all([past, ahead])
        session.flush()
        rows = {
            "julie": models.Signup(shift_id=past.id, volunteer_id=people["julie"], status="attended", rating=5,
                                   comment="Super équipe <b>merci</b>", reminder_answer="yes",
                                   reminder_sent_at=NOW - timedelta(days=3)),
            "karim": models.Signup(shift_id=past.id, volunteer_id=people["karim"], status="no_show", rating=None),
            "lea": models.Signup(shift_id=past.id, volunteer_id=people["lea"], status="confirmed",
                                 reminder_sent_at=NOW - timedelta(days=3)),
            "sam": models.Signup(shift_id=ahead.id, volunteer_id=people["sam"], status="confirmed"),
            "zoe": models.Signup(shift_id=ahead.id, volunteer_id=people["zoe"], status="cancelled",
                                 cancelled_at=NOW, cancelled_by="volunteer"),
        }  # fmt: skip
        session.add_all(rows.values())
        session.flush()
        session.add(models.HoursEntry(volunteer_id=people["julie"], signup_id=rows["julie"].id, mission_id=mission_id,
                                      mission_title=f"Maraude {number}", day=_today() - timedelta(days=2),
                                      minutes=180, source="checkin"))  # fmt: skip
        ids = {name: int(row.id) for name, row in rows.items()}
    return mission_id, {**ids, **{f"{name}_volunteer": volunteer for name, volunteer in people.items()}}


def _status(settings: Settings, signup_id: int) -> str:
    with session_scope(settings.database_url) as session:
        signup = session.get(models.Signup, signup_id)
        assert signup is not None
        return str(signup.status)


def _hours_count(settings: Settings) -> int:
    with session_scope(settings.database_url) as session:
        return int(session.scalar(select(func.count()).select_from(models.HoursEntry)) or 0)


def _post(client: TestClient, page: str, url: str, data: dict[str, str]) -> tuple[int, str]:
    token = csrf_of(client.get(page).text)
    response = client.post(url, data={**data, "csrf_token": token})
    return response.status_code, html.unescape(response.text)


# --------------------------------------------------------------------------- a mission's attendance


def test_the_attendance_page_shows_each_shift_its_people_and_the_mission_totals(
    console_settings: Settings, coordinator: TestClient, admin: TestClient
) -> None:
    mission_id, _ = _mission_with_shifts(console_settings)
    response = coordinator.get(f"/console/missions/{mission_id}/attendance")
    assert response.status_code == 200
    page = html.unescape(response.text)
    for words in ("Créneaux à venir", "Créneaux passés", "Julie", "Karim", "Lea", "Sam", "Zoe", "présent", "absent",
                  "inscrit", "annulé", "oui, toujours OK", "sans réponse", "3 heures", "5 / 5"):  # fmt: skip
        assert words in page, words
    assert "merci" not in response.text and "masqué, comme la conversation" in page  # not following Julie
    admin_page = admin.get(f"/console/missions/{mission_id}/attendance").text
    assert "Super équipe <b>merci</b>" not in admin_page  # the comment is escaped
    assert "&lt;b&gt;merci&lt;/b&gt;" in admin_page
    assert "50 % (1 présent(s), 1 absent(s))" in page and "5,0 / 5 (1 note(s))" in page
    for blame in ("no-show", "no_show", "défaillant", "faute", "excuse"):
        assert blame not in page.lower()


def test_staff_mark_present_with_hours_then_correct_them_or_mark_absent(
    console_settings: Settings, coordinator: TestClient
) -> None:
    mission_id, ids = _mission_with_shifts(console_settings)
    page = f"/console/missions/{mission_id}/attendance"
    status, text = _post(coordinator, page, f"{page}/{ids['lea']}/present", {"hours": "2,5"})
    assert status == 200 and "Présence enregistrée : 2 h 30." in text
    assert _status(console_settings, ids["lea"]) == "attended"
    status, text = _post(coordinator, page, f"{page}/{ids['lea']}/present", {"hours": "3 h"})
    assert "Présence enregistrée : 3 heures." in text
    with session_scope(console_settings.database_url) as session:
        entry = session.scalars(select(models.HoursEntry).where(models.HoursEntry.signup_id == ids["lea"])).one()
        assert (entry.minutes, entry.source) == (180, "staff")
    status, text = _post(coordinator, page, f"{page}/{ids['karim']}/present", {"hours": "2"})
    assert _status(console_settings, ids["karim"]) == "attended"  # an absence corrected
    status, text = _post(coordinator, page, f"{page}/{ids['julie']}/absent", {})
    assert "Absence enregistrée." in text and _status(console_settings, ids["julie"]) == "no_show"
    with session_scope(console_settings.database_url) as session:
        assert session.scalars(select(models.HoursEntry).where(models.HoursEntry.signup_id == ids["julie"])).all() == []
        subject = f"volunteer:{ids['julie_volunteer']}"
        audit = session.scalars(select(models.AuditEntry).where(models.AuditEntry.subject == subject)).all()
        assert [a.details["change"] for a in audit if a.action == "update"] == ["absent"]


@pytest.mark.parametrize("hours", ["0", "25", "24,5", "-2", "deux", "", "2h75"])
def test_bad_hours_get_a_french_message_and_write_nothing(
    console_settings: Settings, admin: TestClient, hours: str
) -> None:
    mission_id, ids = _mission_with_shifts(console_settings)
    page = f"/console/missions/{mission_id}/attendance"
    before = _hours_count(console_settings)
    status, text = _post(admin, page, f"{page}/{ids['lea']}/present", {"hours": hours})
    assert status == 200 and "Nombre d'heures invalide" in text
    assert _status(console_settings, ids["lea"]) == "confirmed" and _hours_count(console_settings) == before


def test_a_shift_ahead_or_a_cancelled_sign_up_cannot_be_marked(console_settings: Settings, admin: TestClient) -> None:
    mission_id, ids = _mission_with_shifts(console_settings)
    page = f"/console/missions/{mission_id}/attendance"
    _, text = _post(admin, page, f"{page}/{ids['sam']}/present", {"hours": "2"})
    assert "Ce créneau n'est pas encore terminé." in text
    _, text = _post(admin, page, f"{page}/{ids['sam']}/absent", {})
    assert "Ce créneau n'a pas encore commencé." in text
    _, text = _post(admin, page, f"{page}/{ids['zoe']}/absent", {})
    assert "Cette inscription est annulée." in text
    assert (_status(console_settings, ids["sam"]), _status(console_settings, ids["zoe"])) == ("confirmed", "cancelled")
    other, _ = _mission_with_shifts(console_settings)
    status, _ = _post(admin, page, f"/console/missions/{other}/attendance/{ids['lea']}/present", {"hours": "2"})
    assert status == 404 and _status(console_settings, ids["lea"]) == "confirmed"


def test_the_attendance_forms_need_a_session_and_the_csrf_token(
    console_settings: Settings, anonymous: TestClient, admin: TestClient
) -> None:
    mission_id, ids = _mission_with_shifts(console_settings)
    response = anonymous.get(f"/console/missions/{mission_id}/attendance", follow_redirects=False)
    assert response.status_code == 303 and "/console/login" in response.headers["location"]
    response = admin.post(f"/console/missions/{mission_id}/attendance/{ids['lea']}/present", data={"hours": "2"})
    assert response.status_code == 403 and _status(console_settings, ids["lea"]) == "confirmed"


def test_the_mission_and_lead_pages_link_to_attendance_and_hours(console_settings: Settings, admin: TestClient) -> None:
    mission_id, ids = _mission_with_shifts(console_settings)
    assert f"/console/missions/{mission_id}/attendance" in admin.get(f"/console/missions/{mission_id}").text
    assert (
        f"/console/leads/{ids['julie_volunteer']}/hours" in admin.get(f"/console/leads/{ids['julie_volunteer']}").text
    )


# --------------------------------------------------------------------------- a volunteer's hours


def test_the_hours_page_lists_the_log_and_yearly_totals_with_the_cec_summary(
    console_settings: Settings, coordinator: TestClient
) -> None:
    _, ids = _mission_with_shifts(console_settings)
    page = html.unescape(coordinator.get(f"/console/leads/{ids['julie_volunteer']}/hours").text)
    assert "Journal des heures" in page and "bilan du bénévole" in page and "3 heures" in page
    assert f"{(_today() - timedelta(days=2)).year} : 3 heures" in page
    assert "CEC : 200 heures dans l'année" in page and "il manque 97 heures chez nous" in page
    assert "vous" not in page.split('id="years-title"', 1)[1].split("</section>", 1)[0]  # said to staff


def test_staff_add_correct_and_delete_hours_with_checks(console_settings: Settings, admin: TestClient) -> None:
    mission_id, ids = _mission_with_shifts(console_settings)
    volunteer_id = ids["sam_volunteer"]
    page = f"/console/leads/{volunteer_id}/hours"
    today = _today()
    before = _hours_count(console_settings)
    for data, message in (
        ({"day": (today + timedelta(days=1)).isoformat(), "hours": "2", "mission_id": mission_id}, "futur"),
        ({"day": today.isoformat(), "hours": "0", "mission_id": mission_id}, "Nombre d'heures invalide"),
        ({"day": today.isoformat(), "hours": "30", "mission_id": mission_id}, "Nombre d'heures invalide"),
        ({"day": today.isoformat(), "hours": "2", "mission_id": ""}, "Choisissez une mission"),
        ({"day": "hier", "hours": "2", "mission_id": mission_id}, "Date : date invalide"),
    ):
        status, text = _post(admin, page, page, data)
        assert status == 400 and message in text, data
    assert _hours_count(console_settings) == before
    status, text = _post(admin, page, page, {"day": today.isoformat(), "hours": "1,5", "mission_id": mission_id})
    assert status == 200 and "Heures ajoutées." in text and "1 h 30" in text
    with session_scope(console_settings.database_url) as session:
        entry = session.scalars(select(models.HoursEntry).where(models.HoursEntry.volunteer_id == volunteer_id)).one()
    status, text = _post(admin, page, f"{page}/{entry.id}/edit", {"hours": "25"})
    assert status == 400 and "Nombre d'heures invalide" in text
    status, text = _post(admin, page, f"{page}/{entry.id}/edit", {"hours": "4"})
    assert "Heures corrigées." in text and "4 heures" in text
    other = ids["julie_volunteer"]
    status, _ = _post(admin, page, f"/console/leads/{other}/hours/{entry.id}/delete", {})
    assert status == 404  # a line of another volunteer's log
    status, text = _post(admin, page, f"{page}/{entry.id}/delete", {})
    assert "Ligne d'heures supprimée." in text and _hours_count(console_settings) == before


def test_hours_to_check_are_marked_and_staff_accept_them(console_settings: Settings, coordinator: TestClient) -> None:
    _, ids = _mission_with_shifts(console_settings)  # Julie's past shift lasted 3 hours
    volunteer_id = ids["julie_volunteer"]
    with session_scope(console_settings.database_url) as session:
        entry = session.scalars(select(models.HoursEntry).where(models.HoursEntry.volunteer_id == volunteer_id)).one()
        entry.minutes, entry.counted_minutes = 1440, 180  # "24 h" declared at the check-in
        entry_id = int(entry.id)
    page = f"/console/leads/{volunteer_id}/hours"
    text = html.unescape(coordinator.get(page).text)
    row = text.split(f'id="entry-{entry_id}"', 1)[1].split("</tr>", 1)[0]
    assert "24 heures" in row and "à vérifier" in row and "les attestations comptent 3 heures" in row
    assert "Valider les heures" in row
    assert f"{(_today() - timedelta(days=2)).year} : 3 heures" in text  # what an attestation would count
    status, text = _post(coordinator, page, f"{page}/{entry_id}/accept", {})
    assert status == 200 and "Heures validées" in text
    row = text.split(f'id="entry-{entry_id}"', 1)[1].split("</tr>", 1)[0]
    assert "à vérifier" not in row and "Valider les heures" not in row
    assert f"{(_today() - timedelta(days=2)).year} : 24 heures" in text
    status, text = _post(coordinator, page, f"{page}/{entry_id}/accept", {})
    assert status == 400 and "pas à vérifier" in text
    response = coordinator.post(f"{page}/{entry_id}/accept", data={})
    assert response.status_code == 403  # no CSRF token
    with session_scope(console_settings.database_url) as session:
        audit = session.scalars(select(models.AuditEntry).where(models.AuditEntry.action == "update")).all()
        assert [e.details for e in audit if e.details.get("change") == "hours_accept"] == [
            {"change": "hours_accept", "entry": entry_id}
        ]


def test_an_admin_generates_an_attestation_and_downloads_it(console_settings: Settings, admin: TestClient) -> None:
    _, ids = _mission_with_shifts(console_settings)
    volunteer_id = ids["julie_volunteer"]
    page = f"/console/leads/{volunteer_id}/hours"
    today = _today()
    period = {"start": date(today.year - 1, 1, 1).isoformat(), "end": today.isoformat()}
    status, text = _post(admin, page, f"/console/leads/{volunteer_id}/attestation",
                         {**period, "full_name": "Julie Martin"})  # fmt: skip
    assert status == 200 and "Attestation générée" in text
    link = text.split('id="attestation-link"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
    assert link.startswith(f"{console_settings.public_url.rstrip('/')}/attestations/")
    response = admin.get(link.replace(console_settings.public_url.rstrip("/"), ""))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    with session_scope(console_settings.database_url) as session:
        row = session.scalars(
            select(models.AttestationLink).where(models.AttestationLink.volunteer_id == volunteer_id)
        ).one()
        assert row.full_name == "Julie Martin" and row.staff_id is not None


def test_an_attestation_without_hours_or_name_is_refused_in_french(
    console_settings: Settings, admin: TestClient
) -> None:
    _, ids = _mission_with_shifts(console_settings)
    volunteer_id = ids["sam_volunteer"]
    page = f"/console/leads/{volunteer_id}/hours"
    today = _today().isoformat()
    status, text = _post(admin, page, f"/console/leads/{volunteer_id}/attestation",
                         {"start": today, "end": today, "full_name": "Sam Durand"})  # fmt: skip
    assert status == 400 and "Aucune heure de bénévolat sur cette période" in text
    status, text = _post(admin, page, f"/console/leads/{volunteer_id}/attestation",
                         {"start": today, "end": today, "full_name": " "})  # fmt: skip
    assert status == 400 and "Indiquez le nom complet" in text
    with session_scope(console_settings.database_url) as session:
        statement = select(func.count()).select_from(models.AttestationLink)
        assert session.scalar(statement.where(models.AttestationLink.volunteer_id == volunteer_id)) == 0


def test_a_coordinator_who_does_not_follow_the_lead_makes_no_attestation(
    console_settings: Settings, coordinator: TestClient
) -> None:
    _, ids = _mission_with_shifts(console_settings)
    volunteer_id = ids["julie_volunteer"]
    page = f"/console/leads/{volunteer_id}/hours"
    assert "Générer une attestation</button>" not in coordinator.get(page).text
    today = _today()
    period = {"start": date(today.year - 1, 1, 1).isoformat(), "end": today.isoformat(), "full_name": "J M"}
    status, _ = _post(coordinator, page, f"/console/leads/{volunteer_id}/attestation", period)
    assert status == 403


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2", 120),
        ("2,5", 150),
        ("2.25", 135),
        ("2h30", 150),
        ("2 h 30", 150),
        ("1:45", 105),
        ("24", 1440),
        ("3 h", 180),
    ],
)
def test_hours_typed_by_staff(text: str, minutes: int) -> None:
    assert parse_hours(text) == minutes


@pytest.mark.parametrize("text", ["0", "24,5", "25", "-1", "abc", "", "2h60"])
def test_hours_typed_by_staff_out_of_range(text: str) -> None:
    with pytest.raises(InvalidDataError):
        parse_hours(text)
