"""The volunteer store on SQLite and PostgreSQL: atomic save with consent, export, erasure."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from bot.errors import ConsentRequiredError, NotFoundError
from bot.missions import Mission, Proposal
from bot.profile import ConsentRecord, Place, ProfileSubmission, TimeSlot
from bot.store import missions, models, volunteers
from bot.store.session import session_scope

JULIE = ProfileSubmission(
    first_name="Julie",
    age_group="adult",
    place=Place("Villeurbanne", 45.76601, 4.8795, "69100"),
    skills=("healthcare", "cooking"),
    causes=("health",),
    availability=(TimeSlot("sunday", "morning"), TimeSlot("saturday", "morning")),
    email="julie.martin@exemple.fr",
    phone="+33612345678",
)
CONSENT = ConsentRecord("2026-11-v1", datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc), "rest")
SOUP = Mission(
    id="M900",
    title="Soupe solidaire",
    causes=("solidarity",),
    skills=("cooking",),
    schedule=(TimeSlot("saturday", "morning"),),
    place=Place("Lyon", 45.74906, 4.84789, "69007"),
)


def test_save_then_export_has_the_design_keys_and_normalised_values(database_url: str) -> None:
    with session_scope(database_url) as session:
        missions.upsert(session, [SOUP])
        volunteer = volunteers.save_profile(session, channel="rest", sender_id="s1", profile=JULIE, consent=CONSENT)
        volunteers.record_proposals(
            session, volunteer=volunteer, proposals=[Proposal("M900", "Soupe solidaire", 7.5, ("à 3 km",))]
        )
    with session_scope(database_url) as session:
        [row] = volunteers.export(session)
    assert list(row) == list(volunteers.EXPORT_FIELDS)
    assert row["first_name"] == "Julie"
    assert row["skills"] == ["healthcare", "cooking"]
    assert row["interests"] == ["health"]
    assert row["availability"] == [{"day": "saturday", "period": "morning"}, {"day": "sunday", "period": "morning"}]
    assert (row["city"], row["postcode"]) == ("Villeurbanne", "69100")
    assert row["consent_at"] == "2026-11-22T09:30:00+00:00"
    assert row["status"] == "nouveau"
    assert row["proposed_missions"] == [{"id": "M900", "title": "Soupe solidaire", "score": 7.5, "reasons": ["à 3 km"]}]


def test_nothing_is_stored_without_consent(database_url: str) -> None:
    with pytest.raises(ConsentRequiredError), session_scope(database_url) as session:
        volunteers.save_profile(session, channel="rest", sender_id="s1", profile=JULIE, consent=None)
    with session_scope(database_url) as session:
        assert volunteers.count(session) == 0


def test_a_failure_midway_leaves_no_half_written_profile(database_url: str) -> None:
    broken = ProfileSubmission(**{**JULIE.__dict__, "availability": (TimeSlot("monday", "morning"),)})
    with pytest.raises(RuntimeError), session_scope(database_url) as session:
        volunteers.save_profile(session, channel="rest", sender_id="s1", profile=broken, consent=CONSENT)
        raise RuntimeError("the process died before the commit")
    with session_scope(database_url) as session:
        assert volunteers.count(session) == 0
        assert session.execute(select(models.Consent)).first() is None


def test_saving_again_replaces_the_profile_and_keeps_one_consent(database_url: str) -> None:
    moved = ProfileSubmission(
        **{**JULIE.__dict__, "place": Place("Bron", 45.73865, 4.91303, "69500"), "skills": ("driving",)}
    )
    with session_scope(database_url) as session:
        volunteers.save_profile(session, channel="rest", sender_id="s1", profile=JULIE, consent=CONSENT)
    with session_scope(database_url) as session:
        volunteers.save_profile(session, channel="rest", sender_id="s1", profile=moved, consent=CONSENT)
    with session_scope(database_url) as session:
        [row] = volunteers.export(session)
        assert session.execute(select(models.Consent)).scalars().all().__len__() == 1
    assert (row["city"], row["skills"]) == ("Bron", ["driving"])


def test_forget_erases_every_trace_but_an_anonymous_audit_entry(database_url: str) -> None:
    with session_scope(database_url) as session:
        missions.upsert(session, [SOUP])
        volunteer = volunteers.save_profile(session, channel="rest", sender_id="s1", profile=JULIE, consent=CONSENT)
        volunteers.record_application(session, volunteer=volunteer, mission_id="M900")
        volunteers.record_handoff(session, channel="rest", sender_id="s1")
    with session_scope(database_url) as session:
        assert volunteers.forget(session, sender_id="s1") == 2
    with session_scope(database_url) as session:
        dump = _dump_all_tables(session)
        [audit] = session.execute(select(models.AuditEntry)).scalars()
    for personal in ("Julie", "julie.martin@exemple.fr", "+33612345678", "s1"):
        assert personal not in dump
    assert audit.action == "erase"


def test_forget_an_unknown_sender_is_a_clear_error(database_url: str) -> None:
    with pytest.raises(NotFoundError), session_scope(database_url) as session:
        volunteers.forget(session, sender_id="nobody")


def test_an_application_is_recorded_once_and_needs_a_real_mission(database_url: str) -> None:
    with session_scope(database_url) as session:
        missions.upsert(session, [SOUP])
        volunteer = volunteers.save_profile(session, channel="rest", sender_id="s1", profile=JULIE, consent=CONSENT)
        assert volunteers.record_application(session, volunteer=volunteer, mission_id="M900") is True
        assert volunteers.record_application(session, volunteer=volunteer, mission_id="M900") is False
        with pytest.raises(NotFoundError):
            volunteers.record_application(session, volunteer=volunteer, mission_id="M404")


def _dump_all_tables(session: object) -> str:
    """Every value of every application table, as one string to search."""
    rows = []
    for table in models.metadata.sorted_tables:
        rows += [repr(tuple(row)) for row in session.execute(text(f"SELECT * FROM {table.name}"))]  # type: ignore[attr-defined]
    return "\n".join(rows)
