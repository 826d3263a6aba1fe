"""A volunteer whose first name is `<script>alert(1)</script>` appears escaped on every console page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.config import Settings
from bot.store import models, volunteers
from bot.store.session import session_scope
from tests.bot.console.conftest import XSS, add_volunteer, csrf_of

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_script_first_name_is_escaped_everywhere(admin: TestClient, console_settings: Settings) -> None:
    url = console_settings.database_url
    lead = add_volunteer(url, sender_id="xss-everywhere", first_name=XSS, email="x@exemple.fr", skills=("logistics",))
    with session_scope(url) as session:
        volunteer = session.get(models.Volunteer, lead)
        volunteers.record_application(session, volunteer=volunteer, mission_id="M004")
        volunteers.record_handoff(session, channel="rest", sender_id="xss-everywhere")
    page = admin.get(f"/console/leads/{lead}")
    admin.post(f"/console/leads/{lead}/notes", data={"text": XSS, "csrf_token": csrf_of(page.text)})
    pages = {
        "list": "/console/leads",
        "search": "/console/leads?q=script",
        "lead": f"/console/leads/{lead}",
        "edit": f"/console/leads/{lead}/edit",
        "erase": f"/console/leads/{lead}/erase",
        "mission (interested)": "/console/missions/M004",
        "mission (suggested)": "/console/missions/M001",
        "handoffs": "/console/handoffs",
        "dashboard": "/console/",
        "audit": "/console/admin/audit",
    }
    for name, path in pages.items():
        response = admin.get(path)
        assert response.status_code == 200, name
        assert XSS not in response.text, name
        assert "<script" not in response.text, name  # the console itself ships no script at all
        if name not in ("dashboard", "audit"):
            assert ESCAPED in response.text, name
    assert admin.get(f"/console/leads/{lead}/export.json").headers["x-content-type-options"] == "nosniff"
