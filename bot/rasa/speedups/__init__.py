"""Speed patches of the Rasa server: hot spots of Rasa 3.6 replaced by equivalent code, behind a setting.

Usage (:mod:`bot.rasa.server` does this before it hands over to Rasa's command line)::

    install_from_settings(settings)    # RASA_SPEEDUPS: 1 every group, 0 none, or a list of groups
    install(("actions",))              # some groups; returns those installed
    uninstall()                        # Rasa as shipped again (tests, benchmarks)

Each group is one module, for one subsystem of Rasa, and says what it replaces and why:

- ``actions``: the action server's answers validated by compiled validators, and its calls
  through a pool of connections written with ujson (:mod:`.actions`): about 35 ms of CPU less
  per message, most of what a turn cost.

Seven more groups were measured one by one, side by side (``scripts/bench_speedups.py``,
docs/benchmarks.md), and removed, each saving about a millisecond per message or less: the
prediction graph run without dask, the event class lookup, the memory of dialogue states and
applied events with the slots' copies, RulePolicy's rule index, the forms' unique entity
mappings, the direct call of DIET's and TED's traced function, and the joining of sparse
features (docs/architecture.md). Leaving the loaded model out of garbage collection needs no
patch: the warm-up does it (:mod:`bot.rasa.channels.warm_up`).

Each is tested against Rasa's own code (``tests/bot/rasa/speedups``), and the conversation
tests, the held-out test and the end-to-end tests also run with the patches off, so Rasa as
shipped stays the reference. They were checked against the versions in
:data:`CHECKED_AGAINST` only: with any other version installed they refuse to install, with
one log line, and the server runs as shipped. ``scripts/bench_speedups.py`` measures each
group's gain (docs/benchmarks.md).
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType

from bot.errors import BotError
from bot.rasa.speedups.patching import replaced, restore_all

logger = logging.getLogger(__name__)

GROUPS = ("actions",)
# The distributions whose code the patches replace or rely on, at the versions they were checked against.
CHECKED_AGAINST = {"rasa": "3.6.21", "rasa-sdk": "3.6.2", "tensorflow": "2.12.0"}
ALL, NONE = frozenset({"1", "all", "on", "true", "yes"}), frozenset({"0", "none", "off", "false", "no", ""})

_installed: list[str] = []


class UnknownGroupError(BotError, ValueError):
    """RASA_SPEEDUPS names a group that does not exist."""


def parse_groups(value: str) -> tuple[str, ...]:
    """The groups a RASA_SPEEDUPS value asks for: 1 (every group), 0 (none) or names separated by commas."""
    cleaned = value.strip().lower()
    if cleaned in ALL:
        return GROUPS
    if cleaned in NONE:
        return ()
    names = [name.strip() for name in cleaned.split(",") if name.strip()]
    unknown = [name for name in names if name not in GROUPS]
    if unknown:
        raise UnknownGroupError(
            f"RASA_SPEEDUPS : groupe inconnu {', '.join(unknown)} (1, 0, ou parmi {', '.join(GROUPS)})"
        )
    return tuple(name for name in GROUPS if name in names)


def version_mismatch() -> str | None:
    """What differs from the versions the patches were checked against, or None."""
    differences = []
    for distribution, checked in CHECKED_AGAINST.items():
        try:
            found = version(distribution)
        except PackageNotFoundError:
            found = "absent"
        if found != checked:
            differences.append(f"{distribution} {found} (checked against {checked})")
    return "; ".join(differences) or None


def _module(group: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{group}")


def install(groups: tuple[str, ...] = GROUPS) -> tuple[str, ...]:
    """Install these groups (idempotent); none if the installed versions are not those checked. Returns those on."""
    if not groups:
        return installed()
    mismatch = version_mismatch()
    if mismatch:
        logger.warning("speed patches not installed, Rasa runs as shipped: %s", mismatch)
        return installed()
    for group in groups:
        if group not in _installed:
            _module(group).install()
            _installed.append(group)
    return installed()


def uninstall() -> None:
    """Every patched attribute back as Rasa ships it."""
    _installed.clear()
    restore_all()


def installed() -> tuple[str, ...]:
    """The groups installed now, in GROUPS order."""
    return tuple(group for group in GROUPS if group in _installed)


def install_from_settings(value: str) -> tuple[str, ...]:
    """Install what RASA_SPEEDUPS asks for, and say in one log line what the server runs."""
    groups = parse_groups(value)
    on = install(groups)
    if not groups:
        logger.info("speed patches off (RASA_SPEEDUPS=0): Rasa runs as shipped")
    elif on:
        logger.info("speed patches on: %s (%d attributes of Rasa replaced)", ", ".join(on), len(replaced()))
    return on
