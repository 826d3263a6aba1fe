"""The evaluation and benchmark scripts, run for real at tiny sizes against the running assistant.

They must not rot between two `make eval` / `make bench`: each measuring function runs
here once, against the servers started as `make run` starts them. Figures are not checked
(no timing in tests); what the simulated volunteers achieve is.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import ROOT
from scripts import bench_matching, benchmark
from scripts.bench_conversations import measured_load
from scripts.bench_nlu import time_parses
from scripts.eval_nlu import entity_examples, evaluate_entities, evaluate_intents, holdout_examples, http_parser
from scripts.eval_volunteers import evaluate_volunteers
from scripts.measure.assistant import RunningAssistant, started_assistant
from scripts.measure.report import write_section
from scripts.measure.volunteers import load_personas

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def assistant(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAssistant]:
    with started_assistant(trained_model, tmp_path_factory.mktemp("measured")) as running:
        yield running


def test_nlu_evaluation_runs(assistant: RunningAssistant) -> None:
    import requests

    with requests.Session() as session:
        parse = http_parser(assistant.parse_url, session)
        examples = holdout_examples()[:6]
        intents = evaluate_intents(parse, examples)
        entities = evaluate_entities(parse, entity_examples()[:4])
    assert [(text, expected) for text, expected, _, _ in intents.pairs] == examples
    # the model gets 94 % of the held-out set right: under half means the answers are misread
    assert intents.accuracy >= 0.5
    assert entities.messages == 4
    assert "macro F1" in "\n".join(intents.markdown())


def test_volunteers_who_say_everything_at_once_finish_in_three_messages(assistant: RunningAssistant) -> None:
    personas = [persona for persona in load_personas() if persona.all_at_once]
    report = evaluate_volunteers(assistant.webhook, assistant.export, rounds=1, personas=personas, parallel=2)
    assert [result.messages for result in report.results] == [3] * len(personas)
    assert report.completion_rate == 1.0
    assert report.accuracy == 1.0, report.mismatches


def test_benchmark_measurements_run_and_report(assistant: RunningAssistant, tmp_path: Path) -> None:
    loads = [measured_load(assistant, "ours", level, 2, max_messages=3) for level in (1, 2)]
    assert [load.messages for load in loads] == [6, 6] and all(load.errors == 0 for load in loads)
    # the Rasa server did the work of every turn: its CPU time is read, and it is not nothing
    assert all((load.cpu_ms_per_message("Rasa server") or 0) > 0 for load in loads)
    parses = [time_parses(assistant.parse_url, "ours", ["bonjour", "je veux aider"], warm_up=1)]
    memory = {"ours": assistant.peak_rss_mb()}
    assert set(memory["ours"]) == {"Rasa server", "action server"} and min(memory["ours"].values()) > 0
    matching = bench_matching.run(missions=20, volunteers=3)
    args = argparse.Namespace(tracker_store_url=None, max_messages=3, conversations=2)
    lines = benchmark._report(args, {"ours": Path("model.tar.gz")}, None, None, parses, loads, memory, matching)
    report = tmp_path / "benchmarks.md"
    write_section(report, "bench", "\n".join(lines), title="Benchmarks")
    text = report.read_text(encoding="utf-8")
    assert "## Targets" in text and "NLU parse p95" in text and "Rasa server peak RSS" in text


def test_understanding_tables_evaluation_runs() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "scripts.eval_understanding"], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| skills: CASES |" in result.stdout
