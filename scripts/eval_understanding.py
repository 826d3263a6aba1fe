"""Accuracy of the understanding functions on their own tables (tests/bot/understanding).

Usage (``make eval`` runs it through scripts/evaluate.py)::

    .venv/bin/python -m scripts.eval_understanding

The tables are the parametrised cases of the understanding tests: they are run as they
are, with pytest, and each case that passes counts as understood. A table is the list a
test is parametrised with (``CASES`` of test_skills.py...), so its accuracy is the share of
its cases that pass; tests without a table are left out.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.config import ROOT
from scripts.measure.report import table

TABLES = ROOT / "tests" / "bot" / "understanding"


class _Collector:
    """A pytest plugin that counts passed and failed cases per table."""

    def __init__(self) -> None:
        self.tables: dict[str, list[int]] = {}  # "module: TABLE" → [passed, total]
        self.failures: list[str] = []
        self.names: dict[str, str] = {}  # test id → its table

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when != "call" and not (report.when == "setup" and report.failed):
            return
        name = self.names.get(report.nodeid)
        if name is None:
            return
        counts = self.tables.setdefault(name, [0, 0])
        counts[1] += 1
        if report.passed:
            counts[0] += 1
        else:
            self.failures.append(report.nodeid.split("::", 1)[1])

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        self.names = {}
        for item in items:
            mark = item.get_closest_marker("parametrize")
            if mark is None or len(mark.args) < 2:
                continue
            values = mark.args[1]
            module = item.module
            table_name = next((n for n, v in vars(module).items() if v is values and n.isupper()), None)
            if table_name is not None:
                topic = Path(module.__file__).stem.removeprefix("test_")
                self.names[item.nodeid] = f"{topic}: {table_name}"


@dataclass
class UnderstandingReport:
    """Accuracy per table."""

    tables: dict[str, list[int]]
    failures: list[str]

    def markdown(self) -> list[str]:
        """The report's section on the understanding tables."""
        rows = [
            [name, f"{passed}/{total}", f"{passed / total:.0%}"]
            for name, (passed, total) in sorted(self.tables.items())
        ]
        passed = sum(p for p, _ in self.tables.values())
        total = sum(t for _, t in self.tables.values())
        lines = [
            f"{len(self.tables)} tables, {total} phrasings; the same tables are unit tests, so anything below "
            "100 % here is also a failing test.",
            "",
            *table(["table (module: list)", "understood", "accuracy"], rows),
            "",
            f"All tables: {passed}/{total} ({passed / max(total, 1):.1%}).",
        ]
        if self.failures:
            lines += ["", "Not understood:", "", *[f"- `{failure}`" for failure in self.failures]]
        return lines


def evaluate_understanding(path: Path = TABLES) -> UnderstandingReport:
    """Run the understanding tables with pytest and count what passes."""
    collector = _Collector()
    pytest.main([str(path), "-q", "-p", "no:cacheprovider", "--no-header", "-o", "addopts="], plugins=[collector])
    return UnderstandingReport(collector.tables, collector.failures)


def main() -> None:
    """Print the section."""
    report = evaluate_understanding()
    sys.stdout.write("\n".join(report.markdown()) + "\n")


if __name__ == "__main__":
    main()
