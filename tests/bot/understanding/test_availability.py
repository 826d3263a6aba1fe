"""Tests of bot.understanding.availability: real French phrasings of when people are free."""

from __future__ import annotations

import pytest

from bot.profile import DAYS, PERIODS, TimeSlot, sort_slots
from bot.understanding.availability import parse_availability


def keys(*slots: str) -> list[str]:
    """Sorted slot keys from "day:period" strings."""
    return [s.key for s in sort_slots(TimeSlot.from_key(k) for k in slots)]


def days(*names: str, periods: tuple[str, ...] = PERIODS) -> list[str]:
    """Every listed period of the named days."""
    return keys(*(f"{d}:{p}" for d in names for p in periods))


def sort_keys(slot_keys: list[str]) -> list[str]:
    """The keys sorted as the parser sorts them, without repeats."""
    return keys(*dict.fromkeys(slot_keys))


def every(*periods: str) -> list[str]:
    """The listed periods on every day of the week."""
    return days(*DAYS, periods=periods)


def but(base: list[str], *removed: str) -> list[str]:
    """base without the removed keys."""
    return [k for k in base if k not in removed]


ALL = every(*PERIODS)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
WEEKEND = ("saturday", "sunday")

CASES = [
    # one day, one period
    ("dispo le samedi matin", keys("saturday:morning")),
    ("le mercredi après-midi", keys("wednesday:afternoon")),
    ("Mardi soir", keys("tuesday:evening")),
    ("le dimanche matin", keys("sunday:morning")),
    ("jeudi aprem", keys("thursday:afternoon")),
    ("vendredi en soirée", keys("friday:evening")),
    ("le lundi en fin de journée", keys("monday:evening")),
    # a day alone means its three periods
    ("dispo le samedi", days("saturday")),
    ("Le jeudi.", days("thursday")),
    ("les samedis", days("saturday")),
    ("un samedi sur deux", days("saturday")),
    ("chaque mercredi", days("wednesday")),
    ("dimanche", days("sunday")),
    # several slots in one sentence
    ("le mardi soir et le samedi matin", keys("tuesday:evening", "saturday:morning")),
    ("samedi matin, dimanche soir", keys("saturday:morning", "sunday:evening")),
    ("samedi matin et dimanche", keys("saturday:morning", *days("sunday"))),
    ("vendredi soir ou samedi", keys("friday:evening", *days("saturday"))),
    ("mardi soir, jeudi", keys("tuesday:evening", *days("thursday"))),
    ("le mercredi après-midi et le week-end", keys("wednesday:afternoon", *days(*WEEKEND))),
    # a trailing period distributes over a list of days
    ("lundi et mercredi après-midi", keys("monday:afternoon", "wednesday:afternoon")),
    ("lundi, mardi et jeudi soir", keys("monday:evening", "tuesday:evening", "thursday:evening")),
    ("le samedi et le dimanche matin", keys("saturday:morning", "sunday:morning")),
    ("samedi matin et après-midi", keys("saturday:morning", "saturday:afternoon")),
    ("le mardi matin ou l'aprem", keys("tuesday:morning", "tuesday:afternoon")),
    # a period without a day: every day
    ("le soir", every("evening")),
    ("plutôt le matin", every("morning")),
    ("l'après-midi", every("afternoon")),
    ("les après-midis", every("afternoon")),
    ("tous les soirs", every("evening")),
    ("en soirée après le boulot", every("evening")),
    ("après le travail", every("evening")),
    ("le midi", every("morning")),
    ("entre midi et deux", every("morning")),
    ("le soir et le samedi matin", keys(*every("evening"), "saturday:morning")),
    # weekend, weekdays, everything
    ("le week-end", days(*WEEKEND)),
    ("les weekends", days(*WEEKEND)),
    ("le WE", days(*WEEKEND)),
    ("en semaine", days(*WEEKDAYS)),
    ("le soir en semaine", days(*WEEKDAYS, periods=("evening",))),
    ("en semaine le soir et le week-end", keys(*days(*WEEKDAYS, periods=("evening",)), *days(*WEEKEND))),
    ("le matin en semaine", days(*WEEKDAYS, periods=("morning",))),
    ("tous les jours", ALL),
    ("n'importe quand", ALL),
    ("quand vous voulez !", ALL),
    ("toute la semaine", ALL),
    ("Je suis à la retraite donc toujours dispo", ALL),
    ("7j/7", ALL),
    ("tout le temps", ALL),
    # ranges
    ("du lundi au mercredi", days("monday", "tuesday", "wednesday")),
    ("lundi-vendredi", days(*WEEKDAYS)),
    ("du lundi au vendredi le soir", days(*WEEKDAYS, periods=("evening",))),
    ("de lundi à jeudi soir", days("monday", "tuesday", "wednesday", "thursday", periods=("evening",))),
    ("du vendredi au lundi", days("monday", "friday", "saturday", "sunday")),
    ("entre mardi et jeudi", days("tuesday", "wednesday", "thursday")),
    ("lun-ven", days(*WEEKDAYS)),
    # hours
    ("le samedi de 14h à 17h", keys("saturday:afternoon")),
    ("en semaine après 18h", days(*WEEKDAYS, periods=("evening",))),
    ("à partir de 14h le dimanche", keys("sunday:afternoon", "sunday:evening")),
    ("le mardi de 10h à 16h", keys("tuesday:morning", "tuesday:afternoon")),
    ("de 9 à 12h le samedi", keys("saturday:morning")),
    ("mercredi 18h30-20h", keys("wednesday:evening")),
    ("le jeudi vers 14h", keys("thursday:afternoon")),
    ("avant 10h", every("morning")),
    ("samedi de 10h à midi", keys("saturday:morning")),
    # plurals, typos, SMS
    ("le mercredi matins", keys("wednesday:morning")),
    ("sam matin", keys("saturday:morning")),
    ("dim", days("sunday")),
    ("mercredis aprèm", keys("wednesday:afternoon")),
    ("mecredi", days("wednesday")),
    ("le samdi", days("saturday")),
    ("dimache apres midi", keys("sunday:afternoon")),
    ("le vendredie soir", keys("friday:evening")),
    ("dispo ts les jours", ALL),
    ("lundi/mardi soir", keys("monday:evening", "tuesday:evening")),
    # exclusions
    ("tous les jours sauf le dimanche", but(ALL, *days("sunday"))),
    ("n'importe quand sauf le soir", but(ALL, *every("evening"))),
    ("dispo sauf le week-end", days(*WEEKDAYS)),
    ("sauf le dimanche", but(ALL, *days("sunday"))),
    ("le week-end mais pas le dimanche matin", but(days(*WEEKEND), "sunday:morning")),
    ("le samedi, pas le dimanche", days("saturday")),
    ("pas le lundi mais le mardi oui", days("tuesday")),
    ("je ne peux pas le matin, seulement l'après-midi", every("afternoon")),
    ("je travaille en semaine donc plutôt le week-end", days(*WEEKEND)),
    ("je ne travaille pas le mercredi", days("wednesday")),
    ("dispo le samedi car je bosse en semaine", days("saturday")),
    ("pas de souci pour samedi", days("saturday")),
    ("je ne sais pas, peut-être le samedi", days("saturday")),
    # nothing said
    ("pas le dimanche", []),
    ("je ne suis pas disponible le lundi", []),
    ("jamais le dimanche", []),
    ("je bosse le matin", []),
    ("je m'occupe de ma fille le mercredi", []),
    ("Bonjour, je voudrais être bénévole", []),
    # a period said first covers the days listed after it, not every day
    ("le soir, le mardi et le mercredi", days("tuesday", "wednesday", periods=("evening",))),
    ("en soirée, mardi ou mercredi", days("tuesday", "wednesday", periods=("evening",))),
    ("l'après-midi : lundi, mardi et jeudi", days("monday", "tuesday", "thursday", periods=("afternoon",))),
    ("après 19h les mardis et jeudis", days("tuesday", "thursday", periods=("evening",))),
    ("le matin le samedi et le dimanche", days(*WEEKEND, periods=("morning",))),
    ("le soir, surtout le mardi et le mercredi", days("tuesday", "wednesday", periods=("evening",))),
    ("le soir mais seulement mardi et mercredi", days("tuesday", "wednesday", periods=("evening",))),
    ("le soir le mardi et le samedi matin", keys("tuesday:evening", "saturday:morning")),
    # narrowing words narrow, exceptions remove only what they name
    (
        "en semaine, plutôt les après-midis, pas le mercredi",
        days("monday", "tuesday", "thursday", "friday", periods=("afternoon",)),
    ),
    (
        "les après-midis, en semaine, sauf mercredi",
        days("monday", "tuesday", "thursday", "friday", periods=("afternoon",)),
    ),
    ("le week-end, de préférence le matin", days(*WEEKEND, periods=("morning",))),
    # "et", "aussi" add something else
    ("le soir et le week-end", sort_keys(every("evening") + days(*WEEKEND))),
    ("le soir, mais aussi le samedi", sort_keys(every("evening") + days("saturday", periods=("morning", "afternoon")))),
    ("le soir en semaine et le samedi", sort_keys(days(*WEEKDAYS, periods=("evening",)) + days("saturday"))),
    ("le matin et le mercredi après-midi", sort_keys(every("morning") + ["wednesday:afternoon"])),
    ("je m'appelle Sam", []),
    ("c'est Sam", []),
    ("j'ai 17 ans", []),
    ("06 12 34 56 78", []),
    ("j'ai 2h par semaine", []),
    ("une fois par semaine", []),
    ("la semaine prochaine", []),
    ("j'habite au bord de la mer", []),
    ("un jeu de société", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_availability(text: str, expected: list[str]) -> None:
    assert [slot.key for slot in parse_availability(text)] == expected


def test_result_is_sorted_time_slots() -> None:
    actual = parse_availability("dimanche soir et lundi matin")
    assert actual == [TimeSlot("monday", "morning"), TimeSlot("sunday", "evening")]
