"""One-click invitation, end to end: the console asks the real Rasa server (HTTP API with its token)
to run `mission_invitation` in the volunteer's conversation; the assistant presents the mission with
its reasons and buttons, and the volunteer applies through the existing flow."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.console.transcript import read_transcript
from bot.profile import TimeSlot
from bot.serve import running_assistant
from bot.store import models
from bot.store.session import session_scope
from bot.web_app import create_app
from tests.bot.console.conftest import ADMIN, add_volunteer, csrf_of, login, make_settings, seed_missions, seed_staff
from tests.conftest import free_port


@pytest.fixture(scope="module")
def live(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    folder = tmp_path_factory.mktemp("invitation")
    action_port = free_port()
    settings = make_settings(
        folder, rasa_host="127.0.0.1", rasa_port=free_port(), action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
    )  # fmt: skip
    seed_staff(settings.database_url)
    seed_missions(settings.database_url, settings)
    with running_assistant(settings, trained_model, log_dir=folder / "logs") as webhook:
        yield settings, webhook


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
