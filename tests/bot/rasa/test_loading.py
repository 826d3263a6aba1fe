"""The Rasa server's port while its model loads: "loading" to every client, then handed over to Rasa."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import websockets
import websockets.client
import websockets.exceptions

from bot.config import Settings
from bot.health import HealthCheck
from bot.rasa.loading import LoadingPort, hand_over_once_loaded
from bot.rasa.server import server_address
from bot.serve import running_web
from tests.conftest import free_port

APOLOGY = "Désolé, un problème technique m'empêche de répondre. Réessayez dans un instant."


@pytest.fixture()
def loading() -> Iterator[LoadingPort]:
    port = LoadingPort("127.0.0.1", free_port(), apology=APOLOGY)
    assert port.start()
    yield port
    port.close()


def url(loading: LoadingPort, path: str) -> str:
    return f"http://127.0.0.1:{loading.port}{path}"


def test_every_request_is_told_loading_with_a_retry_after(loading: LoadingPort) -> None:
    for method, path in (("GET", "/webhooks/rest/"), ("GET", "/"), ("POST", "/webhooks/telegram/webhook"),
                         ("GET", "/conversations/x/tracker"), ("PUT", "/model")):  # fmt: skip
        answer = requests.request(method, url(loading, path), json={"update_id": 1}, timeout=5)
        assert (answer.status_code, answer.json()) == (503, {"status": "loading"}), path
        assert answer.headers["Retry-After"] == "5"


def test_a_rest_message_gets_the_polite_answer_in_the_rest_format(loading: LoadingPort) -> None:
    webhook = url(loading, "/webhooks/rest/webhook")
    answer = requests.post(webhook, json={"sender": "essai", "message": "bonjour"}, timeout=5)
    assert (answer.status_code, answer.json()) == (503, [{"recipient_id": "essai", "text": APOLOGY}])
    for body in (b"not json", b'{"sender": "<script>"}', b"[]", b'{"sender": "' + b"x" * 200 + b'"}'):
        answer = requests.post(webhook, data=body, headers={"Content-Type": "application/json"}, timeout=5)
        assert (answer.status_code, answer.json()) == (503, [{"recipient_id": "", "text": APOLOGY}])


def test_the_chat_bubble_handshake_is_refused(loading: LoadingPort) -> None:
    async def handshake() -> None:
        await websockets.client.connect(f"ws://127.0.0.1:{loading.port}/webhooks/web/socket", open_timeout=5)

    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        asyncio.run(handshake())
    assert refused.value.status_code == 503


def test_health_says_loading_not_down(loading: LoadingPort) -> None:
    settings = Settings(rasa_host="127.0.0.1", rasa_port=loading.port, database_url="sqlite://")
    report = asyncio.run(HealthCheck(settings).report())
    assert report.parts["rasa"] == "loading"


def test_closed_it_gives_the_port_back(loading: LoadingPort) -> None:
    loading.close()
    loading.close()  # twice: harmless
    assert not loading.serving
    with socket.socket() as rasa:  # what Rasa does right after
        rasa.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        rasa.bind(("127.0.0.1", loading.port))


def test_a_taken_port_is_left_for_rasa_to_report(loading: LoadingPort) -> None:
    assert not LoadingPort("127.0.0.1", loading.port, apology=APOLOGY).start()


def test_it_is_handed_over_once_rasa_has_loaded_its_agent(
    loading: LoadingPort, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rasa.core.run

    seen = []

    async def load_agent_on_start(*args: object) -> str:
        seen.append(loading.serving)  # still answering while the model loads
        return "agent"

    monkeypatch.setattr(rasa.core.run, "load_agent_on_start", load_agent_on_start)
    hand_over_once_loaded(loading)
    assert loading.serving
    assert asyncio.run(rasa.core.run.load_agent_on_start("model", None, None, None, None)) == "agent"
    assert seen == [True] and not loading.serving


@pytest.mark.parametrize(
    ("arguments", "address"),
    [
        (["--model", "m.tar.gz", "--interface", "127.0.0.1", "--port", "5123", "--enable-api"], ("127.0.0.1", 5123)),
        (["-i", "::1", "-p", "6000"], ("::1", 6000)),
        (["--model", "m.tar.gz"], ("0.0.0.0", 5005)),
    ],
)
def test_the_address_is_read_from_rasa_runs_arguments(arguments: list[str], address: tuple[str, int]) -> None:
    assert server_address(arguments) == address


def test_while_the_model_loads_the_bubble_is_reconnecting_and_health_says_loading(
    page: object, tmp_path: Path, loading: LoadingPort
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}", web_port=free_port(), rasa_port=loading.port,
                        action_endpoint=f"http://127.0.0.1:{free_port()}/webhook", secret_key="test")  # fmt: skip
    with running_web(settings, log_dir=tmp_path) as web:
        health = requests.get(f"{web}/health", timeout=10)
        assert health.status_code == 503 and health.json()["parts"]["rasa"] == "loading"
        page.goto(f"{web}/")  # type: ignore[attr-defined]
        page.get_by_role("button", name="Discuter avec l'assistant bénévolat").click()  # type: ignore[attr-defined]
        panel = "document.querySelector('#entraide-widget').shadowRoot.querySelector('.panel')"
        page.wait_for_function(f"{panel}?.getAttribute('data-connection') === 'reconnecting'")  # type: ignore[attr-defined]
        status = page.evaluate(f"{panel}.querySelector('.status').textContent")  # type: ignore[attr-defined]
        assert status.startswith("Connexion perdue. Nouvelle tentative dans")


def test_its_limits_are_the_rest_channels_and_the_health_checks() -> None:
    """Copies, not imports: the loading port starts before Rasa is imported, and bot.rasa.channels.rest imports it."""
    from bot import health
    from bot.rasa import loading as rasa_loading
    from bot.rasa.channels import rest

    assert (rasa_loading.MAX_BODY_BYTES, rasa_loading.RETRY_AFTER) == (rest.MAX_BODY_BYTES, health.RETRY_AFTER)
    characters = "".join(sorted(rest.SENDER_CHARACTERS))
    assert rasa_loading.SENDER_RE.fullmatch(characters) and not rasa_loading.SENDER_RE.fullmatch(characters + "/")
    assert rasa_loading.SENDER_RE.fullmatch("a" * rest.MAX_SENDER_CHARS)
    assert not rasa_loading.SENDER_RE.fullmatch("a" * (rest.MAX_SENDER_CHARS + 1))
