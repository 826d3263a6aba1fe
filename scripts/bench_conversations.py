"""Turn latency and throughput over HTTP: simulated volunteers talking to the assistant at once.

Usage (``make bench`` runs it through scripts/benchmark.py)::

    .venv/bin/python -m scripts.bench_conversations --concurrency 1 10 50

``concurrency`` simulated volunteers (the personas of scripts/personas.yml, each answering
whatever the assistant asks) talk to the assistant's REST channel at the same time, each
sending its next message as soon as it has the answer (no thinking time: the server is
kept busy, so messages per second is what it can sustain). A conversation stops when the
profile is saved or after ``max_messages`` messages. Every turn's wall-clock time is
recorded; the tracker store is SQL (SQLite in a throw-away file unless told otherwise).
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from scripts.eval_volunteers import http_post
from scripts.measure.report import median, percentile, table
from scripts.measure.volunteers import Conversation, ConversationResult, QuestionReader, load_personas, run_conversation

SENDER_UNSAFE = re.compile(r"[^A-Za-z0-9_.:@-]")

if TYPE_CHECKING:
    from scripts.measure.assistant import RunningAssistant


@dataclass(frozen=True)
class LoadResult:
    """What one load level measured."""

    label: str
    concurrency: int
    conversations: list[ConversationResult]
    seconds: float
    # CPU time each server used during the level (seconds), when it was read
    server_cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def latencies_ms(self) -> list[float]:
        """Every turn's wall-clock time."""
        return [latency for result in self.conversations for latency in result.latencies_ms]

    @property
    def messages(self) -> int:
        """User messages sent."""
        return sum(result.messages for result in self.conversations)

    @property
    def throughput(self) -> float:
        """Messages answered per second, over the whole level."""
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Turns that failed (HTTP error or no answer)."""
        return sum(result.errors for result in self.conversations)

    @property
    def completed(self) -> int:
        """Conversations that ended with a saved profile."""
        return sum(result.completed for result in self.conversations)

    def cpu_ms_per_message(self, server: str) -> float | None:
        """CPU time one server used per user message during the level, in ms."""
        seconds = self.server_cpu_s.get(server)
        return None if seconds is None or not self.messages else 1000 * seconds / self.messages

    def row(self) -> list[object]:
        """A row of the report's table."""
        latencies = self.latencies_ms
        cpu = [self.cpu_ms_per_message(server) for server in ("Rasa server", "action server")]
        return [
            self.label, self.concurrency, len(self.conversations), self.messages,
            f"{median(latencies):.0f}", f"{percentile(latencies, 95):.0f}", f"{max(latencies, default=0):.0f}",
            f"{self.throughput:.1f}", *("–" if ms is None else f"{ms:.0f}" for ms in cpu), self.errors,
            f"{self.completed}/{len(self.conversations)}",
        ]  # fmt: skip


HEADER = [
    "model", "concurrent", "conversations", "messages", "p50 ms", "p95 ms", "max ms", "messages/s",
    "Rasa CPU ms/message", "actions CPU ms/message", "errors", "profiles saved",
]  # fmt: skip


def bench_sender(label: str, concurrency: int, seed: int, number: int) -> str:
    """A sender id the REST channel accepts: letters, digits and - _ . : @ (others get a 400)."""
    return f"bench-{SENDER_UNSAFE.sub('-', label)}-{concurrency}-{seed}-{number}"


def run_load(
    webhook: str,
    label: str,
    concurrency: int,
    conversations: int,
    *,
    max_messages: int = 12,
    seed: int = 0,
    token: str = "",
) -> LoadResult:
    """``conversations`` simulated conversations, ``concurrency`` at a time, against ``webhook``.

    ``token``: the REST channel's REST_TOKEN, which it asks for behind a proxy (scripts/bench_cluster.py).
    """
    personas = load_personas()
    reader = QuestionReader.from_domain()
    queue = list(range(conversations))
    lock = threading.Lock()
    results: list[ConversationResult] = []

    def worker() -> None:
        with requests.Session() as session:
            if token:
                session.headers["Authorization"] = f"Bearer {token}"
            post = http_post(session)
            while True:
                with lock:
                    if not queue:
                        return
                    number = queue.pop(0)
                persona = personas[number % len(personas)]
                sender = bench_sender(label, concurrency, seed, number)
                conversation = Conversation(persona, reader, seed=seed + number)
                result = run_conversation(post, webhook, sender, conversation, max_messages=max_messages)
                with lock:
                    results.append(result)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(label, concurrency, results, time.perf_counter() - started)


def measured_load(
    assistant: RunningAssistant, label: str, concurrency: int, conversations: int, **kwargs: Any
) -> LoadResult:
    """``run_load`` against a running assistant, with the CPU time its servers used meanwhile."""
    before = assistant.cpu_seconds()
    load = run_load(assistant.webhook, label, concurrency, conversations, **kwargs)
    after = assistant.cpu_seconds()
    return replace(load, server_cpu_s={name: after[name] - before[name] for name in after if name in before})


def main() -> None:
    """Start the assistant with a model, run the load levels, print the table."""
    from scripts.measure.assistant import started_assistant, train_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50], help="levels (default 1 10 50)")
    parser.add_argument("--conversations", type=int, default=20, help="conversations per level (default 20)")
    parser.add_argument("--model", type=Path, help="trained model (default: train config.yml into models/)")
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"), help="databases and logs")
    args = parser.parse_args()
    model = args.model or train_model(Path("models"))[0]
    with started_assistant(model, args.workdir / f"load-{int(time.time())}") as assistant:
        rows = [
            measured_load(assistant, "ours", level, max(args.conversations, level)).row() for level in args.concurrency
        ]
    print("\n".join(table(HEADER, rows)))


if __name__ == "__main__":
    main()
