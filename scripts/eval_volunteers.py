"""Simulated volunteers complete onboarding over HTTP; how many finish, how fast, how right is what is stored.

Usage (``make eval`` runs it through scripts/evaluate.py)::

    .venv/bin/python -m scripts.eval_volunteers --rounds 2      # against a freshly started assistant

Each persona of ``scripts/personas.yml`` talks to the running assistant (REST channel)
``rounds`` times with different random phrasings; the stored profile is then read with
``bot volunteers export`` and compared, field by field, with the persona's facts.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from scripts.measure.report import median, table
from scripts.measure.volunteers import (
    Conversation,
    ConversationResult,
    Persona,
    QuestionReader,
    load_personas,
    run_conversation,
)

EXPORT_FIELDS = ("first_name", "city", "postcode", "skills", "availability", "interests", "email", "phone")


def http_post(session: requests.Session) -> Any:
    """A function posting JSON with ``session`` and returning the decoded answer."""

    def post(url: str, body: dict[str, str]) -> list[dict[str, Any]]:
        response = session.post(url, json=body, timeout=120)
        response.raise_for_status()
        return list(response.json())

    return post


def _plain(text: str) -> str:
    """Case and accents left out: "lea" typed by Léa is her first name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).strip()


def normalised(name: str, value: Any) -> Any:
    """A stored or expected field in a comparable form (lists as sets, slots as day:period)."""
    if value in (None, "", []):
        return None
    if name == "availability":
        return frozenset(item if isinstance(item, str) else f"{item['day']}:{item['period']}" for item in value)
    if isinstance(value, list):
        return frozenset(value)
    if name == "first_name":
        return _plain(str(value))
    return str(value)


@dataclass
class VolunteerReport:
    """Completion, effort and stored-field accuracy over every simulated conversation."""

    results: list[ConversationResult]
    personas: dict[str, Persona]
    field_hits: dict[str, int] = field(default_factory=dict)
    field_total: dict[str, int] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    @property
    def completed(self) -> list[ConversationResult]:
        """Conversations that ended with a saved profile."""
        return [result for result in self.results if result.completed]

    @property
    def completion_rate(self) -> float:
        """Share of conversations that ended with a saved profile."""
        return len(self.completed) / len(self.results) if self.results else 0.0

    @property
    def median_messages(self) -> float:
        """Median number of user messages to a saved profile (completed conversations)."""
        return median([result.messages for result in self.completed])

    @property
    def accuracy(self) -> float:
        """Share of stored fields equal to the persona's facts (every field of every conversation)."""
        total = sum(self.field_total.values())
        return sum(self.field_hits.values()) / total if total else 0.0

    def all_at_once_messages(self) -> list[int]:
        """User messages used by the personas who say everything in their first message."""
        return [r.messages for r in self.results if self.personas[r.persona].all_at_once]

    def check(self, stored: dict[str, dict[str, Any]]) -> None:
        """Compare the exported profiles (by sender id) with the personas' facts."""
        for result in self.results:
            expected = self.personas[result.persona].expected
            row = stored.get(result.sender)
            for name in EXPORT_FIELDS:
                self.field_total[name] = self.field_total.get(name, 0) + 1
                actual = normalised(name, row.get(name)) if row else "(nothing stored)"
                if actual == normalised(name, expected.get(name)):
                    self.field_hits[name] = self.field_hits.get(name, 0) + 1
                else:
                    self.mismatches.append(f"{result.sender}: {name} stored {actual!r}, said {expected.get(name)!r}")

    def markdown(self) -> list[str]:
        """The report's section on simulated volunteers."""
        at_once = self.all_at_once_messages()
        lines = [
            f"{len(self.results)} conversations ({len(self.personas)} personas × "
            f"{len(self.results) // max(len(self.personas), 1)} rounds of random phrasings), over HTTP.",
            "",
            *table(
                ["measure", "value", "target"],
                [
                    ["completed", f"{len(self.completed)}/{len(self.results)} ({self.completion_rate:.0%})", "all"],
                    ["median user messages to a saved profile", f"{self.median_messages:g}", "≤ 7"],
                    ["stored fields equal to what was said", f"{self.accuracy:.1%}", "≥ 95 %"],
                    ["user messages when everything is said at once (max)", max(at_once, default="–"), "≤ 3"],
                ],
            ),
            "",
            "Accuracy of the stored profile, field by field (`bot volunteers export`):",
            "",
            *table(
                ["field", "correct", "accuracy"],
                [
                    [
                        name,
                        f"{self.field_hits.get(name, 0)}/{self.field_total[name]}",
                        f"{self.field_hits.get(name, 0) / self.field_total[name]:.0%}",
                    ]
                    for name in EXPORT_FIELDS
                    if self.field_total.get(name)
                ],  # fmt: skip
            ),
            "",
            *table(
                ["persona", "completed", "user messages (each round)"],
                [
                    [persona, f"{sum(r.completed for r in rows)}/{len(rows)}", ", ".join(str(r.messages) for r in rows)]
                    for persona, rows in _by_persona(self.results).items()
                ],
            ),
        ]
        if self.mismatches:
            lines += ["", "Fields stored differently from what the persona said:", ""]
            lines += [f"- {line}" for line in self.mismatches]
        unfinished = [r for r in self.results if not r.completed]
        for result in unfinished[:3]:
            lines += ["", f"Transcript of an unfinished conversation ({result.sender}):", "", "```"]
            for said, answered in result.transcript:
                lines += [f"> {said}", *("  " + line for line in answered.splitlines()[:3])]
            lines += ["```"]
        return lines


def _by_persona(results: Iterable[ConversationResult]) -> dict[str, list[ConversationResult]]:
    grouped: dict[str, list[ConversationResult]] = {}
    for result in results:
        grouped.setdefault(result.persona, []).append(result)
    return grouped


def evaluate_volunteers(
    webhook: str, export: Any, *, rounds: int = 3, personas: list[Persona] | None = None, parallel: int = 4
) -> VolunteerReport:
    """Run every persona ``rounds`` times against the assistant and check what was stored."""
    personas = personas if personas is not None else load_personas()
    reader = QuestionReader.from_domain()

    def talk(job: tuple[Persona, int]) -> ConversationResult:
        persona, round_number = job
        with requests.Session() as session:
            sender = f"eval-{persona.id}-{round_number}"
            conversation = Conversation(persona, reader, seed=round_number)
            return run_conversation(http_post(session), webhook, sender, conversation)

    jobs = [(persona, number) for number in range(rounds) for persona in personas]
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        results = list(pool.map(talk, jobs))
    report = VolunteerReport(results, {persona.id: persona for persona in personas})
    report.check({row["sender_id"]: row for row in export()})
    return report


def main() -> None:
    """Start the assistant (training if needed), run the personas, print the section."""
    from scripts.measure.assistant import started_assistant, train_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="conversations per persona (default 3)")
    parser.add_argument("--workdir", type=Path, default=Path("var/eval"), help="databases and logs (default var/eval)")
    args = parser.parse_args()
    model, _ = train_model(Path("models"))
    with started_assistant(model, args.workdir / "assistant") as assistant:
        report = evaluate_volunteers(assistant.webhook, assistant.export, rounds=args.rounds)
    print("\n".join(report.markdown()))


if __name__ == "__main__":
    main()
