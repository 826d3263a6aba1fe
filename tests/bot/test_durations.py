"""French durations as volunteers write them after a shift (bot.durations)."""

from __future__ import annotations

import pytest

from bot.durations import parse_minutes, read_minutes, say_minutes

READ = [
    ("2h30", 150),
    ("2 h 30", 150),
    ("2h 30min", 150),
    ("1h", 60),
    ("3h00", 180),
    ("3 heures", 180),
    ("trois heures", 180),
    ("Trois heures.", 180),
    ("deux heures et demie", 150),
    ("deux heures et demi", 150),
    ("une heure et quart", 75),
    ("deux heures moins le quart", 105),
    ("une heure trente", 90),
    ("1 heure 45", 105),
    ("90 min", 90),
    ("45 minutes", 45),
    ("quarante-cinq minutes", 45),
    ("vingt minutes", 20),
    ("une demi-heure", 30),
    ("trois quarts d'heure", 45),
    ("1,5 h", 90),
    ("1.5 heures", 90),
    ("2,5", 150),
    ("3", 180),
    ("environ 2h", 120),
    ("à peu près deux heures", 120),
    ("j'ai fait 4h", 240),
    ("de 9h à 11h30", 150),
    ("9h-12h", 180),
    ("de 14 h à 17 h", 180),
    ("entre 9h et 11h", 120),
    ("de 9:30 à 12:00", 150),
    ("de 22h à 1h", 180),
    ("douze heures", 720),
    ("dix-huit heures", 1080),
]


@pytest.mark.parametrize(("text", "minutes"), READ)
def test_durations_are_read(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes
    assert read_minutes(text) == minutes


@pytest.mark.parametrize("text", ["", "bof", "toute la matinée", "beaucoup", "et demie", "passer", "100"])
def test_no_duration_is_none(text: str) -> None:
    assert parse_minutes(text) is None
    assert read_minutes(text, planned=None) is None


@pytest.mark.parametrize(("text", "minutes"), [("0", 0), ("0h", 0), ("-2h", -120), ("30 heures", 1800), ("25h", 1500)])
def test_out_of_range_is_read_but_refused(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes
    assert read_minutes(text) is None


@pytest.mark.parametrize("text", ["oui", "Oui c'est ça", "comme prévu", "exactement"])
def test_as_planned_gives_the_planned_duration(text: str) -> None:
    assert read_minutes(text, planned=180) == 180
    assert read_minutes(text) is None


def test_minutes_are_said_shortly() -> None:
    assert [say_minutes(m) for m in (180, 150, 45, 60)] == ["3 h", "2 h 30", "45 min", "1 h"]
