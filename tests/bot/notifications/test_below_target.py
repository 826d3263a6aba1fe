"""A full mission losing a confirmed volunteer alerts staff once per drop (store on both databases, console form)."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient
from sqlalchemy import delete

from bot.config import Settings
from bot.missions import Mission, read_missions
from bot.notifications import send_pending
from bot.store import missions, models
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import csrf_of, login
from tests.bot.notifications.conftest import (
    ADMIN,
    COORDINATOR,
    PUBLIC_URL,
    SmtpServer,
    add_staff,
    mail_settings,
    pending,
)


def _first_mission(settings: Settings) -> Mission:
    mission = read_missions(settings.association_path / "missions.yml")[0]
    return replace(mission, title="Maraude\r\nBcc: espion@exemple.fr", places_total=3, places_filled=3)


def _store(url: str, mission: Mission) -> None:
    with session_scope(url) as session:
        missions.upsert(session, [mission])


def test_a_drop_below_target_is_mailed_once_and_again_after_the_mission_filled_up_another_day(
    database_url: str, smtp_server: SmtpServer
) -> None:
    settings = mail_settings(database_url, smtp_server.port)
    add_staff(database_url, ADMIN)
    add_staff(database_url, COORDINATOR, "coordinator", missions=False)
    full = _first_mission(settings)
    _store(database_url, full)
    assert pending(database_url) == []

    _store(database_url, replace(full, places_filled=2))
    _store(database_url, replace(full, places_filled=1))  # already below target: no second alert
    _store(database_url, replace(full, places_total=4, places_filled=1))  # target raised: no alert either
    assert [(e.kind, e.subject) for e in pending(database_url)] == [
        ("missions", "Mission à nouveau en manque de bénévoles : Maraude Bcc: espion@exemple.fr")
    ]
    assert send_pending(settings) == 1
    [email] = smtp_server.received
    assert email["Bcc"] is None and email["To"] == ADMIN
    assert "2/3 places pourvues" in email.get_content()  # as it was when the volunteer left
    assert f"{PUBLIC_URL}/console/missions/{full.id}" in email.get_content()

    _store(database_url, replace(full, places_total=4, places_filled=4))
    _store(database_url, replace(full, places_total=4, places_filled=3))
    assert send_pending(settings) == 0  # full and short again the same day: one alert a day is enough
    with session_scope(database_url) as session:  # the next day
        session.execute(delete(models.JobRun).where(models.JobRun.kind == "below_target_day"))
    _store(database_url, replace(full, places_total=4, places_filled=4))
    _store(database_url, replace(full, places_total=4, places_filled=3))
    assert send_pending(settings) == 1
    assert len(smtp_server.received) == 2


def test_editing_a_full_mission_in_the_console_alerts_staff(sqlite_url: str, smtp_server: SmtpServer) -> None:
    settings = mail_settings(sqlite_url, smtp_server.port, secret_key="notifications-test-secret")
    add_staff(sqlite_url, ADMIN)
    full = _first_mission(settings)
    _store(sqlite_url, replace(full, title="Maraude"))
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        login(client, ADMIN, "a-long-password-1")
        form_page = client.get(f"/console/missions/{full.id}/modifier").text
        fields = _form_fields(form_page)
        fields.update(filled="2", csrf_token=csrf_of(form_page))
        response = client.post(f"/console/missions/{full.id}/modifier", data=fields, follow_redirects=False)
        assert response.status_code == 303, response.text
    assert send_pending(settings) == 1
    assert "Maraude" in smtp_server.received[0]["Subject"]


def _form_fields(html: str) -> dict[str, str]:
    """The values a browser would send back from the mission form (text inputs, ticked boxes, selected options)."""
    import re

    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        fields[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', body)
        if chosen:
            fields[name] = chosen[0]
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        fields[name] = text
    return fields
