"""The blind set on dated shifts (``eval/blind/dates.yml``), scored over HTTP: PARTIAL, only the list ``other``.

Usage::

    .venv/bin/python -m scripts.eval_dates --model models/x.tar.gz --label before --report /tmp/evaluation.md

``eval/blind/dates.yml`` was written from the job description by someone who had not read the training
data (``eval/blind/README.md``). This first version scores only the list ``other`` by intent: each
message is classified by the real Rasa server (``/model/parse``, as served) and is right when its
intent is none of the dated-shift intents. The lists scored by outcome in the database (date choices,
cancellations, confirmation replies, attestation periods: a seeded volunteer, the four shifts, a moved
clock) are not scored yet and are reported as such. It measures and always exits 0.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

import requests
import yaml

from bot.config import ROOT
from scripts.measure.report import context_lines, invocation, write_section

SET = ROOT / "eval" / "blind" / "dates.yml"
FORBIDDEN = {"cancel_signup", "ask_attestation", "stop_nudges", "my_shifts", "sign_up", "choose_shift"}
OUTCOME_LISTS = ("date_choices", "cancellations", "cancel_confirm_replies", "attestation_periods")


def score_other(parse_url: str, items: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """Right count and failing ids of the list ``other``, by intent only."""
    hits, misses = 0, []
    with requests.Session() as session:
        for item in items:
            try:
                answer = session.post(parse_url, json={"text": item["text"]}, timeout=30).json()
                intent = str((answer.get("intent") or {}).get("name") or "none")
            except (requests.RequestException, ValueError):
                intent = "error"
            if intent not in FORBIDDEN and intent != "error":
                hits += 1
            else:
                misses.append(str(item["id"]))
    return hits, misses


def main() -> None:
    """Start the assistant on a model, score what this version scores, write and print the section."""
    from scripts.measure.assistant import evaluated_model, started_assistant

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--model", type=Path, help="trained model (default: the latest test model, or models/)")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "evaluation.md", help="markdown file to write")
    parser.add_argument("--label", default="", help="the section's name (e.g. 'dates-blind before (main dc020d3)')")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "eval-dates")
    args = parser.parse_args()
    started = time.perf_counter()
    model = evaluated_model(args.model)
    data = yaml.safe_load(SET.read_text(encoding="utf-8"))
    folder = args.workdir / "assistant"
    shutil.rmtree(folder, ignore_errors=True)
    others = data.get("other") or []
    rows = [f"- {name}: not scored yet ({len(data.get(name) or [])} items)" for name in OUTCOME_LISTS]
    try:
        with started_assistant(model, folder) as assistant:
            hits, misses = score_other(assistant.parse_url, others)
        failing = ", ".join(misses) or "none"
        rows.append(f"- other: {hits}/{len(others)} right (by intent only); failing ids: {failing}")
    except Exception as error:  # noqa: BLE001 - a measure always exits 0
        rows.append(f"- other: not scored ({type(error).__name__})")
    label = args.label or "dates-blind"
    lines = [
        f"## {label}",
        "",
        "`eval/blind/dates.yml` (blind set on dated shifts), scored by `scripts/eval_dates.py` (partial).",
        "",
        *context_lines(invocation()),
        f"- Model: `{model.name}`; took {time.perf_counter() - started:.0f} s in all",
        "",
        *rows,
    ]
    write_section(args.report, label, "\n".join(lines), title="Evaluation")
    print("\n".join(rows))
    print(f"written to {args.report}")


if __name__ == "__main__":
    main()
