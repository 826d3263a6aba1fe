"""Each group of speed patches' own gain: the Rasa server's CPU per message without it, side by side.

Usage (``make bench`` runs it through scripts/benchmark.py; ``--only speedups`` runs it alone)::

    .venv/bin/python -m scripts.bench_speedups --model tests/.artifacts/models/X.tar.gz --report /tmp/b.md

The same model is served several times at once, each server with its own RASA_SPEEDUPS
(bot/rasa/speedups): every group (as `make run`), none (Rasa as shipped), and every group but
one, for each group. The personas of scripts/personas.yml then talk to each server in turn,
one conversation at a time, for ``--speedups-rounds`` rounds, the order of the servers turning
at each round so that none always comes first or last; a first round warms every server up and
is not counted. What is compared is the CPU time the Rasa server process used per user
message (from /proc, not the wall clock, which the other servers and the simulated volunteers
share on the same cores): a group's gain is what its server without it uses more than the one
with every group, the median of the rounds, with the rounds' spread beside it.
"""

from __future__ import annotations

import argparse
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bot.config import ROOT
from bot.rasa.speedups import GROUPS
from scripts.bench_conversations import measured_load
from scripts.measure.assistant import RunningAssistant, started_assistant
from scripts.measure.report import context_lines, invocation, median, table, write_section

EVERY, NONE = "every group", "none (Rasa as shipped)"
MIN_GAIN_MS = 1.0  # a group that saves less than this per message is not worth replacing Rasa's code


@dataclass(frozen=True)
class Served:
    """One configuration of the patches and the Rasa server's CPU per message at each counted round."""

    label: str
    setting: str
    cpu_ms: list[float]

    @property
    def typical(self) -> float:
        return median(self.cpu_ms) if self.cpu_ms else float("nan")

    @property
    def spread(self) -> float:
        return max(self.cpu_ms) - min(self.cpu_ms) if self.cpu_ms else float("nan")


def configurations() -> dict[str, str]:
    """Label -> RASA_SPEEDUPS: every group, none, and every group but one for each."""
    found = {EVERY: "1", NONE: "0"}
    if len(GROUPS) > 1:  # with one group, "all but it" is "none"
        for group in GROUPS:
            found[f"all but {group}"] = ",".join(other for other in GROUPS if other != group)
    return found


def measure(
    assistants: dict[str, RunningAssistant], *, rounds: int, conversations: int, max_messages: int
) -> dict[str, list[float]]:
    """Rasa CPU ms per message of each assistant at each counted round (round 0 warms up)."""
    found: dict[str, list[float]] = {label: [] for label in assistants}
    labels = list(assistants)
    for number in range(rounds + 1):
        order = labels[number % len(labels) :] + labels[: number % len(labels)]
        for label in order:
            load = measured_load(
                assistants[label], f"speedups-{label}", 1, conversations, max_messages=max_messages, seed=1000 * number
            )
            ms = load.cpu_ms_per_message("Rasa server")
            if number and ms is not None:
                found[label].append(ms)
        print(f"[{time.strftime('%H:%M:%S')}] round {number} of {rounds} done", flush=True)
    return found


def report(served: list[Served], args: argparse.Namespace, command: str) -> str:
    """The section ``speedups`` of docs/benchmarks.md."""
    every = next(item for item in served if item.label == EVERY)
    rows = []
    for item in served:
        gain = item.typical - every.typical
        verdict = ""
        if item.label.startswith("all but ") or (item.label == NONE and len(GROUPS) == 1):
            verdict = "kept" if gain >= MIN_GAIN_MS else f"**under {MIN_GAIN_MS:.0f} ms**"
        rows.append(
            [item.label, f"`{item.setting}`", f"{item.typical:.1f}", f"{item.spread:.1f}",
             "" if item is every else f"{gain:+.1f}", verdict]
        )  # fmt: skip
    none = next(item for item in served if item.label == NONE)
    lines = [
        "## Speed patches, group by group",
        "",
        *context_lines(command),
        f"- {len(served)} Rasa servers of the same model at once, each with its RASA_SPEEDUPS; "
        f"{args.speedups_rounds} counted rounds (after one to warm up) of {args.speedups_conversations} "
        f"conversations each, one at a time, at most {args.max_messages} messages each",
        "",
        "The Rasa server's CPU time per user message (median of the rounds, and max − min across them); "
        "a group's gain is what the server without it uses more than the one with every group.",
        "",
        *table(["patches", "RASA_SPEEDUPS", "Rasa CPU ms/message", "spread ms", "vs every group", ""], rows),
        "",
        f"Every group together: {none.typical - every.typical:.1f} ms less per message than Rasa as shipped "
        f"({none.typical / every.typical:.1f}× less CPU). A group is kept when it saves at least "
        f"{MIN_GAIN_MS:.0f} ms per message here; a gain within the spread is not told apart from noise.",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """This script's options (scripts/benchmark.py takes them too)."""
    parser.add_argument("--speedups-rounds", type=int, default=4, help="counted rounds (default 4)")
    parser.add_argument("--speedups-conversations", type=int, default=6, help="conversations per round and server")


def run(args: argparse.Namespace, model: Path) -> None:
    """Start one server per configuration, measure them in turn and write the section ``speedups``."""
    folder = args.workdir / "speedups"
    shutil.rmtree(folder, ignore_errors=True)
    settings = configurations()
    with ExitStack() as stack:
        assistants = {}
        for label, setting in settings.items():
            print(f"[{time.strftime('%H:%M:%S')}] starting the server with {label}...", flush=True)
            assistants[label] = stack.enter_context(
                started_assistant(model, folder / setting.replace(",", "-"), speedups=setting)
            )
        found = measure(
            assistants, rounds=args.speedups_rounds, conversations=args.speedups_conversations,
            max_messages=args.max_messages,
        )  # fmt: skip
    served = [Served(label, settings[label], found[label]) for label in settings]
    write_section(args.report, "speedups", report(served, args, invocation()), title="Benchmarks")


def main() -> None:
    """Measure each group of patches on a trained model and write its section of the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="trained model (default: the newest in models/)")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "benchmarks.md", help="markdown file to write")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench", help="databases and logs")
    parser.add_argument("--max-messages", type=int, default=12, help="messages per conversation at most")
    add_arguments(parser)
    args = parser.parse_args()
    from bot.serve import latest_model

    run(args, args.model or latest_model(ROOT / "models"))


if __name__ == "__main__":
    main()
