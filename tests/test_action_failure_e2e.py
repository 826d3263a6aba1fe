"""End to end: the action server dies in the middle of an onboarding, the volunteer is told.

The Rasa server runs as `bot serve` starts it; its custom actions go to an action server this
module starts and kills itself, so the test does not depend on anyone restarting it.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from bot.config import ROOT, Settings, rasa_api_token
from bot.serve import ACTION_SERVER, _wait_for, prepare_database, process_env, running_assistant
from tests.conftest import free_port

pytestmark = pytest.mark.e2e

APOLOGY = "souci technique"


class Assistant:
    def __init__(self, webhook: str, settings: Settings, actions_port: int) -> None:
        self.webhook = webhook
        self.settings = settings
        self.actions_port = actions_port
        self.actions: subprocess.Popen[bytes] | None = None

    def start_actions(self) -> None:
        command = [*ACTION_SERVER, "--port", str(self.actions_port)]
        self.actions = subprocess.Popen(command, cwd=ROOT, env=process_env(self.settings))  # noqa: S603
        _wait_for(f"http://127.0.0.1:{self.actions_port}/health", self.actions, timeout=120)

    def kill_actions(self) -> None:
        assert self.actions is not None
        self.actions.kill()
        self.actions.wait()

    def texts(self, sender: str, message: str) -> tuple[str, float]:
        started = time.monotonic()
        answer = requests.post(self.webhook, json={"sender": sender, "message": message}, timeout=60)
        took = time.monotonic() - started
        assert answer.status_code == 200
        return "\n".join(reply.get("text", "") for reply in answer.json()), took

    def slots(self, sender: str) -> dict[str, object]:
        url = f"http://127.0.0.1:{self.settings.rasa_port}/conversations/{sender}/tracker"
        answer = requests.get(url, params={"token": rasa_api_token(self.settings)}, timeout=30)
        return dict(answer.json()["slots"])


@pytest.fixture(scope="module")
def assistant(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    folder = tmp_path_factory.mktemp("action-failure")
    actions_port = free_port()
    settings = Settings(
        database_url=f"sqlite:///{folder / 'bot.db'}",
        tracker_store_url=f"sqlite:///{folder / 'tracker.db'}",
        rasa_port=free_port(),
        action_port=free_port(),  # the action server `running_assistant` starts: not the one called
        action_endpoint=f"http://127.0.0.1:{actions_port}/webhook",
        action_timeout=3,
    )
    prepare_database(settings)
    with running_assistant(settings, trained_model, log_dir=folder / "logs") as webhook:
        assistant = Assistant(webhook, replace(settings, action_port=actions_port), actions_port)
        assistant.start_actions()
        try:
            yield assistant
        finally:
            if assistant.actions is not None and assistant.actions.poll() is None:
                assistant.kill_actions()


def test_a_dead_action_server_gets_an_apology_and_the_conversation_resumes(assistant: Assistant) -> None:
    sender = "e2e-action-failure"
    assistant.texts(sender, "je voudrais devenir bénévole")
    assert "prénom" in assistant.texts(sender, "oui j'accepte")[0]

    assistant.kill_actions()
    text, took = assistant.texts(sender, "Je m'appelle Julie")
    assert APOLOGY in text and took < 5
    assert assistant.slots(sender)["consent"] == "given"  # nothing said before is lost
    again, _ = assistant.texts(sender, "Julie")  # still down: still told, never silence
    assert APOLOGY in again

    assistant.start_actions()
    text, _ = assistant.texts(sender, "Je m'appelle Julie")
    assert APOLOGY not in text and "âge" in text  # where it was: the next question
    assert assistant.slots(sender)["first_name"] == "Julie"
