"""A bounded soak: many conversations in a row, each server's memory and the turn p95 over time.

Usage (``make bench`` runs it through scripts/benchmark.py; ``--only soak`` runs it alone)::

    .venv/bin/python -m scripts.bench_soak --model tests/.artifacts/models/X.tar.gz --report /tmp/b.md
    .venv/bin/python -m scripts.bench_soak --soak-conversations 10000 --soak-seconds 0   # the issue's 10,000

The assistant is started as `make run` starts it (scripts/measure/assistant.py, fresh SQLite
databases); the personas of scripts/personas.yml talk to its REST channel one conversation
after the other (``--soak-concurrency`` at a time), each a new volunteer. Every
``--window`` seconds the resident memory (VmRSS) of each server, with its children, is read
and the window's turns are summed up. Growth is measured from the end of the first window
(after warm-up: the model's first runs, the caches filling) to the end of the last.
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bot.config import ROOT
from scripts.eval_volunteers import http_post
from scripts.measure.assistant import RunningAssistant, descendants, started_assistant
from scripts.measure.report import context_lines, invocation, percentile, table, write_section
from scripts.measure.volunteers import Conversation, QuestionReader, load_personas, run_conversation

TARGET_GROWTH = 0.10  # RSS after warm-up may grow by at most 10 %
SERVERS = ("Rasa server", "action server")


def rss_mb(pid: int) -> float:
    """Resident memory of a process now (VmRSS), in MB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass(frozen=True)
class Window:
    """One time window of the soak: its turns and each server's memory at its end."""

    end_s: float  # seconds since the soak began
    conversations: int
    latencies_ms: list[float]
    errors: int
    rss_mb: dict[str, float]

    def row(self) -> list[object]:
        """A row of the report's table."""
        return [
            f"{self.end_s:.0f}", self.conversations, len(self.latencies_ms),
            f"{percentile(self.latencies_ms, 50):.0f}", f"{percentile(self.latencies_ms, 95):.0f}",
            f"{max(self.latencies_ms, default=0):.0f}", self.errors,
            *(f"{self.rss_mb.get(server, 0):.0f}" for server in SERVERS),
        ]  # fmt: skip


WINDOW_HEADER = ["end (s)", "conversations", "turns", "p50 ms", "p95 ms", "max ms", "errors",
                 "Rasa server RSS MB", "action server RSS MB"]  # fmt: skip


def growth(windows: list[Window]) -> dict[str, float]:
    """Each server's RSS growth from the end of the first window to the end of the last, as a fraction."""
    if len(windows) < 2:
        return {}
    first, last = windows[0].rss_mb, windows[-1].rss_mb
    return {server: last[server] / first[server] - 1 for server in first if first[server] and server in last}


def _server_rss(assistant: RunningAssistant) -> dict[str, float]:
    return {
        name: rss_mb(pid) + sum(rss_mb(child) for child in descendants(pid))
        for name, pid in assistant.server_pids().items()
    }


def soak(
    assistant: RunningAssistant, *, seconds: float, conversations: int, window_s: float, concurrency: int = 1
) -> list[Window]:
    """Conversations until ``seconds`` passed or ``conversations`` were held (0: no bound), summed up by window."""
    personas, reader = load_personas(), QuestionReader.from_domain()
    lock = threading.Lock()
    started = time.perf_counter()
    state: dict[str, Any] = {"next": 0, "done": 0, "latencies": [], "errors": 0}
    windows: list[Window] = []

    def more() -> int | None:
        with lock:
            elapsed = time.perf_counter() - started
            if (seconds and elapsed >= seconds) or (conversations and state["next"] >= conversations):
                return None
            state["next"] += 1
            return state["next"] - 1

    def worker() -> None:
        with requests.Session() as session:
            post = http_post(session)
            while (number := more()) is not None:
                persona = personas[number % len(personas)]
                conversation = Conversation(persona, reader, seed=number)
                result = run_conversation(post, assistant.webhook, f"soak-{number}", conversation)
                with lock:
                    state["done"] += 1
                    state["latencies"] += result.latencies_ms
                    state["errors"] += result.errors

    def close_window() -> None:
        with lock:
            done, latencies, errors = state["done"], state["latencies"], state["errors"]
            state.update(done=0, latencies=[], errors=0)
        windows.append(Window(time.perf_counter() - started, done, latencies, errors, _server_rss(assistant)))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    next_window = window_s
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.2)
        if time.perf_counter() - started >= next_window:
            close_window()
            next_window += window_s
    close_window()
    return merged_tail(windows, window_s)


def merged_tail(windows: list[Window], window_s: float) -> list[Window]:
    """The windows; a last one under half a window long (conversations under way) joins the one before it."""
    if len(windows) < 2 or windows[-1].end_s - windows[-2].end_s >= window_s / 2:
        return windows
    before, last = windows[-2], windows[-1]
    merged = Window(
        last.end_s, before.conversations + last.conversations, before.latencies_ms + last.latencies_ms,
        before.errors + last.errors, last.rss_mb,
    )  # fmt: skip
    return [*windows[:-2], merged]


def report(windows: list[Window], args: argparse.Namespace, command: str) -> str:
    """The section of docs/benchmarks.md."""
    grown = growth(windows)
    turns = [ms for window in windows for ms in window.latencies_ms]
    errors = sum(window.errors for window in windows)
    bound = f"{args.soak_seconds:.0f} s" if args.soak_seconds else "no time bound"
    lines = [
        "## Soak",
        "",
        f"Measured by `scripts/bench_soak.py`: conversations in a row ({args.soak_concurrency} at a time, each a "
        f"new volunteer, {bound}, "
        + (f"at most {args.soak_conversations} conversations" if args.soak_conversations else "no count bound")
        + f"), summed up every {args.window:.0f} s; RSS is VmRSS of each server with its children at the window's end.",
        "",
        *context_lines(command),
        f"- {sum(w.conversations for w in windows)} conversations, {len(turns)} turns, {errors} errors; "
        f"turn p95 over the whole soak {percentile(turns, 95):.0f} ms",
        "",
        *table(WINDOW_HEADER, [window.row() for window in windows]),
        "",
        *table(
            ["server", "RSS after the first window", "RSS at the end", "growth", f"target ≤ {TARGET_GROWTH:.0%}"],
            [
                [
                    server,
                    f"{windows[0].rss_mb[server]:.0f} MB",
                    f"{windows[-1].rss_mb.get(server, 0):.0f} MB",
                    f"{grown[server]:+.1%}",
                    "met" if grown[server] <= TARGET_GROWTH else "**missed**",
                ]
                for server in SERVERS
                if server in grown
            ],
        ),
        "",
        "A soak of a few minutes shows the trend, not a 10,000-conversation day: "
        "`.venv/bin/python -m scripts.benchmark --only soak --soak-conversations 10000 --soak-seconds 0` "
        f"runs that (about {_minutes_for(10_000, windows):.0f} minutes at this run's pace).",
    ]
    return "\n".join(lines)


def _minutes_for(conversations: int, windows: list[Window]) -> float:
    held = sum(window.conversations for window in windows)
    return conversations * windows[-1].end_s / held / 60 if held else float("nan")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This script's options (scripts/benchmark.py takes them too)."""
    parser.add_argument("--soak-seconds", type=float, default=300, help="soak duration, 0: no bound (default 300)")
    parser.add_argument("--soak-conversations", type=int, default=0, help="conversations at most, 0: no bound")
    parser.add_argument("--soak-concurrency", type=int, default=1, help="conversations at a time (default 1)")
    parser.add_argument("--window", type=float, default=30, help="seconds per window (default 30)")


def run(args: argparse.Namespace, model: Path) -> None:
    """Start the assistant, soak it and write the section ``soak`` of the report."""
    folder = args.workdir / "soak"
    shutil.rmtree(folder, ignore_errors=True)  # fresh databases: every conversation is a new volunteer
    with started_assistant(folder=folder, model=model, tracker_store_url=getattr(args, "tracker_store_url", None)) as a:
        windows = soak(
            a, seconds=args.soak_seconds, conversations=args.soak_conversations, window_s=args.window,
            concurrency=args.soak_concurrency,
        )  # fmt: skip
    write_section(args.report, "soak", report(windows, args, invocation()), title="Benchmarks")


def main() -> None:
    """Soak the assistant on a trained model and write its section of the report."""
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
