"""A quiet start: the dependencies' deprecation warnings are hidden, ours and every other warning show."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator

import pytest

from bot.config import ROOT, Settings
from bot.logs import hide_dependency_deprecations
from bot.serve import process_env

DEPENDENCY = str(ROOT / ".venv/lib/python3.10/site-packages/pyparsing/core.py")


def captured(category: type[Warning], path: str) -> logging.LogRecord:
    """A warning as logging.captureWarnings logs it on the py.warnings logger."""
    text = warnings.formatwarning("'setParseAction' deprecated", category, path, 12, "x.setParseAction(f)")
    return logging.LogRecord("py.warnings", logging.WARNING, path, 12, "%s", (text,), None)


class PyparsingDeprecationWarning(DeprecationWarning):
    """Named as pyparsing names its own."""


@pytest.fixture()
def info_level() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    yield
    root.setLevel(level)


@pytest.mark.parametrize(
    ("category", "path", "shown"),
    [
        (DeprecationWarning, DEPENDENCY, False),
        (PendingDeprecationWarning, DEPENDENCY, False),
        (PyparsingDeprecationWarning, DEPENDENCY, False),
        (DeprecationWarning, str(ROOT / "bot" / "matching.py"), True),  # ours: always
        (DeprecationWarning, str(ROOT / "actions" / "profile.py"), True),
        (UserWarning, DEPENDENCY, True),  # Rasa telling us about our domain or config
        (RuntimeWarning, DEPENDENCY, True),
    ],
)
def test_only_the_dependencies_deprecations_are_hidden(
    info_level: None, category: type[Warning], path: str, shown: bool
) -> None:
    assert hide_dependency_deprecations(captured(category, path)) is shown


def test_debug_shows_them_all(info_level: None) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    assert hide_dependency_deprecations(captured(DeprecationWarning, DEPENDENCY)) is True


def test_a_log_line_that_is_not_a_warning_goes_through(info_level: None) -> None:
    record = logging.LogRecord("py.warnings", logging.WARNING, "x", 1, "model warmed up in 0.9 s", (), None)
    assert hide_dependency_deprecations(record) is True


def test_the_processes_bot_serve_starts_are_told_to_be_quiet_unless_debugging() -> None:
    quiet = process_env(Settings(secret_key="test"))
    assert "ignore::DeprecationWarning" in quiet["PYTHONWARNINGS"]
    assert quiet["SQLALCHEMY_SILENCE_UBER_WARNING"] == "1"
    debugging = process_env(Settings(secret_key="test", log_level="DEBUG"))
    assert "PYTHONWARNINGS" not in debugging or debugging["PYTHONWARNINGS"] != quiet["PYTHONWARNINGS"]
