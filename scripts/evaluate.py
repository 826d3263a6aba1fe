"""`make eval`: how well the assistant understands French volunteers and gets their profile right.

Usage::

    make eval                                     # writes docs/evaluation.md
    .venv/bin/python -m scripts.evaluate --rounds 1 --report /tmp/evaluation.md

Trains the model if data, domain or config changed (as `make run` does), starts the
action server and the Rasa server on free ports with throw-away databases, then
measures, over HTTP: NLU intents on the held-out set and entities on known facts
(scripts/eval_nlu.py), simulated volunteers completing their profile
(scripts/eval_volunteers.py); and, in this process, the understanding tables
(scripts/eval_understanding.py). Takes about 5 minutes on 2 cores when the model is trained.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import requests

from bot.config import ROOT
from scripts.eval_nlu import entity_examples, evaluate_entities, evaluate_intents, holdout_examples, http_parser
from scripts.eval_understanding import evaluate_understanding
from scripts.eval_volunteers import evaluate_volunteers
from scripts.measure.assistant import started_assistant, train_model
from scripts.measure.report import context_lines, invocation, write_section

INTRODUCTION = """\
How well the assistant understands French volunteers and how efficiently a profile gets
completed. Produced by `scripts/evaluate.py` (`make eval`); the section between the
markers is regenerated on every run, anything outside them is kept.

How to read it:

- *NLU* runs the real Rasa server over HTTP (`/model/parse`). Intents are measured on
  `tests/nlu/holdout.yml`, written apart from the training data and never trained on.
  Entities come from our own component (`bot.rasa.nlu.profile_extractor`), which returns
  normalised values rather than spans, so they are compared by value.
- *Understanding tables* are the phrasings of `tests/bot/understanding`: unit tests and
  data at once.
- *Simulated volunteers* (personas in `scripts/personas.yml`) read each question the
  assistant asks from its replies and answer it from their facts, with varied phrasings,
  typos and several facts at once; they confirm the summary without checking it, so a
  misunderstood fact ends up stored and counts against field accuracy."""


def main() -> None:
    """Measure everything and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="conversations per persona (default 3)")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "evaluation.md", help="markdown file to write")
    parser.add_argument(
        "--models", type=Path, default=ROOT / "models", help="folder of trained models (default models)"
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "eval", help="databases and server logs")
    args = parser.parse_args()

    started = time.perf_counter()
    print("training if needed...", flush=True)
    model, _ = train_model(args.models)
    folder = args.workdir / "assistant"
    shutil.rmtree(folder, ignore_errors=True)  # a fresh database and tracker store: no returning volunteers
    print(f"starting the assistant with {model.name}...", flush=True)
    with started_assistant(model, folder) as assistant, requests.Session() as session:
        parse = http_parser(assistant.parse_url, session)
        print("NLU...", flush=True)
        intents = evaluate_intents(parse, holdout_examples())
        entities = evaluate_entities(parse, entity_examples())
        print("simulated volunteers...", flush=True)
        volunteers = evaluate_volunteers(assistant.webhook, assistant.export, rounds=args.rounds)
    print("understanding tables...", flush=True)
    understanding = evaluate_understanding()

    lines = [
        *context_lines(invocation()),
        f"- Model: `{model.name}` (config.yml); took {time.perf_counter() - started:.0f} s in all",
        "",
        "## Summary",
        "",
        f"- Intents (held-out): accuracy {intents.accuracy:.1%}, macro F1 {intents.macro_f1:.3f} "
        f"({intents.served_accuracy:.1%} answered right, counting fallbacks as wrong)",
        f"- Simulated volunteers: {volunteers.completion_rate:.0%} completed, median "
        f"{volunteers.median_messages:g} user messages, stored fields {volunteers.accuracy:.1%} right; "
        f"everything said at once: at most {max(volunteers.all_at_once_messages(), default=0)} messages",
        "",
        "## NLU: intents",
        "",
        *intents.markdown(),
        "",
        "## NLU: entities",
        "",
        *entities.markdown(),
        "",
        "## Understanding tables",
        "",
        *understanding.markdown(),
        "",
        "## Simulated volunteers",
        "",
        *volunteers.markdown(),
    ]
    write_section(args.report, "evaluation", INTRODUCTION + "\n\n" + "\n".join(lines), title="Evaluation")
    print(f"written to {args.report} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
