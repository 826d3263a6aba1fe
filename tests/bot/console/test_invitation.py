"""One-click invitation, end to end: the console asks the real Rasa server (HTTP API with its token)
to run `mission_invitation` in the volunteer's conversation; the assistant presents the mission with
its reasons and buttons, and the volunteer applies through the existing flow."""

from __future__ import annotations

import html

import pytest
import requests
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.console.transcript import read_transcript
from bot.profile import TimeSlot
from bot.store import models
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import ADMIN, TakeoverServers, add_volunteer, csrf_of, login


@pytest.fixture()
def live(takeover_servers: TakeoverServers) -> tuple[Settings, str]:
    """The servers the takeover tests use too (one Rasa start for the console's live tests)."""
    return takeover_servers.settings, takeover_servers.webhook


def test_invitation_delivered_by_the_assistant_then_accepted(live: tuple[Settings, str]) -> None:
    settings, webhook = live
    slots = (TimeSlot("wednesday", "afternoon"),)
    lead = add_volunteer(settings.database_url, sender_id="inv-julie", first_name="Julie", skills=("logistics",),
                         availability=slots)  # fmt: skip
    greeting = requests.post(webhook, json={"sender": "inv-julie", "message": "bonjour"}, timeout=60).json()
    assert "Julie" in " ".join(r.get("text", "") for r in greeting)  # a returning volunteer

    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        page = console.get("/console/missions/M001")
        assert "Julie" in page.text.split('<table id="suggestions">', 1)[1]
        sent = console.post(
            "/console/missions/M001/inviter", data={"volunteer_id": str(lead), "csrf_token": csrf_of(page.text)}
        )
        assert sent.status_code == 200
        assert "Invitation envoyée" in html.unescape(sent.text), sent.text[-2000:]
        assert "Inviter à nouveau" in sent.text
        lead_page = console.get(f"/console/leads/{lead}")
        assert "Préparation des colis alimentaires" in lead_page.text.split("Invitations envoyées", 1)[1]

    transcript = read_transcript(settings.tracker_store_url, "inv-julie")
    invitation = next(turn for turn in transcript if "L'équipe a pensé à vous" in turn.text)
    assert "« Préparation des colis alimentaires »" in invitation.text
    assert "Pourquoi :" in invitation.text and "logistique" in invitation.text
    assert invitation.buttons == ("Ça m'intéresse", "Non merci", "Ne plus recevoir de propositions")

    answer = requests.post(webhook, json={"sender": "inv-julie", "message": '/apply{"mission_id": "M001"}'}, timeout=60)
    assert "C'est noté" in " ".join(r.get("text", "") for r in answer.json())
    with session_scope(settings.database_url) as session:
        assert session.query(models.Invitation).filter_by(volunteer_id=lead, mission_id="M001").count() == 1
        assert session.query(models.Application).filter_by(volunteer_id=lead, mission_id="M001").count() == 1
        proposal = session.query(models.Proposal).filter_by(volunteer_id=lead, mission_id="M001").one()
        assert any("logistique" in reason for reason in proposal.reasons)


def test_declining_an_invitation(live: tuple[Settings, str]) -> None:
    settings, webhook = live
    lead = add_volunteer(settings.database_url, sender_id="inv-marc", first_name="Marc", skills=("listening",))
    requests.post(webhook, json={"sender": "inv-marc", "message": "bonjour"}, timeout=60)
    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        page = console.get("/console/missions/M005")
        sent = console.post(
            "/console/missions/M005/inviter", data={"volunteer_id": str(lead), "csrf_token": csrf_of(page.text)}
        )
        assert "Invitation envoyée" in html.unescape(sent.text)
    no_thanks = '/decline_missions{"mission_id": "M005"}'
    answer = requests.post(webhook, json={"sender": "inv-marc", "message": no_thanks}, timeout=60).json()
    assert "qu'est-ce qui ne vous convenait pas" in " ".join(r.get("text", "") for r in answer)
    with session_scope(settings.database_url) as session:
        declined = session.query(models.Decline).filter_by(volunteer_id=lead).one()
        assert (declined.mission_id, declined.reason) == ("M005", "unknown")
