"""The start: from launching `bot serve --no-train` to the first answer, then the first turns after it.

Usage (``make bench`` runs it through scripts/benchmark.py; ``--only start`` runs it alone)::

    .venv/bin/python -m scripts.bench_start --model tests/.artifacts/models/X.tar.gz --report /tmp/b.md

What `make run` does once installed, with a trained model: `bot serve --no-train` is launched
with fresh databases in a temporary folder, the model copied into a models folder of its own
and free ports (DATABASE_URL, TRACKER_STORE_URL, MODELS_DIR, RASA_PORT, ACTION_PORT, WEB_PORT).
While it starts, a client polls each part every 0.1 s and a volunteer keeps sending "bonjour"
over REST; the moment each answers is recorded, beside the durations the servers log
("understanding warmed up in", "model warmed up in"). Then every persona of
scripts/personas.yml has its first conversation, one after the other, each turn timed: the
paths a conversation can take right after the start. The action server alone (launch to its
/health) is timed a few times, with the interpreter and imports alone, to tell what it costs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

from bot.config import ROOT, Settings, rasa_api_token
from bot.serve import process_env
from scripts.eval_volunteers import http_post
from scripts.measure.assistant import BOT, free_port
from scripts.measure.report import context_lines, invocation, load_average, median, table, write_section
from scripts.measure.volunteers import Conversation, QuestionReader, load_personas, run_conversation

TARGET_FIRST_ANSWER_S, TARGET_TURN_MS, TARGET_ACTION_SERVER_S = 30, 1000, 5
POLL_S = 0.1
# Lines the servers log while starting, and what they tell (bot/action_server.py, bot/rasa/channels/warm_up.py).
LOGGED = {
    "understanding warm-up (action server)": re.compile(r"understanding warmed up in ([\d.]+) s"),
    "model warm-up (Rasa server)": re.compile(r"model warmed up in ([\d.]+) s"),
}
READY_LINE = re.compile(r"L'assistant est prêt \((\d+) s\)")
# Lines of the Rasa server's log (time-stamped to the second) that mark the steps of its start.
STEPS = {
    "Rasa: Python and Rasa imported, server starting": "Starting Rasa server on",
    "Rasa: spaCy model loading (first time)": "Trying to load SpaCy model",
    "Rasa: model loaded, server up": "Rasa server is up and running",
}
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


def logged_steps(lines: list[str], launched: datetime) -> dict[str, float]:
    """Seconds from ``launched`` to the first time-stamped log line of each step (to the second)."""
    found: dict[str, float] = {}
    for line in lines:
        stamp = STAMP.match(line)
        for name, marker in STEPS.items():
            if stamp and marker in line and name not in found:
                found[name] = (datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S") - launched).total_seconds()
    return found


def logged_durations(lines: list[str]) -> dict[str, float]:
    """The durations the servers logged while starting, by what they measure (the first of each)."""
    found: dict[str, float] = {}
    for line in lines:
        for name, pattern in LOGGED.items():
            match = pattern.search(line)
            if match and name not in found:
                found[name] = float(match.group(1))
    return found


@dataclass
class StartRun:
    """When each part of one start answered, in seconds after `bot serve` was launched."""

    moments: dict[str, float] = field(default_factory=dict)
    logged: dict[str, float] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)  # seconds after the launch, from the Rasa server's log
    turns: list[tuple[str, int, float]] = field(default_factory=list)  # (persona, turn number, ms)
    errors: int = 0
    completed: int = 0

    def slowest_turn(self) -> tuple[str, int, float] | None:
        """The slowest first-conversation turn after the start."""
        return max(self.turns, key=lambda turn: turn[2], default=None)


MOMENTS = (
    ("action server /health 200", "action server ready: imports, then the understanding warm-up"),
    ("Rasa port answers", 'the Rasa server listens (503 "loading" while the model loads)'),
    ("Rasa model loaded (/status 200)", "the model is loaded"),
    ("Rasa warm (/webhooks/rest/ 200)", "the model is warmed up: traffic is accepted"),
    ("first answer over REST", "a volunteer polling since the launch gets a reply"),
    ('"L\'assistant est prêt" printed', "bot serve says so (the web app started too)"),
)


def _status(url: str, *, post: dict[str, str] | None = None) -> tuple[int | None, object]:
    try:
        answer = requests.post(url, json=post, timeout=5) if post is not None else requests.get(url, timeout=2)
    except requests.RequestException:
        return None, None
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, None


def time_start(model: Path, folder: Path, *, quick_load: bool = True, timeout: float = 300) -> StartRun:
    """Launch `bot serve --no-train` on ``model`` with fresh databases in ``folder`` and time its start.

    ``quick_load=False`` sets QUICK_MODEL_LOAD=0: Rasa's own load of DIET and TED (bot.rasa.quick_load).
    """
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "models").mkdir(parents=True)
    for path in model.parent.glob(model.name + "*"):  # the model and its training record (--no-train reads it)
        shutil.copy2(path, folder / "models" / path.name)
    settings = Settings(
        database_url=f"sqlite:///{folder / 'bot.db'}",
        tracker_store_url=f"sqlite:///{folder / 'tracker.db'}",
        models_dir=str(folder / "models"),
        rasa_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=(action_port := free_port()),
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
        web_port=free_port(),
        quick_model_load=int(quick_load),
    )
    env = process_env(settings)  # every setting explicitly, as the servers will see them
    rasa = f"http://127.0.0.1:{settings.rasa_port}"
    checks: dict[str, Callable[[], bool]] = {
        MOMENTS[0][0]: lambda: _status(f"http://127.0.0.1:{settings.action_port}/health")[0] == 200,
        MOMENTS[1][0]: lambda: _status(f"{rasa}/webhooks/rest/")[0] is not None,
        MOMENTS[2][0]: lambda: _status(f"{rasa}/status?token={rasa_api_token(settings)}")[0] == 200,
        MOMENTS[3][0]: lambda: _status(f"{rasa}/webhooks/rest/")[0] == 200,
        MOMENTS[4][0]: lambda: _answered(f"{rasa}/webhooks/rest/webhook"),
    }
    run, lines = StartRun(), []
    started, launched = time.perf_counter(), datetime.now()
    server = subprocess.Popen(
        [BOT, "serve", "--no-train"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip

    def read_output() -> None:
        assert server.stdout is not None
        for raw in server.stdout:
            line = raw.decode(errors="replace")
            lines.append(line)
            if READY_LINE.search(line):
                run.moments[MOMENTS[5][0]] = time.perf_counter() - started

    reader = threading.Thread(target=read_output, daemon=True)
    reader.start()
    try:
        while len(run.moments) < len(MOMENTS) and time.perf_counter() - started < timeout:
            if server.poll() is not None:
                raise RuntimeError(f"bot serve stopped while starting (exit code {server.returncode})")
            for name, check in checks.items():
                if name not in run.moments and check():
                    run.moments[name] = time.perf_counter() - started
            time.sleep(POLL_S)
        _first_conversations(run, f"{rasa}/webhooks/rest/webhook")
    finally:
        os.killpg(server.pid, 15)  # SIGTERM: bot serve stops its children
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        reader.join(timeout=5)
        (folder / "serve.log").write_text("".join(lines), encoding="utf-8")
    run.logged = logged_durations(lines)
    run.steps = logged_steps(lines, launched)
    return run


def _answered(webhook: str) -> bool:
    status, body = _status(webhook, post={"sender": "bench-start-probe", "message": "bonjour"})
    return status == 200 and bool(body)


def _first_conversations(run: StartRun, webhook: str) -> None:
    """Every persona's first conversation, one after the other, each turn timed."""
    reader = QuestionReader.from_domain()
    with requests.Session() as session:
        post = http_post(session)
        for persona in load_personas():
            result = run_conversation(post, webhook, f"bench-start-{persona.id}", Conversation(persona, reader))
            run.turns += [(persona.id, number, ms) for number, ms in enumerate(result.latencies_ms, 1)]
            run.errors += result.errors
            run.completed += result.completed


@dataclass(frozen=True)
class ActionServerStart:
    """The action server started alone: launch to /health 200, the interpreter and imports, the warm-up.

    ``cold``: the gazetteer's cache (var/cache, bot.understanding.places) removed first, as on the first
    start after a change of its inputs; ``warm``: read from the cache, as on every other start.
    """

    health_s: dict[str, list[float]]
    imports_s: list[float]
    warm_up_s: dict[str, list[float]]


def time_action_server(repeat: int = 3) -> ActionServerStart:
    """Start `python -m bot.action_server` ``repeat`` times cold and warm, and time its imports alone."""
    from bot.understanding.places import CACHE_DIR

    env = process_env(Settings())
    health: dict[str, list[float]] = {"cold": [], "warm": []}
    warm: dict[str, list[float]] = {"cold": [], "warm": []}
    imports = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import bot.action_server"], cwd=ROOT, env=env, check=True)
        imports.append(time.perf_counter() - started)
        for cache in ("cold", "warm"):
            if cache == "cold":
                for path in CACHE_DIR.glob("places-*.pickle"):
                    path.unlink(missing_ok=True)
            seconds, logged = _action_server_start(env)
            health[cache].append(seconds)
            warm[cache].append(logged.get("understanding warm-up (action server)", float("nan")))
    return ActionServerStart(health, imports, warm)


def _action_server_start(env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Seconds from launching the action server to its /health 200, and the durations it logged."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "bot.action_server", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            while _status(f"http://127.0.0.1:{port}/health")[0] != 200:
                if server.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError("the action server did not start")
                time.sleep(0.05)
            seconds = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        log.seek(0)
        return seconds, logged_durations(log.read().decode(errors="replace").splitlines())


def cost_line(name: str, run: StartRun) -> str:
    """Where one start's time went, on the critical path (the Rasa server's), from its log and the polls."""
    imported = run.steps.get("Rasa: Python and Rasa imported, server starting")
    loaded = run.steps.get("Rasa: model loaded, server up")
    warm = run.logged.get("model warm-up (Rasa server)")
    if imported is None or loaded is None or warm is None:
        return f"- {name.capitalize()}: the Rasa server's log did not show every step."
    return (
        f"- {name.capitalize()}: the Rasa server imports Python, TensorFlow and Rasa for {imported:.0f} s, "
        f"loads the model for {loaded - imported:.0f} s, warms it up for {warm:.1f} s; the action server is ready "
        f"after {run.moments.get(MOMENTS[0][0], float('nan')):.1f} s, meanwhile. (/status answers only once the model "
        "is loaded and warmed up: the log's step is the mark of the load.)"
    )


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(
    runs: list[StartRun], action: ActionServerStart | None, command: str, rasa_load: list[StartRun] | None = None
) -> str:
    """The section of docs/benchmarks.md: ``runs`` as configured, ``rasa_load`` with QUICK_MODEL_LOAD=0 beside."""
    rasa_load = rasa_load or []
    every = [*runs, *rasa_load]
    names = [f"start {n}" for n in range(1, len(runs) + 1)]
    names += [f"Rasa's load {n}" for n in range(1, len(rasa_load) + 1)]
    lines = [
        "## Start",
        "",
        "Measured by `scripts/bench_start.py` (see its docstring): `bot serve --no-train` with a trained model, "
        "fresh databases, free ports; a client polls each part every 0.1 s.",
        "",
        *context_lines(command),
        "",
    ]
    header = ["moment (s after launch)", *names, "what it means"]
    rows = [
        [name, *(f"{run.moments[name]:.1f}" if name in run.moments else "–" for run in every), meaning]
        for name, meaning in MOMENTS
    ]
    rows += [
        [f"{name} (log, to the second)", *(f"{run.steps[name]:.0f}" if name in run.steps else "–" for run in every), ""]
        for name in STEPS
    ]
    rows += [
        [f"{name}: logged duration", *(f"{run.logged[name]:.1f}" if name in run.logged else "–" for run in every), ""]
        for name in LOGGED
    ]
    lines += table(header, rows)
    lines += ["", *(cost_line(name, run) for name, run in zip(names, every, strict=True))]
    if rasa_load:
        lines += [
            "",
            "The columns \"Rasa's load\" load the same model with QUICK_MODEL_LOAD=0 (Rasa's own load of DIET "
            "and TED, one step of training first; bot.rasa.quick_load), in the same run, for comparison; the targets "
            "below judge the starts as configured.",
        ]
    first = [run.moments.get(MOMENTS[4][0], float("inf")) for run in runs]
    slowest = [run.slowest_turn() for run in runs]
    worst_ms = max((turn[2] for turn in slowest if turn), default=float("nan"))
    lines += [
        "",
        *table(
            ["target", "measured", "target value", "verdict"],
            [
                [
                    "first answer after launch",
                    f"{max(first):.1f} s",
                    f"≤ {TARGET_FIRST_ANSWER_S} s",
                    _verdict(max(first) <= TARGET_FIRST_ANSWER_S),
                ],
                [
                    "slowest first-conversation turn after the start",
                    f"{worst_ms:.0f} ms",
                    f"≤ {TARGET_TURN_MS} ms",
                    _verdict(worst_ms <= TARGET_TURN_MS),
                ],
            ],
        ),
        "",
        "First conversations right after the start (every persona once, in a row):",
        "",
    ]
    lines += table(
        ["start", "turns", "p50 ms", "max ms", "slowest turn", "errors", "profiles saved"],
        [
            [n, len(run.turns), f"{median([t[2] for t in run.turns]):.0f}", f"{turn[2]:.0f}" if turn else "–",
             f"{turn[0]}, turn {turn[1]}" if turn else "–", run.errors,
             f"{run.completed}/{len({t[0] for t in run.turns})}"]
            for n, (run, turn) in enumerate(zip(runs, slowest, strict=True), 1)
        ],
    )  # fmt: skip
    if action is not None:
        imports = median(action.imports_s)
        lines += [
            "",
            f"The action server alone (`python -m bot.action_server`, {len(action.imports_s)} starts each; target "
            f"≤ {TARGET_ACTION_SERVER_S} s to /health, so that it is back within 5 s after a crash): median seconds. "
            "Cold: the gazetteer's cache removed first (the first start after its inputs change, and every start "
            "before the cache existed); warm: read from var/cache.",
            "",
            *table(
                ["gazetteer", "launch to /health 200", "interpreter + imports alone", "understanding warm-up (logged)",
                 "the rest (Sanic's start, polling)"],
                [[cache, f"{median(action.health_s[cache]):.2f}", f"{imports:.2f}",
                  f"{median(action.warm_up_s[cache]):.2f}",
                  f"{median(action.health_s[cache]) - imports - median(action.warm_up_s[cache]):.2f}"]
                 for cache in ("cold", "warm") if action.health_s.get(cache)],
            ),
        ]  # fmt: skip
    lines += ["", f"Load average after the measurements: {load_average()} (2 shared cores: figures are pessimistic)."]
    return "\n".join(lines)


def run(args: argparse.Namespace, model: Path) -> None:
    """Measure the start(s) and write the section ``start`` of the report."""
    runs = [time_start(model, args.workdir / "start" / str(n)) for n in range(1, args.starts + 1)]
    rasa_load = [
        time_start(model, args.workdir / "start" / f"rasa-{n}", quick_load=False)
        for n in range(1, args.rasa_load_starts + 1)
    ]
    action = time_action_server(args.action_starts) if args.action_starts else None
    write_section(args.report, "start", report(runs, action, invocation(), rasa_load), title="Benchmarks")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This script's options (scripts/benchmark.py takes them too)."""
    parser.add_argument("--starts", type=int, default=1, help="starts of bot serve to time (default 1)")
    parser.add_argument(
        "--rasa-load-starts", type=int, default=1,
        help="starts with QUICK_MODEL_LOAD=0 (Rasa's own model load), beside, for comparison (default 1)",
    )  # fmt: skip
    parser.add_argument("--action-starts", type=int, default=3, help="starts of the action server alone (default 3)")


def main() -> None:
    """Time the start on a trained model and write its section of the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="trained model (default: the newest in models/)")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown file to write")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench", help="databases and logs")
    add_arguments(parser)
    args = parser.parse_args()
    from bot.serve import latest_model

    run(args, args.model or latest_model(ROOT / "models"))


if __name__ == "__main__":
    main()
