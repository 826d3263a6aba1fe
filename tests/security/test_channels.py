"""Playing the stranger against the running assistant: channels, payloads, sizes, the action server.

One assistant runs for the module as `bot serve` starts it (bot.serve.running_assistant), with
all three channels open: REST with a token (as in production), the chat bubble's WebSocket
and Telegram on a local stand-in of the Bot API. Each test is an attack that worked before
(issue "close the holes a stranger can walk through") and must not work now.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests
import websockets
import websockets.client
import websockets.exceptions
from websockets.typing import Origin

from bot.config import Settings, action_token, rasa_api_token
from bot.serve import prepare_database, running_assistant
from tests.bot.rasa.channels.telegram import telegram_json as tg
from tests.bot.rasa.channels.telegram.conftest import SECRET, TOKEN
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn
from tests.conftest import free_port

pytestmark = pytest.mark.e2e

REST_TOKEN = "rest-token-of-the-security-tests"
ORIGIN = "http://localhost:8000"
EVIL_NAME = "<script>alert(1)</script>"
EVIL_EMAIL = 'x"><img src=x>@e.org'
EVIL_PAYLOAD = "/inform" + json.dumps({"first_name": EVIL_NAME, "email": EVIL_EMAIL, "skills": ["not_a_skill"]})


@dataclass
class Servers:
    settings: Settings
    standin: BotAPIStandIn
    logs: Path

    @property
    def rasa(self) -> str:
        return f"http://127.0.0.1:{self.settings.rasa_port}"

    @property
    def rest(self) -> str:
        return f"{self.rasa}/webhooks/rest/webhook"

    @property
    def socket(self) -> str:
        return f"ws://127.0.0.1:{self.settings.rasa_port}/webhooks/web/socket"

    @property
    def actions(self) -> str:
        return f"http://127.0.0.1:{self.settings.action_port}"

    def say(self, sender: str, message: str, **extra: Any) -> list[dict[str, Any]]:
        """One REST message with the channel's token; the assistant's replies."""
        answer = post_rest(self, {"sender": sender, "message": message, **extra})
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    def slots(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's slots, read through Rasa's HTTP API (with its token)."""
        answer = requests.get(
            f"{self.rasa}/conversations/{conversation_id}/tracker",
            params={"token": rasa_api_token(self.settings)},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["slots"])

    def logs_text(self) -> str:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in self.logs.glob("*.log"))


def post_rest(servers: Servers, body: Any, *, token: str | None = REST_TOKEN, raw: bytes | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else json.dumps(body).encode()
    return requests.post(servers.rest, data=data, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def servers(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = tmp_path_factory.mktemp("security")
    standin = BotAPIStandIn(TOKEN).start()
    action_port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{folder / 'bot.db'}",
        tracker_store_url=f"sqlite:///{folder / 'tracker.db'}",
        rasa_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
        rest_token=REST_TOKEN,
        rasa_api_token="rasa-api-token-of-the-security-tests",
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_url=standin.base_url,
        widget_allowed_origins=ORIGIN,
    )
    prepare_database(settings)
    try:
        with running_assistant(settings, trained_model, log_dir=folder / "logs"):
            yield Servers(settings, standin, folder / "logs")
    finally:
        standin.stop()


def run_async(scenario: Any) -> Any:
    """Run a coroutine function in a thread of its own (pytest may hold a loop already)."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(scenario()))
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(180)
    if errors:
        raise errors[0]
    return result[0] if result else None


async def bubble_frames(ws: Any, quiet: float = 3.0) -> list[dict[str, Any]]:
    """Frames until the assistant has stopped typing and nothing came for ``quiet`` seconds."""
    frames: list[dict[str, Any]] = []
    while True:
        try:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), quiet if frames else 60)))
        except asyncio.TimeoutError:
            return frames


def consented_rest_conversation(servers: Servers, sender: str) -> None:
    """Bring a REST conversation to the profile's first question, after consent."""
    replies = servers.say(sender, "je voudrais devenir bénévole")
    payloads = {button["payload"] for reply in replies for button in reply.get("buttons", [])}
    assert "/affirm" in payloads, replies
    servers.say(sender, "/affirm")
    assert servers.slots(sender)["consent"] == "given"


# --- 1. A conversation belongs to the channel that started it -----------------------------------


def test_rest_cannot_address_a_chat_bubble_conversation(servers: Servers) -> None:
    async def scenario() -> str:
        async with websockets.client.connect(servers.socket, origin=Origin(ORIGIN)) as ws:
            await ws.send(json.dumps({"type": "hello", "conversation": None}))
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 30))
            await ws.send(json.dumps({"type": "message", "text": "Je m'appelle Solène"}))
            await bubble_frames(ws)
            return str(welcome["conversation"]).rsplit(".", 1)[0]

    victim = run_async(scenario)
    assert victim.startswith("web-")
    for attempt in ("je voudrais modifier mon profil", "quelles données avez-vous sur moi ?", "supprimez mes données"):
        answer = post_rest(servers, {"sender": victim, "message": attempt})
        assert answer.status_code == 403, answer.text
        assert "another channel" in answer.json()["error"]


@pytest.mark.parametrize("chat_id", ["4242", "-4242", "0"])
def test_rest_cannot_address_a_telegram_conversation(servers: Servers, chat_id: str) -> None:
    answer = post_rest(servers, {"sender": chat_id, "message": "quelles données avez-vous sur moi ?"})
    assert answer.status_code == 403


def test_rest_cannot_claim_another_input_channel(servers: Servers) -> None:
    sender = "security-claims-telegram"
    servers.say(sender, "bonjour", input_channel="telegram", metadata={"telegram_update_id": 1})
    answer = requests.get(
        f"{servers.rasa}/conversations/{sender}/tracker",
        params={"token": rasa_api_token(servers.settings)},
        timeout=30,
    )
    assert answer.json()["latest_input_channel"] == "rest"


@pytest.mark.parametrize("token", [None, "", "wrong", REST_TOKEN + "x"])
def test_rest_needs_its_token(servers: Servers, token: str | None) -> None:
    answer = post_rest(servers, {"sender": "security-no-token", "message": "bonjour"}, token=token)
    assert answer.status_code == 401
    assert "REST_TOKEN" in answer.json()["error"]


def test_conversation_ids_are_not_logged(servers: Servers) -> None:
    sender = "security-id-not-logged-7f3a"
    servers.say(sender, "bonjour")

    async def scenario() -> str:
        async with websockets.client.connect(servers.socket, origin=Origin(ORIGIN)) as ws:
            await ws.send(json.dumps({"type": "hello", "conversation": None}))
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 30))
            await ws.send(json.dumps({"type": "start"}))
            await bubble_frames(ws)
            return str(welcome["conversation"]).rsplit(".", 1)[0]

    bubble = run_async(scenario)
    chat = 5_550_123
    servers.standin.calls.clear()
    assert post_telegram(servers, tg.text(chat, "bonjour")).status_code == 200
    assert servers.standin.wait_for(lambda: bool(servers.standin.texts(chat)), timeout=60)
    logs = servers.logs_text()
    assert "starts conversation conv:" in logs  # the line is there, with a pseudonym
    for conversation_id in (sender, bubble, str(chat)):
        assert conversation_id not in logs


# --- 2. Typed payload syntax is read as words ------------------------------------------------------


def test_typed_payload_over_rest_sets_no_slot_and_crashes_nothing(servers: Servers) -> None:
    sender = "security-typed-payload"
    consented_rest_conversation(servers, sender)
    replies = servers.say(sender, EVIL_PAYLOAD)
    assert replies and all("Traceback" not in reply.get("text", "") for reply in replies)
    slots = servers.slots(sender)
    assert slots["first_name"] != EVIL_NAME and slots["email"] != EVIL_EMAIL
    assert "not_a_skill" not in (slots.get("skills") or [])
    summary = "\n".join(reply.get("text", "") for reply in servers.say(sender, "quelles données avez-vous sur moi ?"))
    assert EVIL_NAME not in summary and "<img" not in summary


def test_a_forged_button_is_answered_as_a_message_not_understood(servers: Servers) -> None:
    """Read as words, a forged ``/choose_shift{…}`` was a guess of the model's (a cancellation, "start again")."""

    def answer(sender: str, text: str) -> list[str]:
        servers.say(sender, "bonjour")
        return [reply.get("text", "") for reply in servers.say(sender, text)]

    forged = answer("security-forged-choice", '/choose_shift{"shift_id": 3}')
    assert forged and forged == answer("security-not-understood", "?")
    sender = "security-forged-in-profile"
    consented_rest_conversation(servers, sender)
    servers.say(sender, "Je m'appelle Mireille")
    servers.say(sender, '/apply{"mission_id": "M1"}')
    slots = servers.slots(sender)
    assert slots["first_name"] == "Mireille" and slots["requested_slot"], slots  # the profile goes on


def test_a_button_the_assistant_offered_still_works(servers: Servers) -> None:
    sender = "security-offered-button"
    consented_rest_conversation(servers, sender)  # "/affirm" was on the consent question's buttons


def test_typed_payload_in_the_chat_bubble_sets_no_slot(servers: Servers) -> None:
    async def scenario() -> str:
        async with websockets.client.connect(servers.socket, origin=Origin(ORIGIN)) as ws:
            await ws.send(json.dumps({"type": "hello", "conversation": None}))
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 30))
            await ws.send(json.dumps({"type": "message", "text": "je voudrais devenir bénévole"}))
            frames = await bubble_frames(ws)
            payloads = {b["payload"] for f in frames if f["type"] == "bot" for b in f.get("buttons", [])}
            assert "/affirm" in payloads, frames
            await ws.send(json.dumps({"type": "message", "text": "/affirm", "label": "J'accepte"}))
            await bubble_frames(ws)
            await ws.send(json.dumps({"type": "message", "text": "  " + EVIL_PAYLOAD}))
            frames = await bubble_frames(ws)
            assert any(frame["type"] == "bot" for frame in frames)
            assert not any(frame["type"] == "error" for frame in frames)
            return str(welcome["conversation"]).rsplit(".", 1)[0]

    conversation = run_async(scenario)
    slots = servers.slots(conversation)
    assert slots["consent"] == "given"
    assert slots["first_name"] != EVIL_NAME and slots["email"] != EVIL_EMAIL


def post_telegram(servers: Servers, update: dict[str, Any]) -> Any:
    return requests.post(
        f"{servers.rasa}/webhooks/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=30,
    )


def test_typed_payload_in_telegram_after_a_space_sets_no_slot(servers: Servers) -> None:
    chat = 5_550_777
    assert post_telegram(servers, tg.text(chat, "je voudrais devenir bénévole")).status_code == 200
    assert servers.standin.wait_for(lambda: bool(servers.standin.texts(chat)), timeout=60)
    before = len(servers.standin.texts(chat))
    assert post_telegram(servers, tg.text(chat, " " + EVIL_PAYLOAD)).status_code == 200
    assert servers.standin.wait_for(lambda: len(servers.standin.texts(chat)) > before, timeout=60)
    slots = servers.slots(str(chat))
    assert slots["first_name"] != EVIL_NAME and slots["email"] != EVIL_EMAIL


# --- 3. and 4. Sizes and malformed requests --------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", b"[]", b'"bonjour"', b"null", b"42", b"{not json", b"\xff\xfe", b'{"message": "bonjour"}',
     b'{"sender": null, "message": "bonjour"}', b'{"sender": 42, "message": "bonjour"}',
     b'{"sender": "", "message": "bonjour"}', b'{"sender": "a b", "message": "bonjour"}',
     b'{"sender": "ok", "message": 42}', b'{"sender": "ok", "message": null}',
     b'{"sender": "ok"}'],
)  # fmt: skip
def test_malformed_bodies_get_a_clear_400(servers: Servers, raw: bytes) -> None:
    answer = post_rest(servers, None, raw=raw)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]


def test_a_ten_thousand_character_sender_is_refused(servers: Servers) -> None:
    answer = post_rest(servers, {"sender": "s" * 10_000, "message": "bonjour"})
    assert answer.status_code == 400


def test_no_request_lands_in_a_shared_default_conversation(servers: Servers) -> None:
    for body in ({"message": "Je m'appelle Zélie"}, {"sender": None, "message": "Je m'appelle Zélie"}):
        assert post_rest(servers, body).status_code == 400
    answer = requests.get(
        f"{servers.rasa}/conversations/default/tracker",
        params={"token": rasa_api_token(servers.settings)},
        timeout=30,
    )
    assert not [event for event in answer.json().get("events") or [] if event.get("event") == "user"]


@pytest.mark.parametrize("message", ["😀" * 2001, "!" * 20_000, "a" * 5000])
def test_long_messages_are_not_read_and_get_a_polite_answer(servers: Servers, message: str) -> None:
    [reply] = servers.say("security-long", message)
    assert "trop long" in reply["text"] and "2000" in reply["text"]


def test_a_megabyte_body_is_refused_before_it_is_read(servers: Servers) -> None:
    answer = post_rest(servers, {"sender": "security-big", "message": "x" * 1_000_000})
    assert answer.status_code == 413


def test_long_runs_of_symbols_are_answered(servers: Servers) -> None:
    for message in ("😀" * 2000, "!" * 2000, ".," * 1000):
        replies = servers.say("security-symbols", message)
        assert replies and all("Traceback" not in reply.get("text", "") for reply in replies)


def test_telegram_long_message_gets_a_polite_answer(servers: Servers) -> None:
    chat = 5_550_888
    assert post_telegram(servers, tg.text(chat, "😀" * 4000)).status_code == 200
    assert servers.standin.wait_for(lambda: any("trop long" in t for t in servers.standin.texts(chat)), timeout=60)


# --- 8. Secrets and the action server ----------------------------------------------------------------


def test_no_secret_on_any_command_line(servers: Servers) -> None:
    secrets = (rasa_api_token(servers.settings), action_token(servers.settings), REST_TOKEN)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command_line = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        for secret in secrets:
            assert secret not in command_line, f"a secret is on the command line of process {entry.name}"


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_the_action_server_refuses_calls_without_the_rasa_servers_secret(servers: Servers, token: str | None) -> None:
    headers = {} if token is None else {"X-Action-Token": token}
    body: dict[str, Any] = {
        "next_action": "action_show_my_data",
        "sender_id": "security-victim",
        "tracker": {"sender_id": "security-victim", "slots": {}, "latest_message": {}, "events": []},
        "domain": {},
        "version": "3.6.21",
    }
    answer = requests.post(f"{servers.actions}/webhook", json=body, headers=headers, timeout=30)
    assert answer.status_code == 403
    assert requests.get(f"{servers.actions}/actions", headers=headers, timeout=30).status_code == 403
    assert requests.get(f"{servers.actions}/health", timeout=30).status_code == 200


def test_a_failing_action_logs_no_personal_data_and_echoes_nothing(servers: Servers) -> None:
    email = "solene.secret@exemple.fr"
    body: dict[str, Any] = {
        "next_action": "action_show_my_data",
        "sender_id": "security-fail",
        "tracker": {"slots": {"email": email}},
    }
    answer = requests.post(
        f"{servers.actions}/webhook",
        json=body,
        headers={"X-Action-Token": action_token(servers.settings)},
        timeout=30,
    )
    assert answer.status_code == 500
    assert email not in answer.text and "request_body" not in answer.text
    logs = servers.logs_text()
    assert "action action_show_my_data failed" in logs
    assert email not in logs


def test_log_lines_are_bounded(servers: Servers) -> None:
    longest = max((len(line) for line in servers.logs_text().splitlines()), default=0)
    assert longest < 4500  # the guard cuts a record at 2,000 characters, traceback included


def test_rasa_api_still_requires_its_token(servers: Servers) -> None:
    answer = requests.get(f"{servers.rasa}/conversations/security-long/tracker", timeout=30)
    assert answer.status_code == 401
    wrong = replace(servers.settings, rasa_api_token="wrong")
    answer = requests.get(
        f"{servers.rasa}/conversations/security-long/tracker", params={"token": rasa_api_token(wrong)}, timeout=30
    )
    assert answer.status_code == 401


# --- 9. What `make fuzz` found: broken HTTP framing, deep JSON, odd numbers and characters, forged buttons


def raw_http(servers: Servers, head: str, body: bytes = b"", *, wait: float = 10.0) -> str:
    """Send bytes as they are over one connection; the status line of the answer ('' if none came)."""
    with socket.create_connection(("127.0.0.1", servers.settings.rasa_port), timeout=wait) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        try:
            answer = connection.recv(4096)
        except TimeoutError:
            return ""
    return answer.split(b"\r\n", 1)[0].decode(errors="replace")


FRAMINGS = {
    "negative length": ("Content-Length: -1\n", b"ab"),
    "length not a number": ("Content-Length: abc\n", b"{}"),
    "two lengths in one": ("Content-Length: 10, 20\n", b"{}"),
    "signed length": ("Content-Length: +2\n", b"{}"),
    "two length headers": ("Content-Length: 2\nContent-Length: 3\n", b"{}"),
    "length and chunks": ("Content-Length: 2\nTransfer-Encoding: chunked\n", b"2\r\n{}\r\n0\r\n\r\n"),
    "unknown coding": ("Transfer-Encoding: gzip\n", b"{}"),
    "capital coding": ("Transfer-Encoding: Chunked\n", b"2\r\n{}\r\n0\r\n\r\n"),
    "bad chunk size": ("Transfer-Encoding: chunked\n", b"zz\r\nabc\r\n0\r\n\r\n"),
}


@pytest.mark.parametrize("path", ["/webhooks/rest/", "/webhooks/rest/webhook", "/webhooks/telegram/webhook", "/"])
@pytest.mark.parametrize("framing", sorted(FRAMINGS))
def test_broken_body_framing_gets_a_400_and_freezes_nothing(servers: Servers, framing: str, path: str) -> None:
    headers, body = FRAMINGS[framing]
    tracebacks = servers.logs_text().count("Traceback")
    head = f"POST {path} HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {REST_TOKEN}\n{headers}"
    status = raw_http(servers, head, body)
    # a broken chunk is found only when the body is read: a route without a body answers 405 first
    assert status.startswith("HTTP/1.1 400") or (framing == "bad chunk size" and " 405 " in status), status
    replies = servers.say("security-after-framing", "bonjour")  # the server still answers everyone
    assert replies
    assert servers.logs_text().count("Traceback") == tracebacks


def test_a_well_framed_chunked_request_is_still_read(servers: Servers) -> None:
    body = json.dumps({"sender": "security-chunked", "message": "bonjour"}).encode()
    head = (
        "POST /webhooks/rest/webhook HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
        f"Authorization: Bearer {REST_TOKEN}\nTransfer-Encoding: chunked\n"
    )
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    assert raw_http(servers, head, chunked).startswith("HTTP/1.1 200")


DEEP = [b"[" * 5000 + b"]" * 5000, b'{"a":' * 5000 + b"1" + b"}" * 5000]


@pytest.mark.parametrize("raw", DEEP, ids=["arrays", "objects"])
def test_deeply_nested_json_is_refused_politely(servers: Servers, raw: bytes) -> None:
    answer = post_rest(servers, None, raw=raw)
    assert answer.status_code == 400 and answer.json()["error"]
    answer = requests.post(
        f"{servers.rasa}/webhooks/telegram/webhook",
        data=raw,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("update_id", [2**80, 2**63, -1])
def test_an_update_id_out_of_telegrams_range_is_refused(servers: Servers, update_id: int) -> None:
    assert post_telegram(servers, tg.text(5_550_999, "bonjour", update_id=update_id)).status_code == 400


@pytest.mark.parametrize("odd", ["\udfff", "\ud83d", "\x00", "\x1b[31m"], ids=["low", "high", "nul", "escape"])
def test_lone_surrogates_and_control_characters_are_read_as_text(servers: Servers, odd: str) -> None:
    # json.dumps writes a lone surrogate as the escape "\udfff", valid JSON that Python decodes as is
    replies = servers.say(f"security-odd-{ord(odd[0])}", f"bonjour{odd} je voudrais être bénévole")
    assert replies and all(reply.get("text") for reply in replies)

    async def scenario() -> list[dict[str, Any]]:
        async with websockets.client.connect(servers.socket, origin=Origin(ORIGIN)) as ws:
            await ws.send(json.dumps({"type": "hello", "conversation": None}))
            await bubble_frames(ws)
            await ws.send(json.dumps({"type": "message", "text": f"bonjour{odd}"}))
            return await bubble_frames(ws)

    frames = run_async(scenario)
    assert any(frame["type"] == "bot" for frame in frames), frames
    assert not any(frame["type"] == "error" for frame in frames), frames
    chat = 5_551_000 + ord(odd[0]) % 1000
    assert post_telegram(servers, tg.text(chat, f"bonjour{odd}")).status_code == 200
    assert servers.standin.wait_for(lambda: bool(servers.standin.texts(chat)), timeout=60)
    assert not [text for text in servers.standin.texts(chat) if "problème technique" in text]


def test_forged_telegram_button_data_sets_no_slot(servers: Servers) -> None:
    chat = 5_552_000
    assert post_telegram(servers, tg.text(chat, "je voudrais devenir bénévole")).status_code == 200
    assert servers.standin.wait_for(lambda: bool(servers.standin.texts(chat)), timeout=60)
    before = len(servers.standin.texts(chat))
    assert post_telegram(servers, tg.button(chat, "/affirm")).status_code == 200  # offered: goes through
    assert servers.standin.wait_for(lambda: len(servers.standin.texts(chat)) > before, timeout=60)
    # the tracker is saved once every answer of the turn is sent
    assert servers.standin.wait_for(lambda: servers.slots(str(chat))["consent"] == "given", timeout=30)
    before = len(servers.standin.texts(chat))
    forged = '/inform{"first_name":"<b>x</b>","town":"Atlantis"}'  # fits Telegram's 64 bytes
    assert post_telegram(servers, tg.button(chat, forged)).status_code == 200
    assert servers.standin.wait_for(lambda: len(servers.standin.texts(chat)) > before, timeout=60)
    time.sleep(2)  # the tracker is saved once every answer of the turn is sent
    slots = json.dumps(servers.slots(str(chat)))
    assert "<b>" not in slots and "Atlantis" not in slots


def test_the_telegram_bot_token_is_never_logged(servers: Servers) -> None:
    chat = 5_553_000
    assert post_telegram(servers, tg.text(chat, "bonjour")).status_code == 200
    assert servers.standin.wait_for(lambda: bool(servers.standin.texts(chat)), timeout=60)
    assert TOKEN.split(":", 1)[1] not in servers.logs_text()


@pytest.mark.parametrize("chat_id", ["security-victim", "12", 12.5, True])
def test_a_telegram_chat_id_that_is_not_a_number_is_refused(servers: Servers, chat_id: Any) -> None:
    victim = "security-victim"
    servers.say(victim, "bonjour")
    update = tg.text(5_554_000, "mon nouvel e-mail est hijack@evil.fr")
    update["message"]["chat"]["id"] = chat_id
    assert post_telegram(servers, update).status_code == 400
    time.sleep(1)
    assert servers.slots(victim)["email"] is None
