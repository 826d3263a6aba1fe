"""NLU parse latency over HTTP: one message at a time to the Rasa server's /model/parse.

Usage (``make bench`` runs it through scripts/benchmark.py)::

    .venv/bin/python -m scripts.bench_nlu --repeat 2

Sends every held-out example (tests/nlu/holdout.yml) and every persona's first message,
``repeat`` times, one after the other on a kept-alive connection, after a few warm-up
messages; each parse's wall-clock time is what a client waits for the pipeline (spaCy,
our extractor, DIET, fallback) plus the HTTP round trip on loopback.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from scripts.eval_nlu import holdout_examples
from scripts.measure.report import median, percentile
from scripts.measure.volunteers import load_personas


def parse_messages() -> list[str]:
    """The messages timed: the held-out examples and the personas' first messages."""
    return [text for text, _ in holdout_examples()] + [persona.opening for persona in load_personas()]


@dataclass(frozen=True)
class ParseTimings:
    """Parse latencies of one model, in milliseconds."""

    label: str
    timings_ms: list[float]

    def row(self) -> list[object]:
        """A row of the report's table."""
        timings = self.timings_ms
        return [
            self.label,
            len(timings),
            f"{median(timings):.1f}",
            f"{percentile(timings, 95):.1f}",
            f"{max(timings, default=0):.1f}",
        ]


HEADER = ["model", "messages", "p50 ms", "p95 ms", "max ms"]


def time_parses(url: str, label: str, messages: list[str], *, repeat: int = 1, warm_up: int = 5) -> ParseTimings:
    """Parse each message ``repeat`` times, one at a time, and time each call."""
    timings = []
    with requests.Session() as session:
        for text in messages[:warm_up]:
            session.post(url, json={"text": text}, timeout=60).raise_for_status()
        for _ in range(repeat):
            for text in messages:
                started = time.perf_counter()
                session.post(url, json={"text": text}, timeout=60).raise_for_status()
                timings.append((time.perf_counter() - started) * 1000)
    return ParseTimings(label, timings)


def main() -> None:
    """Start the assistant with a model and time the parses."""
    from scripts.measure.assistant import started_assistant, train_model
    from scripts.measure.report import table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="times each message is parsed (default 2)")
    parser.add_argument("--model", type=Path, help="trained model (default: train config.yml into models/)")
    parser.add_argument("--workdir", type=Path, default=Path("var/bench"), help="databases and logs")
    args = parser.parse_args()
    model = args.model or train_model(Path("models"))[0]
    with started_assistant(model, args.workdir / f"nlu-{int(time.time())}") as assistant:
        timings = time_parses(assistant.parse_url, "ours", parse_messages(), repeat=args.repeat)
    print("\n".join(table(HEADER, [timings.row()])))


if __name__ == "__main__":
    main()
