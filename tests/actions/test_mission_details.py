""" "Plus d'infos" under a proposal: description, address, next dates with places left, contact, and what to do next."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timezone
from typing import Any

import pytest
import time_machine
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.missions import ActionMissionDetails, ActionProposeMissions
from bot.missions import Mission, ShiftPlan
from bot.profile import Place, TimeSlot
from bot.store import missions, models
from bot.store.session import session_scope
from tests.actions.conftest import make_tracker

NOW = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)  # Friday 4 December 2026
LYON = Place("Lyon", 45.74525, 4.84197, "69007")
MEAL = Mission(
    id="M003",
    title="Cuisine du dimanche",
    description="Cuisiner un repas chaud.",
    skills=("cooking",),
    schedule=(TimeSlot("sunday", "morning"),),
    place=LYON,
    places_total=5,
    address="Salle des fêtes, 12 rue de la Fraternité",
    contact="Karim, 04 78 00 00 02",
    shifts=(ShiftPlan(start=time(9), end=time(13), places=3, every="sunday"),),
)
UNDATED = Mission(id="M004", title="Appels", schedule=(TimeSlot("monday", "evening"),), remote=True, places_total=3)
SAVED = {"profile_status": "saved"}


@pytest.fixture()
def stored(app_database: str) -> str:
    with time_machine.travel(NOW, tick=False), session_scope(app_database) as session:
        missions.upsert(session, [MEAL, UNDATED, Mission(id="M005", title="Fermée", remote=True)])
        session.get(models.Mission, "M005").status = "closed"
    return app_database


def details(mission_id: str | None, slots: dict[str, Any] | None = None) -> tuple[list[dict], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "mission_id", "value": mission_id}] if mission_id else []
    tracker = make_tracker(
        f'/mission_details{{"mission_id": "{mission_id}"}}', intent="mission_details", entities=entities,
        slots=slots or {},
    )  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        events = asyncio.run(ActionMissionDetails().run(dispatcher, tracker, {}))
    return events, dispatcher


def said(dispatcher: CollectingDispatcher) -> list[str]:
    return [message["response"] for message in dispatcher.messages]


def test_details_say_description_address_dates_and_contact_and_offer_to_sign_up(stored: str) -> None:
    with session_scope(stored) as session:  # the first Sunday is full
        first = session.scalars(select(models.Shift).order_by(models.Shift.starts_at)).first()
        assert first is not None
        first.taken = 3
    events, dispatcher = details("M003", SAVED)
    assert said(dispatcher) == [
        "utter_mission_details", "utter_mission_details_address", "utter_mission_details_dates",
        "utter_mission_details_contact", "utter_mission_details_choice",
    ]  # fmt: skip
    head, address, dates, contact, choice = dispatcher.messages
    assert (head["title"], head["where"], head["description"]) == (
        "Cuisine du dimanche", "Lyon (69007)", "Cuisiner un repas chaud."
    )  # fmt: skip
    assert address["address"] == "Salle des fêtes, 12 rue de la Fraternité"
    assert dates["dates"].split("\n") == [
        "• dimanche 6 décembre, 9 h–13 h : complet",
        "• dimanche 13 décembre, 9 h–13 h : 3 places libres",
        "• dimanche 20 décembre, 9 h–13 h : 3 places libres",
        "• dimanche 27 décembre, 9 h–13 h : 3 places libres",
    ]
    assert contact["contact"] == "Karim, 04 78 00 00 02"
    assert choice["buttons"] == [{"title": "S'inscrire à une date", "payload": '/sign_up{"mission_id": "M003"}'}]
    assert {"event": "slot", "name": "mission_id", "value": None, "timestamp": None} in events


def test_without_a_profile_the_person_is_offered_to_create_one(stored: str) -> None:
    _, dispatcher = details("M003")
    assert said(dispatcher)[-1] == "utter_missions_choice_anonymous"
    assert all(not message.get("buttons") for message in dispatcher.messages[:-1])


def test_an_undated_mission_keeps_the_interested_button(stored: str) -> None:
    _, dispatcher = details("M004", SAVED)
    assert said(dispatcher) == ["utter_mission_details", "utter_mission_details_choice"]
    assert dispatcher.messages[0]["where"] == "à distance"
    assert dispatcher.messages[-1]["buttons"] == [
        {"title": "Ça m'intéresse", "payload": '/apply{"mission_id": "M004"}'}
    ]


def test_a_dated_mission_without_dates_ahead_says_so(stored: str) -> None:
    with session_scope(stored) as session:
        for shift in session.scalars(select(models.Shift)):
            shift.taken = shift.places
    _, dispatcher = details("M003", SAVED)
    assert "utter_mission_details_dates" in said(dispatcher)  # all full: listed as "complet"
    assert dispatcher.messages[-1]["buttons"][0]["payload"].startswith("/apply")
    with session_scope(stored) as session:
        session.execute(models.Shift.__table__.delete())
    _, dispatcher = details("M003", SAVED)
    assert "utter_mission_details_no_dates" in said(dispatcher)


@pytest.mark.parametrize("mission_id", ["M005", "M999", None])
def test_an_unknown_or_closed_mission_is_answered_politely(stored: str, mission_id: str | None) -> None:
    events, dispatcher = details(mission_id, SAVED)
    assert said(dispatcher) == ["utter_unknown_mission"]
    assert {"event": "slot", "name": "mission_id", "value": None, "timestamp": None} in events


def test_each_proposal_has_a_more_info_button(stored: str) -> None:
    dispatcher = CollectingDispatcher()
    with time_machine.travel(NOW, tick=False):
        asyncio.run(ActionProposeMissions().run(dispatcher, make_tracker(slots={"skills": ["cooking"]}), {}))
    shown = [m for m in dispatcher.messages if m["response"] == "utter_mission"]
    assert shown
    for message in shown:
        assert message["buttons"][-1]["title"] == "Plus d'infos"
        assert message["buttons"][-1]["payload"].startswith('/mission_details{"mission_id": "M00')


def test_the_next_date_is_in_the_proposal_reasons(stored: str) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"skills": ["cooking"], "availability": ["sunday:morning"]}
    with time_machine.travel(NOW, tick=False):
        asyncio.run(ActionProposeMissions().run(dispatcher, make_tracker(slots=slots), {}))
    meal = next(m for m in dispatcher.messages if m.get("title") == "Cuisine du dimanche")
    assert "vous êtes libre le dimanche 6 décembre, 9 h–13 h" in meal["reasons"]


def test_interested_in_a_dated_mission_offers_its_dates_with_a_way_out(stored: str) -> None:
    from actions.missions import ActionApply
    from actions.profile import ActionSaveProfile
    from tests.actions.test_onboarding_actions import PROFILE_SLOTS, run

    run(ActionSaveProfile(), PROFILE_SLOTS)
    with time_machine.travel(NOW, tick=False):
        dated_events, dated = run(ActionApply(), {**PROFILE_SLOTS, "profile_status": "saved", "mission_id": "M003"})
        undated_events, undated = run(ActionApply(), {**PROFILE_SLOTS, "profile_status": "saved", "mission_id": "M004"})
    # the dates offered are remembered: a date typed next is read against them (data/rules/shifts.yml)
    assert SlotSet("offered_mission", "M003") in dated_events
    assert SlotSet("offered_mission", None) in undated_events
    assert said(dated) == ["utter_application_recorded", "utter_apply_choose_shift"]
    buttons = dated.messages[1]["buttons"]
    assert buttons[0]["title"].startswith("dimanche 6 décembre") and buttons[0]["payload"].startswith("/choose_shift")
    assert buttons[-1]["payload"] == "/no_shift_fits"
    assert said(undated) == ["utter_application_recorded"]
