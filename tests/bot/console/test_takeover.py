"""Staff take a conversation over, end to end through the real Rasa server (HTTP API with its token):
the person is told, the assistant stays silent while staff hold it, staff messages are stored with
who wrote them, one holder at a time, bad input answered clearly, and the hand-back (by hand or after
a silence) gives the conversation back to the assistant."""

from __future__ import annotations

import html
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests
from fastapi.testclient import TestClient

from bot import assistant_api
from bot.config import Settings
from bot.console.transcript import read_transcript
from bot.privacy import erase_person
from bot.store import conversations, models
from bot.store import takeovers as takeover_store
from bot.store.session import session_scope
from bot.takeover import hand_back_silent, pending_question, restored_slots
from bot.web_app import create_app
from tests.bot.console.conftest import (
    ADMIN,
    COORDINATOR,
    TakeoverServers,
    add_volunteer,
    csrf_of,
    login,
    seed_missions,
)


@pytest.fixture()
def live(takeover_servers: TakeoverServers) -> tuple[Settings, str]:
    return takeover_servers.settings, takeover_servers.webhook


def say(webhook: str, sender: str, text: str) -> list[str]:
    answer = requests.post(webhook, json={"sender": sender, "message": text}, timeout=60)
    assert answer.status_code == 200, answer.text
    return [message.get("text", "") for message in answer.json()]


def form(client: TestClient, url: str, **data: str) -> requests.Response:
    page = client.get(url.rsplit("/", 1)[0] if url.endswith(("/prendre", "/rendre", "/message")) else url)
    return client.post(url, data={"csrf_token": csrf_of(page.text), **data})  # type: ignore[return-value]


def held(settings: Settings, sender_id: str) -> models.Takeover | None:
    with session_scope(settings.database_url) as session:
        found = takeover_store.open_for(session, sender_id=sender_id)
        if found is not None:
            session.expunge(found)
        return found


def test_take_over_write_and_hand_back(live: tuple[Settings, str]) -> None:
    settings, webhook = live
    lead = add_volunteer(settings.database_url, sender_id="to-anne", first_name="Anne")
    assert say(webhook, "to-anne", "bonjour")  # the assistant answers
    page_url = f"/console/conversations/lead/{lead}"
    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        page = console.get(page_url)
        assert "L'assistant répond à cette personne." in html.unescape(page.text)
        taken = form(console, f"{page_url}/prendre")
        assert "Vous tenez la conversation" in html.unescape(taken.text)
        assert held(settings, "to-anne") is not None
        joined = read_transcript(settings.tracker_store_url, "to-anne")[-1]
        assert "Admin, de l'équipe, a rejoint la conversation" in joined.text and joined.staff == ADMIN[0]

        # The assistant is silent; what the person writes reaches the console.
        last = joined.id
        assert say(webhook, "to-anne", "super, j'ai une question sur l'assurance") == []
        new = console.get(f"{page_url}/messages", params={"after": last}).json()
        assert [t["text"] for t in new["turns"]] == ["super, j'ai une question sur l'assurance"]
        assert new["held_by"] == ADMIN[0] and new["mine"] is True

        sent = console.post(
            f"{page_url}/message",
            data={"text": "Bonjour Anne, vous êtes couverte.", "csrf_token": csrf_of(page.text)},
            headers={"Accept": "application/json"},
        )
        assert sent.json() == {"sent": True}
        staff_turn = read_transcript(settings.tracker_store_url, "to-anne")[-1]
        assert staff_turn.text == "Admin (équipe) : Bonjour Anne, vous êtes couverte."
        assert staff_turn.staff == ADMIN[0]

        # Bad input: a clear answer, the text kept in the field, nothing sent.
        for text, expected in (("   ", "Le message est vide"), ("x" * 10_000, "10000 caractères, 4000 au plus")):
            refused = console.post(f"{page_url}/message", data={"text": text, "csrf_token": csrf_of(page.text)})
            assert refused.status_code == 400 and expected in html.unescape(refused.text)
        assert ("x" * 10_000) in refused.text  # the draft is still there
        assert read_transcript(settings.tracker_store_url, "to-anne")[-1].id == staff_turn.id

        back = form(console, f"{page_url}/rendre")
        assert "L'assistant a repris la conversation" in html.unescape(back.text)
        assert held(settings, "to-anne") is None
        assert "a rendu la main à l'assistant" in read_transcript(settings.tracker_store_url, "to-anne")[-1].text
        assert say(webhook, "to-anne", "bonjour")  # the assistant answers again

    with session_scope(settings.database_url) as session:
        actions = [
            e.action for e in session.query(models.AuditEntry).filter(models.AuditEntry.subject.like("takeover:%"))
        ]
        assert actions == ["takeover", "message", "handback"]


def test_one_holder_at_a_time(live: tuple[Settings, str]) -> None:
    settings, webhook = live
    say(webhook, "to-sans-profil", "je voudrais parler à quelqu'un")
    with session_scope(settings.database_url) as session:
        request = session.query(models.HandoffRequest).filter_by(sender_id="to-sans-profil").one()
    page_url = f"/console/conversations/handoff/{request.id}"
    with TestClient(create_app(settings)) as admin, TestClient(create_app(settings)) as coordinator:
        login(admin, *ADMIN)
        login(coordinator, *COORDINATOR)
        assert "Vous tenez" in html.unescape(form(coordinator, f"{page_url}/prendre").text)
        refused = form(admin, f"{page_url}/prendre")
        assert "Un autre membre de l'équipe tient déjà cette conversation" in html.unescape(refused.text)
        assert f"{COORDINATOR[0]} tient cette conversation depuis" in html.unescape(refused.text)
        not_holder = admin.post(
            f"{page_url}/message", data={"text": "bonjour", "csrf_token": csrf_of(admin.get(page_url).text)}
        )
        assert not_holder.status_code == 400 and "Vous ne tenez pas cette conversation" in html.unescape(
            not_holder.text
        )
        form(admin, f"{page_url}/rendre")  # an administrator may give it back
        assert held(settings, "to-sans-profil") is None


def test_silence_hands_back_by_itself(live: tuple[Settings, str]) -> None:
    settings, webhook = live
    say(webhook, "to-silence", "bonjour")
    say(webhook, "to-silence", "je voudrais parler à quelqu'un")
    with session_scope(settings.database_url) as session:
        request = session.query(models.HandoffRequest).filter_by(sender_id="to-silence").one()
    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        form(console, f"/console/conversations/handoff/{request.id}/prendre")
    hand_back_silent(settings, now=datetime.now(timezone.utc) + timedelta(minutes=10))
    assert held(settings, "to-silence") is not None  # 10 minutes: not yet
    hand_back_silent(settings, now=datetime.now(timezone.utc) + timedelta(minutes=31))
    assert held(settings, "to-silence") is None
    assert "l'assistant reprend la conversation" in read_transcript(settings.tracker_store_url, "to-silence")[-1].text
    assert say(webhook, "to-silence", "bonjour")


def test_a_conversation_erased_meanwhile(live: tuple[Settings, str]) -> None:
    settings, webhook = live
    lead = add_volunteer(settings.database_url, sender_id="to-efface", first_name="Eva")
    say(webhook, "to-efface", "bonjour")
    page_url = f"/console/conversations/lead/{lead}"
    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        form(console, f"{page_url}/prendre")
        page = console.get(page_url)
        conversations.delete_conversation(settings.tracker_store_url, "to-efface")  # the conversation alone
        refused = console.post(f"{page_url}/message", data={"text": "bonjour", "csrf_token": csrf_of(page.text)})
        assert refused.status_code == 400
        assert "Cette conversation a été effacée entre-temps" in html.unescape(refused.text)
        assert held(settings, "to-efface") is None
        say(webhook, "to-efface", "bonjour")
        form(console, f"{page_url}/prendre")
        erase_person(settings, channel=None, sender_id="to-efface", actor="test")  # everything
        gone = console.post(f"{page_url}/message", data={"text": "bonjour", "csrf_token": csrf_of(page.text)})
        assert gone.status_code == 404  # the lead itself is gone: the console's "not found" page
    with session_scope(settings.database_url) as session:
        assert session.query(models.Takeover).filter_by(sender_id="to-efface").count() == 0
    assert read_transcript(settings.tracker_store_url, "to-efface") == []


def test_hand_back_puts_back_what_the_pause_changed() -> None:
    tracker = {
        "events": [
            {"event": "slot", "name": "place", "value": None},
            {"event": "slot", "name": "first_name", "value": "Anne"},
            {"event": "pause"},
            {"event": "user", "text": "j'habite à Lyon"},
            {"event": "slot", "name": "place", "value": "Lyon"},
        ],
        "active_loop": {"name": "profile_form"},
        "slots": {"requested_slot": "place"},
    }
    assert restored_slots(tracker) == [{"event": "slot", "name": "place", "value": None}]
    assert pending_question(tracker) == "utter_ask_place"
    assert pending_question({"active_loop": {}, "slots": {}}) is None


def test_a_request_made_before_the_profile_follows_the_leads_rules(live: tuple[Settings, str]) -> None:
    """Review finding: a request recorded before the profile gave any coordinator the lead's conversation."""
    settings, webhook = live
    say(webhook, "to-dave", "je voudrais parler à quelqu'un")
    with session_scope(settings.database_url) as session:
        request = session.query(models.HandoffRequest).filter_by(sender_id="to-dave").one()
        assert request.volunteer_id is None
    lead = add_volunteer(settings.database_url, sender_id="to-dave", first_name="Dave")  # the profile comes after
    with TestClient(create_app(settings)) as coordinator:
        login(coordinator, *COORDINATOR)  # who does not follow Dave
        for path in ("", "/messages"):
            assert coordinator.get(f"/console/conversations/handoff/{request.id}{path}").status_code == 403
        assert coordinator.get(f"/console/handoffs/{request.id}").url.path == f"/console/leads/{lead}"
        page = coordinator.get("/console/handoffs")
        refused = coordinator.post(
            f"/console/conversations/handoff/{request.id}/prendre", data={"csrf_token": csrf_of(page.text)}
        )
        assert refused.status_code == 403
    assert held(settings, "to-dave") is None


def test_two_hand_backs_at_once_tell_the_person_once(live: tuple[Settings, str]) -> None:
    """Review finding: two clicks (or two processes) handed back twice and told the person twice."""
    settings, webhook = live
    lead = add_volunteer(settings.database_url, sender_id="to-double", first_name="Paul")
    say(webhook, "to-double", "bonjour")
    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        form(console, f"/console/conversations/lead/{lead}/prendre")
    with session_scope(settings.database_url) as session:
        takeover_id = takeover_store.open_for(session, sender_id="to-double").id  # type: ignore[union-attr]
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: hand_back_silent(settings, now=later), range(3)))
    notices = [
        t for t in read_transcript(settings.tracker_store_url, "to-double") if "reprend la conversation" in t.text
    ]
    assert len(notices) == 1
    with session_scope(settings.database_url) as session:
        entries = session.query(models.AuditEntry).filter_by(action="handback", subject=f"takeover:{takeover_id}")
        assert entries.count() == 1


def test_asking_to_erase_while_held_goes_back_to_the_assistant(live: tuple[Settings, str]) -> None:
    """Review finding: a request to erase one's data, written while staff held the conversation, waited unseen."""
    settings, webhook = live
    lead = add_volunteer(settings.database_url, sender_id="to-droits", first_name="Rita")
    say(webhook, "to-droits", "bonjour")
    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        form(console, f"/console/conversations/lead/{lead}/prendre")
    assert say(webhook, "to-droits", "je veux effacer toutes mes données personnelles") == []
    hand_back_silent(settings)  # the web app's watch, a few seconds later
    assert held(settings, "to-droits") is None
    last = " ".join(t.text for t in read_transcript(settings.tracker_store_url, "to-droits")[-3:])
    assert "Voulez-vous vraiment supprimer toutes les données" in last  # the assistant asks to confirm the erasure


def test_an_erasure_during_the_takeover_is_not_undone(
    live: tuple[Settings, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding: an erasure between the check and Rasa's answer let Rasa start the conversation again."""
    settings, webhook = live
    say(webhook, "to-course", "je voudrais parler à quelqu'un")
    with session_scope(settings.database_url) as session:
        request = session.query(models.HandoffRequest).filter_by(sender_id="to-course").one()
    real_append = assistant_api.append_events

    def erase_then_append(settings: Settings, *, sender_id: str, events: list[dict[str, object]]) -> None:
        erase_person(settings, channel=None, sender_id=sender_id, actor="test")  # the erasure lands in between
        real_append(settings, sender_id=sender_id, events=events)

    monkeypatch.setattr(assistant_api, "append_events", erase_then_append)
    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        page = console.get(f"/console/conversations/handoff/{request.id}")
        answer = console.post(
            f"/console/conversations/handoff/{request.id}/prendre", data={"csrf_token": csrf_of(page.text)}
        )
        assert answer.status_code == 404 and "Cette demande n'existe pas" in html.unescape(answer.text)
    assert conversations.count_events(settings.tracker_store_url, "to-course") == 0
    with session_scope(settings.database_url) as session:
        assert session.query(models.Takeover).filter_by(sender_id="to-course").count() == 0


def test_odd_input_to_the_live_view(live: tuple[Settings, str]) -> None:
    settings, webhook = live
    say(webhook, "to-odd", "je voudrais parler à quelqu'un")
    with session_scope(settings.database_url) as session:
        request = session.query(models.HandoffRequest).filter_by(sender_id="to-odd").one()
    url = f"/console/conversations/handoff/{request.id}"
    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        for after in ("9223372036854775808", "-5", "abc"):
            assert console.get(f"{url}/messages", params={"after": after}).status_code == 400
        shown = console.get(url, params={"err": "Session expirée, reconnectez-vous sur https://evil.example"})
        assert "evil.example" not in shown.text  # only known codes are shown
        form(console, f"{url}/prendre")
        page = console.get(url)
        sent = console.post(
            f"{url}/message",
            data={"text": "a\x00b \u202eelbissiv", "csrf_token": csrf_of(page.text)},
            headers={"Accept": "application/json"},
        )
        assert sent.json() == {"sent": True}
        assert read_transcript(settings.tracker_store_url, "to-odd")[-1].text.endswith("a b elbissiv")
        form(console, f"{url}/rendre")


def test_no_invitation_into_a_held_conversation(live: tuple[Settings, str]) -> None:
    """The assistant is silent there: the console says so instead of "invitation envoyée"."""
    settings, webhook = live
    seed_missions(settings.database_url, settings)
    lead = add_volunteer(settings.database_url, sender_id="to-invite", first_name="Ines")
    say(webhook, "to-invite", "bonjour")
    with TestClient(create_app(settings)) as console:
        login(console, *ADMIN)
        form(console, f"/console/conversations/lead/{lead}/prendre")
        page = console.get("/console/missions/M001")
        refused = console.post(
            "/console/missions/M001/inviter", data={"volunteer_id": str(lead), "csrf_token": csrf_of(page.text)}
        )
        assert "Un membre de l'équipe tient la conversation de cette personne" in html.unescape(refused.text)
        form(console, f"/console/conversations/lead/{lead}/rendre")
    with session_scope(settings.database_url) as session:
        assert session.query(models.Invitation).filter_by(volunteer_id=lead).count() == 0
