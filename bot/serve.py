"""Start the assistant: database, demo missions, model, then the action server, the Rasa server and the web app.

``make run`` calls ``bot serve``; the end-to-end tests use :func:`running_assistant` and
:func:`running_web` to start the very same processes on other ports and databases. All of
them run under a :class:`~bot.supervise.Supervisor`: a process that dies is started again,
and ``bot serve`` exits with :data:`~bot.supervise.EXIT_GAVE_UP` when one keeps dying.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.config import ROOT, Settings, action_token, get_settings, rasa_api_token, secret_key, widget_allowed_origins
from bot.errors import BotError
from bot.supervise import Child, Supervisor, sigterm_as_interrupt

logger = logging.getLogger(__name__)

ACTION_SERVER = [sys.executable, "-m", "bot.action_server"]
RASA_SERVER = [sys.executable, "-m", "bot.rasa.server"]
# The dependencies' deprecation warnings (dozens at each start) tell the person running the assistant
# nothing they can act on; developers see them in test runs, LOG_LEVEL=DEBUG shows them here. Sanic
# asks for every DeprecationWarning "once" as soon as it is imported, overriding PYTHONWARNINGS: the two
# raised before our code runs are silenced at their source, the later ones by bot.logs (captured).
QUIET_DEPENDENCIES = {
    "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::PendingDeprecationWarning",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",  # Rasa's tracker store uses SQLAlchemy 1.4's declarative_base
    "SETUPTOOLS_USE_DISTUTILS": "stdlib",  # sanic-cors compares versions with distutils: the quiet one
}


def process_env(settings: Settings) -> dict[str, str]:
    """The environment of the Rasa and action servers and the web app: every setting, explicitly."""
    env = dict(os.environ)
    env.update(settings.as_env())
    env["SECRET_KEY"] = secret_key(settings).decode()  # one secret for every process, even when generated
    env["RASA_API_TOKEN"] = rasa_api_token(settings)  # read from the environment, never from argv
    env["ACTION_TOKEN"] = action_token(settings)  # endpoints.yml sends it, the action server checks it
    env["WIDGET_ALLOWED_ORIGINS"] = ",".join(widget_allowed_origins(settings))  # credentials.yml reads it
    env["SANIC_HOST"] = "127.0.0.1"  # the action server is never exposed
    env["RASA_TELEMETRY_ENABLED"] = "false"  # nothing about conversations leaves this machine
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if settings.log_level.upper() != "DEBUG":
        for name, value in QUIET_DEPENDENCIES.items():
            env.setdefault(name, value)
    return env


def prepare_database(settings: Settings) -> None:
    """Create or upgrade the schema and load the demo missions into an empty database."""
    from bot.missions import read_missions
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


def action_server(settings: Settings, *, log_dir: Path | None = None) -> Child:
    """The action server as bot serve runs it (127.0.0.1:ACTION_PORT)."""
    return Child(
        "action server", "le serveur d'actions", [*ACTION_SERVER, "--port", str(settings.action_port)],
        ready_url=f"http://127.0.0.1:{settings.action_port}/health", ready_timeout=120,
        env=process_env(settings), cwd=ROOT, log_file=log_dir / "actions.log" if log_dir else None,
    )  # fmt: skip


def rasa_server(settings: Settings, model: Path, *, port: int | None = None, log_dir: Path | None = None) -> Child:
    """The Rasa server as bot serve runs it; it serves once the model is loaded and warmed up.

    ``port``: a replica behind the proxy (bot.cluster), on 127.0.0.1 at that port instead of RASA_PORT.
    """
    from bot import opening_hours
    from bot.rasa.speedups import parse_groups

    parse_groups(settings.rasa_speedups)  # a wrong RASA_SPEEDUPS is said here, not by a server that keeps dying
    opening_hours.parse(settings.opening_hours, settings.timezone)  # so is a wrong OPENING_HOURS
    if not 0 <= settings.digest_hour <= 23:  # and a DIGEST_HOUR that would never come
        raise BotError(f"DIGEST_HOUR vaut {settings.digest_hour} : indiquez une heure de 0 à 23")
    command = [
        *RASA_SERVER, "run", "--model", str(model), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        "--interface", settings.rasa_host if port is None else "127.0.0.1", "--port", str(port or settings.rasa_port),
    ]  # fmt: skip
    # The HTTP API lets the console deliver invitations; it always requires the token, which
    # bot.rasa.server adds from the environment (a command line is readable by every local user).
    command += ["--enable-api"]
    return Child(
        "Rasa server", "le serveur Rasa", command,
        # 503 while loading
        ready_url=f"http://127.0.0.1:{port or settings.rasa_port}/webhooks/rest/", ready_timeout=300,
        env=process_env(settings), cwd=ROOT, log_file=log_dir / "rasa.log" if log_dir else None,
    )  # fmt: skip


def web_app(settings: Settings, *, port: int | None = None, log_dir: Path | None = None) -> Child:
    """The web app (console, chat bubble script, demo page) as bot serve runs it.

    ``port``: behind the proxy (bot.cluster), on 127.0.0.1 at that port; WEB_PORT stays the public one.
    """
    host, port = (settings.web_host, settings.web_port) if port is None else ("127.0.0.1", port)
    command = [
        sys.executable, "-m", "uvicorn", "bot.web_app:create_app", "--factory", "--ws", "wsproto",
        "--host", host, "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    if host == "127.0.0.1" and port != settings.web_port:  # behind the proxy: its X-Forwarded-Proto is the scheme
        command += ["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
    return Child(
        "web app", "l'application web", command,
        # /health answers 503 while another part is down: any answer says the web app itself serves
        ready_url=f"http://127.0.0.1:{port}/health", any_status_is_ready=True, ready_timeout=60,
        env=process_env(settings), cwd=ROOT, log_file=log_dir / "web.log" if log_dir else None,
    )  # fmt: skip


def webhook_url(settings: Settings) -> str:
    """The REST channel's webhook on this machine."""
    return f"http://127.0.0.1:{settings.rasa_port}/webhooks/rest/webhook"


@contextmanager
def running_assistant(settings: Settings, model: Path, *, log_dir: Path | None = None) -> Iterator[str]:
    """Run the action server and the Rasa server, restarted if they die; yields the REST webhook URL."""
    with Supervisor() as supervisor:
        supervisor.start(action_server(settings, log_dir=log_dir), rasa_server(settings, model, log_dir=log_dir))
        yield webhook_url(settings)


@contextmanager
def running_web(settings: Settings, *, log_dir: Path | None = None) -> Iterator[str]:
    """Run the web app (console, chat bubble script, demo page), restarted if it dies; yields its base URL."""
    with Supervisor() as supervisor:
        supervisor.start(web_app(settings, log_dir=log_dir))
        yield f"http://127.0.0.1:{settings.web_port}"


def first_account_hint(settings: Settings) -> str:
    """How to open the console when nobody can log in yet (an empty staff table)."""
    from bot.store import staff
    from bot.store.session import session_scope

    with session_scope(settings.database_url) as session:
        if staff.count(session):
            return ""
    return " (aucun compte encore : .venv/bin/bot staff add VOTRE@EMAIL --role admin)"


def serve(*, no_train: bool = False, force_train: bool = False, replicas: int = 1) -> int:
    """Everything `make run` does after installing: prepare, train if needed, serve until Ctrl-C or SIGTERM.

    ``replicas`` above 1: that many Rasa processes behind HAProxy, on PostgreSQL and Redis (bot.cluster,
    `make run-cluster`). Returns 0 when asked to stop, EXIT_GAVE_UP when a process kept dying.
    """
    from bot.cluster import check_cluster_settings

    settings = get_settings()
    check_cluster_settings(settings, replicas)
    check_ports_free(settings)
    started = time.monotonic()
    with sigterm_as_interrupt():
        try:
            if replicas > 1:
                from bot.cluster import ensure_database

                ensure_database(settings.database_url)
                ensure_database(settings.tracker_store_url)
            prepare_database(settings)
            model = model_for(settings, no_train=no_train, force_train=force_train)
            code = _serve(settings, model, started, replicas=replicas)
        except KeyboardInterrupt:
            code = 0
    if code == 0:
        print("\nL'assistant est arrêté.", file=sys.stderr, flush=True)
    return code


def check_ports_free(settings: Settings) -> None:
    """Refuse to start, in French, when a port of ours is taken (another `bot serve` still running?).

    Found by starting `make run-cluster` twice: the second HAProxy shared the first one's port
    (HAProxy binds with SO_REUSEPORT), so half the connections went to a half-started assistant.
    """
    wanted = [
        ("RASA_PORT", settings.rasa_host, settings.rasa_port),
        ("WEB_PORT", settings.web_host, settings.web_port),
        ("ACTION_PORT", "127.0.0.1", settings.action_port),
    ]
    taken = [f"{name} ({port})" for name, host, port in wanted if not _port_free(host, port)]
    if taken:
        raise BotError(
            f"port déjà utilisé : {', '.join(taken)}. Un autre « bot serve » (make run, make run-cluster) "
            "tourne-t-il déjà ? Arrêtez-le, ou choisissez d'autres ports dans .env."
        )


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a socket closing (TIME_WAIT) is free
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def scheduled_jobs_line(settings: Settings) -> str:
    """What `make run` says of the scheduled jobs (reminders, check-ins, nudges, e-mails)."""
    from bot.background import JOBS

    if settings.background_seconds <= 0:
        return (
            f"Tâches planifiées ({len(JOBS)}) : arrêtées ici (BACKGROUND_SECONDS=0) ; "
            "lancez « bot jobs run » chaque minute depuis cron"
        )
    return (
        f"Tâches planifiées ({len(JOBS)} : rappels, suivis, relances, e-mails…) : lancées par l'application web "
        f"toutes les {settings.background_seconds} s, une seule fois même à plusieurs processus ; "
        "état : .venv/bin/bot jobs list"
    )


def _children(settings: Settings, model: Path, replicas: int) -> tuple[list[list[Child]], str]:
    """The processes to run, in the groups that start together, and what `make run` says of them."""
    if replicas <= 1:
        return [[action_server(settings), rasa_server(settings, model), web_app(settings)]], "des trois processus"
    from bot.cluster import cluster_children, cluster_plan
    from bot.config import DATA_DIR

    plan = cluster_plan(settings, replicas, DATA_DIR / "cluster")
    *servers, proxy = cluster_children(settings, model, plan)
    return [servers, [proxy]], (
        f"des {replicas} serveurs Rasa derrière HAProxy ({settings.rasa_port} et {settings.web_port}), du serveur "
        f"d'actions ({settings.action_workers} processus) et de l'application web"
    )


def _rest_hint(settings: Settings, webhook: str, replicas: int) -> str:
    """How to try the REST channel: behind the proxy it asks for REST_TOKEN (forwarded requests)."""
    if replicas > 1 and not settings.rest_token:
        return "Derrière le proxy, le canal REST demande REST_TOKEN (docs/deploy.md) ; la bulle et Telegram servent"
    token = ' -H "Authorization: Bearer $REST_TOKEN"' if replicas > 1 else ""
    return (
        f"Essayez : curl -s {webhook} -H 'Content-Type: application/json'{token} "
        '-d \'{"sender": "essai", "message": "bonjour"}\''
    )


def _serve(settings: Settings, model: Path, started: float, *, replicas: int = 1) -> int:
    groups, which = _children(settings, model, replicas)
    print(
        f"\nDémarrage de l'assistant avec le modèle {model.name} : le serveur Rasa charge le modèle "
        f"(une minute environ), les lignes qui suivent sont les journaux {which}.\n",
        flush=True,
    )
    with Supervisor() as supervisor:
        for group in groups:  # the proxy, if any, once every process behind it serves
            supervisor.start(*group)
        web, webhook = f"http://127.0.0.1:{settings.web_port}", webhook_url(settings)
        # make shell starts an action server and a Rasa of its own, on one process's settings
        shell_line = "  Dans un terminal : make shell\n" if replicas <= 1 else ""
        print(
            f"\nL'assistant est prêt ({time.monotonic() - started:.0f} s).\n"
            f"  Page de démonstration avec la bulle de discussion : {web}/\n"
            f"  Console des responsables : {web}/console/{first_account_hint(settings)}\n"
            f"  Canal REST : POST {webhook}\n"
            f"  {_rest_hint(settings, webhook, replicas)}\n"
            f"{shell_line}"
            f"  État de chaque partie : {web}/health\n"
            f"  {scheduled_jobs_line(settings)}\n"
            "Un processus qui s'arrête est relancé aussitôt. Ctrl-C pour arrêter.\n",
            flush=True,
        )
        code = supervisor.wait()
        failed = supervisor.failed
    if failed is not None:
        policy = supervisor.policy
        print(
            f"\nErreur : {failed.label} s'est arrêté {policy.max_deaths} fois en moins de {policy.window / 60:.0f} "
            f"minutes ; bot serve abandonne et arrête l'assistant (code de sortie {code}). La cause est dans "
            "ses journaux ci-dessus. En production, le gestionnaire de services le relance (docs/operations.md).",
            file=sys.stderr,
            flush=True,
        )
    return code


def shell(*, no_train: bool = False, force_train: bool = False) -> int:
    """Chat with the assistant in the terminal (`make shell`): action server plus `rasa shell`."""
    settings = get_settings()
    prepare_database(settings)
    model = model_for(settings, no_train=no_train, force_train=force_train)
    env = process_env(settings)
    with Supervisor() as supervisor:
        supervisor.start(action_server(settings))
        command = [  # through bot.rasa.server: the log guard and the polite answer to failed actions
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
