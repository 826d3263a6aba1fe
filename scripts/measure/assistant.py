"""The assistant as the measurements see it: trained, started on free ports with throw-away databases.

Usage::

    model = train_model(models_dir)                        # skips training when nothing changed
    with started_assistant(model, folder) as assistant:    # action server + Rasa server
        assistant.webhook, assistant.parse_url, assistant.export(), assistant.peak_rss_mb()
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.config import ROOT, Settings, rasa_api_token
from bot.serve import latest_model, prepare_database, process_env, running_assistant
from bot.training import TRAINING_DATA

RASA = str(Path(sys.executable).with_name("rasa"))
BOT = str(Path(sys.executable).with_name("bot"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def train_model(out: Path, *, config: Path = ROOT / "config.yml", cache: Path | None = None) -> tuple[Path, float]:
    """Train (always: training time is measured); the model and the seconds it took."""
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    if cache is not None:
        env["RASA_CACHE_DIRECTORY"] = str(cache)
    command = [
        RASA, "train", "--data", *TRAINING_DATA, "--config", str(config), "--domain", "domain.yml", "--out", str(out),
    ]  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(out / "train.log", "ab") as log:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"training failed, see {out / 'train.log'}")
    return latest_model(out), elapsed


def evaluated_model(given: Path | None) -> Path:
    """The model an evaluation scores: ``given``, else the test run's latest (tests/.artifacts/models), else models/."""
    if given is not None:
        return given
    tested = ROOT / "tests" / ".artifacts" / "models"
    return latest_model(tested if any(tested.glob("*.tar.gz")) else ROOT / "models")


def descendants(pid: int) -> list[int]:
    """Every descendant process of ``pid``."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def process_peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process (VmHWM), in MB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


@dataclass
class RunningAssistant:
    """Handles on a running assistant: its URLs, its databases, its processes."""

    settings: Settings
    webhook: str
    folder: Path

    @property
    def parse_url(self) -> str:
        """Rasa's NLU endpoint (HTTP API, with its token)."""
        return f"http://127.0.0.1:{self.settings.rasa_port}/model/parse?token={rasa_api_token(self.settings)}"

    def export(self) -> list[dict]:
        """`bot volunteers export --format json` on this run's database, run as a user would."""
        env = dict(os.environ, DATABASE_URL=self.settings.database_url)
        result = subprocess.run(
            [BOT, "volunteers", "export", "--format", "json"], cwd=ROOT, env=env, capture_output=True, text=True,
            check=True,
        )  # fmt: skip
        return json.loads(result.stdout)

    def server_pids(self) -> dict[str, int]:
        """The process ids of the Rasa server and of the action server (children of this process)."""
        pids = {}
        for pid in descendants(os.getpid()):
            command = command_line(pid)
            if f"--port {self.settings.action_port}" in command and "bot.action_server" in command:
                pids["action server"] = pid
            elif f"--port {self.settings.rasa_port}" in command and " run " in command:
                pids["Rasa server"] = pid
        return pids

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time each server has used so far, with its child processes, in seconds."""
        return {
            name: process_cpu_seconds(pid) + sum(process_cpu_seconds(child) for child in descendants(pid))
            for name, pid in self.server_pids().items()
        }

    def peak_rss_mb(self) -> dict[str, float]:
        """Peak resident memory of each server, with its child processes if it has any, in MB."""
        return {
            name: process_peak_rss_mb(pid) + sum(process_peak_rss_mb(child) for child in descendants(pid))
            for name, pid in self.server_pids().items()
        }


@contextmanager
def started_assistant(
    model: Path, folder: Path, *, tracker_store_url: str | None = None, speedups: str = "1"
) -> Iterator[RunningAssistant]:
    """Start the action server and the Rasa server (as `make run` does) on free ports and new databases.

    ``speedups`` is the server's RASA_SPEEDUPS: 1 as `make run`, 0 for Rasa as shipped, or groups.
    """
    folder.mkdir(parents=True, exist_ok=True)
    action_port = free_port()
    url = tracker_store_url or f"sqlite:///{folder / 'tracker.db'}"
    settings = Settings(
        database_url=f"sqlite:///{folder / 'bot.db'}",
        tracker_store_url=url,
        tracker_dialect="postgresql" if url.startswith("postgresql") else "sqlite",
        rasa_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
        rasa_speedups=speedups,
    )
    prepare_database(settings)
    process_env(settings)  # creates the shared secret before both servers need it
    with running_assistant(settings, model, log_dir=folder / "logs") as webhook:
        yield RunningAssistant(settings, webhook, folder)
