"""Signing up in the chat, "mes créneaux", cancelling in words or with a button, a shift cancelled by staff."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import time_machine
from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import shifts
from actions.privacy import ActionShowMyData
from actions.profile import ActionStop
from bot import signups
from bot.config import get_settings
from bot.store import models
from bot.store import shifts as shift_store
from bot.store.session import session_scope
from tests.actions.conftest import make_tracker

NOW = datetime(2026, 12, 10, 10, tzinfo=timezone.utc)  # Thursday 10 December, 11:00 in Paris
SATURDAY = datetime(2026, 12, 12, 8, tzinfo=timezone.utc)  # 9:00 in Paris


@pytest.fixture()
def mission(app_database: str) -> list[int]:
    """A mission with four dated shifts (Saturdays 12 and 19, Friday 11, and a full one on Sunday 13)."""
    with session_scope(app_database) as session:
        session.add(
            models.Mission(
                id="M1", title="Préparation des colis", address="12 rue du Port", city="Villeurbanne",
                contact="Karim, 04 00 00 00 00",
            )
        )  # fmt: skip
        session.add(models.StaffMember(email="staff@example.org", role="admin", password_hash="x"))
        starts = [SATURDAY, SATURDAY + timedelta(days=7), SATURDAY - timedelta(days=1), SATURDAY + timedelta(days=1)]
        rows = [
            models.Shift(mission_id="M1", starts_at=s, ends_at=s + timedelta(hours=3), places=3, taken=0)
            for s in starts
        ]
        rows[3].places, rows[3].taken = 1, 1
        session.add_all(rows)
        session.flush()
        return [int(row.id) for row in rows]


def _volunteer(url: str, *, email: str | None = None, sender_id: str = "test-sender") -> int:
    with session_scope(url) as session:
        volunteer = models.Volunteer(
            channel="rest", sender_id=sender_id, first_name="Julie", age_group="adult", email=email
        )
        session.add(volunteer)
        session.flush()
        return int(volunteer.id)


def run(action: Action, text: str = "", *, intent: str = "inform", entities: dict[str, Any] | None = None,
        slots: dict[str, Any] | None = None, now: datetime = NOW,
        ) -> tuple[list[dict[str, Any]], CollectingDispatcher]:  # fmt: skip
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text, intent=intent, entities=[{"entity": k, "value": v} for k, v in (entities or {}).items()], slots=slots
    )
    with time_machine.travel(now, tick=False):
        events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher


def said(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def _sign_up(shift_id: int) -> int:
    _, dispatcher = run(shifts.ActionChooseShift(), intent="choose_shift", entities={"shift_id": shift_id})
    assert said(dispatcher)[0] == "utter_shift_booked"
    url = dispatcher.messages[0]["calendar_url"]
    return int(url.rsplit("/", 1)[1].split("-", 1)[0])


def _taken(url: str, shift_id: int) -> int:
    with session_scope(url) as session:
        return int(session.get(models.Shift, shift_id).taken)


def test_sign_up_offers_the_next_dates_with_places_full_ones_left_out(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    _, dispatcher = run(shifts.ActionOfferShifts(), intent="sign_up", entities={"mission_id": "M1"})
    assert said(dispatcher) == ["utter_choose_shift"]
    message = dispatcher.messages[0]
    assert message["mission"] == "Préparation des colis"
    assert [b["title"] for b in message["buttons"]] == [
        "vendredi 11 décembre, 9 h–12 h (3 places)",
        "samedi 12 décembre, 9 h–12 h (3 places)",
        "samedi 19 décembre, 9 h–12 h (3 places)",
        "Aucune de ces dates",
    ]
    assert message["buttons"][1]["payload"] == f'/choose_shift{{"shift_id": {mission[0]}}}'
    assert message["buttons"][-1]["payload"] == "/no_shift_fits"


def test_without_a_profile_one_is_told_kindly_why_and_how(mission: list[int], app_database: str) -> None:
    _, dispatcher = run(
        shifts.ActionOfferShifts(), intent="sign_up", entities={"mission_id": "M1"}, slots={"consent": "given"}
    )
    assert said(dispatcher) == ["utter_sign_up_needs_profile"]
    _, dispatcher = run(shifts.ActionChooseShift(), intent="choose_shift", entities={"shift_id": mission[0]})
    assert said(dispatcher) == ["utter_sign_up_needs_profile"]
    assert _taken(app_database, mission[0]) == 0


def test_a_newcomer_typing_a_sign_up_is_led_to_the_profile_by_the_consent_question(
    mission: list[int], app_database: str
) -> None:
    events, dispatcher = run(shifts.ActionOfferShifts(), "je voudrais m'inscrire pour samedi", intent="sign_up")
    assert said(dispatcher)[0] == "utter_sign_up_profile_first"
    assert [b["payload"] for b in dispatcher.messages[1]["buttons"]] == ["/affirm", "/deny"]
    assert slots_of(events)["awaiting"] == "consent"


def test_a_sign_up_typed_without_a_mission_offers_the_dates_of_the_missions_last_proposed(
    mission: list[int], app_database: str
) -> None:
    _volunteer(app_database)
    with session_scope(app_database) as session:
        session.add(models.Mission(id="M2", title="Maraude du soir"))
        session.add(models.Shift(mission_id="M2", starts_at=SATURDAY, ends_at=SATURDAY + timedelta(hours=2), places=2))
    typed = "je peux venir samedi ?"
    _, dispatcher = run(shifts.ActionOfferShifts(), typed, intent="sign_up", slots={"latest_proposals": ["M1"]})
    assert said(dispatcher) == ["utter_choose_shift"]
    assert dispatcher.messages[0]["mission"] == "Préparation des colis"
    _, dispatcher = run(shifts.ActionOfferShifts(), typed, intent="sign_up", slots={"latest_proposals": ["M1", "M2"]})
    assert said(dispatcher) == ["utter_sign_up_which_mission"]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        '/sign_up{"mission_id": "M1"}',
        '/sign_up{"mission_id": "M2"}',
    ]
    _, dispatcher = run(shifts.ActionOfferShifts(), typed, intent="sign_up")
    assert said(dispatcher) == ["utter_sign_up_see_missions"]


def test_an_unknown_mission_or_one_without_places_says_so(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    _, dispatcher = run(shifts.ActionOfferShifts(), intent="sign_up", entities={"mission_id": "M404"})
    assert said(dispatcher) == ["utter_unknown_mission"]
    _, dispatcher = run(
        shifts.ActionOfferShifts(), intent="sign_up", entities={"mission_id": "M1"}, now=SATURDAY + timedelta(days=8)
    )
    assert said(dispatcher) == ["utter_no_shift_dates"]


def test_choosing_a_date_signs_up_with_the_confirmation_and_the_calendar_e_mail(
    mission: list[int], app_database: str
) -> None:
    volunteer_id = _volunteer(app_database, email="julie@example.org")
    _, dispatcher = run(shifts.ActionChooseShift(), intent="choose_shift", entities={"shift_id": mission[0]})
    assert said(dispatcher) == ["utter_shift_booked", "utter_shift_booked_email"]
    booked = dispatcher.messages[0]
    assert (booked["when"], booked["mission"], booked["where"]) == (
        "samedi 12 décembre, 9 h–12 h", "Préparation des colis", ", 12 rue du Port, Villeurbanne",
    )  # fmt: skip
    assert "/calendar/" in booked["calendar_url"] and booked["calendar_url"].endswith(".ics")
    assert _taken(app_database, mission[0]) == 1
    with session_scope(app_database) as session:
        email = session.scalars(
            select(models.OutgoingEmail).where(models.OutgoingEmail.volunteer_id.is_not(None))
        ).one()
        assert (email.volunteer_id, email.kind, email.attachment_name) == (
            volunteer_id,
            "shift",
            "creneau-benevolat.ics",
        )
        assert email.subject == "Inscription confirmée : Préparation des colis, samedi 12 décembre, 9 h–12 h"
        assert "DTSTART:20261212T080000Z" in (email.attachment or "") and "Julie" not in (email.attachment or "")
    _, dispatcher = run(shifts.ActionChooseShift(), intent="choose_shift", entities={"shift_id": mission[0]})
    assert said(dispatcher) == ["utter_shift_already"]
    assert _taken(app_database, mission[0]) == 1


def test_staff_who_chose_the_shifts_alerts_are_told_of_a_sign_up(mission: list[int], app_database: str) -> None:
    volunteer_id = _volunteer(app_database)
    _sign_up(mission[0])
    with session_scope(app_database) as session:
        email = session.scalars(select(models.OutgoingEmail).where(models.OutgoingEmail.staff_id.is_not(None))).one()
    assert (
        email.kind == "shift" and email.subject == "Inscription : Préparation des colis, samedi 12 décembre, 9 h–12 h"
    )
    assert f"[[prénom:{volunteer_id}]]" in email.body and "1/3 place(s) prise(s)" in email.body
    assert "/console/missions/M1" in email.body


def test_without_an_e_mail_nothing_is_queued(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    _, dispatcher = run(shifts.ActionChooseShift(), intent="choose_shift", entities={"shift_id": mission[0]})
    assert said(dispatcher) == ["utter_shift_booked"]
    with session_scope(app_database) as session:
        assert (
            session.scalars(select(models.OutgoingEmail).where(models.OutgoingEmail.volunteer_id.is_not(None))).all()
            == []
        )


def test_no_reminder_is_promised_for_a_shift_too_close_for_one(mission: list[int], app_database: str) -> None:
    """Friday 11:00 (Paris) signing up for Saturday: the reminder hour is still ahead, so it is promised; after
    it, or for a shift today, the confirmation, "mes créneaux" and the e-mail promise nothing."""
    _volunteer(app_database, email="julie@example.org")
    friday_evening = SATURDAY - timedelta(hours=12)  # Friday 21:00 in Paris, past REMINDER_HOUR
    _, dispatcher = run(
        shifts.ActionChooseShift(), intent="choose_shift", entities={"shift_id": mission[0]}, now=friday_evening
    )
    assert said(dispatcher) == ["utter_shift_booked_soon", "utter_shift_booked_email"]
    with session_scope(app_database) as session:
        body = (
            session.scalars(select(models.OutgoingEmail).where(models.OutgoingEmail.volunteer_id.is_not(None)))
            .one()
            .body
        )
    assert "rappel" not in body
    _, dispatcher = run(shifts.ActionMyShifts(), intent="my_shifts", now=friday_evening)
    assert said(dispatcher) == ["utter_my_shifts_soon"]
    _, dispatcher = run(shifts.ActionChooseShift(), intent="choose_shift", entities={"shift_id": mission[1]})
    assert said(dispatcher) == ["utter_shift_booked", "utter_shift_booked_email"]
    with session_scope(app_database) as session:
        bodies = [
            e.body
            for e in session.scalars(
                select(models.OutgoingEmail)
                .where(models.OutgoingEmail.volunteer_id.is_not(None))
                .order_by(models.OutgoingEmail.id)
            )
        ]
    assert "Vous recevrez un rappel la veille." in bodies[1]


@pytest.mark.parametrize(
    ("which", "answer"),
    [(3, "utter_shift_full"), ("past", "utter_shift_past"), ("cancelled", "utter_shift_unavailable")],
)
def test_full_past_or_cancelled_dates_are_refused_with_other_dates(
    mission: list[int], app_database: str, which: int | str, answer: str
) -> None:
    _volunteer(app_database)
    shift_id, now = (mission[3], NOW) if which == 3 else (mission[2], NOW)
    if which == "past":
        now = SATURDAY - timedelta(hours=20)  # Friday's shift has started
    if which == "cancelled":
        with session_scope(app_database) as session:
            shift_store.cancel_shift(session, shift_id=shift_id, now=NOW)
    _, dispatcher = run(shifts.ActionChooseShift(), intent="choose_shift", entities={"shift_id": shift_id}, now=now)
    assert said(dispatcher) == [answer, "utter_other_shift_dates"]
    offered = [b["payload"] for b in dispatcher.messages[1]["buttons"]]
    assert f'/choose_shift{{"shift_id": {shift_id}}}' not in offered
    assert f'/choose_shift{{"shift_id": {mission[0]}}}' in offered
    with session_scope(app_database) as session:
        assert session.scalars(select(models.Signup)).all() == []


def test_my_shifts_lists_dates_addresses_and_a_cancel_button_each(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    _, dispatcher = run(shifts.ActionMyShifts(), intent="my_shifts")
    assert said(dispatcher) == ["utter_no_signups"]
    first, second = _sign_up(mission[1]), _sign_up(mission[0])
    _, dispatcher = run(shifts.ActionMyShifts(), intent="my_shifts")
    assert said(dispatcher) == ["utter_my_shifts"]
    assert dispatcher.messages[0]["shifts"] == (
        "• samedi 12 décembre, 9 h–12 h : Préparation des colis, 12 rue du Port, Villeurbanne\n"
        "• samedi 19 décembre, 9 h–12 h : Préparation des colis, 12 rue du Port, Villeurbanne"
    )
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Annuler : samedi 12 décembre", "payload": f'/cancel_signup{{"signup_choice": {second}}}'},
        {"title": "Annuler : samedi 19 décembre", "payload": f'/cancel_signup{{"signup_choice": {first}}}'},
    ]
    # the button asks first, as a cancellation typed in words does; nothing is cancelled yet
    events, dispatcher = run(shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_choice": first})
    assert said(dispatcher) == ["utter_confirm_cancel_signup"] and slots_of(events) == {"signup_to_cancel": first}
    assert dispatcher.messages[0]["when"] == "samedi 19 décembre, 9 h–12 h"
    assert _taken(app_database, mission[1]) == 1
    _, dispatcher = run(shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_id": first})
    assert said(dispatcher)[0] == "utter_signup_cancelled" and _taken(app_database, mission[1]) == 0
    _, dispatcher = run(shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_choice": first})
    assert said(dispatcher) == ["utter_cancel_already"]


def test_the_cancel_button_cancels_frees_the_place_and_tells_staff(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    signup_id = _sign_up(mission[0])
    _, dispatcher = run(shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_id": signup_id})
    assert said(dispatcher) == ["utter_signup_cancelled", "utter_other_dates_after_cancel"]
    offered = [b["payload"] for b in dispatcher.messages[1]["buttons"]]  # the other dates, the cancelled one left out
    assert f'/choose_shift{{"shift_id": {mission[0]}}}' not in offered
    assert f'/choose_shift{{"shift_id": {mission[1]}}}' in offered
    assert _taken(app_database, mission[0]) == 0
    with session_scope(app_database) as session:
        email = session.scalars(
            select(models.OutgoingEmail).where(models.OutgoingEmail.subject.startswith("Désinscription"))
        ).one()
        assert email.staff_id is not None and email.kind == "shift"
        assert email.subject == "Désinscription : Préparation des colis, samedi 12 décembre, 9 h–12 h"
        assert f"[[prénom:{email_volunteer(session)}]]" in email.body and "/console/missions/M1" in email.body
    _, dispatcher = run(shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_id": signup_id})
    assert said(dispatcher) == ["utter_cancel_already"]


def email_volunteer(session: Any) -> int:
    return int(session.scalars(select(models.Volunteer.id)).one())


def test_a_typed_cancellation_with_one_sign_up_asks_yes_or_no_first(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    signup_id = _sign_up(mission[0])
    events, dispatcher = run(shifts.ActionCancelSignup(), "je ne peux plus venir", intent="cancel_signup")
    assert said(dispatcher) == ["utter_confirm_cancel_signup"]
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        f'/cancel_signup{{"signup_id": {signup_id}}}', f'/keep_signup{{"signup_id": {signup_id}}}',
    ]  # fmt: skip
    assert slots_of(events) == {"signup_to_cancel": signup_id}
    assert _taken(app_database, mission[0]) == 1  # nothing yet
    events, dispatcher = run(shifts.ActionCancelSignupAnswer(), "non", intent="deny", slots=slots_of(events))
    assert said(dispatcher) == ["utter_signup_kept"] and _taken(app_database, mission[0]) == 1
    events, _ = run(shifts.ActionCancelSignup(), "annuler mon créneau", intent="cancel_signup")
    events, dispatcher = run(shifts.ActionCancelSignupAnswer(), "oui", intent="affirm", slots=slots_of(events))
    assert said(dispatcher)[0] == "utter_signup_cancelled" and _taken(app_database, mission[0]) == 0
    assert slots_of(events) == {"offered_mission": "M1", "signup_to_cancel": None}  # the other dates offered


@pytest.mark.parametrize("text", ["plutôt le 19", "samedi 19 alors"])
def test_a_date_typed_after_the_dates_offered_at_a_cancellation_signs_up(
    mission: list[int], app_database: str, text: str
) -> None:
    """The cancellation's offer is read as the ordinary one: the same action, the same slot (data/rules/shifts.yml)."""
    _volunteer(app_database)
    _sign_up(mission[0])
    events, _ = run(shifts.ActionCancelSignup(), "je ne peux plus venir samedi", intent="cancel_signup")
    events, dispatcher = run(shifts.ActionCancelSignupAnswer(), "oui", intent="affirm", slots=slots_of(events))
    assert said(dispatcher) == ["utter_signup_cancelled", "utter_other_dates_after_cancel"]
    _, dispatcher = run(shifts.ActionChooseShift(), text, slots=slots_of(events))
    assert said(dispatcher)[0] == "utter_shift_booked"
    assert dispatcher.messages[0]["when"] == "samedi 19 décembre, 9 h–12 h"
    assert (_taken(app_database, mission[0]), _taken(app_database, mission[1])) == (0, 1)


def test_a_kept_sign_up_or_a_cancellation_without_other_dates_leaves_no_dates_to_read(
    mission: list[int], app_database: str
) -> None:
    _volunteer(app_database)
    signup_id = _sign_up(mission[0])
    events, dispatcher = run(shifts.ActionCancelSignupAnswer(), "non", intent="deny",
                             slots={"signup_to_cancel": signup_id, "offered_mission": "M1"})  # fmt: skip
    assert said(dispatcher) == ["utter_signup_kept"] and slots_of(events)["offered_mission"] is None
    _, dispatcher = run(shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_id": signup_id})
    events, dispatcher = run(shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_id": signup_id})
    assert said(dispatcher) == ["utter_cancel_already"] and slots_of(events)["offered_mission"] is None
    _, dispatcher = run(shifts.ActionChooseShift(), "plutôt le 19", slots=slots_of(events))
    assert said(dispatcher) == [] and _taken(app_database, mission[1]) == 0  # read as a profile fact instead


@pytest.mark.parametrize(
    ("text", "picked"),
    [
        ("je ne peux plus venir samedi", [0, 1]),
        ("annuler mon créneau de demain", [2]),
        ("je peux pas venir le 19", [1]),
        ("annule le 12/12 stp", [0]),
        ("je ne pourrai pas venir samedi 19 décembre", [1]),
        ("je peux plus venir samedi 12", [0]),
        ("le 19", [1]),  # typed at "Quelle inscription voulez-vous annuler ?" (an inform, data/rules/shifts.yml)
        ("celui du 11", [2]),
        ("celui de demain", [2]),
        ("je dois annuler", [0, 1, 2]),
        ("je ne peux pas venir lundi", [0, 1, 2]),
    ],
)
def test_a_typed_cancellation_picks_the_day_named(
    mission: list[int], app_database: str, text: str, picked: list[int]
) -> None:
    _volunteer(app_database)
    ids = [_sign_up(mission[0]), _sign_up(mission[1]), _sign_up(mission[2])]
    events, dispatcher = run(shifts.ActionCancelSignup(), text, intent="cancel_signup")
    if len(picked) == 1:
        assert said(dispatcher) == ["utter_confirm_cancel_signup"]
        assert slots_of(events) == {"signup_to_cancel": ids[picked[0]]}
    else:
        assert said(dispatcher) == ["utter_which_signup_to_cancel"]
        payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
        expected = sorted(ids[i] for i in picked)
        assert payloads[:-1] == [f'/cancel_signup{{"signup_id": {i}}}' for i in _by_date(app_database, expected)]
        assert payloads[-1] == "/keep_signup"


def _by_date(url: str, signup_ids: list[int]) -> list[int]:
    with session_scope(url) as session:
        rows = [session.get(models.Signup, i) for i in signup_ids]
        return [int(r.id) for r in sorted(rows, key=lambda r: r.shift.starts_at)]


@pytest.mark.parametrize(
    ("text", "picked"),
    [  # the dates offered: Friday 11 (9 h), Saturday 12 (9 h), Saturday 19 (9 h); today is Thursday 10
        ("demain matin ça m'irait", [2]),
        ("finalement le samedi 19", [1]),
        ("plutôt le 12", [0]),
        ("va pour vendredi", [2]),
        ("samedi", [0, 1]),
        ("samedi après-midi", []),
        ("le 13", []),
        ("je préfère les après-midi maintenant", None),
        ("oui c'est parfait", None),
    ],
)
def test_a_date_answered_in_words_is_read_against_the_dates_offered(
    mission: list[int], app_database: str, text: str, picked: list[int] | None
) -> None:
    with time_machine.travel(NOW, tick=False):
        offered = signups.shift_choices(get_settings(), mission_id="M1")
    assert offered is not None
    lines = [line for line in offered.shifts if line.shift_id in mission[:3]]
    named = signups.pick_offered(lines, text, today=NOW.date())
    assert (None if named is None else sorted(line.shift_id for line in named)) == (
        None if picked is None else sorted(mission[i] for i in picked)
    )


def test_a_date_typed_while_offered_signs_up_or_offers_them_again(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    offered = {"offered_mission": "M1"}
    _, dispatcher = run(shifts.ActionChooseShift(), "demain matin ça m'irait", slots=offered)
    assert said(dispatcher)[0] == "utter_shift_booked" and _taken(app_database, mission[2]) == 1
    events, dispatcher = run(shifts.ActionChooseShift(), "samedi", slots=offered)  # two Saturdays: which one?
    assert said(dispatcher) == ["utter_choose_shift_not_understood"]
    assert dispatcher.messages[0]["buttons"][-1]["payload"] == "/no_shift_fits"
    events, dispatcher = run(shifts.ActionChooseShift(), "je préfère les après-midi", slots=offered)
    assert said(dispatcher) == [] and events[-1]["name"] == "action_show_summary"  # a profile fact, read as one
    events, dispatcher = run(shifts.ActionChooseShift(), "hmm bof", intent="nlu_fallback", slots=offered)
    assert said(dispatcher) == ["utter_ask_rephrase"] and slots_of(events) == {}  # the dates can still be named
    _, dispatcher = run(shifts.ActionChooseShift(), "samedi 19 alors", intent="nlu_fallback", slots=offered)
    assert said(dispatcher)[0] == "utter_shift_booked" and _taken(app_database, mission[1]) == 1


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        ("finalement le samedi 19", True),  # read as a cancellation by the classifier, names an offered date
        ("va pour demain", True),
        ("je ne peux plus venir le 19", False),
        ("je peux pas le 19", False),
        ("j'annule le 19", False),
        ("samedi", False),  # two Saturdays offered
    ],
)
def test_a_date_read_as_a_cancellation_while_dates_are_offered(
    mission: list[int], app_database: str, text: str, chosen: bool
) -> None:
    _volunteer(app_database)
    events, _ = run(shifts.ActionCancelSignup(), text, intent="cancel_signup", slots={"offered_mission": "M1"})
    assert (events[-1].get("name") == "action_choose_shift") is chosen


@pytest.mark.parametrize(
    ("text", "intent", "chosen"),
    [
        ("plutôt le 19", "sign_up", True),  # heard as a sign-up, names one offered date
        ("je m'inscris pour samedi 19", "sign_up", True),
        ("je veux m'inscrire samedi", "sign_up", False),  # two Saturdays offered: the dates again
        ("samedi 19 je dois apporter quoi ?", "shift_practical", False),  # a question, not a choice
    ],
)
def test_a_date_heard_as_a_sign_up_while_dates_are_offered_chooses_it(
    mission: list[int], app_database: str, text: str, intent: str, chosen: bool
) -> None:
    _volunteer(app_database)
    events, _ = run(shifts.ActionOfferShifts(), text, intent=intent, slots={"offered_mission": "M1"})
    assert (events[-1].get("name") == "action_choose_shift") is chosen


def test_the_dates_come_back_after_a_question(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    events, dispatcher = run(shifts.ActionOfferShifts(), "c'est remboursé ?", intent="faq_expenses",
                             slots={"offered_mission": "M1"})  # fmt: skip
    assert said(dispatcher) == ["utter_choose_shift_again"]
    assert slots_of(events)["offered_mission"] == "M1"


def test_missions_with_dates_left_are_found_among_those_proposed(mission: list[int], app_database: str) -> None:
    with session_scope(app_database) as session:
        session.add(models.Mission(id="M2", title="Accueil", city="Lyon"))
    with time_machine.travel(NOW, tick=False):
        assert signups.with_open_dates(get_settings(), ["M1", "M2", "M404"]) == {"M1"}


def test_book_cancel_book_cancel_tells_staff_once(mission: list[int], app_database: str) -> None:
    """A loop of sign-ups and cancellations must not make the association e-mail its staff at every turn."""
    _volunteer(app_database)
    for _ in range(3):
        signup_id = _sign_up(mission[0])
        _, dispatcher = run(shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_id": signup_id})
        assert said(dispatcher)[0] == "utter_signup_cancelled"  # the chat says it every time
    with session_scope(app_database) as session:
        alerts = session.execute(
            select(models.OutgoingEmail.subject, models.OutgoingEmail.staff_id).where(
                models.OutgoingEmail.staff_id.is_not(None), models.OutgoingEmail.kind == "shift"
            )
        ).all()
    subjects, staff = [subject for subject, _ in alerts], len({staff_id for _, staff_id in alerts})
    assert sum(subject.startswith("Désinscription") for subject in subjects) == staff  # one cancellation alert each
    assert sum(subject.startswith("Inscription") for subject in subjects) == staff  # one sign-up alert each


def test_no_sign_up_to_cancel_says_so(mission: list[int], app_database: str) -> None:
    _, dispatcher = run(shifts.ActionCancelSignup(), "je veux me désinscrire", intent="cancel_signup")
    assert said(dispatcher) == ["utter_no_signups_to_cancel"]  # also says how to leave, or stop the messages


def test_too_late_to_cancel_once_started_and_nothing_changed(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    signup_id = _sign_up(mission[0])
    _, dispatcher = run(
        shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_id": signup_id},
        now=SATURDAY + timedelta(minutes=30),
    )  # fmt: skip
    assert said(dispatcher) == ["utter_cancel_too_late"]
    assert dispatcher.messages[0]["contact"] == " (Karim, 04 00 00 00 00)"
    assert _taken(app_database, mission[0]) == 1
    with session_scope(app_database) as session:
        assert session.get(models.Signup, signup_id).status == "confirmed"
        assert (
            session.scalars(
                select(models.OutgoingEmail).where(models.OutgoingEmail.subject.startswith("Désinscription"))
            ).all()
            == []
        )


def test_a_cancellation_typed_during_the_shift_is_too_late(mission: list[int], app_database: str) -> None:
    """ "Je ne peux plus venir samedi" at 9:30 on Saturday: the shift is on, not "no sign-up ahead"."""
    _volunteer(app_database)
    signup_id = _sign_up(mission[0])
    during = SATURDAY + timedelta(minutes=30)
    _, dispatcher = run(shifts.ActionCancelSignup(), "je ne peux plus venir samedi", intent="cancel_signup", now=during)
    assert said(dispatcher) == ["utter_cancel_too_late"]
    assert dispatcher.messages[0]["when"] == "samedi 12 décembre, 9 h–12 h"
    assert dispatcher.messages[0]["contact"] == " (Karim, 04 00 00 00 00)"
    assert _taken(app_database, mission[0]) == 1
    with session_scope(app_database) as session:
        assert session.get(models.Signup, signup_id).status == "confirmed"
    after = SATURDAY + timedelta(hours=3)  # the shift is over: nothing ahead, nothing going on
    _, dispatcher = run(shifts.ActionCancelSignup(), "je ne peux plus venir samedi", intent="cancel_signup", now=after)
    assert said(dispatcher) == ["utter_no_signups_to_cancel"]


def test_someone_elses_sign_up_cannot_be_cancelled(mission: list[int], app_database: str) -> None:
    other = _volunteer(app_database, sender_id="someone-else")
    with session_scope(app_database) as session:
        row = models.Signup(shift_id=mission[0], volunteer_id=other)
        session.add(row)
        session.flush()
        signup_id = int(row.id)
    _volunteer(app_database)
    _, dispatcher = run(shifts.ActionCancelSignup(), intent="cancel_signup", entities={"signup_id": signup_id})
    assert said(dispatcher) == ["utter_cancel_unknown"]
    with session_scope(app_database) as session:
        assert session.get(models.Signup, signup_id).status == "confirmed"


def test_a_shift_cancelled_by_staff_is_told_with_apologies_and_other_dates(
    mission: list[int], app_database: str
) -> None:
    _volunteer(app_database)
    signup_id = _sign_up(mission[0])
    with session_scope(app_database) as session:
        assert shift_store.cancel_shift(session, shift_id=mission[0], now=NOW) == [signup_id]
    _, dispatcher = run(shifts.ActionShiftCancelled(), intent="shift_cancelled", entities={"signup_id": signup_id})
    assert said(dispatcher) == ["utter_shift_cancelled_by_association", "utter_other_shift_dates"]
    assert dispatcher.messages[0]["when"] == "samedi 12 décembre, 9 h–12 h"
    offered = [b["payload"] for b in dispatcher.messages[1]["buttons"]]
    assert f'/choose_shift{{"shift_id": {mission[1]}}}' in offered
    assert f'/choose_shift{{"shift_id": {mission[0]}}}' not in offered


def test_tell_cancelled_pushes_to_each_and_swallows_one_failure(mission: list[int], app_database: str) -> None:
    _volunteer(app_database)
    first, second = _sign_up(mission[0]), _sign_up(mission[1])
    pushed: list[tuple[str, str, dict[str, Any]]] = []

    def trigger(settings: object, *, sender_id: str, intent: str, entities: dict[str, Any]) -> None:
        if entities["signup_id"] == first:
            raise RuntimeError("boom")
        pushed.append((sender_id, intent, entities))

    told = signups.tell_cancelled(get_settings(), [first, 4242, second], trigger=trigger)
    assert told == 1
    assert pushed == [("test-sender", "shift_cancelled", {"signup_id": second})]


def test_the_right_of_access_lists_shifts_hours_feedback_and_attestations(
    mission: list[int], app_database: str
) -> None:
    volunteer_id = _volunteer(app_database)
    _, dispatcher = run(ActionShowMyData(), intent="ask_my_data")
    shown = dispatcher.messages[0]
    assert (shown["shifts"], shown["hours"], shown["feedback"], shown["attestations"]) == (
        "aucun", "aucune", "aucun", "aucune en cours",
    )  # fmt: skip
    _sign_up(mission[1])
    _sign_up(mission[0])
    with session_scope(app_database) as session:
        past = models.Shift(
            mission_id="M1", starts_at=NOW - timedelta(days=7), ends_at=NOW - timedelta(days=7, hours=-2)
        )
        session.add(past)
        session.flush()
        session.add(models.Signup(shift_id=past.id, volunteer_id=volunteer_id, status="attended", rating=5))
        session.add(
            models.HoursEntry(
                volunteer_id=volunteer_id, mission_title="Préparation des colis", day=date(2026, 12, 3), minutes=150,
                source="checkin",
            )
        )  # fmt: skip
        session.add(
            models.AttestationLink(
                token_hash="0" * 64, volunteer_id=volunteer_id, period_start=date(2026, 1, 1),
                period_end=date(2026, 12, 31), full_name="Julie Martin", expires_at=NOW + timedelta(days=1),
            )
        )  # fmt: skip
    _, dispatcher = run(ActionShowMyData(), intent="ask_my_data")
    shown = dispatcher.messages[0]
    assert shown["shifts"] == (
        "à venir : samedi 12 décembre, 9 h–12 h (Préparation des colis) ; "
        "samedi 19 décembre, 9 h–12 h (Préparation des colis), 1 passé(s)"
    )
    assert (shown["hours"], shown["feedback"]) == ("2 h 30", "1 (note ou commentaire)")
    assert shown["attestations"] == "au nom de Julie Martin, le temps que le lien fonctionne"


@pytest.mark.parametrize(
    ("slots", "answer"),
    [
        ({}, "utter_stopped"),
        ({"consent": "given"}, "utter_stopped_consented"),
        ({"consent": "given", "profile_status": "saved"}, "utter_stopped_saved"),
    ],
)
def test_stopping_says_what_is_kept(slots: dict[str, Any], answer: str) -> None:
    _, dispatcher = run(ActionStop(), intent="stop", slots=slots)
    assert said(dispatcher) == [answer]
