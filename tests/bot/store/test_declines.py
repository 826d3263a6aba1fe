"""Declines and the opt-out of proposals, on SQLite and PostgreSQL; declines leave with an erased volunteer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from bot.missions import Mission
from bot.profile import ConsentRecord, Place, ProfileSubmission
from bot.store import declines, missions, models, volunteers
from bot.store.session import session_scope

JULIE = ProfileSubmission(
    first_name="Julie",
    age_group="adult",
    place=Place("Villeurbanne", 45.76601, 4.8795, "69100"),
    skills=("cooking",),
    causes=("solidarity",),
    availability=(),
    email="julie@exemple.fr",
)
CONSENT = ConsentRecord("2026-11-v1", datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc), "rest")
SOUP = Mission(id="M901", title="Soupe solidaire", causes=("solidarity",), skills=("cooking",))
LIBRARY = Mission(id="M902", title="Bibliothèque de rue", causes=("education",), skills=())


def _volunteer(database_url: str, sender_id: str = "s1") -> int:
    with session_scope(database_url) as session:
        missions.upsert(session, [SOUP, LIBRARY])
        volunteer = volunteers.save_profile(
            session, channel="rest", sender_id=sender_id, profile=JULIE, consent=CONSENT
        )
        return volunteer.id


def test_declines_start_unknown_then_take_the_reason_and_leave_missions_out(database_url: str) -> None:
    volunteer_id = _volunteer(database_url)
    with session_scope(database_url) as session:
        ids = declines.record(session, volunteer_id=volunteer_id, mission_ids=["M901", "M902", "M901", "GONE"])
    assert len(ids) == 2  # one per mission that exists, each once
    with session_scope(database_url) as session:
        changed = declines.give_reason(session, volunteer_id=volunteer_id, decline_ids=ids, reason="too_far")
        assert declines.declined_mission_ids(session, volunteer_id=volunteer_id) == {"M901", "M902"}
        shown = declines.of_volunteer(session, volunteer_id=volunteer_id)
    assert changed == 2
    assert sorted((d.mission_title, d.reason_label) for d in shown) == [
        ("Bibliothèque de rue", "Trop loin"),
        ("Soupe solidaire", "Trop loin"),
    ]


def test_without_a_known_mission_nothing_is_recorded_and_a_mission_is_declined_once(database_url: str) -> None:
    """Review finding: saying no again and again, or replaying an old button, added a row each time."""
    volunteer_id = _volunteer(database_url)
    with session_scope(database_url) as session:
        assert declines.record(session, volunteer_id=volunteer_id, mission_ids=[]) == []
        assert declines.record(session, volunteer_id=volunteer_id, mission_ids=["M999"]) == []
        first = declines.record(session, volunteer_id=volunteer_id, mission_ids=["M901"])
        declines.give_reason(session, volunteer_id=volunteer_id, decline_ids=first, reason="too_far")
        for _ in range(5):
            again = declines.record(session, volunteer_id=volunteer_id, mission_ids=["M901"])
            assert again == first
        declines.give_reason(session, volunteer_id=volunteer_id, decline_ids=again, reason="other", text="bof")
    with session_scope(database_url) as session:
        [shown] = declines.of_volunteer(session, volunteer_id=volunteer_id)
    assert (shown.mission_id, shown.reason, shown.text) == ("M901", "other", "bof")


def test_a_volunteer_cannot_give_the_reason_of_someone_elses_declines(database_url: str) -> None:
    julie = _volunteer(database_url, "s1")
    other = _volunteer(database_url, "s2")
    with session_scope(database_url) as session:
        ids = declines.record(session, volunteer_id=julie, mission_ids=["M901"])
        assert declines.give_reason(session, volunteer_id=other, decline_ids=ids, reason="too_far") == 0
        assert [d.reason for d in declines.of_volunteer(session, volunteer_id=julie)] == ["unknown"]


def test_dashboard_counts_by_reason_and_most_declined_missions_over_the_period(database_url: str) -> None:
    julie = _volunteer(database_url, "s1")
    other = _volunteer(database_url, "s2")
    with session_scope(database_url) as session:
        declines.give_reason(
            session,
            volunteer_id=julie,
            decline_ids=declines.record(session, volunteer_id=julie, mission_ids=["M901", "M902"]),
            reason="wrong_days",
        )
        declines.record(session, volunteer_id=other, mission_ids=["M901"])
        old = declines.record(session, volunteer_id=other, mission_ids=["M902"])
        session.get(models.Decline, old[0]).created_at = datetime.now(timezone.utc) - timedelta(days=90)
    since = datetime.now(timezone.utc) - timedelta(days=7)
    with session_scope(database_url) as session:
        assert declines.counts_by_reason(session, since=since) == {"wrong_days": 2, "unknown": 1}
        assert declines.most_declined(session, since=since) == [
            ("M901", "Soupe solidaire", 2),
            ("M902", "Bibliothèque de rue", 1),
        ]


def test_opt_out_is_kept_until_proposals_are_asked_for_again(database_url: str) -> None:
    _volunteer(database_url)
    with session_scope(database_url) as session:
        volunteer = volunteers.find(session, channel="rest", sender_id="s1")
        assert volunteer is not None
        declines.stop_proposals(session, volunteer=volunteer)
        first = volunteer.proposals_opt_out_at
        declines.stop_proposals(session, volunteer=volunteer)
        assert first is not None and volunteer.proposals_opt_out_at == first
    with session_scope(database_url) as session:
        volunteer = volunteers.find(session, channel="rest", sender_id="s1")
        assert volunteer is not None and volunteer.proposals_opt_out_at is not None
        assert declines.resume_proposals(session, volunteer=volunteer) is True
        assert declines.resume_proposals(session, volunteer=volunteer) is False
    with session_scope(database_url) as session:
        volunteer = volunteers.find(session, channel="rest", sender_id="s1")
        assert volunteer is not None and volunteer.proposals_opt_out_at is None


def test_erasing_a_volunteer_erases_their_declines(database_url: str) -> None:
    volunteer_id = _volunteer(database_url)
    with session_scope(database_url) as session:
        declines.record(session, volunteer_id=volunteer_id, mission_ids=["M901"])
    with session_scope(database_url) as session:
        volunteers.forget(session, sender_id="s1", channel="rest")
    with session_scope(database_url) as session:
        assert session.execute(select(func.count()).select_from(models.Decline)).scalar_one() == 0


def test_the_reasons_are_those_the_table_accepts() -> None:
    [check] = [c for c in models.Decline.__table__.constraints if c.name and "reason" in str(c.name)]
    accepted = str(check.sqltext)
    assert sorted(declines.REASONS) == sorted(r.strip("' ") for r in accepted.split("(", 1)[1].rstrip(")").split(","))
