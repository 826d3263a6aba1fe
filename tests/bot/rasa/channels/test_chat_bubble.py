"""The chat bubble's channel and web routes, without servers: signing, history, limits, pages."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings, widget_allowed_origins
from bot.rasa.channels.chat_bubble import (
    RateLimiter,
    WebChatInput,
    history_of,
    new_conversation_id,
    sign_conversation,
    verify_conversation,
)
from bot.web_app import create_app

KEY = b"a secret for the tests"


def test_a_signed_conversation_id_is_verified() -> None:
    conversation = new_conversation_id()
    assert conversation.startswith("web-") and len(conversation) == 4 + 24
    assert verify_conversation(KEY, sign_conversation(KEY, conversation)) == conversation


@pytest.mark.parametrize(
    "token",
    [
        "web-abc",  # unsigned
        "web-abc.bad-signature",
        None,
        42,
        "x" * 500,
    ],
)
def test_unsigned_forged_or_odd_tokens_are_refused(token: object) -> None:
    assert verify_conversation(KEY, token) is None


def test_a_token_altered_or_signed_with_another_secret_is_refused() -> None:
    token = sign_conversation(KEY, "web-victim")
    assert verify_conversation(b"another secret", token) is None
    assert verify_conversation(KEY, token.replace("web-victim", "web-victin")) is None
    assert verify_conversation(KEY, sign_conversation(KEY, "telegram-123")) is None  # not a bubble conversation


def test_only_the_token_given_is_accepted_not_another_spelling_of_its_signature() -> None:
    """The signature's last base64 character has unused bits: other endings decode to the same bytes."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for _ in range(20):
        token = sign_conversation(KEY, new_conversation_id())
        for ending in alphabet.replace(token[-1], ""):
            assert verify_conversation(KEY, token[:-1] + ending) is None
        assert verify_conversation(KEY, token) is not None


def test_conversation_ids_do_not_repeat() -> None:
    assert len({new_conversation_id() for _ in range(1000)}) == 1000


def test_history_shows_clicked_buttons_by_their_title_and_hides_the_opening() -> None:
    buttons = [{"title": "J'accepte", "payload": "/affirm"}, {"title": "Non merci", "payload": "/deny"}]
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_session_start"},
        {"event": "user", "text": "/greet"},
        {"event": "bot", "text": "Bonjour !", "data": {"buttons": None}},
        {"event": "user", "text": "je veux aider"},
        {"event": "bot", "text": "Êtes-vous d'accord ?", "data": {"buttons": buttons}},
        {"event": "slot", "name": "consent", "value": "given"},
        {"event": "user", "text": "/affirm"},
        {"event": "bot", "text": "Votre prénom ?", "data": {}},
    ]
    assert history_of(events) == [
        {"from": "bot", "text": "Bonjour !"},
        {"from": "user", "text": "je veux aider"},
        {"from": "bot", "text": "Êtes-vous d'accord ?", "buttons": buttons},
        {"from": "user", "text": "J'accepte"},
        {"from": "bot", "text": "Votre prénom ?"},
    ]


def test_history_hides_what_the_application_pushed_as_if_the_person_wrote_it() -> None:
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "EXTERNAL: shift_cancelled"},
        {"event": "bot", "text": "Le créneau de samedi est annulé, désolés.", "data": {}},
    ]
    assert history_of(events) == [{"from": "bot", "text": "Le créneau de samedi est annulé, désolés."}]


def test_history_keeps_the_latest_messages() -> None:
    events = [{"event": "user", "text": f"message {n}"} for n in range(10)]
    assert [m["text"] for m in history_of(events, limit=3)] == ["message 7", "message 8", "message 9"]


def test_rate_limiter_allows_a_burst_then_refills(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("bot.rasa.channels.chat_bubble.time.monotonic", lambda: now[0])
    limiter = RateLimiter(burst=3, refill_seconds=2.0)
    assert [limiter.allow() for _ in range(4)] == [True, True, True, False]
    now[0] += 2.0
    assert [limiter.allow(), limiter.allow()] == [True, False]


def test_allowed_origins_default_to_the_demo_page_and_are_cleaned() -> None:
    assert widget_allowed_origins(Settings(web_port=8000)) == ["http://localhost:8000", "http://127.0.0.1:8000"]
    configured = Settings(widget_allowed_origins=" https://www.example.org/ ,https://benevoles.example.org,")
    assert widget_allowed_origins(configured) == ["https://www.example.org", "https://benevoles.example.org"]


def test_the_channel_reads_its_origins_from_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    channel = WebChatInput.from_credentials({"allowed_origins": "https://a.example, https://b.example/"})
    assert channel.allowed_origins == {"https://a.example", "https://b.example"}
    assert channel.key == b"from-the-environment"
    assert channel.name() == "web" and channel.get_output_channel() is not None


@pytest.fixture()
def client() -> TestClient:
    return TestClient(create_app(Settings(rasa_port=5123, secret_key="test")))


def test_the_script_carries_the_french_texts_and_no_third_party_code(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    assert "Discuter avec l'assistant b\\u00e9n\\u00e9volat" in response.text
    assert "/*WIDGET_TEXTS*/" not in response.text
    assert "import " not in response.text and "cdn" not in response.text.lower()
    css = client.get("/widget.css")
    assert css.status_code == 200 and "@import" not in css.text and "url(http" not in css.text


def test_the_demo_page_points_the_bubble_at_the_rasa_server_of_this_host(client: TestClient) -> None:
    page = client.get("/", headers={"Host": "localhost:8000"})
    assert page.status_code == 200 and "Entraide Rhône" in page.text
    assert '<script src="/widget.js" data-server="http://localhost:5123"' in page.text
    hostile = client.get("/", headers={"Host": '"><script>x</script>:8000'})
    assert "<script>x</script>" not in hostile.text
