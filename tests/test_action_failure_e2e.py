"""End to end: the action server dies, or a database is locked, in the middle of an onboarding; the volunteer is told.

The Rasa server runs as `bot serve` starts it; its custom actions go to an action server this
module starts and kills itself, so the test does not depend on anyone restarting it. The
database failures one by one, without servers: tests/bot/test_database_failures.py.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from bot.config import ROOT, Settings, rasa_api_token
from bot.serve import ACTION_SERVER, _wait_for, prepare_database, process_env, running_assistant
from bot.texts import widget_texts
from tests.bot.test_database_failures import locked
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


def test_a_locked_database_gets_a_polite_answer_and_the_conversation_resumes_once_it_is_free(
    assistant: Assistant,
) -> None:
    """Another program holds a SQLite file's write lock (BEGIN EXCLUSIVE): the conversations', then the profiles'."""
    folder = Path(assistant.settings.database_url.removeprefix("sqlite:///")).parent
    unavailable = widget_texts()["errors"]["unavailable"]
    sender = "e2e-database-locked"
    everything = "Je m'appelle Julie, infirmière à Villeurbanne, dispo le samedi matin"
    assistant.texts(sender, "je voudrais devenir bénévole")
    assert "prénom" in assistant.texts(sender, "oui j'accepte")[0]

    with locked(folder / "tracker.db"):  # the turn cannot be stored
        text, took = assistant.texts(sender, everything)
    assert text == unavailable and took < 6  # none of the turn's answers: the conversation does not hold them
    assert assistant.slots(sender)["first_name"] is None  # not half a turn
    text, _ = assistant.texts(sender, everything)  # free again: no restart
    assert "âge" in text and assistant.slots(sender)["first_name"] == "Julie"

    assistant.texts(sender, "34 ans")
    assistant.texts(sender, "la santé et la solidarité")
    assert "Villeurbanne" in assistant.texts(sender, "julie.martin@exemple.fr")[0]  # the summary
    with locked(folder / "bot.db"):  # the profile cannot be saved
        text, took = assistant.texts(sender, "oui c'est correct")
    assert APOLOGY in text and "Merci Julie" not in text and took < assistant.settings.action_timeout + 2
    text, _ = assistant.texts(sender, "oui c'est correct")  # confirmed again: saved
    assert "Merci Julie" in text
    with sqlite3.connect(folder / "bot.db") as database:  # once, whole, with its consent
        [(volunteer,)] = database.execute("SELECT id FROM volunteers WHERE sender_id = ?", (sender,)).fetchall()
        assert database.execute("SELECT count(*) FROM consents WHERE volunteer_id = ?", (volunteer,)).fetchone() == (1,)
        assert database.execute(
            "SELECT count(*) FROM volunteer_causes WHERE volunteer_id = ?", (volunteer,)
        ).fetchone() == (2,)

    logs = (folder / "logs" / "rasa.log").read_text(errors="replace")
    assert "the database is locked" in logs
    for personal in (sender, "Je m'appelle", "Julie", "julie.martin"):
        assert personal not in logs
