"""Declining missions: the declines are stored, the reason asked and kept, declined missions never come back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher

from actions.declines import (
    ActionAskDeclineReason,
    ActionRecordDeclineReason,
    ActionRecordDeclineWords,
    ActionStopProposals,
    slots_before_last_message,
)
from actions.invitations import ActionInviteToMission
from actions.missions import ActionProposeMissions
from actions.profile import ActionSaveProfile
from bot.config import ROOT
from bot.missions import read_missions
from bot.store import declines, missions, volunteers
from bot.store.session import session_scope
from tests.actions.conftest import make_tracker
from tests.actions.test_onboarding_actions import PROFILE_SLOTS

SAVED = {**PROFILE_SLOTS, "profile_status": "saved"}


def run(action: Action, slots: dict[str, Any], text: str = "", **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    """The slots the action set, and the responses it sent."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, make_tracker(text, slots=slots, **kwargs), {}))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, [m["response"] for m in dispatcher.messages]


@pytest.fixture()
def registered(app_database: str) -> str:
    """A database with the demo missions and Julie's saved profile."""
    with session_scope(app_database) as session:
        missions.upsert(session, read_missions(ROOT / "data" / "association" / "missions.yml"))
    run(ActionSaveProfile(), PROFILE_SLOTS)
    return app_database


def _declines(url: str) -> list[declines.DeclineView]:
    with session_scope(url) as session:
        volunteer = volunteers.find(session, channel="rest", sender_id="test-sender")
        assert volunteer is not None
        return declines.of_volunteer(session, volunteer_id=volunteer.id)


def test_declined_proposals_get_a_reason_and_are_not_proposed_again(registered: str) -> None:
    proposed, _ = run(ActionProposeMissions(), SAVED)
    shown = proposed["latest_proposals"]
    asked, said = run(
        ActionAskDeclineReason(), {**SAVED, **proposed}, "aucune ne me convient", intent="decline_missions"
    )
    assert said == ["utter_ask_decline_reason"]
    assert {d.mission_id for d in _declines(registered)} == set(shown)
    assert {d.reason for d in _declines(registered)} == {"unknown"}

    entities = [{"entity": "decline_reason", "value": "too_far"}]
    cleared, said = run(
        ActionRecordDeclineReason(), {**SAVED, **asked}, intent="give_decline_reason", entities=entities
    )
    assert said == ["utter_decline_thanks"] and cleared["pending_declines"] is None
    assert {d.reason for d in _declines(registered)} == {"too_far"}

    # a new conversation (no proposed_missions slot) still never gets them again
    again, _ = run(ActionProposeMissions(), SAVED)
    assert set(again["latest_proposals"]).isdisjoint(shown)


def test_an_invitation_declined_with_its_button_declines_that_mission_only(registered: str) -> None:
    invited, _ = run(ActionInviteToMission(), SAVED, intent="mission_invitation",
                     entities=[{"entity": "mission_id", "value": "M001"}])  # fmt: skip
    asked, said = run(
        ActionAskDeclineReason(),
        {**SAVED, **invited, "latest_proposals": ["M002", "M003"]},  # older proposals: not these
        '/decline_missions{"mission_id": "M001"}',
        intent="decline_missions",
        entities=[{"entity": "mission_id", "value": "M001"}],
    )
    assert said == ["utter_ask_decline_reason"] and asked["mission_id"] is None
    assert [d.mission_id for d in _declines(registered)] == ["M001"]


def test_the_invitation_offers_to_decline_that_mission_or_to_stop_proposals(registered: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        intent="mission_invitation", slots=SAVED, entities=[{"entity": "mission_id", "value": "M001"}]
    )
    asyncio.run(ActionInviteToMission().run(dispatcher, tracker, {}))
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ['/apply{"mission_id": "M001"}', '/decline_missions{"mission_id": "M001"}', "/stop_proposals"]


def test_words_typed_instead_of_a_button_are_kept_as_written_and_change_no_profile_slot(registered: str) -> None:
    proposed, _ = run(ActionProposeMissions(), SAVED)
    asked, _ = run(ActionAskDeclineReason(), {**SAVED, **proposed}, intent="decline_missions")
    # Rasa filled the availability slot from "samedi" before the action ran: it is put back.
    slots = {**SAVED, **asked, "availability": ["saturday:afternoon"]}
    before = [{"event": "slot", "name": "availability", "value": ["saturday:morning"]}]
    tracker = make_tracker("je travaille le samedi", intent="inform", slots=slots, events=before)
    tracker.events.append({"event": "slot", "name": "availability", "value": ["saturday:afternoon"]})
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionRecordDeclineWords().run(dispatcher, tracker, {}))
    restored = {e["name"]: e["value"] for e in events}
    assert [m["response"] for m in dispatcher.messages] == ["utter_decline_thanks"]
    assert restored == {"availability": ["saturday:morning"], "pending_declines": None}
    assert {(d.reason, d.text) for d in _declines(registered)} == {("other", "je travaille le samedi")}


def test_slots_filled_by_the_last_message_are_put_back_to_their_earlier_values() -> None:
    events = [
        {"event": "slot", "name": "place", "value": "Lyon"},
        {"event": "user", "text": "avant"},
        {"event": "user", "text": "trop loin de Bron"},
        {"event": "slot", "name": "place", "value": "Bron"},
        {"event": "slot", "name": "mission_id", "value": "M001"},
    ]
    assert slots_before_last_message(events) == [
        {"event": "slot", "name": "place", "value": "Lyon", "timestamp": None},
        {"event": "slot", "name": "mission_id", "value": None, "timestamp": None},
    ]


def test_skipping_keeps_the_declines_with_an_unknown_reason(registered: str) -> None:
    proposed, _ = run(ActionProposeMissions(), SAVED)
    asked, _ = run(ActionAskDeclineReason(), {**SAVED, **proposed}, intent="decline_missions")
    entities = [{"entity": "decline_reason", "value": "unknown"}]
    _, said = run(ActionRecordDeclineReason(), {**SAVED, **asked}, intent="give_decline_reason", entities=entities)
    assert said == ["utter_decline_skipped"]
    assert {d.reason for d in _declines(registered)} == {"unknown"}
    assert len(_declines(registered)) == 3


def test_without_a_profile_nothing_is_stored_and_no_reason_is_asked(registered: str) -> None:
    slots, said = run(ActionAskDeclineReason(), {"latest_proposals": ["M001"]}, sender_id="anonymous")
    assert said == ["utter_decline_missions"] and not slots.get("pending_declines")
    _, said = run(ActionRecordDeclineWords(), {}, "bof", intent="nlu_fallback", sender_id="anonymous")
    assert said == ["utter_anything_else"]


def test_stopping_proposals_is_stored_and_asking_for_missions_resumes_them(registered: str) -> None:
    stopped, said = run(ActionStopProposals(), SAVED, intent="stop_proposals")
    assert said == ["utter_proposals_stopped"] and stopped["proposals_stopped"] is True
    with session_scope(registered) as session:
        volunteer = volunteers.find(session, channel="rest", sender_id="test-sender")
        assert volunteer is not None and volunteer.proposals_opt_out_at is not None
    resumed, said = run(ActionProposeMissions(), {**SAVED, **stopped}, intent="show_missions")
    assert said[:2] == ["utter_proposals_resumed", "utter_missions_intro"]
    assert resumed["proposals_stopped"] is None
    with session_scope(registered) as session:
        volunteer = volunteers.find(session, channel="rest", sender_id="test-sender")
        assert volunteer is not None and volunteer.proposals_opt_out_at is None
