"""OPENING_HOURS read like a notice on a door, and what a person asking for someone is told outside them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.config import Settings
from bot.opening_hours import OpeningHoursError, closed_notice, parse, say_when

PARIS_WINTER = 1  # UTC+1 in December


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026, given in Paris time (4 December is a Friday)."""
    return datetime(2026, 12, day, hour - PARIS_WINTER, minute, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("setting", "described"),
    [
        ("lun-ven 9:00-18:00", "du lundi au vendredi de 9 h à 18 h"),
        ("lun-ven 9h-12h,14h-17h30; sam 10:00-12:00",
         "du lundi au vendredi de 9 h à 12 h et de 14 h à 17 h 30, le samedi de 10 h à 12 h"),
        ("SAM-DIM 10-12", "du samedi au dimanche de 10 h à 12 h"),
    ],
)  # fmt: skip
def test_settings_read_and_said_back(setting: str, described: str) -> None:
    hours = parse(setting)
    assert hours is not None and hours.describe() == described


@pytest.mark.parametrize("setting", ["lundi 9-18", "lun-ven", "lun-ven 18:00-9:00", "lun 25:00-26:00", "xyz 9-10"])
def test_a_wrong_setting_is_said_in_french(setting: str) -> None:
    with pytest.raises(OpeningHoursError, match="OPENING_HOURS"):
        parse(setting)


def test_an_unknown_time_zone_is_said_in_french() -> None:
    with pytest.raises(OpeningHoursError, match="TIMEZONE"):
        parse("lun-ven 9-18", "Europe/Lutece")


def test_open_closed_and_next_opening() -> None:
    hours = parse("lun-ven 9:00-18:00; sam 10:00-12:00")
    assert hours is not None
    assert hours.is_open(utc(4, 10)) and not hours.is_open(utc(4, 18)) and not hours.is_open(utc(4, 8, 59))
    friday_evening = utc(4, 20)
    assert say_when(hours.next_opening(friday_evening), friday_evening) == "demain à 10 h"  # type: ignore[arg-type]
    saturday_noon = utc(5, 12)
    assert say_when(hours.next_opening(saturday_noon), saturday_noon) == "lundi à 9 h"  # type: ignore[arg-type]
    early = utc(7, 7)
    assert say_when(hours.next_opening(early), early) == "aujourd'hui à 9 h"  # type: ignore[arg-type]


def test_what_a_person_is_told_outside_the_hours() -> None:
    settings = Settings(opening_hours="lun-ven 9:00-18:00")
    assert closed_notice(settings, utc(4, 10)) is None  # open: nothing to add
    assert closed_notice(settings, utc(5, 15)) == (
        "L'équipe répond du lundi au vendredi de 9 h à 18 h : une personne vous écrira ici dès lundi à 9 h."
    )
    assert closed_notice(Settings(opening_hours=""), utc(5, 15)) is None  # no hours: no promise
    assert closed_notice(Settings(opening_hours="n'importe quoi"), utc(5, 15)) is None  # logged, never a crash
