"""bot.rasa.speedups: the setting, the version check, and Rasa as shipped after uninstall."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.rasa import speedups
from bot.rasa.speedups import GROUPS, UnknownGroupError, parse_groups

PATCHED = [(RemoteAction, "_validate_action_result"), (EndpointConfig, "session")]


@pytest.fixture()
def shipped() -> Iterator[dict[tuple[type, str], Any]]:
    """Rasa as shipped for one test (what each attribute is then); the patches back afterwards."""
    speedups.uninstall()
    yield {(owner, name): vars(owner).get(name) for owner, name in PATCHED}
    speedups.uninstall()
    assert speedups.install() == GROUPS


def test_the_setting_says_every_group_none_or_some() -> None:
    assert parse_groups("1") == parse_groups("all") == parse_groups(" on ") == GROUPS
    assert parse_groups("0") == parse_groups("") == parse_groups("off") == ()
    assert parse_groups(" actions ") == ("actions",)
    with pytest.raises(UnknownGroupError, match="groupe inconnu graph, rules"):
        parse_groups("actions,graph,rules")  # groups measured and removed


def test_uninstall_gives_back_exactly_what_rasa_ships(shipped: dict[tuple[type, str], Any]) -> None:
    assert speedups.installed() == ()
    assert speedups.install(()) == ()  # none asked for: nothing replaced
    assert {(owner, name): vars(owner).get(name) for owner, name in PATCHED} == shipped
    assert speedups.install(("actions",)) == ("actions",)
    assert all(vars(owner)[name] is not shipped[(owner, name)] for owner, name in PATCHED)
    speedups.uninstall()
    assert {(owner, name): vars(owner).get(name) for owner, name in PATCHED} == shipped


def test_other_versions_than_those_checked_get_rasa_as_shipped_and_one_log_line(
    shipped: dict[tuple[type, str], Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(speedups.CHECKED_AGAINST, "rasa", "3.6.99")
    with caplog.at_level(logging.INFO, logger="bot.rasa.speedups"):
        assert speedups.install_from_settings("1") == ()
    assert [record.getMessage() for record in caplog.records] == [
        "speed patches not installed, Rasa runs as shipped: rasa 3.6.21 (checked against 3.6.99)"
    ]
    assert {(owner, name): vars(owner).get(name) for owner, name in PATCHED} == shipped


def test_the_installed_versions_are_those_checked() -> None:
    assert speedups.version_mismatch() is None  # uv.lock pins them: a change of Rasa must be checked again


def test_the_server_says_in_one_line_what_it_runs(
    shipped: dict[tuple[type, str], Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.rasa.speedups"):
        assert speedups.install_from_settings("0") == ()
        assert speedups.install_from_settings("actions") == ("actions",)
    assert [record.getMessage() for record in caplog.records] == [
        "speed patches off (RASA_SPEEDUPS=0): Rasa runs as shipped",
        "speed patches on: actions (2 attributes of Rasa replaced)",
    ]
