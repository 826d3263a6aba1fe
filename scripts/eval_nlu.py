"""NLU quality over HTTP: intents on the held-out set, entities on messages whose facts are known.

Usage (``make eval`` runs it through scripts/evaluate.py)::

    .venv/bin/python -m scripts.eval_nlu

Intents: every example of ``tests/nlu/holdout.yml`` (never trained on) is sent to the
running Rasa server's ``/model/parse``; accuracy and macro F1 count ``nlu_fallback`` as
a wrong answer, as the assistant would then ask to rephrase. Entities: the messages of
the understanding table ``tests/bot/understanding/test_extract_facts.py`` read without
context, the personas' full first messages and every phrasing they use to state a fact
(``scripts/personas.yml``); an entity is right when its normalised value is expected
(places compare as name and postcode).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import requests
import yaml

from bot.config import ROOT
from scripts.measure.report import table
from scripts.measure.volunteers import FIELDS, Persona, load_personas

HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"
ENTITIES = ("first_name", "age", "place", "skill", "cause", "availability", "email", "phone")
Parse = Callable[[str], dict[str, Any]]
FALLBACK = "nlu_fallback"
# Ages computed from a birth year depend on today's date: the table fixes it, the server cannot.
YEAR = re.compile(r"\b(19|20)\d\d\b")


def holdout_examples(path: Path = HOLDOUT) -> list[tuple[str, str]]:
    """(text, intent) for every example of the held-out file."""
    examples = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        for line in block.get("examples", "").splitlines():
            if line.strip().startswith("- "):
                examples.append((line.strip()[2:], block["intent"]))
    return examples


def http_parser(url: str, session: requests.Session) -> Parse:
    """Parse messages with the Rasa server's /model/parse."""

    def parse(text: str) -> dict[str, Any]:
        response = session.post(url, json={"text": text}, timeout=60)
        response.raise_for_status()
        return dict(response.json())

    return parse


# --------------------------------------------------------------------------- intents


@dataclass
class IntentReport:
    """Intent accuracy, per-intent scores and confusions.

    Scores count the classifier's best intent, as ``rasa test nlu`` (and the held-out
    test) does; "as served" also counts a low-confidence ``nlu_fallback`` as wrong.
    """

    pairs: list[tuple[str, str, str, str]]  # (text, expected, served, best intent)

    @property
    def accuracy(self) -> float:
        """Share of examples whose best intent is the expected one."""
        return sum(expected == best for _, expected, _, best in self.pairs) / len(self.pairs)

    @property
    def served_accuracy(self) -> float:
        """Share of examples answered with the expected intent (fallbacks count as wrong)."""
        return sum(expected == served for _, expected, served, _ in self.pairs) / len(self.pairs)

    def scores(self) -> dict[str, tuple[float, float, float, int]]:
        """Intent → (precision, recall, F1, support), on the best intent."""
        result = {}
        for intent in sorted({expected for _, expected, _, _ in self.pairs}):
            hits = sum(e == intent and b == intent for _, e, _, b in self.pairs)
            predicted = sum(b == intent for _, _, _, b in self.pairs)
            support = sum(e == intent for _, e, _, _ in self.pairs)
            precision = hits / predicted if predicted else 0.0
            recall = hits / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            result[intent] = (precision, recall, f1, support)
        return result

    @property
    def macro_f1(self) -> float:
        """Unweighted mean of the per-intent F1 scores."""
        scores = self.scores()
        return sum(f1 for _, _, f1, _ in scores.values()) / len(scores)

    def confusions(self) -> Counter[tuple[str, str]]:
        """(expected, served) → count, for the wrong answers (fallbacks included)."""
        return Counter((e, s) for _, e, s, _ in self.pairs if e != s)

    def markdown(self) -> list[str]:
        """The report's section on intents."""
        errors = [(text, e, s, b) for text, e, s, b in self.pairs if e != s]
        return [
            f"{len(self.pairs)} held-out examples (`tests/nlu/holdout.yml`), {len(self.scores())} intents: "
            f"**accuracy {self.accuracy:.1%}**, **macro F1 {self.macro_f1:.3f}** on the classifier's best intent "
            "(as `rasa test nlu` and the held-out test count); as served, where a low-confidence message gets "
            f'`nlu_fallback` ("please rephrase"), **{self.served_accuracy:.1%}** are answered with the right intent.',
            "",
            "Confusions as served (expected → answered, count):",
            "",
            *table(["expected", "answered", "count"], [[e, s, n] for (e, s), n in self.confusions().most_common()]),
            "",
            "Intents below F1 1.0 (best intent):",
            "",
            *table(
                ["intent", "precision", "recall", "F1", "support"],
                [
                    [intent, f"{p:.2f}", f"{r:.2f}", f"{f1:.2f}", n]
                    for intent, (p, r, f1, n) in self.scores().items()
                    if f1 < 1
                ],
            ),
            "",
            "Examples answered with another intent:",
            "",
            *[
                f"- « {text} »: {expected} → {served}" + (f" (best intent {best})" if best != served else "")
                for text, expected, served, best in errors
            ],
        ]


def evaluate_intents(parse: Parse, examples: Iterable[tuple[str, str]]) -> IntentReport:
    """Predict the intent of every example."""
    pairs = []
    for text, intent in examples:
        result = parse(text)
        served = result["intent"]["name"]
        ranking = [item["name"] for item in result.get("intent_ranking", []) if item["name"] != FALLBACK]
        pairs.append((text, intent, served, ranking[0] if served == FALLBACK and ranking else served))
    return IntentReport(pairs)


# --------------------------------------------------------------------------- entities


def _value(entity: str, value: Any) -> str:
    """Entities compare by normalised value; places by name and postcode (not coordinates)."""
    text = str(value)
    return "|".join(text.split("|")[:2]) if entity == "place" else text


def entity_examples(personas: list[Persona] | None = None) -> list[tuple[str, Counter[tuple[str, str]]]]:
    """(message, expected entities) from the extract_facts table and the personas' phrasings."""
    from tests.bot.understanding.test_extract_facts import MESSAGES

    examples = []
    for text, expecting, expected in MESSAGES:
        if expecting is None and text.strip():
            entities: Counter[tuple[str, str]] = Counter()
            for name, value in cast("dict[str, Any]", expected).items():
                if name == "age" and YEAR.search(text):
                    continue
                entity = {"skills": "skill", "causes": "cause"}.get(name, name)
                for item in value if isinstance(value, list) else [value]:
                    entities[(entity, _value(entity, item))] += 1
            examples.append((text, entities))
    for persona in personas if personas is not None else load_personas():
        facts = persona_entities(persona)
        if persona.all_at_once:
            examples.append((persona.opening, sum(facts.values(), Counter())))
        for slot in FIELDS:
            for phrasing in dict.fromkeys(persona.stated[slot]):
                examples.append((phrasing, facts[slot]))
    return examples


def persona_entities(persona: Persona) -> dict[str, Counter[tuple[str, str]]]:
    """The entities each of a persona's facts should give, by form slot."""
    expected = persona.expected
    contact = [("email", expected["email"])] if expected.get("email") else [("phone", expected["phone"])]
    return {
        "first_name": Counter([("first_name", str(expected["first_name"]))]),
        "age_group": Counter([("age", str(persona.facts["age"]))]),
        "place": Counter([("place", f"{expected['city']}|{expected['postcode']}")]),
        "skills": Counter(("skill", key) for key in expected["skills"]),
        "availability": Counter(("availability", key) for key in expected["availability"]),
        "causes": Counter(("cause", key) for key in expected["interests"]),
        "contact": Counter(contact),
    }


@dataclass
class EntityReport:
    """Entity precision and recall, by entity, over messages whose facts are known."""

    true_positive: Counter[str] = field(default_factory=Counter)
    false_positive: Counter[str] = field(default_factory=Counter)
    false_negative: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    messages: int = 0

    def add(self, text: str, expected: Counter[tuple[str, str]], found: Counter[tuple[str, str]]) -> None:
        """Count one message."""
        self.messages += 1
        for (entity, _), count in (expected & found).items():
            self.true_positive[entity] += count
        for (entity, value), count in (found - expected).items():
            self.false_positive[entity] += count
            self.errors.append(f"« {text} »: found {entity} {value!r}, not said")
        for (entity, value), count in (expected - found).items():
            self.false_negative[entity] += count
            self.errors.append(f"« {text} »: missed {entity} {value!r}")

    def markdown(self) -> list[str]:
        """The report's section on entities."""
        rows = []
        for entity in ENTITIES:
            tp, fp, fn = self.true_positive[entity], self.false_positive[entity], self.false_negative[entity]
            if tp + fp + fn == 0:
                continue
            precision = f"{tp / (tp + fp):.2f}" if tp + fp else "–"
            recall = f"{tp / (tp + fn):.2f}" if tp + fn else "–"
            rows.append([entity, precision, recall, tp + fn])
        tp, fp, fn = (sum(c.values()) for c in (self.true_positive, self.false_positive, self.false_negative))
        rows.append(["**all**", f"{tp / max(tp + fp, 1):.2f}", f"{tp / max(tp + fn, 1):.2f}", tp + fn])
        return [
            f"{self.messages} messages with known facts (the `extract_facts` table without context, the personas' "
            "full first messages and every phrasing they use to state a fact), parsed by the running server:",
            "",
            *table(["entity", "precision", "recall", "expected"], rows),
            "",
            "Errors:",
            "",
            *[f"- {line}" for line in self.errors],
        ]


def evaluate_entities(parse: Parse, examples: Iterable[tuple[str, Counter[tuple[str, str]]]]) -> EntityReport:
    """Compare the entities of every example with the expected ones."""
    report = EntityReport()
    for text, expected in examples:
        found = Counter(
            (entity["entity"], _value(entity["entity"], entity["value"]))
            for entity in parse(text).get("entities", [])
            if entity["entity"] in ENTITIES and not (entity["entity"] == "age" and YEAR.search(text))
        )
        report.add(text, expected, found)
    return report


def main() -> None:
    """Start the assistant (training if needed), evaluate, print the sections."""
    from scripts.measure.assistant import started_assistant, train_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("var/eval"), help="databases and logs (default var/eval)")
    args = parser.parse_args()
    model, _ = train_model(Path("models"))
    with started_assistant(model, args.workdir / "assistant") as assistant, requests.Session() as session:
        parse = http_parser(assistant.parse_url, session)
        intents = evaluate_intents(parse, holdout_examples())
        entities = evaluate_entities(parse, entity_examples())
    print("\n".join(intents.markdown() + [""] + entities.markdown()))


if __name__ == "__main__":
    main()
