"""Actions that store and read: save, propose, apply, show my data, forget, returning volunteer."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.greeting import ActionSessionStart
from actions.missions import ActionApply, ActionProposeMissions
from actions.privacy import ActionForgetMe, ActionShowMyData
from actions.profile import ActionSaveProfile
from bot.config import ROOT
from bot.missions import read_missions
from bot.store import missions, models, volunteers
from bot.store.session import session_scope
from tests.actions.conftest import make_tracker

PROFILE_SLOTS = {
    "first_name": "Julie",
    "age_group": "adult",
    "place": "Villeurbanne|69100|45.76601|4.8795",
    "skills": ["healthcare"],
    "availability": ["saturday:morning"],
    "causes": ["health"],
    "email": "julie@exemple.fr",
    "contact": "julie@exemple.fr",
    "consent": "given",
    "consent_at": "2026-11-v1|2026-11-22T10:00:00+00:00",
}


def run(
    action: Action, slots: dict[str, Any], text: str = "", **kwargs: Any
) -> tuple[list[dict], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, make_tracker(text, slots=slots, **kwargs), {}))
    return events, dispatcher


@pytest.fixture()
def with_missions(app_database: str) -> str:
    with session_scope(app_database) as session:
        missions.upsert(session, read_missions(ROOT / "data" / "association" / "missions.yml"))
    return app_database


def test_save_stores_the_profile_with_its_consent(with_missions: str) -> None:
    events, dispatcher = run(ActionSaveProfile(), PROFILE_SLOTS)
    assert {"event": "slot", "name": "profile_status", "value": "saved", "timestamp": None} in events
    assert dispatcher.messages[0]["response"] == "utter_profile_saved"
    with session_scope(with_missions) as session:
        [row] = volunteers.export(session)
    assert (row["first_name"], row["consent_at"]) == ("Julie", "2026-11-22T10:00:00+00:00")


def test_proposals_have_reasons_and_apply_buttons_and_are_not_repeated(with_missions: str) -> None:
    run(ActionSaveProfile(), PROFILE_SLOTS)
    saved = {**PROFILE_SLOTS, "profile_status": "saved"}
    events, dispatcher = run(ActionProposeMissions(), saved)
    shown = [m for m in dispatcher.messages if m["response"] == "utter_mission"]
    assert len(shown) == 3
    assert all(m["reasons"] and m["buttons"][0]["payload"].startswith("/apply") for m in shown)
    first_ids = events[-1]["value"]
    events, _ = run(ActionProposeMissions(), {**saved, "proposed_missions": first_ids})
    assert set(events[-1]["value"][3:]).isdisjoint(first_ids)


def test_a_mission_proposed_before_with_dates_left_comes_back(with_missions: str) -> None:
    """ "Voir les missions" after the dates' buttons are gone: the way back to a dated mission's dates."""
    run(ActionSaveProfile(), PROFILE_SLOTS)
    saved = {**PROFILE_SLOTS, "profile_status": "saved"}
    events, _ = run(ActionProposeMissions(), saved)
    first_ids = events[-1]["value"]
    starts = datetime.now(timezone.utc) + timedelta(days=3)
    with session_scope(with_missions) as session:
        session.add(
            models.Shift(mission_id=first_ids[0], starts_at=starts, ends_at=starts + timedelta(hours=2), places=2)
        )
    events, _ = run(ActionProposeMissions(), {**saved, "proposed_missions": first_ids})
    again = events[-1]["value"]
    assert first_ids[0] in again and set(again).isdisjoint(first_ids[1:])
    assert events[-2]["value"].count(first_ids[0]) == 1  # proposed_missions holds it once


def test_browsing_without_a_profile_stores_nothing_and_offers_no_apply_button(with_missions: str) -> None:
    _, dispatcher = run(ActionProposeMissions(), {"skills": ["cooking"]})
    shown = [m for m in dispatcher.messages if m["response"] == "utter_mission"]
    assert len(shown) == 3
    # No "Ça m'intéresse" without a profile: only "Plus d'infos" (issue 18).
    assert all([b["payload"].split("{")[0] for b in m["buttons"]] == ["/mission_details"] for m in shown)
    with session_scope(with_missions) as session:
        assert volunteers.count(session) == 0


def test_apply_records_once(with_missions: str) -> None:
    run(ActionSaveProfile(), PROFILE_SLOTS)
    saved = {**PROFILE_SLOTS, "profile_status": "saved", "mission_id": "M001"}
    _, first = run(ActionApply(), saved)
    _, second = run(ActionApply(), saved)
    assert [first.messages[0]["response"], second.messages[0]["response"]] == [
        "utter_application_recorded",
        "utter_application_already",
    ]


def test_apply_to_an_unknown_mission_is_answered_politely(with_missions: str) -> None:
    run(ActionSaveProfile(), PROFILE_SLOTS)
    _, dispatcher = run(ActionApply(), {**PROFILE_SLOTS, "profile_status": "saved", "mission_id": "M999"})
    assert dispatcher.messages[0]["response"] == "utter_unknown_mission"


def test_my_data_reads_the_database_and_forget_erases_it(with_missions: str) -> None:
    _, before = run(ActionShowMyData(), {})
    assert before.messages[0]["response"] == "utter_no_data"
    run(ActionSaveProfile(), PROFILE_SLOTS)
    _, shown = run(ActionShowMyData(), {})
    assert shown.messages[0]["email"] == "julie@exemple.fr"
    events, _ = run(ActionForgetMe(), PROFILE_SLOTS)
    assert events == [{"event": "reset_slots", "timestamp": None}]
    with session_scope(with_missions) as session:
        assert volunteers.count(session) == 0


def test_a_returning_volunteer_gets_their_profile_back_at_session_start(with_missions: str) -> None:
    run(ActionSaveProfile(), PROFILE_SLOTS)
    events, _ = run(ActionSessionStart(), {})
    restored = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert restored["first_name"] == "Julie"
    assert (restored["consent"], restored["profile_status"]) == ("given", "saved")
    assert restored["consent_at"].startswith("2026-11-v1|")


def test_a_new_session_keeps_the_profile_being_filled_in_but_not_the_dates_offered_before(with_missions: str) -> None:
    events, _ = run(ActionSessionStart(), {"first_name": "Julie", "consent": "given", "offered_mission": "M003"})
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried["first_name"] == "Julie" and carried["consent"] == "given"
    assert "offered_mission" not in carried  # a date typed days later is not read against stale dates


@pytest.mark.parametrize(("channel", "sender_id"), [("telegram", "731001"), ("web", "web-Zx9yQ2bKc1")])
def test_a_first_session_finds_a_stored_profile_by_the_owner_of_the_conversation_id(
    with_missions: str, channel: str, sender_id: str
) -> None:
    """Before the first message is logged the tracker names no channel; the id's owner does."""
    run(ActionSaveProfile(), PROFILE_SLOTS, sender_id=sender_id)
    with session_scope(with_missions) as session:
        row = volunteers.find(session, channel="rest", sender_id=sender_id)
        assert row is not None
        row.channel = channel  # stored from that channel's conversation
    tracker = Tracker(
        sender_id=sender_id, slots={}, latest_message={}, events=[], paused=False, followup_action=None,
        active_loop={}, latest_action_name=None,
    )  # fmt: skip
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker, {}))
    restored = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert (restored["first_name"], restored["profile_status"]) == ("Julie", "saved")
