"""The urgent call end to end: the real Rasa server delivers the invitation into the volunteer's
conversation with its reasons, and the console's mission page shows who sent it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import requests
from fastapi.testclient import TestClient

from bot.console.transcript import read_transcript
from bot.missions import read_missions
from bot.profile import TimeSlot
from bot.serve import running_assistant
from bot.store import missions, models
from bot.store.session import session_scope
from bot.urgent import call_volunteers
from bot.web_app import create_app
from tests.bot.console.conftest import ADMIN, add_volunteer, login, make_settings, seed_staff
from tests.conftest import free_port


def test_an_urgent_mission_invites_a_volunteer_through_the_assistant(trained_model: Path, tmp_path: Path) -> None:
    action_port = free_port()
    settings = make_settings(
        tmp_path, rasa_host="127.0.0.1", rasa_port=free_port(), action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
    )  # fmt: skip
    seed_staff(settings.database_url)
    demo = {m.id: m for m in read_missions(settings.association_path / "missions.yml")}
    with session_scope(settings.database_url) as session:
        missions.upsert(session, [dataclasses.replace(demo["M001"], urgent=True, places_filled=0)])
    lead = add_volunteer(settings.database_url, sender_id="urgent-julie", first_name="Julie",
                         skills=("logistics",), availability=(TimeSlot("wednesday", "afternoon"),))  # fmt: skip

    with running_assistant(settings, trained_model, log_dir=tmp_path / "logs") as webhook:
        requests.post(webhook, json={"sender": "urgent-julie", "message": "bonjour"}, timeout=60).raise_for_status()
        # REST cannot be written to first, so the default call leaves it out; naming it here lets the test
        # read the invitation in the conversation, where Rasa puts it for Telegram and the bubble alike.
        assert call_volunteers(settings, channels=frozenset({"rest"})) == 1
        assert call_volunteers(settings, channels=frozenset({"rest"})) == 0

        transcript = read_transcript(settings.tracker_store_url, "urgent-julie")
        invitation = next(turn for turn in transcript if "« Préparation des colis alimentaires »" in turn.text)
        assert "Pourquoi :" in invitation.text and "logistique" in invitation.text
        assert invitation.buttons == ("Ça m'intéresse", "Non merci", "Ne plus recevoir de propositions")
        with session_scope(settings.database_url) as session:
            sent = session.query(models.Invitation).filter_by(volunteer_id=lead, mission_id="M001").one()
            assert (sent.kind, sent.staff_id) == ("urgent", None)
            proposal = session.query(models.Proposal).filter_by(volunteer_id=lead, mission_id="M001").one()
            assert any("logistique" in reason for reason in proposal.reasons)

        with TestClient(create_app(settings)) as console:
            login(console, *ADMIN)
            page = console.get("/console/missions/M001").text
    invitations = page.split('<table id="invitations">', 1)[1].split("</table>", 1)[0]
    assert "Julie" in invitations and "appel urgent automatique" in invitations
    suggestions = page.split('<table id="suggestions">', 1)[1].split("</table>", 1)[0]
    assert "Julie" in suggestions and "déjà invité(e)" in suggestions
    assert '<span class="badge urgent">urgente</span>' in page
