"""Training time: from cold, then again with unchanged data, domain and config.

Usage (``make bench`` runs it through scripts/benchmark.py)::

    .venv/bin/python -m scripts.bench_training

From cold: an empty output folder and an empty Rasa cache (``RASA_CACHE_DIRECTORY``), so
every component of config.yml is trained (spaCy's model is installed, not downloaded).
Unchanged: the same command again, which Rasa answers from the fingerprint of the newest
model (what `make run` costs when nothing changed). Times are wall clock, including the
start of the `rasa` command itself.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.config import ROOT
from scripts.measure.assistant import train_model


@dataclass(frozen=True)
class TrainingTimes:
    """Seconds each training took, and the model it produced."""

    cold_s: float
    unchanged_s: float
    model: Path
    skipped: bool  # the second run kept the first model (Rasa's "nothing changed"), not a copy from its cache


def time_training(folder: Path, *, config: Path = ROOT / "config.yml") -> TrainingTimes:
    """Train from cold into ``folder`` (emptied first), then again with nothing changed."""
    shutil.rmtree(folder, ignore_errors=True)
    models, cache = folder / "models", folder / "cache"
    model, cold = train_model(models, config=config, cache=cache)
    again, unchanged = train_model(models, config=config, cache=cache)
    return TrainingTimes(cold, unchanged, again, skipped=again == model)


def main() -> None:
    """Time both trainings and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench" / "training", help="models and cache")
    args = parser.parse_args()
    times = time_training(args.workdir)
    how = "training skipped" if times.skipped else "components restored from the cache"
    print(f"from cold: {times.cold_s:.0f} s; unchanged: {times.unchanged_s:.1f} s ({how}; {times.model.name})")


if __name__ == "__main__":
    main()
