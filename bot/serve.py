"""Start the assistant: database, demo missions, model, action server and Rasa server.

``make run`` calls ``bot serve``; the end-to-end tests use :func:`running_assistant` to
start the very same processes on other ports and databases.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.config import ROOT, Settings, action_token, get_settings, rasa_api_token, secret_key, widget_allowed_origins

logger = logging.getLogger(__name__)

ACTION_SERVER = [sys.executable, "-m", "bot.action_server"]
RASA_SERVER = [sys.executable, "-m", "bot.rasa_server"]


def process_env(settings: Settings) -> dict[str, str]:
    """The environment of the Rasa and action servers: every setting, explicitly."""
    env = dict(os.environ)
    env.update(settings.as_env())
    env["SECRET_KEY"] = secret_key(settings).decode()  # one secret for every process, even when generated
    env["RASA_API_TOKEN"] = rasa_api_token(settings)  # read from the environment, never from argv
    env["ACTION_TOKEN"] = action_token(settings)  # endpoints.yml sends it, the action server checks it
    env["WIDGET_ALLOWED_ORIGINS"] = ",".join(widget_allowed_origins(settings))  # credentials.yml reads it
    env["SANIC_HOST"] = "127.0.0.1"  # the action server is never exposed
    env["RASA_TELEMETRY_ENABLED"] = "false"  # nothing about conversations leaves this machine
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def prepare_database(settings: Settings) -> None:
    """Create or upgrade the schema and load the demo missions into an empty database."""
    from bot.missions_file import read_missions
    from bot.store import missions
    from bot.store.migrate import upgrade
    from bot.store.session import session_scope

    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        if not missions.open_missions(session):
            created, _ = missions.upsert(session, read_missions(settings.association_path / "missions.yml"))
            logger.info("loaded %d demo missions", created)


def model_for(settings: Settings, *, no_train: bool = False, force_train: bool = False) -> Path:
    """The model to serve: trained only when data, domain, config or components changed (bot.training).

    ``no_train``: the newest model trained before, whatever changed since; ``force_train``: train anyway.
    """
    from bot.training import newest_recorded_model, trained_model

    folder = Path(settings.models_dir)
    if no_train:
        try:
            return newest_recorded_model(folder)
        except FileNotFoundError:
            return latest_model(folder)  # a model trained before bot.training kept records
    return trained_model(folder, env=process_env(settings), force=force_train)


def latest_model(folder: Path) -> Path:
    """The newest model archive in ``folder``, recorded or not."""
    models = sorted(folder.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise FileNotFoundError(f"no trained model in {folder}")
    return models[-1]


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server behind {url} stopped (exit code {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_assistant(settings: Settings, model: Path, *, log_dir: Path | None = None) -> Iterator[str]:
    """Run the action server and the Rasa server; yields the REST webhook URL."""
    env = process_env(settings)
    logs = []
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        logs = [open(log_dir / "actions.log", "wb"), open(log_dir / "rasa.log", "wb")]  # noqa: SIM115
    out_actions = logs[0] if logs else None
    out_rasa = logs[1] if logs else None
    actions = subprocess.Popen(
        [*ACTION_SERVER, "--port", str(settings.action_port)],
        cwd=ROOT, env=env, stdout=out_actions, stderr=subprocess.STDOUT if logs else None,
    )  # fmt: skip
    rasa_command = [
        *RASA_SERVER, "run", "--model", str(model), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        "--interface", settings.rasa_host, "--port", str(settings.rasa_port),
    ]  # fmt: skip
    # The HTTP API lets the console deliver invitations; it always requires the token, which
    # bot.rasa_server adds from the environment (a command line is readable by every local user).
    rasa_command += ["--enable-api"]
    rasa = subprocess.Popen(
        rasa_command, cwd=ROOT, env=env, stdout=out_rasa, stderr=subprocess.STDOUT if logs else None
    )
    try:
        _wait_for(f"http://127.0.0.1:{settings.action_port}/health", actions, timeout=120)
        _wait_for(f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/", rasa, timeout=300)
        yield f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook"
    finally:
        _stop(rasa)
        _stop(actions)
        for log in logs:
            log.close()


@contextmanager
def running_web(settings: Settings, *, log_dir: Path | None = None) -> Iterator[str]:
    """Run the web app (console, chat bubble script, demo page); yields its base URL."""
    env = process_env(settings)
    log = open(log_dir / "web.log", "wb") if log_dir is not None else None  # noqa: SIM115
    command = [
        sys.executable, "-m", "uvicorn", "bot.web:create_app", "--factory", "--ws", "wsproto",
        "--host", settings.web_host, "--port", str(settings.web_port), "--no-access-log",
    ]  # fmt: skip
    web = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT if log else None)
    try:
        _wait_for(f"http://127.0.0.1:{settings.web_port}/health", web, timeout=60)
        yield f"http://127.0.0.1:{settings.web_port}"
    finally:
        _stop(web)
        if log is not None:
            log.close()


def first_account_hint(settings: Settings) -> str:
    """How to open the console when nobody can log in yet (an empty staff table)."""
    from bot.store import staff
    from bot.store.session import session_scope

    with session_scope(settings.database_url) as session:
        if staff.count(session):
            return ""
    return " (aucun compte encore : .venv/bin/bot staff add VOTRE@EMAIL --role admin)"


def serve(*, no_train: bool = False, force_train: bool = False) -> int:
    """Everything `make run` does after installing: prepare, train if needed, serve until Ctrl-C."""
    settings = get_settings()
    prepare_database(settings)
    model = model_for(settings, no_train=no_train, force_train=force_train)
    with running_assistant(settings, model) as webhook, running_web(settings) as web:
        print(
            "\nL'assistant est prêt.\n"
            f"  Page de démonstration avec la bulle de discussion : {web}/\n"
            f"  Console des responsables : {web}/console/{first_account_hint(settings)}\n"
            f"  Canal REST : POST {webhook}\n"
            f"  Essayez : curl -s {webhook} -H 'Content-Type: application/json' "
            '-d \'{"sender": "essai", "message": "bonjour"}\'\n'
            "  Dans un terminal : make shell\n"
            "Ctrl-C pour arrêter.\n",
            flush=True,
        )
        # wait for Ctrl-C or a stop request, then stop both servers cleanly
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


def shell(*, no_train: bool = False, force_train: bool = False) -> int:
    """Chat with the assistant in the terminal (`make shell`): action server plus `rasa shell`."""
    settings = get_settings()
    prepare_database(settings)
    model = model_for(settings, no_train=no_train, force_train=force_train)
    env = process_env(settings)
    actions = subprocess.Popen([*ACTION_SERVER, "--port", str(settings.action_port)], cwd=ROOT, env=env)
    try:
        _wait_for(f"http://127.0.0.1:{settings.action_port}/health", actions, timeout=120)
        command = [  # through bot.rasa_server: the log guard and the polite answer to failed actions
            *RASA_SERVER,
            "shell",
            "--model",
            str(model),
            "--endpoints",
            "endpoints.yml",
            "--port",
            str(settings.rasa_port),
        ]
        return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    finally:
        _stop(actions)
