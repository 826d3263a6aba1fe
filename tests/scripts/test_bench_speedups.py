"""scripts/bench_speedups.py: which servers it compares, and the verdict it writes."""

from __future__ import annotations

import argparse

import pytest

from scripts import bench_speedups
from scripts.bench_speedups import EVERY, NONE, Served, configurations, report


def test_one_server_per_group_left_out_unless_there_is_only_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_speedups, "GROUPS", ("actions",))
    assert configurations() == {EVERY: "1", NONE: "0"}
    monkeypatch.setattr(bench_speedups, "GROUPS", ("actions", "graph"))
    assert configurations() == {EVERY: "1", NONE: "0", "all but actions": "graph", "all but graph": "actions"}


def test_a_group_is_kept_only_when_it_saves_a_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_speedups, "GROUPS", ("actions", "graph"))
    served = [
        Served(EVERY, "1", [12.0, 12.4, 11.8]),
        Served(NONE, "0", [50.0, 52.0, 51.0]),
        Served("all but actions", "graph", [47.0, 48.0, 47.5]),
        Served("all but graph", "actions", [12.6, 12.9, 12.2]),
    ]
    args = argparse.Namespace(speedups_rounds=3, speedups_conversations=6, max_messages=12)
    text = report(served, args, "make bench")
    assert "| all but actions | `graph` | 47.5 | 1.0 | +35.5 | kept |" in text
    assert "| all but graph | `actions` | 12.6 | 0.7 | +0.6 | **under 1 ms** |" in text
    assert "39.0 ms less per message than Rasa as shipped" in text
