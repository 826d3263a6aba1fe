"""Suggested volunteers: the fast pre-selection never changes what the exact ranking would show,
and it follows the database (new leads, status changes, erasures), on SQLite and PostgreSQL."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot import matching
from bot.config import Settings
from bot.console.suggestions import suggest
from bot.profile import VolunteerProfile
from bot.store import leads, missions, models, staffing, volunteers
from bot.store.session import session_scope
from scripts.seed_console import seed


def _profiles(session: object, settings: Settings) -> dict[int, VolunteerProfile]:
    """Every lead in play as matching sees them, loaded once."""
    query = (
        select(models.Volunteer)
        .where(models.Volunteer.status.notin_(("refusé", "archivé")))
        .options(
            *(
                selectinload(r)
                for r in (models.Volunteer.skills, models.Volunteer.causes, models.Volunteer.availability)
            )
        )
    )
    ages = {"adult_age": settings.adult_age, "min_age": settings.min_age}
    return {v.id: volunteers.to_submission(v).matching_profile(**ages) for v in session.execute(query).scalars()}  # type: ignore[attr-defined]


def _exact(profiles: dict[int, VolunteerProfile], mission: models.Mission, limit: int) -> list[tuple[str, float]]:
    """What bot.matching.suggest_volunteers says when it scores every lead in play (nobody applied here)."""
    ranked = matching.suggest_volunteers(
        missions.to_domain(mission),
        [(str(i), p) for i, p in profiles.items()],
        limit=limit,
    )
    return [(vid, p.score) for vid, p in ranked]


def test_preselection_agrees_with_the_exact_ranking(database_url: str) -> None:
    seed(database_url, volunteers=1000, missions=30, seed=3)
    settings = Settings(database_url=database_url)
    with session_scope(database_url) as session:
        ids = list(session.execute(select(models.Mission.id).where(models.Mission.status == "open")).scalars())
        profiles = _profiles(session, settings)
        for mission_id in random.Random(5).sample(ids, 12):
            mission = staffing.get(session, mission_id=mission_id)
            fast = [(str(s.volunteer.id), s.proposal.score) for s in suggest(session, settings, mission=mission)]
            exact = _exact(profiles, mission, 10)
            assert [score for _, score in fast] == [score for _, score in exact], mission_id
            assert fast == exact or len({score for _, score in exact}) < len(exact)  # equal scores may swap ids


def test_suggestions_follow_the_database(database_url: str) -> None:
    seed(database_url, volunteers=300, missions=5, seed=11)
    settings = Settings(database_url=database_url)
    with session_scope(database_url) as session:
        mission = (
            session.execute(
                select(models.Mission).where(models.Mission.status == "open", models.Mission.remote.is_(False))
            )
            .scalars()
            .first()
        )
        mission.places_filled = 0
        first = suggest(session, settings, mission=mission, limit=3)
        best = first[0].volunteer.id
        leads.change_status(session, volunteer_id=best, status="refusé", reason="test")
    with session_scope(database_url) as session:
        mission = staffing.get(session, mission_id=mission.id)
        assert best not in [s.volunteer.id for s in suggest(session, settings, mission=mission, limit=3)]
        second = suggest(session, settings, mission=mission, limit=3)[0].volunteer
        volunteers.forget(session, sender_id=second.sender_id, channel=second.channel, actor="test")
    with session_scope(database_url) as session:
        mission = staffing.get(session, mission_id=mission.id)
        shown = [s.volunteer.id for s in suggest(session, settings, mission=mission, limit=3)]
        assert best not in shown and second.id not in shown
