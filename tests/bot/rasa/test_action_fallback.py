"""A failed or slow custom action answers politely instead of with silence (bot.rasa.action_fallback).

Rasa's own ``RemoteAction`` calls a real HTTP server here: nothing listening, one that answers
500, one that takes too long, and one that rejects the action as a form's validation does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import rasa
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.config import ROOT
from bot.rasa import action_fallback
from tests.conftest import free_port

DOMAIN = Domain.from_path(ROOT / "domain.yml")


class ActionServer:
    """A stand-in action server whose behaviour each test chooses."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                server.calls += 1
                self.rfile.read(int(self.headers["Content-Length"]))
                if server.mode == "slow":
                    threading.Event().wait(2)
                status, body = {
                    "ok": (200, {"events": [{"event": "slot", "name": "first_name", "value": "Zélie"}]}),
                    "slow": (200, {"events": []}),
                    "error": (500, {"error": "boom"}),
                    "reject": (400, {"action_name": "validate_profile_form", "error": "rejected"}),
                }[server.mode]
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # Rasa gave up waiting: intended
                    self.wfile.write(data)

        self.http = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/webhook"


@pytest.fixture(scope="module")
def server() -> Iterator[ActionServer]:
    server = ActionServer()
    yield server
    server.http.shutdown()


@pytest.fixture(autouse=True)
def fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)  # restored after each test
    assert action_fallback.install(0.5)
    action_fallback._failed_turns.clear()


MESSAGE = UserUttered("je m'appelle Zélie")


def tracker(*events: Any, message: UserUttered = MESSAGE) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("fallback-test", [message, *events])


def run(url: str, current: DialogueStateTracker) -> tuple[list[Any], Any]:
    output = CollectingOutputChannel()
    action = RemoteAction("action_show_summary", EndpointConfig(url))
    events = asyncio.run(action.run(output, TemplatedNaturalLanguageGenerator(DOMAIN.responses), current, DOMAIN))
    return events, output


def said(events: list[Any]) -> list[str]:
    return [event.text for event in events if isinstance(event, BotUttered)]


def test_a_working_action_is_untouched(server: ActionServer) -> None:
    server.mode = "ok"
    events, _ = run(server.url, tracker())
    assert events == [SlotSet("first_name", "Zélie")]


@pytest.mark.parametrize("mode", ["error", "slow", "down"])
def test_a_failure_is_answered_politely(server: ActionServer, mode: str) -> None:
    server.mode = mode
    url = f"http://127.0.0.1:{free_port()}/webhook" if mode == "down" else server.url
    events, _ = run(url, tracker())
    [text] = said(events)
    assert "souci technique" in text and "gardées" in text
    assert events[0].metadata["utter_action"] == "utter_technical_problem"


def test_a_slow_action_is_given_up_after_the_timeout(server: ActionServer) -> None:
    server.mode = "slow"
    started = time.monotonic()
    events, _ = run(server.url, tracker())
    took = time.monotonic() - started
    assert said(events) and took < 1.8  # the server answers after 2 s; the timeout is 0.5 s


def test_one_apology_per_turn_and_no_more_calls(server: ActionServer) -> None:
    server.mode = "error"
    first, _ = run(server.url, tracker())
    calls = server.calls
    again, _ = run(server.url, tracker(*first))
    assert again == [] and server.calls == calls  # the turn's other actions are skipped
    after, _ = run(server.url, tracker(*first, message=UserUttered("bonjour")))
    assert said(after) and server.calls == calls + 1  # a new message tries again


def test_a_forms_rejection_is_rasas_normal_flow(server: ActionServer) -> None:
    server.mode = "reject"
    with pytest.raises(ActionExecutionRejection):
        run(server.url, tracker())


def test_not_installed_on_another_rasa_or_when_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not action_fallback.install(0)
    monkeypatch.setattr(rasa, "__version__", "3.7.0")
    assert not action_fallback.install(5)


def test_the_domains_apology_is_what_is_said() -> None:
    [response] = DOMAIN.responses["utter_technical_problem"]
    assert "souci technique" in response["text"]
    assert Path(ROOT / "domain.yml").read_text(encoding="utf-8").count("utter_technical_problem") == 1
