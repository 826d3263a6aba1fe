"""Open missions as matching reads them: plain rows give what the ORM objects give."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bot.missions import DEFAULT_MISSIONS_PATH, Mission, read_missions
from bot.profile import TimeSlot
from bot.store import missions, models
from bot.store.session import session_scope

BARE = Mission(id="M990", title="Permanence téléphonique", remote=True)  # no place, skill, cause or slot
SHUFFLED = Mission(
    id="M991",
    title="Maraude du soir",
    causes=("homelessness", "health"),
    skills=("listening", "driving", "first_aid"),
    schedule=(TimeSlot("sunday", "evening"), TimeSlot("monday", "evening"), TimeSlot("monday", "morning")),
)


def test_open_missions_are_the_stored_ones_as_the_orm_reads_them(database_url: str) -> None:
    demo = read_missions(DEFAULT_MISSIONS_PATH)
    with session_scope(database_url) as session:
        missions.upsert(session, [*demo, BARE, SHUFFLED, replace(SHUFFLED, id="M992")])
        session.execute(update(models.Mission).where(models.Mission.id == "M992").values(status="closed"))
    with session_scope(database_url) as session:
        read = missions.open_missions(session)
        orm = session.execute(
            select(models.Mission)
            .where(models.Mission.status == "open")
            .options(*(selectinload(getattr(models.Mission, name)) for name in ("skills", "causes", "schedule")))
            .order_by(models.Mission.id)
        ).scalars()
        expected = [missions.to_domain(row) for row in orm]
    # Both readings see which missions are dated and their shifts ahead (issue 18): staff suggestions and
    # urgent calls (to_domain) must not offer a dated mission whose dates are all full.
    assert {m.id for m in read if m.dated} == {m.id for m in demo if m.shifts}
    assert all(m.openings for m in read if m.dated)
    assert read == expected
    assert len(read) == len(demo) + 2 and "M992" not in {m.id for m in read}
    shuffled = next(m for m in read if m.id == "M991")
    assert shuffled.skills == ("driving", "first_aid", "listening")
    assert shuffled.schedule[0] == TimeSlot("monday", "morning")
    assert next(m for m in read if m.id == "M990").place is None
