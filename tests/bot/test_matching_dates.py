"""Matching with dated shifts: the next date the volunteer is free for, dated missions without open shifts left out."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from bot.matching import MatchingRules, load_rules, rank_missions, suggest_volunteers
from bot.missions import Mission, Opening
from bot.profile import Place, TimeSlot, VolunteerProfile

LYON = Place("Lyon", 45.74906, 4.84789, "69002")
ZONE = "Europe/Paris"
# Saturday 12 December 2026, 9:00-12:00 in Paris; Wednesday 16 December, 14:00-17:00.
SATURDAY = datetime(2026, 12, 12, 8, tzinfo=timezone.utc)
WEDNESDAY = datetime(2026, 12, 16, 13, tzinfo=timezone.utc)


class KeyLabels:
    def skill_label(self, key: str) -> str:
        return key

    def cause_label(self, key: str) -> str:
        return key


@pytest.fixture(scope="module")
def rules() -> MatchingRules:
    return load_rules()


def opening(shift_id: int, starts_at: datetime, hours: int = 3, left: int = 2) -> Opening:
    return Opening(shift_id, starts_at, starts_at + timedelta(hours=hours), left, ZONE)


def dated(mission_id: str, *openings: Opening, **changes: object) -> Mission:
    base = Mission(
        id=mission_id, title=f"Mission {mission_id}", schedule=(), place=LYON, places_total=5, dated=True,
        openings=openings,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def proposals(profile: VolunteerProfile, missions: list[Mission], rules: MatchingRules) -> list[tuple[str, tuple]]:
    ranked = rank_missions(profile, missions, limit=10, rules=rules, labels=KeyLabels())
    return [(p.mission_id, p.reasons) for p in ranked]


def test_the_reason_names_the_first_date_the_volunteer_is_free_for(rules: MatchingRules) -> None:
    free_wednesday = VolunteerProfile(availability=(TimeSlot("wednesday", "afternoon"),))
    mission = dated("M001", opening(1, SATURDAY), opening(2, WEDNESDAY))
    assert proposals(free_wednesday, [mission], rules) == [
        ("M001", ("vous êtes libre le mercredi 16 décembre, 14 h–17 h",))
    ]


def test_without_a_fitting_date_the_next_one_is_said(rules: MatchingRules) -> None:
    free_monday = VolunteerProfile(availability=(TimeSlot("monday", "evening"),))
    mission = dated("M001", opening(1, SATURDAY), opening(2, WEDNESDAY))
    assert proposals(free_monday, [mission], rules) == [("M001", ("prochaine date : samedi 12 décembre, 9 h–12 h",))]
    anyone = VolunteerProfile()
    assert proposals(anyone, [mission], rules) == [("M001", ("prochaine date : samedi 12 décembre, 9 h–12 h",))]


def test_full_shifts_are_skipped_and_a_dated_mission_without_open_shift_is_not_proposed(rules: MatchingRules) -> None:
    free_saturday = VolunteerProfile(availability=(TimeSlot("saturday", "morning"),))
    partly_full = dated("M001", opening(1, SATURDAY, left=0), opening(2, SATURDAY + timedelta(days=7)))
    all_full = dated("M002", opening(3, SATURDAY, left=0))
    no_shift_ahead = dated("M003")
    undated = Mission(id="M004", title="Sans dates", schedule=(TimeSlot("saturday", "morning"),), place=LYON,
                      places_total=5)  # fmt: skip
    assert proposals(free_saturday, [partly_full, all_full, no_shift_ahead, undated], rules) == [
        ("M001", ("vous êtes libre le samedi 19 décembre, 9 h–12 h",)),
        ("M004", ("vous êtes libre le samedi matin",)),
    ]


def test_dated_shifts_count_for_availability_like_the_weekly_grid(rules: MatchingRules) -> None:
    free_saturday = VolunteerProfile(availability=(TimeSlot("saturday", "morning"),))
    on_saturday = dated("M001", opening(1, SATURDAY))
    on_wednesday = dated("M002", opening(2, WEDNESDAY))
    ranked = rank_missions(free_saturday, [on_wednesday, on_saturday], limit=2, rules=rules, labels=KeyLabels())
    assert [p.mission_id for p in ranked] == ["M001", "M002"]
    assert ranked[0].score > ranked[1].score
    # The weekly grid still counts with the dates: the same volunteer, a Wednesday shift, a Saturday grid.
    with_grid = dated("M003", opening(3, WEDNESDAY), schedule=(TimeSlot("saturday", "morning"),))
    (proposal,) = rank_missions(free_saturday, [with_grid], rules=rules, labels=KeyLabels())
    assert proposal.reasons == ("vous êtes libre le samedi matin", "prochaine date : mercredi 16 décembre, 14 h–17 h")


def test_a_shift_over_two_periods_fits_both(rules: MatchingRules) -> None:
    long_shift = opening(1, datetime(2026, 12, 12, 10, tzinfo=timezone.utc), hours=4)  # 11:00-15:00 in Paris
    assert [slot.period for slot in long_shift.slots] == ["morning", "afternoon"]
    free_afternoon = VolunteerProfile(availability=(TimeSlot("saturday", "afternoon"),))
    assert proposals(free_afternoon, [dated("M001", long_shift)], rules) == [
        ("M001", ("vous êtes libre le samedi 12 décembre, 11 h–15 h",))
    ]


def test_suggestions_for_a_dated_mission_follow_the_same_rule(rules: MatchingRules) -> None:
    volunteer = ("7", VolunteerProfile(availability=(TimeSlot("saturday", "morning"),)))
    assert suggest_volunteers(dated("M002", opening(3, SATURDAY, left=0)), [volunteer], rules=rules) == []
    ((_, proposal),) = suggest_volunteers(dated("M001", opening(1, SATURDAY)), [volunteer], rules=rules)
    assert proposal.reasons == ("vous êtes libre le samedi 12 décembre, 9 h–12 h",)
