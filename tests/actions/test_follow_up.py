"""The chat side after a sign-up (actions/follow_up.py): reminder answers, the check-in, attestations."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import time_machine
from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import follow_up
from bot.store import models
from bot.store.session import session_scope
from tests.actions.conftest import make_tracker

NOW = datetime(2026, 12, 12, 13, tzinfo=timezone.utc)  # Saturday, after a 9:00-12:00 (Paris) shift


@pytest.fixture()
def signup(app_database: str) -> int:
    with session_scope(app_database) as session:
        session.add(models.Mission(id="M1", title="Préparation des colis", address="12 rue du Port"))
        volunteer = models.Volunteer(channel="rest", sender_id="test-sender", first_name="Julie", age_group="adult")
        starts = datetime(2026, 12, 12, 8, tzinfo=timezone.utc)
        shift = models.Shift(mission_id="M1", starts_at=starts, ends_at=starts + timedelta(hours=3), places=5, taken=1)
        session.add_all([volunteer, shift])
        session.flush()
        row = models.Signup(shift_id=shift.id, volunteer_id=volunteer.id, created_at=starts - timedelta(days=3))
        session.add(row)
        session.flush()
        return int(row.id)


def run(action: Action, text: str = "", *, intent: str = "inform", entities: dict[str, Any] | None = None,
        slots: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], CollectingDispatcher]:  # fmt: skip
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text, intent=intent, entities=[{"entity": k, "value": v} for k, v in (entities or {}).items()], slots=slots
    )
    with time_machine.travel(NOW, tick=False):
        events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def said(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def test_a_whole_check_in_is_stored_in_one_go(signup: int, app_database: str) -> None:
    events, dispatcher = run(follow_up.ActionShiftCheckin(), intent="shift_checkin", entities={"signup_id": signup})
    assert said(dispatcher) == ["utter_shift_checkin"]
    assert dispatcher.messages[0]["minutes"] == 180 and dispatcher.messages[0]["hours"] == "3 h"
    slots = slots_of(events)
    events, dispatcher = run(follow_up.ActionCheckinHours(), intent="checkin_hours", entities={"signup_id": signup})
    assert said(dispatcher) == ["utter_ask_checkin_duration"]
    slots.update(slots_of(events))
    for text, answer in [
        ("30 heures", "utter_checkin_duration_out_of_range"),
        ("bof", "utter_checkin_duration_unclear"),
    ]:
        events, dispatcher = run(follow_up.ActionFollowUpAnswer(), text, slots=slots)
        assert said(dispatcher) == [answer]
        slots.update(slots_of(events))
    events, dispatcher = run(follow_up.ActionFollowUpAnswer(), "deux heures et demie", slots=slots)
    assert said(dispatcher) == ["utter_ask_checkin_rating"]
    slots.update(slots_of(events))
    with session_scope(app_database) as session:
        assert session.get(models.Signup, signup).status == "confirmed"  # nothing written yet
    events, dispatcher = run(
        follow_up.ActionCheckinRating(), intent="checkin_rating", entities={"signup_id": signup, "rating": 4},
        slots=slots,
    )  # fmt: skip
    assert said(dispatcher) == ["utter_ask_checkin_comment"]
    slots.update(slots_of(events))
    events, dispatcher = run(follow_up.ActionFollowUpAnswer(), "Super équipe, merci !", slots=slots)
    assert said(dispatcher) == ["utter_checkin_thanks"]
    with session_scope(app_database) as session:
        row = session.get(models.Signup, signup)
        assert (row.status, row.rating, row.comment) == ("attended", 4, "Super équipe, merci !")
        assert row.checkin_done_at is not None
        entry = session.query(models.HoursEntry).one()
        assert entry.minutes == 150
    _, dispatcher = run(follow_up.ActionCheckinNoShow(), intent="checkin_no_show", entities={"signup_id": signup})
    assert said(dispatcher) == ["utter_checkin_already_done"]


def test_an_absence_is_thanked_and_a_cancelled_signup_writes_nothing(signup: int, app_database: str) -> None:
    _, dispatcher = run(follow_up.ActionCheckinNoShow(), intent="checkin_no_show", entities={"signup_id": signup})
    assert said(dispatcher) == ["utter_checkin_no_show"]
    with session_scope(app_database) as session:
        row = session.get(models.Signup, signup)
        assert row.status == "no_show" and row.checkin_done_at is not None
        row.status, row.checkin_done_at = "cancelled", None
    _, dispatcher = run(
        follow_up.ActionCheckinHours(), intent="checkin_hours", entities={"signup_id": signup, "minutes": 180}
    )
    assert said(dispatcher) == ["utter_checkin_cancelled"]


def test_someone_elses_signup_is_unknown(signup: int) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "", intent="checkin_no_show", entities=[{"entity": "signup_id", "value": signup}], sender_id="x"
    )
    with time_machine.travel(NOW, tick=False):
        asyncio.run(follow_up.ActionCheckinNoShow().run(dispatcher, tracker, {}))
    assert said(dispatcher) == ["utter_checkin_unknown"]


def test_a_typed_yes_after_the_reminder_is_stored(signup: int, app_database: str) -> None:
    with session_scope(app_database) as session:
        shift = session.get(models.Signup, signup).shift
        shift.starts_at, shift.ends_at = NOW + timedelta(days=1), NOW + timedelta(days=1, hours=3)
    _, dispatcher = run(follow_up.ActionConfirmShift(), "oui", intent="affirm", slots={"follow_up_signup": signup})
    assert said(dispatcher) == ["utter_shift_confirmed"]
    with session_scope(app_database) as session:
        assert session.get(models.Signup, signup).reminder_answer == "yes"


def test_attestation_name_is_checked_and_no_hours_means_no_link(signup: int) -> None:
    slots = {"follow_up_step": "attestation_name", "follow_up_pending": True, "attestation_period": "this_year"}
    _, dispatcher = run(follow_up.ActionFollowUpAnswer(), "x", slots=slots)
    assert said(dispatcher) == ["utter_attestation_name_invalid"]
    _, dispatcher = run(follow_up.ActionFollowUpAnswer(), "Julie Martin", slots=slots)
    assert said(dispatcher) == ["utter_attestation_no_hours"]
    _, dispatcher = run(follow_up.ActionFollowUpAnswer(), "annuler", slots=slots)
    assert said(dispatcher) == ["utter_attestation_dropped"]


def test_the_hours_are_checked_before_a_full_name_is_asked(signup: int, app_database: str) -> None:
    """No name is asked for an attestation that cannot be made; another period is offered when it could."""
    _, dispatcher = run(follow_up.ActionAskAttestation(), intent="ask_attestation")
    assert said(dispatcher) == ["utter_attestation_no_hours_yet"]  # no hours at all: no period question either
    with session_scope(app_database) as session:
        volunteer_id = session.get(models.Signup, signup).volunteer_id
        session.add(
            models.HoursEntry(volunteer_id=volunteer_id, mission_title="Colis", day=datetime(2025, 6, 7).date(),
                              minutes=120, source="staff")
        )  # fmt: skip
    _, dispatcher = run(follow_up.ActionAskAttestation(), intent="ask_attestation")
    assert said(dispatcher) == ["utter_ask_attestation_period"]
    events, dispatcher = run(follow_up.ActionAttestationPeriod(), intent="attestation_period",
                             entities={"period": "this_year"})  # fmt: skip
    assert said(dispatcher) == ["utter_attestation_no_hours_in_period"]
    assert slots_of(events).get("follow_up_step") is None
    for period in ("last_year", "all"):
        events, dispatcher = run(follow_up.ActionAttestationPeriod(), intent="attestation_period",
                                 entities={"period": period})  # fmt: skip
        assert said(dispatcher) == ["utter_ask_attestation_name"], period
        assert slots_of(events)["follow_up_step"] == "attestation_name"


LAST_YEAR = NOW.date().replace(year=NOW.year - 1)


def _two_hours_last_year(url: str, signup: int) -> None:
    """Two hours logged by staff for the sign-up's volunteer, a year before NOW."""
    with session_scope(url) as session:
        volunteer_id = session.get(models.Signup, signup).volunteer_id
        session.add(
            models.HoursEntry(volunteer_id=volunteer_id, mission_title="Colis", day=LAST_YEAR, minutes=120,
                              source="staff")
        )  # fmt: skip


# hours recorded last year only: "cette année" has none, the others ask the name
@pytest.mark.parametrize(
    ("text", "intent", "answer"),
    [
        ("l'an dernier", "inform", "utter_ask_attestation_name"),
        ("depuis le début", "nlu_fallback", "utter_ask_attestation_name"),
        ("cette année", "inform", "utter_attestation_no_hours_in_period"),
        ("cette année", "out_of_scope", "utter_attestation_no_hours_in_period"),  # as the classifier hears it
        ("il fait beau chez vous ?", "out_of_scope", "utter_ask_attestation_period"),
        ("euh je sais pas", "nlu_fallback", "utter_ask_attestation_period"),
    ],
)
def test_a_period_typed_at_the_question_is_read_like_its_button(
    signup: int, app_database: str, text: str, intent: str, answer: str
) -> None:
    _two_hours_last_year(app_database, signup)
    _, dispatcher = run(follow_up.ActionAttestationPeriod(), text, intent=intent)
    assert said(dispatcher) == [answer]


def test_a_span_typed_at_the_question_makes_the_attestation_for_exactly_that_span(
    signup: int, app_database: str
) -> None:
    """Hours on 12 December 2025: "de novembre à janvier" holds them, "mars 2025" does not (today: 12/12/2026)."""
    _two_hours_last_year(app_database, signup)
    with time_machine.travel(NOW, tick=False):
        _, dispatcher = run(follow_up.ActionAttestationPeriod(), "mars 2025", intent="inform")
        assert said(dispatcher) == ["utter_attestation_no_hours_in_period"]
        events, dispatcher = run(follow_up.ActionAttestationPeriod(), "de novembre 2025 à janvier", intent="inform")
        assert said(dispatcher) == ["utter_ask_attestation_name"]
        slots = slots_of(events)
        assert slots["attestation_period"] == "2025-11-01/2026-01-31"
        _, dispatcher = run(follow_up.ActionFollowUpAnswer(), "Julie Martin", slots=slots)
    assert said(dispatcher)[0] == "utter_attestation_link"
    with session_scope(app_database) as session:
        link = session.scalars(select(models.AttestationLink)).one()
        assert (link.period_start, link.period_end) == (date(2025, 11, 1), date(2026, 1, 31))


def test_a_profile_fact_at_the_period_question_is_read_as_one(signup: int) -> None:
    events, dispatcher = run(follow_up.ActionAttestationPeriod(), "j'habite à Lyon maintenant", intent="inform")
    assert said(dispatcher) == [] and events[-1]["name"] == "action_show_summary"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("je n'ai pas pu venir", "cancel_signup"),
        ("Désolée, j'étais malade", "inform"),
        ("g oublié dsl", "nlu_fallback"),
    ],
)
def test_an_absence_typed_after_the_check_in_is_recorded_like_the_button(
    signup: int, app_database: str, text: str, intent: str
) -> None:
    events, _ = run(follow_up.ActionShiftCheckin(), intent="shift_checkin", entities={"signup_id": signup})
    events, dispatcher = run(follow_up.ActionFollowUpAnswer(), text, intent=intent, slots=slots_of(events))
    assert said(dispatcher) == ["utter_checkin_no_show"]
    assert slots_of(events)["follow_up_pending"] is False
    with session_scope(app_database) as session:
        assert session.get(models.Signup, signup).status == "no_show"


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("je n'ai pas pu venir", True),
        ("pas pu y aller, imprévu", True),
        ("j'étais absente", True),
        ("3 h comme prévu", False),
        ("oui", False),
        ("je suis restée 2 h, j'étais malade après", False),  # a duration wins
        ("on n'était pas nombreux", False),
    ],
)
def test_said_no_show(text: str, absent: bool) -> None:
    assert follow_up.said_no_show(text) is absent


def test_the_faq_on_attestations_offers_one_only_to_someone_with_hours(signup: int, app_database: str) -> None:
    _, dispatcher = run(follow_up.ActionOfferAttestation(), intent="faq_attestation")
    assert said(dispatcher) == []  # a profile, no hours yet
    events, _ = run(follow_up.ActionShiftCheckin(), intent="shift_checkin", entities={"signup_id": signup})
    slots = slots_of(events)
    slots.update(slots_of(run(follow_up.ActionFollowUpAnswer(), "3 h", slots=slots)[0]))
    slots.update(slots_of(run(follow_up.ActionFollowUpAnswer(), "5", slots=slots)[0]))
    run(follow_up.ActionFollowUpAnswer(), "passer", slots=slots)
    _, dispatcher = run(follow_up.ActionOfferAttestation(), intent="faq_attestation")
    assert said(dispatcher) == ["utter_offer_attestation"]
    assert dispatcher.messages[0]["hours"] == "3 h"


def test_hours_well_over_the_shift_are_kept_said_to_be_checked_and_not_promised(signup: int, app_database: str) -> None:
    """6 h declared for a 3 h shift (over its length + 1 h): thanked, told kindly that the team checks them, and
    the attestation's offer, the attestation and the yearly summary count the planned 3 h until staff accept."""
    events, _ = run(follow_up.ActionShiftCheckin(), intent="shift_checkin", entities={"signup_id": signup})
    slots = slots_of(events)
    slots.update(slots_of(run(follow_up.ActionFollowUpAnswer(), "6 heures", slots=slots)[0]))
    slots.update(slots_of(run(follow_up.ActionFollowUpAnswer(), "5", slots=slots)[0]))
    _, dispatcher = run(follow_up.ActionFollowUpAnswer(), "passer", slots=slots)
    assert said(dispatcher) == ["utter_checkin_thanks_to_check"]
    assert (dispatcher.messages[0]["hours"], dispatcher.messages[0]["counted"]) == ("6 h", "3 h")
    with session_scope(app_database) as session:
        entry = session.query(models.HoursEntry).one()
        assert (entry.minutes, entry.counted_minutes) == (360, 180)  # kept as said, "à vérifier"

    _, dispatcher = run(follow_up.ActionOfferAttestation(), intent="faq_attestation")
    assert said(dispatcher) == ["utter_offer_attestation_to_check"]
    assert (dispatcher.messages[0]["hours"], dispatcher.messages[0]["pending"]) == ("3 h", "3 h")
    slots = {"follow_up_step": "attestation_name", "follow_up_pending": True, "attestation_period": "this_year"}
    _, dispatcher = run(follow_up.ActionFollowUpAnswer(), "Julie Martin", slots=slots)
    assert said(dispatcher) == ["utter_attestation_link", "utter_attestation_hours_to_check"]
    assert dispatcher.messages[1]["pending"] == "3 h"
    _, dispatcher = run(follow_up.ActionYearlySummary(), intent="yearly_summary", entities={"year": 2026})
    summary = dispatcher.messages[0]["summary"]
    assert "vous avez fait 3 heures de bénévolat" in summary
    assert "L'équipe doit encore vérifier un complément de 3 heures que vous avez déclaré" in summary

    with session_scope(app_database) as session:  # once staff accept the line, nothing is said apart any more
        session.query(models.HoursEntry).one().counted_minutes = None
    _, dispatcher = run(follow_up.ActionOfferAttestation(), intent="faq_attestation")
    assert said(dispatcher) == ["utter_offer_attestation"] and dispatcher.messages[0]["hours"] == "6 h"


def test_a_short_answer_read_as_another_request_is_still_the_answer(signup: int) -> None:
    """'24h' is often read as 'stop relances', 'Bob Dupont' as a profile update: what reads as the answer is it."""
    events, _ = run(follow_up.ActionShiftCheckin(), intent="shift_checkin", entities={"signup_id": signup})
    slots = {**slots_of(events), "follow_up_step": "checkin_minutes"}
    events, dispatcher = run(follow_up.ActionFollowUpAnswer(), "25 heures", intent="sign_up", slots=slots)
    assert said(dispatcher) == ["utter_checkin_duration_out_of_range"]  # a duration, refused: not a sign-up
    events, dispatcher = run(follow_up.ActionFollowUpAnswer(), "2h", intent="stop_nudges", slots=slots)
    assert said(dispatcher) == ["utter_ask_checkin_rating"]
    assert not any(e.get("event") == "followup" for e in events)  # relances untouched
    slots = {"follow_up_step": "attestation_name", "follow_up_pending": True, "attestation_period": "this_year"}
    for text in ("Bob Dupont", "je suis Julie Martin"):
        events, dispatcher = run(follow_up.ActionFollowUpAnswer(), text, intent="update_profile", slots=slots)
        assert said(dispatcher) == ["utter_attestation_no_hours"], text  # taken as the name; no hours this year


@pytest.mark.parametrize(
    ("intent", "action"),
    [
        ("stop_nudges", "action_stop_nudges"),
        ("update_profile", "action_show_summary"),
        ("sign_up", "action_offer_shifts"),
    ],
)
def test_a_real_request_instead_of_the_answer_drops_the_question_and_is_served(
    signup: int, intent: str, action: str
) -> None:
    events, _ = run(follow_up.ActionShiftCheckin(), intent="shift_checkin", entities={"signup_id": signup})
    slots = {**slots_of(events), "follow_up_step": "checkin_minutes"}
    events, dispatcher = run(follow_up.ActionFollowUpAnswer(), "arrêtez tout ça", intent=intent, slots=slots)
    assert said(dispatcher) == ["utter_checkin_dropped"]
    assert slots_of(events)["follow_up_pending"] is False
    assert {"event": "followup", "timestamp": None, "name": action} in events


def test_the_attestation_name_loses_its_lead_in() -> None:
    from bot.reminders import clean_full_name

    for typed in ("je suis Robert Dupont", "Je m'appelle Robert Dupont.", "c'est Robert Dupont", "Nom : Robert Dupont"):
        assert clean_full_name(typed) == "Robert Dupont", typed
    assert clean_full_name("Cécile Lesage") == "Cécile Lesage"
