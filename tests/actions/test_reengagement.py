"""The re-engagement actions: the unfinished profile's reminder, the suggestion, "stop relances"."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.profile import ActionSaveProfile
from actions.reengagement import ActionInactiveSuggestion, ActionStopNudges, ActionUnfinishedProfileNudge
from bot import reengagement
from bot.config import ROOT, get_settings
from bot.missions import read_missions
from bot.store import missions, models, volunteers
from bot.store.session import session_scope
from tests.actions.conftest import make_tracker
from tests.actions.test_onboarding_actions import PROFILE_SLOTS

SAVED = {**PROFILE_SLOTS, "profile_status": "saved"}


def run(action: Action, slots: dict[str, Any], **kwargs: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The slots the action set, and the messages it sent."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, make_tracker(slots=slots, **kwargs), {}))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


@pytest.fixture()
def registered(app_database: str) -> str:
    """The demo missions and Julie's saved profile."""
    with session_scope(app_database) as session:
        missions.upsert(session, read_missions(ROOT / "data" / "association" / "missions.yml"))
    run(ActionSaveProfile(), PROFILE_SLOTS)
    return app_database


def _julie(url: str) -> models.Volunteer:
    with session_scope(url) as session:
        volunteer = volunteers.find(session, channel="rest", sender_id="test-sender")
        assert volunteer is not None
        session.expunge(volunteer)
        return volunteer


def test_the_reminder_asks_once_with_a_way_out_and_says_nothing_to_someone_who_finished(
    app_database: str, domain: dict[str, Any]
) -> None:
    _, said = run(ActionUnfinishedProfileNudge(), {"consent": "given"}, intent="unfinished_profile_nudge")
    assert [m["response"] for m in said] == ["utter_unfinished_profile_nudge"]
    [response] = domain["responses"]["utter_unfinished_profile_nudge"]
    assert response["text"] == "Bonjour, votre inscription n'est pas finie : voulez-vous la reprendre ?"
    assert [(b["title"], b["payload"]) for b in response["buttons"]] == [
        ("Reprendre", "/want_to_volunteer"),
        ("Plus tard", "/nudge_later"),
        ("Ne plus me relancer", "/stop_nudges"),
    ]
    run(ActionSaveProfile(), PROFILE_SLOTS)
    assert run(ActionUnfinishedProfileNudge(), SAVED, intent="unfinished_profile_nudge") == ({}, [])


def test_the_suggestion_names_the_mission_and_why_with_buttons_and_is_recorded_as_a_proposal(registered: str) -> None:
    julie = _julie(registered)
    with session_scope(registered) as session:
        best = reengagement._best_mission(
            session, get_settings(), julie.id, missions.open_missions(session)
        )  # the job's choice
    assert best is not None
    proposal, mission = best
    entities = [{"entity": "mission_id", "value": mission.id}]
    slots, said = run(ActionInactiveSuggestion(), SAVED, intent="inactive_suggestion", entities=entities)
    [message] = said
    assert message["response"] == "utter_inactive_suggestion"
    assert message["first_name"] == "Julie" and message["title"] == mission.title
    assert message["reasons"] == " ; ".join(proposal.reasons) and message["reasons"]
    assert [b["payload"] for b in message["buttons"]] == [
        f'/apply{{"mission_id": "{mission.id}"}}',
        f'/decline_missions{{"mission_id": "{mission.id}"}}',
        "/stop_nudges",
    ]
    assert slots["latest_proposals"] == [mission.id]
    with session_scope(registered) as session:
        recorded = session.execute(select(models.Proposal.mission_id)).scalars().all()
    assert recorded == [mission.id]


def test_a_suggestion_that_no_longer_fits_says_nothing(registered: str) -> None:
    entities = [{"entity": "mission_id", "value": "M999"}]
    assert run(ActionInactiveSuggestion(), SAVED, intent="inactive_suggestion", entities=entities) == ({}, [])


def test_stop_relances_is_kept_and_says_what_still_comes_and_how_to_stop_it(
    registered: str, domain: dict[str, Any]
) -> None:
    _, said = run(ActionStopNudges(), SAVED, intent="stop_nudges")
    assert [m["response"] for m in said] == ["utter_nudges_stopped"]
    assert _julie(registered).nudges_opt_out_at is not None
    [response] = domain["responses"]["utter_nudges_stopped"]
    assert "rappels des créneaux" in response["text"] and "annulez le créneau" in response["text"]
    _, again = run(ActionStopNudges(), SAVED, intent="stop_nudges")  # said twice: same answer, nothing breaks
    assert [m["response"] for m in again] == ["utter_nudges_stopped"]


def test_stop_relances_without_a_profile_leaves_only_a_marker(app_database: str) -> None:
    run(ActionStopNudges(), {"consent": "given"}, intent="stop_nudges", sender_id="web-x")
    with session_scope(app_database) as session:
        rows = session.execute(select(models.Nudge.sender_id, models.Nudge.via)).all()
    assert [tuple(row) for row in rows] == [("web-x", "stop")]
