"""Signing up for a shift in the chat, "mes créneaux", cancelling in plain words, a shift cancelled by staff.

Thin adapters over :mod:`bot.signups`. Buttons carry ids (``/choose_shift{"shift_id"}``,
``/cancel_signup{"signup_id"}``) and act at once; a cancellation typed in words ("je ne peux plus
venir samedi") finds the person's next shifts, picks the one the words name and asks "Oui / Non"
first (the sign-up asked about waits in the slot ``signup_to_cancel``; data/rules/shifts.yml sends
a "oui" or "non" typed right after to :class:`ActionCancelSignupAnswer`).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from actions.consent import ActionAskConsent
from bot import signups
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)

PENDING = "signup_to_cancel"
OFFERED = "offered_mission"


def _int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


def _offer(dispatcher: CollectingDispatcher, choices: signups.Choices | None, response: str) -> list[EventType]:
    """The mission's dates as buttons with ``response``, or say there is none with a place left.

    The mission offered is kept (slot ``offered_mission``): a date answered in words ("demain matin",
    "le 19") is read against its dates, and they come back after a question asked meanwhile.
    """
    settings = get_settings()
    if choices is None:
        dispatcher.utter_message(response="utter_unknown_mission")
    elif not choices.shifts:
        dispatcher.utter_message(response="utter_no_shift_dates", mission=choices.mission)
    else:
        buttons = signups.choice_buttons(settings, choices)
        dispatcher.utter_message(response=response, mission=choices.mission, buttons=buttons)
        return [SlotSet(OFFERED, choices.mission_id)]
    return [SlotSet(OFFERED, None)]


class ActionOfferShifts(Action):
    """A sign-up, with the button (``/sign_up{"mission_id"}``) or in words: the next dates with places left.

    Typed without a mission ("je voudrais m'inscrire pour samedi"), the dates of the missions last
    proposed are offered, or the missions themselves; while dates are offered, words that name one of
    them ("plutôt le 26", often heard as a sign-up) choose it. Someone without a profile is led to it: the
    consent question comes at once (its "oui" starts the profile, data/rules/consent.yml).
    """

    def name(self) -> str:
        return "action_offer_shifts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        settings = get_settings()
        mission_id = _entity(tracker, "mission_id") or tracker.get_slot("mission_id")
        if not signups.has_profile(settings, channel=channel_of(tracker), sender_id=tracker.sender_id):
            if tracker.get_slot("consent") == "given":  # consented, profile not finished: one button resumes it
                dispatcher.utter_message(response="utter_sign_up_needs_profile")
                return [SlotSet("mission_id", None)]
            dispatcher.utter_message(response="utter_sign_up_profile_first")
            events = await ActionAskConsent().run(dispatcher, tracker, domain)
            return [*events, SlotSet("mission_id", None)]
        response = "utter_choose_shift"
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if not mission_id and intent == "sign_up" and _names_an_offered_date(tracker, []):
            # "plutôt le 26" typed while the dates are offered, heard as a sign-up: that date is chosen, read
            # as a date typed and heard as such (data/rules/shifts.yml) is
            return [FollowupAction("action_choose_shift")]
        if not mission_id and intent != "sign_up" and tracker.get_slot(OFFERED):
            # after a question asked while the dates were offered (data/rules/shifts.yml): the same dates again
            mission_id, response = tracker.get_slot(OFFERED), "utter_choose_shift_again"
        if mission_id:
            choices = signups.shift_choices(settings, mission_id=str(mission_id))
            min_age = signups.too_young_for(
                settings, mission_id=str(mission_id), channel=channel_of(tracker), sender_id=tracker.sender_id
            )
            if choices is not None and min_age is not None:
                _say_too_young(dispatcher, settings, mission=choices.mission, min_age=min_age)
                return [SlotSet("mission_id", None), SlotSet(OFFERED, None)]
            return [*_offer(dispatcher, choices, response), SlotSet("mission_id", None)]
        return [
            *_offer_for_words(dispatcher, list(tracker.get_slot("latest_proposals") or [])),
            SlotSet("mission_id", None),
        ]


def _say_too_young(dispatcher: CollectingDispatcher, settings: Settings, *, mission: str, min_age: int) -> None:
    """The mission's minimum age is above the person's: said plainly, no date offered (legal eligibility)."""
    dispatcher.utter_message(text=signups.too_young_text(settings, mission=mission, min_age=min_age))


def _offer_for_words(dispatcher: CollectingDispatcher, proposed: list[str]) -> list[EventType]:
    """A sign-up typed without a mission: the dates of the one mission last proposed, a choice, or the missions."""
    settings = get_settings()
    dated = [c for c in (signups.shift_choices(settings, mission_id=str(m)) for m in proposed) if c and c.shifts]
    if len(dated) == 1:
        return _offer(dispatcher, dated[0], "utter_choose_shift")
    if dated:
        buttons = [{"title": c.mission, "payload": f'/sign_up{{"mission_id": "{c.mission_id}"}}'} for c in dated]
        dispatcher.utter_message(response="utter_sign_up_which_mission", buttons=buttons)
    else:
        dispatcher.utter_message(response="utter_sign_up_see_missions")
    return []


class ActionChooseShift(Action):
    """A date chosen (``/choose_shift{"shift_id"}``): signed up and confirmed, or told why not with other dates."""

    def name(self) -> str:
        return "action_choose_shift"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        settings = get_settings()
        shift_id = _int(_entity(tracker, "shift_id"))
        if shift_id is None:  # a date answered in words while the dates are offered ("demain matin ça m'irait")
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            offered = tracker.get_slot(OFFERED)
            choices = signups.shift_choices(settings, mission_id=str(offered)) if offered else None
            text = tracker.latest_message.get("text") or ""
            named = signups.pick_offered(choices.shifts, text, today=signups.today_in(settings)) if choices else None
            if named is None and intent == "nlu_fallback":  # nothing sure and no day named: asked to rephrase
                dispatcher.utter_message(response="utter_ask_rephrase")
                return []
            if named is None:  # no date offered, or no day named: a profile fact, read as it is anywhere else
                return [SlotSet(OFFERED, None), FollowupAction("action_show_summary")]
            if len(named) != 1:  # a day none or several of the dates fall on: the dates again, with the way out
                return _offer(dispatcher, choices, "utter_choose_shift_not_understood")
            shift_id = named[0].shift_id
        booking = signups.book(settings, shift_id=shift_id, channel=channel_of(tracker), sender_id=tracker.sender_id)
        if booking.status == signups.NO_PROFILE:
            dispatcher.utter_message(response="utter_sign_up_needs_profile")
        elif booking.status == signups.TOO_YOUNG:
            _say_too_young(dispatcher, settings, mission=booking.mission, min_age=booking.min_age)
            return [SlotSet(OFFERED, None)]
        elif booking.status == "ok":
            where = f", {booking.where}" if booking.where else ""
            booked = "utter_shift_booked" if booking.reminder_ahead else "utter_shift_booked_soon"
            dispatcher.utter_message(
                response=booked, when=booking.when, mission=booking.mission, where=where,
                calendar_url=booking.calendar_url,
            )  # fmt: skip
            if booking.emailed:
                dispatcher.utter_message(response="utter_shift_booked_email")
            return [SlotSet(OFFERED, None)]
        elif booking.status == "already":
            dispatcher.utter_message(
                response="utter_shift_already", when=booking.when, mission=booking.mission,
                calendar_url=booking.calendar_url,
            )  # fmt: skip
        else:
            response = {"full": "utter_shift_full", "past": "utter_shift_past", "cancelled": "utter_shift_unavailable"}
            dispatcher.utter_message(response=response.get(booking.status, "utter_shift_unknown"), when=booking.when)
            if booking.others is not None:
                return _offer(dispatcher, booking.others, "utter_other_shift_dates")
        return []


class ActionMyShifts(Action):
    """ "Mes créneaux": the person's next shifts with where to go, and a cancel button for each."""

    def name(self) -> str:
        return "action_my_shifts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        settings = get_settings()
        mine = signups.my_shifts(settings, channel=channel_of(tracker), sender_id=tracker.sender_id)
        if not mine:
            dispatcher.utter_message(response="utter_no_signups")
            return []
        lines = "\n".join(f"• {s.when} : {s.mission}" + (f", {s.where}" if s.where else "") for s in mine)
        buttons = signups.cancel_buttons(settings, mine, confirm=True)
        response = "utter_my_shifts" if all(s.reminder_ahead for s in mine) else "utter_my_shifts_soon"
        dispatcher.utter_message(response=response, shifts=lines, buttons=buttons)
        return []


def _tell_cancellation(
    dispatcher: CollectingDispatcher, tracker: Tracker, result: signups.Cancellation
) -> list[EventType]:
    shift = result.shift
    if result.status == "ok" and shift is not None:
        dispatcher.utter_message(response="utter_signup_cancelled", when=shift.when, mission=shift.mission)
        # the mission's other dates with places, but those the person still holds: the way back to the
        # dates once their buttons are gone
        settings = get_settings()
        held = {s.when for s in signups.my_shifts(settings, channel=channel_of(tracker), sender_id=tracker.sender_id)}
        others = signups.shift_choices(settings, mission_id=shift.mission_id, skip_labels={shift.when, *held})
        if others is not None and others.shifts:  # a date typed next is read against these (data/rules/shifts.yml)
            return _offer(dispatcher, others, "utter_other_dates_after_cancel")
    elif result.status == "too_late" and shift is not None:
        contact = f" ({result.contact})" if result.contact else ""
        dispatcher.utter_message(response="utter_cancel_too_late", when=shift.when, contact=contact)
    elif result.status == "already":
        dispatcher.utter_message(response="utter_cancel_already")
    else:
        dispatcher.utter_message(response="utter_cancel_unknown")
    return [SlotSet(OFFERED, None)]  # no dates offered now: a date typed next is not read against older ones


def _names_an_offered_date(tracker: Tracker, mine: list[signups.MyShift]) -> bool:
    """Words typed while dates are offered that name one of them and none of the person's sign-ups."""
    offered = tracker.get_slot(OFFERED)
    text = tracker.latest_message.get("text") or ""
    if not offered or _entity(tracker, "signup_choice") is not None or signups.says_no(text):
        return False
    settings = get_settings()
    today = signups.today_in(settings)
    if signups.pick(mine, text, today=today):
        return False
    choices = signups.shift_choices(settings, mission_id=str(offered))
    named = signups.pick_offered(choices.shifts, text, today=today) if choices else None
    return named is not None and len(named) == 1


class ActionCancelSignup(Action):
    """Cancel a sign-up: at once with its button, after "Oui / Non" when typed in words."""

    def name(self) -> str:
        return "action_cancel_signup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        settings = get_settings()
        channel, sender_id = channel_of(tracker), tracker.sender_id
        signup_id = _int(_entity(tracker, "signup_id"))
        if signup_id is not None:
            result = signups.cancel(settings, signup_id=signup_id, channel=channel, sender_id=sender_id)
            return [*_tell_cancellation(dispatcher, tracker, result), SlotSet(PENDING, None)]
        mine = signups.my_shifts(settings, channel=channel, sender_id=sender_id)
        if _names_an_offered_date(tracker, mine):  # "finalement le samedi 19" while the dates are offered
            return [FollowupAction("action_choose_shift")]
        if not mine:
            going_on = signups.too_late_to_cancel(settings, channel=channel, sender_id=sender_id)
            if going_on is not None:  # "je ne peux plus venir" during the shift: say so, not "no sign-up"
                return [*_tell_cancellation(dispatcher, tracker, going_on), SlotSet(PENDING, None)]
            # "je veux me désinscrire" may mean leaving: say how, and how to stop the messages
            dispatcher.utter_message(response="utter_no_signups_to_cancel")
            return [SlotSet(PENDING, None)]
        choice = _int(_entity(tracker, "signup_choice"))  # "Annuler : samedi 12 décembre" under "mes créneaux"
        if choice is not None:
            candidates = [shift for shift in mine if shift.signup_id == choice]
            if not candidates:  # cancelled or started meanwhile
                dispatcher.utter_message(response="utter_cancel_already")
                return [SlotSet(PENDING, None)]
        else:
            named = signups.pick(mine, tracker.latest_message.get("text") or "", today=signups.today_in(settings))
            candidates = named or mine
        if len(candidates) == 1:
            shift = candidates[0]
            words = signups.texts(settings.association_dir)
            payload = f'{{"signup_id": {shift.signup_id}}}'
            buttons = [
                {"title": words["confirm_cancel_button"], "payload": f"/cancel_signup{payload}"},
                {"title": words["keep_button"], "payload": f"/keep_signup{payload}"},
            ]
            dispatcher.utter_message(
                response="utter_confirm_cancel_signup", when=shift.when, mission=shift.mission, buttons=buttons
            )
            return [SlotSet(PENDING, shift.signup_id)]
        words = signups.texts(settings.association_dir)
        buttons = signups.cancel_buttons(settings, candidates)
        buttons.append({"title": words["keep_all_button"], "payload": "/keep_signup"})
        dispatcher.utter_message(response="utter_which_signup_to_cancel", buttons=buttons)
        return [SlotSet(PENDING, None)]


class ActionCancelSignupAnswer(Action):
    """ "Oui" typed after "Voulez-vous annuler ... ?" cancels; "non" or "Non, je garde" keeps the sign-up."""

    def name(self) -> str:
        return "action_cancel_signup_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        signup_id = _int(tracker.get_slot(PENDING))
        if intent == "affirm" and signup_id is not None:
            result = signups.cancel(
                get_settings(), signup_id=signup_id, channel=channel_of(tracker), sender_id=tracker.sender_id
            )
            return [*_tell_cancellation(dispatcher, tracker, result), SlotSet(PENDING, None)]
        dispatcher.utter_message(response="utter_signup_kept")
        return [SlotSet(PENDING, None), SlotSet(OFFERED, None)]


class ActionShiftCancelled(Action):
    """Triggered (``shift_cancelled{"signup_id"}``): the association cancelled the shift; apologise, offer dates."""

    def name(self) -> str:
        return "action_shift_cancelled"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        settings = get_settings()
        signup_id = _int(_entity(tracker, "signup_id"))
        notice = None
        if signup_id is not None:
            notice = signups.cancelled_notice(
                settings, signup_id=signup_id, channel=channel_of(tracker), sender_id=tracker.sender_id
            )
        if notice is None:
            logger.info("shift_cancelled for signup %s: nothing to tell", signup_id)
            return []
        dispatcher.utter_message(
            response="utter_shift_cancelled_by_association", when=notice.when, mission=notice.mission
        )
        if notice.others.shifts:
            return _offer(dispatcher, notice.others, "utter_other_shift_dates")
        return []
