"""The urgent call's limits, on SQLite and PostgreSQL, with a recording stand-in for Rasa's trigger_intent."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import urgent
from bot.config import Settings
from bot.errors import AssistantUnavailableError, ConversationRefusedError
from bot.missions import Mission
from bot.profile import ConsentRecord, Place, ProfileSubmission, TimeSlot
from bot.store import missions, models, staffing, volunteers
from bot.store.session import session_scope

VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")
GRENOBLE = Place("Grenoble", 45.16667, 5.71667, "38000")
SATURDAY = TimeSlot("saturday", "morning")
SOUP = Mission(
    id="M901", title="Soupe solidaire", causes=("solidarity",), skills=("cooking",), schedule=(SATURDAY,),
    place=VILLEURBANNE, places_total=10, urgent=True,
)  # fmt: skip
LIBRARY = replace(SOUP, id="M902", title="Bibliothèque de rue")


class Rasa:
    """Records each injected intent; raises while ``down``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.down = False

    def __call__(self, settings: Settings, *, sender_id: str, intent: str, entities: dict[str, Any]) -> list[object]:
        if self.down:
            raise AssistantUnavailableError("l'assistant ne répond pas (ConnectError)")
        self.calls.append((sender_id, intent, entities))
        return []

    def invited(self, mission_id: str = "M901") -> list[str]:
        """Sender ids invited to the mission, in order."""
        return [sender for sender, _, entities in self.calls if entities == {"mission_id": mission_id}]


@pytest.fixture()
def rasa(monkeypatch: pytest.MonkeyPatch) -> Rasa:
    fake = Rasa()
    monkeypatch.setattr(urgent, "trigger_intent", fake)
    return fake


@pytest.fixture()
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, urgent_call_size=5)


def add_missions(settings: Settings, *more: Mission) -> None:
    with session_scope(settings.database_url) as session:
        missions.upsert(session, more or (SOUP,))


def add_volunteer(
    settings: Settings, sender_id: str, *, channel: str = "telegram", age_group: str = "adult",
    place: Place = VILLEURBANNE,
) -> int:  # fmt: skip
    profile = ProfileSubmission(
        first_name=sender_id.title(), age_group=age_group, place=place, skills=("cooking",),
        causes=("solidarity",), availability=(SATURDAY,),
    )  # fmt: skip
    consent = ConsentRecord("2026-01", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc), channel)
    with session_scope(settings.database_url) as session:
        return volunteers.save_profile(
            session, channel=channel, sender_id=sender_id, profile=profile, consent=consent
        ).id


def count(settings: Settings, table: Any, *where: Any) -> int:
    with session_scope(settings.database_url) as session:
        return int(session.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def test_invites_with_a_trace_then_leaves_people_alone_for_a_week(settings: Settings, rasa: Rasa) -> None:
    add_missions(settings)
    ids = [add_volunteer(settings, name) for name in ("alice", "bruno", "chloe")]
    assert urgent.call_volunteers(settings) == 3
    assert sorted(rasa.invited()) == ["alice", "bruno", "chloe"]
    assert {intent for _, intent, _ in rasa.calls} == {"mission_invitation"}
    with session_scope(settings.database_url) as session:
        rows = session.execute(select(models.Invitation)).scalars().all()
        assert sorted((r.volunteer_id, r.mission_id, r.kind, r.staff_id) for r in rows) == [
            (i, "M901", "urgent", None) for i in sorted(ids)
        ]
        audit = session.execute(select(models.AuditEntry).where(models.AuditEntry.action == "invite")).scalars().all()
        assert sorted((a.actor, a.subject, a.details["mission"]) for a in audit) == [
            ("assistant", f"volunteer:{i}", "M901") for i in sorted(ids)
        ]

    assert count(settings, models.JobRun.__table__) == 0  # claims leave with the delivery: no id stays behind
    assert urgent.call_volunteers(settings) == 0  # the next run, the same day
    add_missions(settings, LIBRARY)
    in_six_days = datetime.now(timezone.utc) + timedelta(days=6)
    assert urgent.call_volunteers(settings, now=in_six_days) == 0  # another mission, still the same week
    in_eight_days = datetime.now(timezone.utc) + timedelta(days=8)
    assert urgent.call_volunteers(settings, now=in_eight_days) == 3
    assert sorted(rasa.invited("M902")) == ["alice", "bruno", "chloe"]
    assert len(rasa.invited("M901")) == 3  # never twice to the same mission


def test_a_staff_invitation_this_week_counts_too(settings: Settings, rasa: Rasa) -> None:
    add_missions(settings, SOUP, LIBRARY)
    alice = add_volunteer(settings, "alice")
    add_volunteer(settings, "bruno")
    with session_scope(settings.database_url) as session:
        staffing.record_invitation(session, volunteer_id=alice, mission_id="M902", staff_id=None)
    urgent.call_volunteers(settings)
    assert rasa.invited() == ["bruno"]


def test_opt_out_declines_and_takeovers_are_respected(settings: Settings, rasa: Rasa) -> None:
    add_missions(settings, SOUP, LIBRARY)
    opted_out, declined, held, other_decline, handed_back = (
        add_volunteer(settings, name) for name in ("odile", "denis", "henri", "oscar", "hugo")
    )
    now = datetime.now(timezone.utc)
    with session_scope(settings.database_url) as session:
        session.get(models.Volunteer, opted_out).proposals_opt_out_at = now
        session.add(models.Decline(volunteer_id=declined, mission_id="M901", reason="too_far"))
        session.add(models.Decline(volunteer_id=other_decline, mission_id="M902", reason="wrong_days"))
        session.add(models.Takeover(sender_id="henri", channel="telegram", volunteer_id=held, staff_id=None))
        session.add(models.Takeover(sender_id="hugo", channel="telegram", volunteer_id=handed_back, ended_at=now))
    urgent.call_volunteers(settings)
    assert sorted(rasa.invited()) == ["hugo", "oscar"]


def test_only_consented_reachable_people_old_enough_and_near_enough(settings: Settings, rasa: Rasa) -> None:
    add_missions(settings, replace(SOUP, min_age=18))
    add_volunteer(settings, "tom")  # Telegram: the assistant writes first
    add_volunteer(settings, "web-wendy", channel="web")  # the chat bubble: live, or in its history
    add_volunteer(settings, "rest-remi", channel="rest")  # an integration: nothing is pushed to it
    add_volunteer(settings, "mina", age_group="minor")
    add_volunteer(settings, "gaspard", place=GRENOBLE)  # about 100 km away
    withdrawn = add_volunteer(settings, "wanda")
    with session_scope(settings.database_url) as session:
        for consent in session.get(models.Volunteer, withdrawn).consents:
            consent.withdrawn_at = datetime.now(timezone.utc)
    urgent.call_volunteers(settings)
    assert sorted(rasa.invited()) == ["tom", "web-wendy"]


def test_at_most_the_call_size_a_day_and_what_the_places_left_call_for(settings: Settings, rasa: Rasa) -> None:
    add_missions(settings, SOUP, replace(LIBRARY, places_total=2, places_filled=1))
    for number in range(8):
        add_volunteer(settings, f"v{number}")
    urgent.call_volunteers(settings)
    assert len(rasa.invited("M901")) == 5  # URGENT_CALL_SIZE
    assert len(rasa.invited("M902")) == 3  # one place left: three invitations
    assert urgent.call_volunteers(settings) == 0  # both used their day's share


def test_volunteers_waiting_for_confirmation_count_as_places_taken(settings: Settings, rasa: Rasa) -> None:
    add_missions(settings, replace(SOUP, places_total=2, places_filled=1))
    waiting = add_volunteer(settings, "ines")
    add_volunteer(settings, "jules")
    with session_scope(settings.database_url) as session:
        session.add(models.Application(volunteer_id=waiting, mission_id="M901"))
    assert urgent.call_volunteers(settings) == 0


def test_missions_not_urgent_full_or_closed_call_nobody(settings: Settings, rasa: Rasa) -> None:
    add_missions(
        settings,
        replace(SOUP, urgent=False),
        replace(LIBRARY, places_filled=10),
        replace(SOUP, id="M903", title="Maraude"),
    )
    with session_scope(settings.database_url) as session:
        staffing.set_status(session, mission_id="M903", status="closed")
    add_volunteer(settings, "alice")
    assert urgent.call_volunteers(settings) == 0
    assert rasa.calls == []


def test_rasa_down_records_nothing_and_the_next_run_tries_again(settings: Settings, rasa: Rasa) -> None:
    add_missions(settings)
    add_volunteer(settings, "alice")
    rasa.down = True
    assert urgent.call_volunteers(settings) == 0
    assert count(settings, models.Invitation.__table__) == 0
    assert count(settings, models.AuditEntry.__table__, models.AuditEntry.action == "invite") == 0
    assert count(settings, models.JobRun.__table__) == 0
    rasa.down = False
    assert urgent.call_volunteers(settings) == 1
    assert rasa.invited() == ["alice"]


def test_a_volunteer_another_process_is_inviting_is_skipped(settings: Settings, rasa: Rasa) -> None:
    add_missions(settings)
    busy = add_volunteer(settings, "alice")
    add_volunteer(settings, "bruno")
    with session_scope(settings.database_url) as session:
        session.add(models.JobRun(kind=urgent.CLAIM_KIND, key=str(busy)))
    urgent.call_volunteers(settings)
    assert rasa.invited() == ["bruno"]


def test_a_volunteer_invited_by_another_process_meanwhile_is_skipped(
    settings: Settings, rasa: Rasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_missions(settings, SOUP, LIBRARY)
    add_volunteer(settings, "alice")
    bruno = add_volunteer(settings, "bruno")

    def deliver_while_bruno_gets_invited(settings: Settings, **call: Any) -> list[object]:
        with session_scope(settings.database_url) as session:  # another process, between ranking and claim
            staffing.record_invitation(session, volunteer_id=bruno, mission_id="M902", staff_id=None, kind="urgent")
        return rasa(settings, **call)

    monkeypatch.setattr(urgent, "trigger_intent", deliver_while_bruno_gets_invited)
    urgent.call_volunteers(settings)
    assert rasa.invited() == ["alice"]


def test_no_claim_stays_behind_when_someone_was_invited_meanwhile(settings: Settings, rasa: Rasa) -> None:
    """Review finding: on SQLite the claim's savepoint had committed it; the rollback left it for ever."""
    add_missions(settings)
    alice = add_volunteer(settings, "alice")
    with session_scope(settings.database_url) as session:
        staffing.record_invitation(session, volunteer_id=alice, mission_id="M901", staff_id=None, kind="urgent")
    now = datetime.now(timezone.utc)
    assert urgent._invite(settings, "M901", alice, "alice", now=now) is False
    assert count(settings, models.JobRun.__table__) == 0


def test_a_claim_left_by_a_dead_process_expires(settings: Settings, rasa: Rasa) -> None:
    add_missions(settings)
    alice = add_volunteer(settings, "alice")
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    with session_scope(settings.database_url) as session:
        session.add(models.JobRun(kind=urgent.CLAIM_KIND, key=str(alice), at=long_ago))
    assert urgent.call_volunteers(settings) == 1
    assert rasa.invited() == ["alice"]


def test_one_conversation_the_assistant_refuses_does_not_stop_the_call(
    settings: Settings, rasa: Rasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding: a 500 for one conversation stopped every urgent call, run after run."""
    add_missions(settings)
    add_volunteer(settings, "alice")
    add_volunteer(settings, "bruno")

    def refuse_alice(settings: Settings, **call: Any) -> list[object]:
        if call["sender_id"] == "alice":
            raise ConversationRefusedError("l'assistant a refusé la demande (HTTP 500)")
        return rasa(settings, **call)

    monkeypatch.setattr(urgent, "trigger_intent", refuse_alice)
    assert urgent.call_volunteers(settings) == 1
    assert rasa.invited() == ["bruno"]
    assert count(settings, models.JobRun.__table__) == 0
