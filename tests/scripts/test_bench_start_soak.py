"""Tests of the start and soak benchmarks' own logic (no servers): log reading, growth, reports."""

from __future__ import annotations

import argparse
import os
from datetime import datetime

from scripts.bench_soak import Window, growth, merged_tail, rss_mb
from scripts.bench_soak import report as soak_report
from scripts.bench_start import MOMENTS, ActionServerStart, StartRun, cost_line, logged_durations, logged_steps
from scripts.bench_start import report as start_report


def test_logged_durations_reads_the_first_of_each_warm_up_line() -> None:
    lines = [
        "2026-12-03 10:53:40 INFO bot.action_server - understanding warmed up in 2.6 s\n",
        "INFO bot.rasa.channels.warm_up - model warmed up in 0.7 s",
        "INFO bot.rasa.channels.warm_up - model warmed up in 9.9 s",  # a restart: the first start is what is timed
        "L'assistant est prêt (64 s).",
    ]

    assert logged_durations(lines) == {
        "understanding warm-up (action server)": 2.6,
        "model warm-up (Rasa server)": 0.7,
    }


def test_logged_durations_of_no_line_is_empty() -> None:
    assert logged_durations(["Démarrage de l'assistant"]) == {}


def test_slowest_turn_is_the_longest_of_every_persona() -> None:
    run = StartRun(turns=[("julie", 1, 120.0), ("karim", 3, 850.0), ("karim", 4, 40.0)])

    assert run.slowest_turn() == ("karim", 3, 850.0)
    assert StartRun().slowest_turn() is None


def window(end: float, rasa: float, actions: float, latencies: list[float] | None = None) -> Window:
    return Window(end, 3, latencies or [10.0, 20.0, 30.0], 0, {"Rasa server": rasa, "action server": actions})


def test_growth_is_from_the_first_window_to_the_last() -> None:
    windows = [window(30, 1000, 200), window(60, 1200, 190), window(90, 1050, 210)]

    assert growth(windows) == {"Rasa server": 1050 / 1000 - 1, "action server": 210 / 200 - 1}


def test_growth_of_one_window_is_unknown() -> None:
    assert growth([window(30, 1000, 200)]) == {}


def test_window_row_gives_the_percentiles_and_memory() -> None:
    assert window(30, 1000.4, 200.6, [10.0, 20.0, 30.0]).row() == ["30", 3, 3, "20", "29", "30", 0, "1000", "201"]


def test_rss_of_this_process_is_read_and_of_a_gone_one_is_zero() -> None:
    assert rss_mb(os.getpid()) > 0
    assert rss_mb(2**22 + 1) == 0.0  # above the kernel's largest pid


def test_soak_report_tells_a_growth_over_the_target() -> None:
    args = argparse.Namespace(soak_seconds=60, soak_conversations=0, soak_concurrency=1, window=30)

    text = soak_report([window(30, 1000, 200), window(60, 1200, 200)], args, "make bench")

    assert "| Rasa server | 1000 MB | 1200 MB | +20.0% | **missed** |" in text
    assert "| action server | 200 MB | 200 MB | +0.0% | met |" in text


def test_start_report_compares_with_the_targets() -> None:
    run = StartRun(
        moments={name: 10.0 + number for number, (name, _) in enumerate(MOMENTS)},
        logged={"model warm-up (Rasa server)": 0.7},
        turns=[("julie", 1, 150.0), ("karim", 2, 1500.0)],
        completed=2,
    )
    action = ActionServerStart(
        health_s={"cold": [4.2], "warm": [1.9]}, imports_s=[1.7], warm_up_s={"cold": [2.5], "warm": [0.1]}
    )

    text = start_report([run], action, "make bench")

    assert "| first answer after launch | 14.0 s | ≤ 30 s | met |" in text
    assert "| slowest first-conversation turn after the start | 1500 ms | ≤ 1000 ms | **missed** |" in text
    assert "| 1 | 2 | 825 | 1500 | karim, turn 2 | 0 | 2/2 |" in text
    assert "| cold | 4.20 | 1.70 | 2.50 | 0.00 |" in text
    assert "| warm | 1.90 | 1.70 | 0.10 | 0.10 |" in text


def test_start_report_puts_rasas_own_load_beside_and_judges_only_the_configured_starts() -> None:
    quick = StartRun(moments={MOMENTS[4][0]: 25.0})
    rasa = StartRun(moments={MOMENTS[4][0]: 50.0})

    text = start_report([quick], None, "make bench", [rasa])

    assert "| moment (s after launch) | start 1 | Rasa's load 1 | what it means |" in text
    assert "| first answer over REST | 25.0 | 50.0 |" in text
    assert "| first answer after launch | 25.0 s | ≤ 30 s | met |" in text
    assert "QUICK_MODEL_LOAD=0" in text


def test_logged_steps_are_seconds_after_the_launch() -> None:
    lines = [
        "INFO bot.supervise: Rasa server started (pid 5486)",
        "2026-12-03 10:54:11 INFO     root  - Starting Rasa server on http://127.0.0.1:55945",
        "2026-12-03 10:54:15 INFO     rasa.nlu.utils.spacy_utils  - Trying to load SpaCy model with name 'fr'.",
        "2026-12-03 10:54:23 INFO     rasa.nlu.utils.spacy_utils  - Trying to load SpaCy model with name 'fr'.",
        "2026-12-03 10:55:02 INFO     root  - Rasa server is up and running.",
    ]

    assert logged_steps(lines, datetime(2026, 12, 3, 10, 53, 31)) == {
        "Rasa: Python and Rasa imported, server starting": 40.0,
        "Rasa: spaCy model loading (first time)": 44.0,
        "Rasa: model loaded, server up": 91.0,
    }


def test_a_short_last_window_is_merged_into_the_one_before() -> None:
    windows = [window(30, 1000, 200), window(60, 1010, 200, [40.0]), window(62, 1020, 201, [50.0])]

    merged = merged_tail(windows, 30)

    assert [(w.end_s, w.conversations, w.latencies_ms, w.rss_mb["Rasa server"]) for w in merged] == [
        (30, 3, [10.0, 20.0, 30.0], 1000),
        (62, 6, [40.0, 50.0], 1020),
    ]
    assert merged_tail(windows[:2], 30) == windows[:2]


def test_cost_line_splits_the_rasa_servers_start() -> None:
    run = StartRun(
        moments={MOMENTS[0][0]: 6.1},
        logged={"model warm-up (Rasa server)": 0.8},
        steps={"Rasa: Python and Rasa imported, server starting": 21.0, "Rasa: model loaded, server up": 66.0},
    )

    assert cost_line("start 2", run).startswith(
        "- Start 2: the Rasa server imports Python, TensorFlow and Rasa for 21 s, loads the model for 45 s, "
        "warms it up for 0.8 s; the action server is ready after 6.1 s, meanwhile."
    )
    assert cost_line("start 1", StartRun()) == "- Start 1: the Rasa server's log did not show every step."
