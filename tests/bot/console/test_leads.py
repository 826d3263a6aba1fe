"""Leads: filtered list, CSV export, a lead's page with its conversation, follow-up, rectification,
the right of access and erasure by an admin, and escaping of what volunteers typed."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from fastapi.testclient import TestClient
from rasa.shared.core.events import UserUttered

from bot.config import Settings
from bot.profile import TimeSlot
from bot.store import conversations, models
from bot.store.session import session_scope
from tests.bot.console.conftest import (
    BRON,
    COORDINATOR,
    GRENOBLE,
    XSS,
    add_volunteer,
    csrf_of,
    member_of,
    record_conversation,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc).timestamp()


@pytest.fixture(scope="module")
def people(console_settings: Settings) -> dict[str, int]:
    """Four leads with distinct skills, places, channels and days; one conversation in the tracker store."""
    from rasa.shared.core.events import BotUttered, UserUttered

    url = console_settings.database_url
    ids = {
        "julie": add_volunteer(url, sender_id="julie", first_name="Julie", email="julie.martin@exemple.fr"),
        "xss": add_volunteer(
            url, sender_id="tg-42", first_name=XSS, place=BRON, skills=("driving",), causes=("health",),
            availability=(TimeSlot("tuesday", "evening"),), channel="telegram",
        ),
        "marc": add_volunteer(
            url, sender_id="marc", first_name="Marc", place=GRENOBLE, skills=("accounting",), causes=("culture",),
            availability=(TimeSlot("monday", "morning"),), channel="web",
        ),
        "zoe": add_volunteer(
            url, sender_id="zoe", first_name="Zoé", place=None, skills=(), causes=(), phone="+33612345678"
        ),
    }  # fmt: skip
    with session_scope(url) as session:  # Marc arrived a month ago
        session.get(models.Volunteer, ids["marc"]).created_at = datetime.now(timezone.utc) - timedelta(days=30)
    record_conversation(
        console_settings.tracker_store_url,
        "julie",
        [
            UserUttered("bonjour, je voudrais aider", {"name": "want_to_volunteer", "confidence": 1.0}, timestamp=T0),
            BotUttered("Bonjour ! Avant tout, puis-je enregistrer vos réponses ?", timestamp=T0 + 1,
                       data={"buttons": [{"title": "Oui", "payload": "/affirm"}]}),
            UserUttered("/affirm", {"name": "affirm", "confidence": 1.0}, timestamp=T0 + 5),
            UserUttered(XSS, {"name": "inform", "confidence": 1.0}, timestamp=T0 + 9),
        ],
    )  # fmt: skip
    return ids


def names(response_text: str) -> list[str]:
    """First names in the leads table, in order."""
    table = response_text.split('<table id="leads">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/console/leads/\d+">([^<]+)</a>', table)


def test_list_shows_every_lead_with_a_total(coordinator: TestClient, people: dict[str, int]) -> None:
    page = coordinator.get("/console/leads")
    assert page.status_code == 200
    assert "<strong>4</strong> candidats" in page.text
    assert set(names(page.text)) == {"Julie", "&lt;script&gt;alert(1)&lt;/script&gt;", "Marc", "Zoé"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("skill=driving", ["&lt;script&gt;alert(1)&lt;/script&gt;"]),
        ("cause=culture", ["Marc"]),
        ("day=monday&period=morning", ["Marc"]),
        ("day=saturday", ["Julie", "Zoé"]),
        ("period=evening", ["&lt;script&gt;alert(1)&lt;/script&gt;"]),
        ("channel=web", ["Marc"]),
        ("q=MARTIN", []),  # Julie's e-mail: a coordinator searches only their own leads' e-mails (tests/security)
        ("q=JUL", ["Julie"]),  # every lead's first name
        ("q=zo", ["Zoé"]),
        ("town=Villeurbanne&distance=10&sort=distance", ["Julie", "&lt;script&gt;alert(1)&lt;/script&gt;"]),
        ("town=Villeurbanne&distance=2", ["Julie"]),
        ("town=38000&distance=5", ["Marc"]),
        ("status=contacté", []),
        ("sort=name", ["&lt;script&gt;alert(1)&lt;/script&gt;", "Julie", "Marc", "Zoé"]),
        ("sort=oldest&from=2026-01-01", ["Marc", "Julie", "&lt;script&gt;alert(1)&lt;/script&gt;", "Zoé"]),
    ],
)
def test_filters_and_sorting(coordinator: TestClient, people: dict[str, int], query: str, expected: list[str]) -> None:
    page = coordinator.get(f"/console/leads?{query}")
    assert page.status_code == 200
    found = names(page.text)
    assert found == expected if "sort=" in query else sorted(found) == sorted(expected)


def test_date_filter(coordinator: TestClient, people: dict[str, int]) -> None:
    recent = (datetime.now(timezone.utc) - timedelta(days=7)).date().isoformat()
    assert "Marc" not in names(coordinator.get(f"/console/leads?from={recent}").text)
    old = (datetime.now(timezone.utc) - timedelta(days=20)).date().isoformat()
    assert names(coordinator.get(f"/console/leads?to={old}").text) == ["Marc"]


def test_bad_filters_are_explained_not_crashed(coordinator: TestClient, people: dict[str, int]) -> None:
    page = coordinator.get("/console/leads?town=Nullepartville&distance=abc&from=hier&status=inconnu&page=x")
    assert page.status_code == 200
    for message in ("Commune inconnue", "Distance : nombre de kilomètres", "date invalide", "Statut inconnu"):
        assert message in page.text
    assert "<strong>4</strong> candidats" in page.text


def test_pagination_keeps_the_filters(
    coordinator: TestClient, people: dict[str, int], console_settings: Settings
) -> None:
    url = console_settings.database_url
    extra = [
        add_volunteer(url, sender_id=f"page-{n}", first_name=f"Page{n:02d}", skills=("gardening",)) for n in range(55)
    ]
    try:
        first = coordinator.get("/console/leads?skill=gardening&sort=name")
        assert "<strong>55</strong> candidats" in first.text and "Page 1 sur 2" in first.text
        assert len(names(first.text)) == 50
        assert 'href="/console/leads?skill=gardening&amp;sort=name&amp;page=2"' in first.text
        second = coordinator.get("/console/leads?skill=gardening&sort=name&page=2")
        assert names(second.text) == [f"Page{n:02d}" for n in range(50, 55)]
    finally:
        with session_scope(url) as session:
            for volunteer_id in extra:
                session.delete(session.get(models.Volunteer, volunteer_id))


def test_csv_export_of_the_filtered_list(coordinator: TestClient, people: dict[str, int]) -> None:
    response = coordinator.get("/console/leads/export.csv?skill=driving")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert [(r["Prénom"], r["Commune"], r["Canal"], r["Compétences"]) for r in rows] == [
        (XSS, "Bron", "Telegram", "conduite")
    ]


def test_whole_list_export_is_for_admins(coordinator: TestClient, admin: TestClient, people: dict[str, int]) -> None:
    refused = coordinator.get("/console/leads/export.csv")
    assert refused.status_code == 400 and "seul un administrateur" in refused.text
    everything = admin.get("/console/leads/export.csv")
    assert everything.status_code == 200
    assert len(list(csv.reader(io.StringIO(everything.text.lstrip("\ufeff")), delimiter=";"))) == 1 + 4


def test_csv_cells_cannot_become_formulas(admin: TestClient, console_settings: Settings) -> None:
    url = console_settings.database_url
    volunteer_id = add_volunteer(url, sender_id="formula", first_name="=HYPERLINK(1)", skills=("legal",))
    try:
        response = admin.get("/console/leads/export.csv?skill=legal")
        assert "'=HYPERLINK(1)" in response.text
    finally:
        with session_scope(url) as session:
            session.delete(session.get(models.Volunteer, volunteer_id))


def take(client: TestClient, lead: int, url: str) -> None:
    """The coordinator takes the lead ("Suivi par"): its contact details and conversation become visible."""
    with session_scope(url) as session:
        staff_id = member_of(session, COORDINATOR[0]).id
    path = f"/console/leads/{lead}"
    assert _post(client, path, f"{path}/assign", {"staff_id": str(staff_id)}).status_code == 200


def test_lead_page_shows_profile_consent_and_conversation(
    coordinator: TestClient, people: dict[str, int], console_settings: Settings
) -> None:
    before = coordinator.get(f"/console/leads/{people['julie']}").text
    assert "julie.martin@exemple.fr" not in before and "bonjour, je voudrais aider" not in before
    assert "Attribuez-vous ce candidat" in before
    take(coordinator, people["julie"], console_settings.database_url)
    page = coordinator.get(f"/console/leads/{people['julie']}")
    assert page.status_code == 200
    text = page.text
    expected_texts = (
        "Julie", "julie.martin@exemple.fr", "Villeurbanne", "cuisine", "samedi matin", "solidarité",
        "Texte version 2026-01", "bonjour, je voudrais aider", "Boutons : Oui", "[bouton] Oui",
    )  # fmt: skip
    for expected in expected_texts:
        assert expected in text, expected
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and XSS not in text


def test_unknown_lead_is_a_french_404(coordinator: TestClient) -> None:
    page = coordinator.get("/console/leads/987654")
    assert page.status_code == 404 and "Le candidat 987654 n'existe pas." in html.unescape(page.text)
    assert coordinator.get("/console/leads/pas-un-nombre").status_code == 400


def _post(client: TestClient, page_path: str, action: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_of(client.get(page_path).text)
    return client.post(action, data={**data, "csrf_token": token})


def test_status_workflow(coordinator: TestClient, console_settings: Settings) -> None:
    lead = add_volunteer(console_settings.database_url, sender_id="flow", first_name="Flore", skills=("music_arts",))
    path = f"/console/leads/{lead}"
    skipped = _post(coordinator, path, f"{path}/status", {"status": "actif"})
    assert skipped.status_code == 400 and "On ne peut pas passer de « Nouveau » à « Actif »" in skipped.text
    for status in ("contacté", "entretien", "actif"):
        page = _post(coordinator, path, f"{path}/status", {"status": status})
        assert page.status_code == 200 and f"Statut : {status.capitalize()}." in page.text
    no_reason = _post(coordinator, path, f"{path}/status", {"status": "archivé"})
    assert no_reason.status_code == 200
    with session_scope(console_settings.database_url) as session:
        follow_up = session.get(models.LeadFollowUp, lead)
        assert follow_up.contacted_at is not None and follow_up.active_at is not None
        assert session.get(models.Volunteer, lead).status == "archivé"


def test_refusal_needs_a_reason(coordinator: TestClient, console_settings: Settings) -> None:
    lead = add_volunteer(console_settings.database_url, sender_id="refus", first_name="Rémi")
    path = f"/console/leads/{lead}"
    empty = _post(coordinator, path, f"{path}/status", {"status": "refusé", "reason": "  "})
    assert empty.status_code == 400 and "Indiquez la raison du refus." in empty.text
    page = _post(coordinator, path, f"{path}/status", {"status": "refusé", "reason": "pas de créneau commun"})
    assert "Raison du refus : pas de créneau commun" in page.text
    assert "Passer à « Nouveau »" in page.text  # a refused lead can be reopened


def test_assignment_and_notes(coordinator: TestClient, admin: TestClient, people: dict[str, int]) -> None:
    path = f"/console/leads/{people['marc']}"
    page = coordinator.get(path)
    staff_ids = {
        email: value
        for value, email in __import__("re").findall(r'<option value="(\d+)"[^>]*>([^<]+@[^<]+)</option>', page.text)
    }
    assigned = _post(coordinator, path, f"{path}/assign", {"staff_id": staff_ids["coord@entraide.test"]})
    assert "Attribution enregistrée." in assigned.text
    assert f'<option value="{staff_ids["coord@entraide.test"]}" selected>' in assigned.text
    mine = coordinator.get(f"/console/leads?assigned={staff_ids['coord@entraide.test']}")
    assert "Marc" in names(mine.text) and "Zoé" not in names(mine.text)  # Julie too, if an earlier test took her
    noted = _post(coordinator, path, f"{path}/notes", {"text": "Appelé, rappeler <b>jeudi</b>"})
    assert "Note ajoutée." in noted.text and "Appelé, rappeler &lt;b&gt;jeudi&lt;/b&gt;" in noted.text
    assert _post(coordinator, path, f"{path}/notes", {"text": "   "}).status_code == 400


def test_rectification_changes_fields_and_audits_names_not_values(
    coordinator: TestClient, admin: TestClient, console_settings: Settings
) -> None:
    lead = add_volunteer(console_settings.database_url, sender_id="rect", first_name="Paule")
    path = f"/console/leads/{lead}"
    assert coordinator.get(f"{path}/edit").status_code == 403  # nobody follows it yet
    take(coordinator, lead, console_settings.database_url)
    form = {"first_name": "Paula", "email": "paula@exemple.fr", "phone": "06 11 22 33 44", "town": "Bron",
            "skills": ["driving", "cooking"], "causes": ["health"], "availability": ["sunday:evening"]}  # fmt: skip
    token = csrf_of(coordinator.get(f"{path}/edit").text)
    page = coordinator.post(f"{path}/edit", data={**form, "csrf_token": token})
    assert "Profil corrigé." in page.text
    for expected in ("Paula", "paula@exemple.fr", "+33611223344", "Bron", "conduite", "dimanche soir", "santé"):
        assert expected in page.text, expected
    bad = coordinator.post(f"{path}/edit", data={**form, "email": "pas-un-email", "csrf_token": token})
    assert bad.status_code == 400 and "Adresse e-mail invalide" in bad.text and 'value="Paula"' in bad.text
    with session_scope(console_settings.database_url) as session:
        entry = session.query(models.AuditEntry).filter_by(action="update", subject=f"volunteer:{lead}").one()
        assert set(entry.details["fields"]) == {
            "first_name",
            "email",
            "phone",
            "place",
            "skills",
            "causes",
            "availability",
        }
        assert "Paula" not in json.dumps(entry.details) and "paula@" not in json.dumps(entry.details)


def test_admin_downloads_a_persons_data(admin: TestClient, people: dict[str, int]) -> None:
    response = admin.get(f"/console/leads/{people['julie']}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert data["first_name"] == "Julie" and data["email"] == "julie.martin@exemple.fr"
    assert data["consents"][0]["text_version"] == "2026-01"
    assert [turn["text"] for turn in data["conversation"]][:1] == ["bonjour, je voudrais aider"]
    assert {"skills", "availability", "interests", "proposed_missions", "applications", "staff_notes"} <= set(data)


def test_coordinator_cannot_export_or_erase(coordinator: TestClient, people: dict[str, int]) -> None:
    lead = people["zoe"]
    assert coordinator.get(f"/console/leads/{lead}/export.json").status_code == 403
    assert coordinator.get(f"/console/leads/{lead}/erase").status_code == 403
    token = csrf_of(coordinator.get(f"/console/leads/{lead}").text)
    assert (
        coordinator.post(f"/console/leads/{lead}/erase", data={"confirm": "oui", "csrf_token": token}).status_code
        == 403
    )


def test_admin_erases_a_person_after_confirmation(admin: TestClient, console_settings: Settings) -> None:
    url = console_settings.database_url
    lead = add_volunteer(url, sender_id="efface", first_name="Edgar", email="edgar@exemple.fr")
    said = UserUttered("je suis Edgar, edgar@exemple.fr", {"name": "inform"})
    record_conversation(console_settings.tracker_store_url, "efface", [said])
    assert conversations.count_events(console_settings.tracker_store_url, "efface") == 1
    path = f"/console/leads/{lead}"
    _post(admin, path, f"{path}/notes", {"text": "Edgar préfère le téléphone"})
    unconfirmed = _post(admin, f"{path}/erase", f"{path}/erase", {})
    assert unconfirmed.status_code == 400 and "confirmation" in unconfirmed.text
    done = _post(admin, f"{path}/erase", f"{path}/erase", {"confirm": "oui"})
    assert "Les données de cette personne ont été effacées." in done.text
    assert admin.get(path).status_code == 404
    assert conversations.count_events(console_settings.tracker_store_url, "efface") == 0  # the conversation too
    with session_scope(url) as session:
        assert session.query(models.LeadNote).filter_by(volunteer_id=lead).count() == 0
        entry = session.query(models.AuditEntry).filter_by(action="erase").one()
        assert entry.actor.startswith("staff:") and "Edgar" not in entry.subject
    audit = admin.get("/console/admin/audit")
    assert "a effacé" in audit.text and "admin@entraide.test" in audit.text


def test_audit_log_records_views_and_exports(admin: TestClient, people: dict[str, int]) -> None:
    admin.get(f"/console/leads/{people['julie']}")
    admin.get("/console/leads/export.csv?skill=cooking")
    page = admin.get("/console/admin/audit")
    assert f"candidat n° {people['julie']}" in page.text
    assert "a consulté" in page.text and "a exporté" in page.text and "leads:csv" in page.text
    assert "julie.martin" not in page.text


def test_a_persons_data_holds_their_shifts_hours_check_ins_and_attestations(
    admin: TestClient, people: dict[str, int], console_settings: Settings
) -> None:
    """The right of access covers what came after the first yes (issue 18), not only the profile."""
    julie = people["julie"]
    starts = datetime(2026, 12, 12, 8, tzinfo=timezone.utc)
    with session_scope(console_settings.database_url) as session:
        session.add(models.Mission(id="COLIS", title="Préparation des colis"))
        shift = models.Shift(mission_id="COLIS", starts_at=starts, ends_at=starts + timedelta(hours=3), places=4)
        session.add(shift)
        session.flush()
        session.add(models.Signup(shift_id=shift.id, volunteer_id=julie, status="attended", rating=4, comment="Super"))
        session.add(
            models.HoursEntry(volunteer_id=julie, mission_title="Préparation des colis", day=starts.date(), minutes=180,
                              source="checkin")
        )  # fmt: skip
        session.add(
            models.AttestationLink(token_hash="1" * 64, volunteer_id=julie, period_start=starts.date(),
                                   period_end=starts.date(), full_name="Julie Martin", expires_at=starts)
        )  # fmt: skip
    data = admin.get(f"/console/leads/{julie}/export.json").json()
    [signup] = data["signups"]
    assert (signup["mission"], signup["status"], signup["rating"], signup["comment"]) == (
        "Préparation des colis", "attended", 4, "Super",
    )  # fmt: skip
    assert signup["starts_at"] == "2026-12-12T08:00:00+00:00"
    assert data["hours"] == [
        {"day": "2026-12-12", "minutes": 180, "mission": "Préparation des colis", "source": "checkin"}
    ]
    assert [link["full_name"] for link in data["attestation_links"]] == ["Julie Martin"]
    assert "token_hash" not in json.dumps(data)


def test_a_button_press_shows_the_buttons_words_not_its_payload(console_settings: Settings) -> None:
    """'[bouton] samedi 12 décembre, 9 h–12 h', not '[bouton] choose_shift'; an unknown payload keeps its intent."""
    from rasa.shared.core.events import BotUttered

    from bot.console.transcript import read_transcript

    shift = {"title": "samedi 12 décembre, 9 h–12 h (3 places)", "payload": '/choose_shift{"shift_id": 3}'}
    record_conversation(
        console_settings.tracker_store_url,
        "dates",
        [
            BotUttered("Quelle date ?", timestamp=T0, data={"buttons": [shift]}),
            UserUttered('/choose_shift{"shift_id": 3}', {"name": "choose_shift", "confidence": 1.0}, timestamp=T0 + 2),
            UserUttered('/choose_shift{"shift_id": 9}', {"name": "choose_shift", "confidence": 1.0}, timestamp=T0 + 4),
        ],
    )
    turns = read_transcript(console_settings.tracker_store_url, "dates")
    assert [t.text for t in turns if t.speaker == "user"] == [
        "[bouton] samedi 12 décembre, 9 h–12 h (3 places)",
        "[bouton] choose_shift",
    ]


def test_the_lead_page_lists_the_persons_shifts_with_attendance_hours_and_feedback(
    coordinator: TestClient, people: dict[str, int], console_settings: Settings
) -> None:
    julie = add_volunteer(console_settings.database_url, sender_id="creneaux", first_name="Inès")  # held by nobody
    past = datetime(2026, 11, 28, 8, tzinfo=timezone.utc)  # Saturday 28 November, 9:00 in Paris
    with session_scope(console_settings.database_url) as session:
        session.add(models.Mission(id="CRENEAUX", title="Préparation des colis"))
        done = models.Shift(mission_id="CRENEAUX", starts_at=past, ends_at=past + timedelta(hours=3), places=4)
        later = models.Shift(
            mission_id="CRENEAUX",
            starts_at=past + timedelta(days=70),
            ends_at=past + timedelta(days=70, hours=2),
            places=4,
        )
        session.add_all([done, later])
        session.flush()
        attended = models.Signup(
            shift_id=done.id, volunteer_id=julie, status="attended", rating=5, comment="Équipe top"
        )
        session.add_all(
            [
                attended,
                models.Signup(shift_id=later.id, volunteer_id=julie, status="cancelled", cancelled_by="volunteer"),
            ]
        )
        session.flush()
        session.add(models.HoursEntry(volunteer_id=julie, signup_id=attended.id, mission_title="Préparation des colis",
                                      day=past.date(), minutes=150, source="checkin"))  # fmt: skip
    page = html.unescape(coordinator.get(f"/console/leads/{julie}").text)
    section = page.split('id="shifts-title"', 1)[1].split("</section>", 1)[0]
    assert "samedi 28 novembre, 9 h–12 h" in section and "Préparation des colis" in section
    assert "présent" in section and "2 h 30" in section and "note 5/5" in section
    assert "annulé (par le bénévole)" in section
    assert "Équipe top" not in section and "commentaire masqué" in section  # free text, like the conversation
    take(coordinator, julie, console_settings.database_url)
    page = html.unescape(coordinator.get(f"/console/leads/{julie}").text)
    assert "« Équipe top »" in page
