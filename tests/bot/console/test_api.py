"""The JSON API: token authentication, leads and missions, and schemathesis finding no 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import schemathesis
from fastapi.testclient import TestClient

from bot.attestations import create_link
from bot.config import Settings
from bot.store import hours, models, staff
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import ADMIN, COORDINATOR, XSS, add_volunteer, make_settings, seed_missions, seed_staff


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("api"))
    seed_staff(settings.database_url)
    seed_missions(settings.database_url, settings)
    add_volunteer(settings.database_url, sender_id="julie", first_name="Julie", skills=("logistics",))
    add_volunteer(settings.database_url, sender_id="xss", first_name=XSS)
    return settings


@pytest.fixture(scope="module")
def token(api_settings: Settings) -> str:
    with session_scope(api_settings.database_url) as session:
        return staff.create_token(session, email=ADMIN[0])


@pytest.fixture(scope="module")
def api(api_settings: Settings, token: str) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings), headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def test_calls_without_a_valid_token_get_401(api_settings: Settings) -> None:
    with TestClient(create_app(api_settings)) as client:
        assert client.get("/api/leads").status_code == 401
        wrong = client.get("/api/missions", headers={"Authorization": "Bearer pas-un-jeton"})
        assert wrong.status_code == 401 and wrong.json() == {"detail": "jeton d'accès manquant ou invalide"}
        assert wrong.headers["www-authenticate"] == "Bearer"
        # a console session is no API token, and the API is no way into the console
        assert (
            client.get("/console/leads", headers={"Authorization": "Bearer x"}, follow_redirects=False).status_code
            == 303
        )


def test_leads_list_filter_and_detail(api: TestClient) -> None:
    everyone = api.get("/api/leads").json()
    assert everyone["total"] == 2 and {lead["first_name"] for lead in everyone["items"]} == {"Julie", XSS}
    found = api.get("/api/leads", params={"skill": "logistics", "town": "Villeurbanne", "distance_km": 5}).json()
    assert [lead["first_name"] for lead in found["items"]] == ["Julie"]
    assert found["items"][0]["distance_km"] == 0.0
    lead = api.get(f"/api/leads/{found['items'][0]['id']}").json()
    assert lead["email"] == "julie@exemple.fr" and lead["skills"] == ["logistics"] and lead["status"] == "nouveau"
    assert api.get("/api/leads/999999").status_code == 404
    assert api.get("/api/leads", params={"status": "inconnu"}).status_code == 422
    unknown_town = api.get("/api/leads", params={"town": "Nullepartville"})
    assert unknown_town.status_code == 400 and "commune inconnue" in unknown_town.json()["detail"].lower()


def test_a_leads_detail_holds_its_shifts_hours_and_attestations_comment_and_name_for_contact_viewers(
    api: TestClient, api_settings: Settings
) -> None:
    """The right of access through the API too: what came after the first yes, as the lead page shows it."""
    now = datetime.now(timezone.utc)
    with session_scope(api_settings.database_url) as session:
        julie = session.query(models.Volunteer).filter_by(sender_id="julie").one()
        mission = session.query(models.Mission).order_by(models.Mission.id).first()
        assert mission is not None
        starts = now - timedelta(days=2)
        shift = models.Shift(mission_id=mission.id, starts_at=starts, ends_at=starts + timedelta(hours=2), places=2)
        session.add(shift)
        session.flush()
        signup = models.Signup(shift_id=shift.id, volunteer_id=julie.id, rating=4, comment="Bonne équipe")
        session.add(signup)
        session.flush()
        assert hours.record_checkin_hours(session, signup_id=signup.id, minutes=90, now=now).ok
        start, end = (now - timedelta(days=30)).date(), now.date()
        assert create_link(session, api_settings, volunteer_id=julie.id, start=start, end=end, full_name="Julie Martin")
        lead_id, title = julie.id, mission.title
        coordinator_token = staff.create_token(session, email=COORDINATOR[0])

    lead = api.get(f"/api/leads/{lead_id}").json()
    [booked] = lead["signups"]
    assert (booked["mission"], booked["status"], booked["rating"], booked["comment"]) == (
        title, "attended", 4, "Bonne équipe"
    )  # fmt: skip
    assert [(h["minutes"], h["source"]) for h in lead["hours"]] == [(90, "checkin")]
    assert [a["full_name"] for a in lead["attestation_links"]] == ["Julie Martin"]

    with TestClient(create_app(api_settings), headers={"Authorization": f"Bearer {coordinator_token}"}) as client:
        seen = client.get(f"/api/leads/{lead_id}").json()  # not the coordinator's lead: hidden as the contact
    assert seen["email"] is None and [s["comment"] for s in seen["signups"]] == [None]
    assert [s["rating"] for s in seen["signups"]] == [4] and [h["minutes"] for h in seen["hours"]] == [90]
    assert [a["full_name"] for a in seen["attestation_links"]] == [None]


def test_status_change_through_the_api(api: TestClient, api_settings: Settings) -> None:
    lead_id = api.get("/api/leads", params={"q": "julie"}).json()["items"][0]["id"]
    moved = api.post(f"/api/leads/{lead_id}/status", json={"status": "contacté"})
    assert moved.status_code == 200 and moved.json()["status"] == "contacté"
    refused = api.post(f"/api/leads/{lead_id}/status", json={"status": "refusé"})
    assert refused.status_code == 400 and refused.json()["detail"] == "Indiquez la raison du refus."
    with session_scope(api_settings.database_url) as session:
        entry = session.query(models.AuditEntry).filter_by(action="status").one()
        assert entry.actor.startswith("api:staff:") and entry.subject == f"volunteer:{lead_id}"


def test_missions_create_update_list_and_suggestions(api: TestClient) -> None:
    body = {"id": "API1", "title": "Accueil du samedi", "town": "Villeurbanne", "places": 2,
            "skills": ["logistics"], "schedule": [{"day": "saturday", "period": "morning"}]}  # fmt: skip
    created = api.post("/api/missions", json=body)
    assert created.status_code == 201 and created.json()["city"] == "Villeurbanne"
    assert created.json()["urgent"] is False
    assert api.post("/api/missions", json=body).status_code == 400  # id taken
    updated = api.put("/api/missions/API1", json={**body, "title": "Accueil", "places": 4, "urgent": True})
    assert updated.json()["places_left"] == 4 and updated.json()["title"] == "Accueil"
    assert updated.json()["urgent"] is True
    bad = api.put("/api/missions/API1", json={**body, "skills": ["danse"]})
    assert bad.status_code == 400 and "compétence inconnue 'danse'" in bad.json()["detail"]
    needing = api.get("/api/missions", params={"needing_volunteers": True, "per_page": 200}).json()
    assert "API1" in [m["id"] for m in needing["items"]]
    suggestions = api.get("/api/missions/API1/suggestions").json()
    assert suggestions[0]["first_name"] == "Julie" and any("logistique" in r for r in suggestions[0]["reasons"])


def test_openapi_describes_only_the_api(api: TestClient) -> None:
    spec = api.get("/api/openapi.json").json()
    assert all(path.startswith("/api/") for path in spec["paths"])
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


@pytest.fixture(scope="module")
def fuzz_schema(api_settings: Settings) -> object:
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(api_settings))


def _fuzz(operation: object, token: str, calls: list[str], failures: list[tuple[str, int, str]]) -> None:
    """Run one operation with generated data, valid and invalid, noting every 5xx."""
    from hypothesis import HealthCheck, given, settings

    label = operation.label  # type: ignore[attr-defined]

    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: object) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})  # type: ignore[attr-defined]
        calls.append(label)
        if response.status_code >= 500:
            failures.append((label, response.status_code, response.text[:300]))

    check()


def test_schemathesis_finds_no_server_error(fuzz_schema: object, token: str) -> None:
    """Every operation of /api/openapi.json, fuzzed by schemathesis, never answers 5xx."""
    calls: list[str] = []
    failures: list[tuple[str, int, str]] = []
    operations = list(fuzz_schema.get_all_operations())  # type: ignore[attr-defined]
    for result in operations:
        _fuzz(result.ok(), token, calls, failures)
    assert len(operations) >= 9  # 8, and a mission's shifts (issue 18)
    assert len(set(calls)) == len(operations) and len(calls) >= len(operations) * 10  # every operation, many times
    assert failures == []
