"""End to end: the real action server and Rasa server, driven over HTTP like any channel.

The servers are started once for this module, exactly as `make run` starts them (bot.serve),
on free ports with their own SQLite databases, with the model trained once for the test run;
then once more with the speed patches off, so every test here also checks Rasa as shipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from bot.config import Settings
from bot.serve import prepare_database, running_assistant
from bot.store import models
from bot.store.session import session_scope
from tests.conftest import exported_volunteers, free_port

pytestmark = pytest.mark.e2e


class Assistant:
    """A REST client for the running assistant."""

    def __init__(self, webhook: str, settings: Settings, logs: Path) -> None:
        self.webhook = webhook
        self.settings = settings
        self.logs = logs

    def say(self, sender: str, message: str) -> list[dict]:
        """Send one message; return the assistant's replies."""
        response = requests.post(self.webhook, json={"sender": sender, "message": message}, timeout=60)
        assert response.status_code == 200
        return response.json()

    def texts(self, sender: str, message: str) -> str:
        """Send one message; return every reply's text, joined."""
        return "\n".join(reply.get("text", "") for reply in self.say(sender, message))

    def export(self) -> list[dict]:
        """`bot volunteers export --format json`, run as a user would, on this test's database."""
        return exported_volunteers(self.settings.database_url)

    def volunteer(self, sender: str) -> dict | None:
        """The exported volunteer behind a sender id, if any."""
        return next((row for row in self.export() if row["sender_id"] == sender), None)


@pytest.fixture(scope="module", params=["1", "0"], ids=["speedups on", "speedups off"])
def assistant(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Assistant]:
    """Served with the speed patches (as `make run` does), then without them: Rasa as shipped (bot/rasa/speedups)."""
    folder = tmp_path_factory.mktemp("assistant")
    action_port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{folder / 'bot.db'}",
        tracker_store_url=f"sqlite:///{folder / 'tracker.db'}",
        rasa_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
        rasa_speedups=request.param,
    )
    prepare_database(settings)
    with running_assistant(settings, trained_model, log_dir=folder / "logs") as webhook:
        said = "speed patches on: actions" if request.param == "1" else "speed patches off"
        assert said in (folder / "logs" / "rasa.log").read_text(encoding="utf-8")
        yield Assistant(webhook, settings, folder / "logs")


def test_full_onboarding_in_french_ends_with_a_stored_profile_and_proposals(assistant: Assistant) -> None:
    sender = "e2e-julie"
    assert "bénévolat" in assistant.texts(sender, "bonjour")
    consent = assistant.texts(sender, "je voudrais devenir bénévole")
    assert "24 mois" in consent and "supprimez mes données" in consent
    assert assistant.volunteer(sender) is None  # nothing stored before consent and confirmation

    assert "prénom" in assistant.texts(sender, "oui j'accepte")
    # one message fills four fields; the next question is the first one still missing
    assert "âge" in assistant.texts(sender, "Je m'appelle Julie, infirmière à Villeurbanne, dispo le samedi matin")
    assert "causes" in assistant.texts(sender, "34 ans")
    assert "recontacter" in assistant.texts(sender, "la santé et la solidarité")
    assert "exemple.fr" in assistant.texts(sender, "julie.martin@exemple")  # invalid: asked again with an example
    summary = assistant.texts(sender, "julie.martin@exemple.fr")
    assert "Villeurbanne (69100)" in summary and "le samedi matin" in summary

    corrected = assistant.texts(sender, "en fait plutôt le dimanche matin")
    assert "le dimanche matin" in corrected and "samedi" not in corrected
    replies = assistant.say(sender, "oui c'est correct")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "Merci Julie" in text and text.count("Pourquoi") == 3
    apply_buttons = [b for r in replies for b in r.get("buttons", []) if b["payload"].startswith("/apply")]
    assert len(apply_buttons) == 3

    assert "C'est noté" in assistant.texts(sender, apply_buttons[0]["payload"])

    stored = assistant.volunteer(sender)
    assert stored is not None
    assert (stored["first_name"], stored["city"], stored["postcode"]) == ("Julie", "Villeurbanne", "69100")
    assert stored["email"] == "julie.martin@exemple.fr"
    assert stored["skills"] == ["healthcare"]
    assert stored["availability"] == [{"day": "sunday", "period": "morning"}]
    assert set(stored["interests"]) == {"health", "solidarity"}
    assert stored["consent_at"] is not None and stored["status"] == "nouveau"
    assert len(stored["proposed_missions"]) == 3
    assert all(p["reasons"] for p in stored["proposed_missions"])
    with session_scope(assistant.settings.database_url) as session:
        [application] = session.execute(select(models.Application)).scalars()
        assert application.mission_id == stored["proposed_missions"][0]["id"]

    # greeted again mid-conversation: by name, but "ravi de vous revoir" only opens a session
    again = assistant.texts(sender, "bonjour")
    assert "Julie" in again and "ravi de vous revoir" not in again
    # what is stored can be read back
    assert "julie.martin@exemple.fr" in assistant.texts(sender, "qu'avez-vous sur moi ?")


def test_question_in_the_middle_of_the_profile_is_answered_then_the_profile_resumes(assistant: Assistant) -> None:
    sender = "e2e-digression"
    assistant.texts(sender, "je veux être bénévole")
    assistant.texts(sender, "d'accord")
    assistant.texts(sender, "Karim")
    answer = assistant.texts(sender, "est-ce que je suis assuré pendant les missions ?")
    assert "assur" in answer.lower() and "âge" in answer  # answered, then the age question again
    assert "commune" in assistant.texts(sender, "j'ai 25 ans")


def test_no_consent_means_nothing_stored_but_questions_answered(assistant: Assistant) -> None:
    sender = "e2e-no-consent"
    assistant.texts(sender, "Bonjour, je m'appelle Paul et je voudrais devenir bénévole")
    assert "n'enregistre rien" in assistant.texts(sender, "non merci")
    assert "Pourquoi" in assistant.texts(sender, "quelles missions avez-vous ?")
    assert assistant.volunteer(sender) is None


def test_erasure_after_confirmation_removes_the_profile(assistant: Assistant) -> None:
    sender = "e2e-forget"
    for message in ("je veux aider", "oui", "Je m'appelle Lina, j'habite à Bron", "19 ans", "je fais de la cuisine",
                    "le mercredi après-midi", "l'environnement", "06 12 34 56 78", "oui"):  # fmt: skip
        assistant.texts(sender, message)
    saved = assistant.volunteer(sender)
    assert saved is not None and saved["phone"] == "+33612345678"
    assert "définitif" in assistant.texts(sender, "supprimez mes données")
    erased = assistant.texts(sender, "oui")
    assert "supprimées" in erased and "pas sûr de bien vous suivre" not in erased  # then it waits
    assert assistant.volunteer(sender) is None


def test_handoff_request_is_recorded_and_explained(assistant: Assistant) -> None:
    sender = "e2e-handoff"
    answer = assistant.texts(sender, "je voudrais parler à quelqu'un de l'équipe")
    assert "2 jours ouvrés" in answer
    with session_scope(assistant.settings.database_url) as session:
        senders = session.execute(select(models.HandoffRequest.sender_id)).scalars().all()
    assert sender in senders


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "😀😀😀",
        "a" * 5000,
        "bonjour " * 700,
        "<script>alert('x')</script>",
        "'; DROP TABLE volunteers; --",
        "Hello, I would like to volunteer with your association",
        "?!?!",
    ],
    ids=["empty", "spaces", "emoji", "5000-chars", "long-french", "html", "sql", "english", "punctuation"],
)
def test_bad_input_gets_a_polite_answer(assistant: Assistant, message: str) -> None:
    replies = assistant.say(f"e2e-bad-{abs(hash(message))}", message)
    text = "\n".join(r.get("text", "") for r in replies)
    assert text.strip(), "the assistant must answer something"
    assert not re.search(r"Traceback|Exception|Error", text)


def test_logs_hold_no_personal_data(assistant: Assistant) -> None:
    logs = "\n".join(p.read_text(errors="replace") for p in assistant.logs.glob("*.log"))
    for personal in ("julie.martin@exemple.fr", "+33612345678", "Villeurbanne"):
        assert personal not in logs


def test_the_assistant_can_be_made_to_speak_through_its_http_api_with_the_token(assistant: Assistant) -> None:
    from dataclasses import replace

    from bot.assistant_api import trigger_intent
    from bot.errors import AssistantUnavailableError

    messages = trigger_intent(assistant.settings, sender_id="e2e-api", intent="greet")
    assert "bénévolat" in " ".join(m.get("text", "") for m in messages)
    with pytest.raises(AssistantUnavailableError, match="HTTP 401"):
        trigger_intent(replace(assistant.settings, rasa_api_token="wrong"), sender_id="e2e-api", intent="greet")


def test_the_model_is_warmed_up_before_the_server_says_it_is_ready(assistant: Assistant) -> None:
    # bot serve waits for GET /webhooks/rest/ to answer 200, which it does only after the warm-up
    health = requests.get(assistant.webhook.rsplit("/", 1)[0] + "/", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert "model warmed up in" in (assistant.logs / "rasa.log").read_text(encoding="utf-8")


def test_declined_missions_are_asked_why_counted_on_the_dashboard_and_not_proposed_again(assistant: Assistant) -> None:
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from bot.assistant_api import trigger_intent
    from bot.web_app import create_app
    from tests.bot.console.conftest import ADMIN, login, seed_staff

    sender = "e2e-declines"
    for message in ("je veux aider", "oui", "Je m'appelle Inès, j'habite à Bron", "40 ans", "je fais de la cuisine",
                    "le samedi matin", "la solidarité", "ines@exemple.fr"):  # fmt: skip
        assistant.texts(sender, message)
    first = [b["payload"] for r in assistant.say(sender, "oui") for b in r.get("buttons", [])]
    proposed = {p.split('"')[3] for p in first if p.startswith("/apply")}
    assert len(proposed) == 3

    asked = assistant.say(sender, "aucune ne me convient")
    buttons = {b["title"]: b["payload"] for r in asked for b in r.get("buttons", [])}
    assert {"Trop loin", "Pas les bons jours", "Pas ma cause", "Autre raison", "Passer"} <= set(buttons)
    assert "L'équipe en tiendra compte" in assistant.texts(sender, buttons["Trop loin"])
    with session_scope(assistant.settings.database_url) as session:
        rows = session.execute(select(models.Decline.mission_id, models.Decline.reason)).all()
    assert sorted(rows) == sorted((mission, "too_far") for mission in proposed)

    console = replace(assistant.settings, secret_key="e2e-console-secret")
    seed_staff(console.database_url)
    with TestClient(create_app(console)) as client:
        page = login(client, *ADMIN).get("/console/").text
    declines = page.split('id="declines"', 1)[1]
    assert re.search(r">Trop loin</text><rect[^>]*/><text[^>]*>3<", declines)

    again = [b["payload"] for r in assistant.say(sender, "d'autres missions") for b in r.get("buttons", [])]
    proposed_again = {p.split('"')[3] for p in again if p.startswith("/apply")}
    assert proposed_again and proposed.isdisjoint(proposed_again)

    # words typed instead of a button are the reason, kept as written; then no more proposals
    assistant.texts(sender, "aucune ne me convient")
    assert "L'équipe en tiendra compte" in assistant.texts(sender, "je préfère aider le dimanche")
    with session_scope(assistant.settings.database_url) as session:
        words = session.execute(select(models.Decline.text).where(models.Decline.reason == "other")).scalars().all()
    assert words and set(words) == {"je préfère aider le dimanche"}
    assert "voir les missions" in assistant.texts(sender, "/stop_proposals")
    with session_scope(assistant.settings.database_url) as session:
        volunteer = session.execute(select(models.Volunteer).where(models.Volunteer.sender_id == sender)).scalar_one()
        assert volunteer.proposals_opt_out_at is not None

    # an invitation declined with "Non merci": the reason is asked, "Passer" leaves it unknown
    mission = next(m for m in ("M005", "M006", "M007", "M008") if m not in proposed | proposed_again)
    invitation = trigger_intent(
        assistant.settings, sender_id=sender, intent="mission_invitation", entities={"mission_id": mission}
    )
    no_thanks = next(b["payload"] for m in invitation for b in m.get("buttons", []) if b["title"] == "Non merci")
    assert no_thanks == f'/decline_missions{{"mission_id": "{mission}"}}'
    skip = next(
        b["payload"] for r in assistant.say(sender, no_thanks) for b in r.get("buttons", []) if b["title"] == "Passer"
    )
    assert "Pas de souci" in assistant.texts(sender, skip)
    with session_scope(assistant.settings.database_url) as session:
        invited = session.execute(select(models.Decline.reason).where(models.Decline.mission_id == mission)).scalars()
        assert list(invited) == ["unknown"]
