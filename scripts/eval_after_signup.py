"""The blind set after sign-up: what volunteers write once they signed up for shifts, scored over HTTP.

Usage::

    make eval-blind                                             # also writes the `after-signup` section
    .venv/bin/python -m scripts.eval_after_signup --model models/x.tar.gz --report /tmp/evaluation.md

``eval/blind/after_signup.yml`` was written from the job description by someone who had not read the
training data (``eval/blind/README.md``). Each message is classified by the real Rasa server
(``/model/parse``, as served: a low confidence is ``nlu_fallback``) and judged against its topic; the
answers to "how many hours?" go through ``bot.durations`` and the answers to "toujours OK ?" through
the classifier. It measures and always exits 0.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from bot.config import ROOT
from scripts.measure.report import context_lines, invocation, table, write_section

SET = ROOT / "eval" / "blind" / "after_signup.yml"
# Intents that do the job for each topic (design names, not phrasings).
ANSWERS: dict[str, set[str]] = {
    "cancel": {"cancel_signup"},
    "attestation": {"ask_attestation"},
    "stop_nudges": {"stop_nudges"},
    "my_shifts": {"my_shifts"},
    "sign_up": {"sign_up", "show_missions", "apply"},  # dates are offered from the missions too
}
NEW_INTENTS = set().union(*ANSWERS.values()) - {"show_missions", "apply"}
REPLIES: dict[str, set[str]] = {
    "yes": {"affirm", "confirm_shift"},
    "no": {"deny", "cancel_signup"},
}


def right(topic: str, intent: str) -> bool:
    """Whether ``intent`` does the job for a message of ``topic``; `other` must not trigger a new intent."""
    if topic == "other":
        return intent not in NEW_INTENTS
    return intent in ANSWERS.get(topic, set())


def reply_right(meaning: str, intent: str) -> bool:
    """Whether an answer to "toujours OK ?" is read as meant; an unclear one must be neither yes nor no."""
    if meaning in REPLIES:
        return intent in REPLIES[meaning]
    return not any(intent in intents for intents in REPLIES.values())


@dataclass
class Report:
    """Per topic, the messages classified right, and the misses (text, topic, intent)."""

    topics: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    hours: tuple[int, int] = (0, 0)
    hours_misses: list[tuple[str, object, object]] = field(default_factory=list)
    replies: tuple[int, int] = (0, 0)
    reply_misses: list[tuple[str, str, str]] = field(default_factory=list)

    def markdown(self, *, show_misses: bool) -> list[str]:
        """The figures, and the misses only when asked (reading them spends the set's blindness)."""
        rows = [[t, f"{self.hits[t]}/{n}", f"{self.hits[t] / n:.0%}"] for t, n in sorted(self.topics.items())]
        total, hit = sum(self.topics.values()), sum(self.hits.values())
        rows.append(["all messages", f"{hit}/{total}", f"{hit / total:.0%}" if total else "–"])
        h_hit, h_total = self.hours
        rows.append(["hours read right", f"{h_hit}/{h_total}", f"{h_hit / h_total:.0%}" if h_total else "–"])
        r_hit, r_total = self.replies
        rows.append(
            ['"toujours OK ?" answers read right', f"{r_hit}/{r_total}", f"{r_hit / r_total:.0%}" if r_total else "–"]
        )
        lines = table(["topic", "right", "share"], rows)
        if show_misses and self.misses:
            lines += ["", "Misses (text → topic: intent):", ""]
            lines += [f"- {text} → {topic}: {intent}" for text, topic, intent in self.misses]
        return lines


def durations_reader() -> Any:
    """``bot.durations.parse`` if it exists in this checkout, else None."""
    try:
        return importlib.import_module("bot.durations")
    except ImportError:
        return None


def evaluate(parse_url: str, data: dict[str, Any]) -> Report:
    """Classify every message and reply with the running server, read every hours answer."""
    report = Report()
    with requests.Session() as session:

        def intent(text: str) -> str:
            answer = session.post(parse_url, json={"text": text}, timeout=30).json()
            return str((answer.get("intent") or {}).get("name") or "none")

        for item in data.get("messages") or []:
            topic, got = item["topic"], intent(item["text"])
            report.topics[topic] += 1
            if right(topic, got):
                report.hits[topic] += 1
            else:
                report.misses.append((item["text"], topic, got))
        replies = data.get("reminder_replies") or []
        hit = 0
        for item in replies:
            got = intent(item["text"])
            meaning = (
                str(item["meaning"]).lower()
                if not isinstance(item["meaning"], bool)
                else ("yes" if item["meaning"] else "no")
            )
            if reply_right(meaning, got):
                hit += 1
            else:
                report.reply_misses.append((item["text"], meaning, got))
        report.replies = (hit, len(replies))
    durations = durations_reader()
    hours = data.get("hours") or []
    hit = 0
    for item in hours:
        got = durations.read_minutes(item["text"], planned=180) if durations is not None else "absent"
        if got == item["minutes"]:
            hit += 1
        else:
            report.hours_misses.append((item["text"], item["minutes"], got))
    report.hours = (hit, len(hours))
    return report


INTRODUCTION = """\
`eval/blind/after_signup.yml` was written on 2026-12-04, before any of the intents it tests existed,
by someone who had not read the training data: messages of volunteers who signed up for shifts
(cancelling, asking for an attestation, stopping the reminders, asking for their shifts, signing up,
and other messages close to those), answers to "how many hours?" and to "toujours OK ?". Each
message is classified by the real server as served; a message of topic `other` is right unless it
triggers one of the new intents. Produced by `scripts/eval_after_signup.py`; the misses are not
printed, so that the set stays blind."""


def main() -> None:
    """Start the assistant on a model, score the set, write and print the section."""
    from scripts.measure.assistant import evaluated_model, started_assistant

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="trained model (default: the latest test model, or models/)")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "evaluation.md", help="markdown file to write")
    parser.add_argument("--label", default="", help="a word for this run in the section's title (before, after…)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "eval-after-signup")
    args = parser.parse_args()
    started = time.perf_counter()
    model = evaluated_model(args.model)
    data = yaml.safe_load(SET.read_text(encoding="utf-8"))
    folder = args.workdir / "assistant"
    shutil.rmtree(folder, ignore_errors=True)
    with started_assistant(model, folder) as assistant:
        report = evaluate(assistant.parse_url, data)
    label = f" ({args.label})" if args.label else ""
    lines = [
        f"## Blind set after sign-up{label}",
        "",
        INTRODUCTION,
        "",
        *context_lines(invocation()),
        f"- Model: `{model.name}`; took {time.perf_counter() - started:.0f} s in all",
        "",
        *report.markdown(show_misses=False),
    ]
    write_section(
        args.report, "after-signup" + (f"-{args.label}" if args.label else ""), "\n".join(lines), title="Evaluation"
    )
    print("\n".join(report.markdown(show_misses=False)))
    print(f"written to {args.report}")


if __name__ == "__main__":
    main()
