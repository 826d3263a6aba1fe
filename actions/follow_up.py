"""After the first yes, in the chat: the reminder's "toujours OK ?", the check-in, attestations, the yearly summary.

Thin adapters over :mod:`bot.reminders`. The check-in and the attestation ask for words typed
next (hours, a rating, a comment, a full name): the question sets ``follow_up_step`` (what the
words answer) and ``follow_up_pending``, and data/rules/follow_up.yml sends the words typed right
after it to :class:`ActionFollowUpAnswer`. Any other request is answered by its own rule: the
check-in then waits, its buttons still work, nothing is half-written (everything is stored in one
transaction at the end).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from bot import reminders
from bot.config import get_settings
from bot.durations import MAX_MINUTES, parse_minutes, read_minutes, say_minutes
from bot.signups import today_in
from bot.understanding import extract_facts
from bot.understanding.periods import read_period

logger = logging.getLogger(__name__)

SKIP = re.compile(
    r"^\s*(?:passer|passe|je passe|non merci|non|rien|aucun|pas de commentaire|annuler|stop)\s*[.!]*\s*$", re.I
)
# "Je n'ai pas pu venir", "j'étais malade" typed after "Comment ça s'est passé ?": an absence, like the button.
# Matched on the text without accents; a duration in the same words wins ("2 h, j'étais malade après").
NO_SHOW = re.compile(
    r"\b(?:pas pu (?:venir|y aller|y etre|etre la|etre present|me deplacer|assurer)|pas (?:ete|etais) la"
    r"|pas (?:venue?|alle|allee|present|presente)|absente?|malade|empechee?|empechement|imprevu|contretemps"
    r"|(?:j ai|jai|g) (?:oublie|rate|loupe))\b"
)
STEP, PENDING = "follow_up_step", "follow_up_pending"
SIGNUP, MINUTES, RATING, PERIOD = "follow_up_signup", "checkin_minutes", "checkin_rating", "attestation_period"


def _entity(tracker: Tracker, name: str) -> Any:
    return next(tracker.get_latest_entity_values(name), None)


def _int(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("'", " ").replace("’", " "))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def said_no_show(text: str) -> bool:
    """Whether words typed as the answer to the check-in say the person could not come."""
    return parse_minutes(text) is None and NO_SHOW.search(_plain(text)) is not None


def _signup_id(tracker: Tracker) -> int | None:
    return _int(_entity(tracker, "signup_id")) or _int(tracker.get_slot(SIGNUP))


def _asked(step: str | None, **slots: Any) -> list[EventType]:
    """Events of a question waiting for typed words (``step``), or of a flow that ended (None)."""
    events: list[EventType] = [SlotSet(STEP, step), SlotSet(PENDING, step is not None)]
    return events + [SlotSet(name, value) for name, value in slots.items()]


def _ended() -> list[EventType]:
    return _asked(None, **{SIGNUP: None, MINUTES: None, RATING: None, PERIOD: None})


# --------------------------------------------------------------------------- the reminder


class ActionShiftReminder(Action):
    """The day before: "Petit rappel : demain ... Toujours OK ?" with yes / can't come buttons."""

    response = "utter_shift_reminder"

    def name(self) -> str:
        return "action_shift_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        signup_id = _signup_id(tracker)
        view = None
        if signup_id is not None:
            view = reminders.signup_view(
                get_settings(), signup_id=signup_id, channel=channel_of(tracker), sender_id=tracker.sender_id
            )
        if view is None or view.status != "confirmed" or view.started:
            return []  # cancelled or started meanwhile: nothing to remind
        dispatcher.utter_message(
            response=self.response,
            when=view.when,
            mission=view.mission,
            address=f", {view.address}" if view.address else "",
            signup_id=view.signup_id,
        )
        return [SlotSet(SIGNUP, view.signup_id)]


class ActionShiftReminderFollowup(ActionShiftReminder):
    """The reminder unanswered: asked once more, shorter."""

    response = "utter_shift_reminder_followup"

    def name(self) -> str:
        return "action_shift_reminder_followup"


def _answer_reminder(tracker: Tracker, answer: str) -> reminders.SignupView | None:
    """Store the answer to "toujours OK ?"; the sign-up's view, or None when it can no longer be answered."""
    signup_id = _signup_id(tracker)
    if signup_id is None:
        return None
    view = reminders.answer_reminder(
        get_settings(), signup_id=signup_id, channel=channel_of(tracker), sender_id=tracker.sender_id, answer=answer
    )
    if view is None or view.status != "confirmed" or view.started:
        return None
    return view


class ActionConfirmShift(Action):
    """ "Oui, je serai là" (button, or a yes typed right after the reminder): stored, thanked."""

    def name(self) -> str:
        return "action_confirm_shift"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        view = _answer_reminder(tracker, "yes")
        if view is None:
            dispatcher.utter_message(response="utter_shift_not_confirmable")
        else:
            dispatcher.utter_message(response="utter_shift_confirmed", day=view.day)
        return [SlotSet(SIGNUP, None)]


class ActionReminderDeclined(Action):
    """A "non" typed right after the reminder: stored, and the cancellation offered (part B1's flow)."""

    def name(self) -> str:
        return "action_reminder_declined"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        view = _answer_reminder(tracker, "no")
        if view is None:
            dispatcher.utter_message(response="utter_shift_not_confirmable")
        else:
            dispatcher.utter_message(response="utter_reminder_declined", signup_id=view.signup_id, day=view.day)
        return []


# --------------------------------------------------------------------------- the check-in


def _refusal(status: str) -> str:
    return {
        "already": "utter_checkin_already_done",
        "cancelled": "utter_checkin_cancelled",
        "not_ended": "utter_checkin_not_ended",
    }.get(status, "utter_checkin_unknown")


def _state(tracker: Tracker, signup_id: int | None) -> reminders.CheckinResult:
    if signup_id is None:
        return reminders.CheckinResult("unknown")
    return reminders.checkin_state(
        get_settings(), signup_id=signup_id, channel=channel_of(tracker), sender_id=tracker.sender_id
    )


def _ask_rating(dispatcher: CollectingDispatcher, signup_id: int, minutes: int) -> list[EventType]:
    dispatcher.utter_message(response="utter_ask_checkin_rating", signup_id=signup_id, hours=say_minutes(minutes))
    return _asked("checkin_rating", **{SIGNUP: signup_id, MINUTES: minutes, RATING: None})


class ActionShiftCheckin(Action):
    """After the shift: "Comment ça s'est passé ?" with the planned hours, another duration, or couldn't come."""

    def name(self) -> str:
        return "action_shift_checkin"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        state = _state(tracker, _signup_id(tracker))
        if state.status != "ok" or state.view is None:
            return []  # answered or cancelled meanwhile: nothing to ask
        view = state.view
        dispatcher.utter_message(
            response="utter_shift_checkin",
            mission=view.mission,
            when=view.when,
            signup_id=view.signup_id,
            minutes=view.planned_minutes,
            hours=say_minutes(view.planned_minutes),
        )
        return _asked("checkin_minutes", **{SIGNUP: view.signup_id, MINUTES: None, RATING: None})


class ActionCheckinHours(Action):
    """ "Oui, 3 h" (minutes given) asks for the rating; "Autre durée" (none) asks for the hours in words."""

    def name(self) -> str:
        return "action_checkin_hours"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        signup_id = _signup_id(tracker)
        state = _state(tracker, signup_id)
        if state.status != "ok" or signup_id is None:
            dispatcher.utter_message(response=_refusal(state.status))
            return _ended()
        minutes = _int(_entity(tracker, "minutes"))
        if minutes is None:
            dispatcher.utter_message(response="utter_ask_checkin_duration")
            return _asked("checkin_minutes", **{SIGNUP: signup_id})
        if not 0 < minutes <= MAX_MINUTES:
            dispatcher.utter_message(response="utter_checkin_duration_out_of_range")
            return _asked("checkin_minutes", **{SIGNUP: signup_id})
        return _ask_rating(dispatcher, signup_id, minutes)


class ActionCheckinNoShow(Action):
    """ "Je n'ai pas pu venir": recorded as an absence, thanked without blame."""

    def name(self) -> str:
        return "action_checkin_no_show"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return _no_show(dispatcher, tracker, _signup_id(tracker))


def _no_show(dispatcher: CollectingDispatcher, tracker: Tracker, signup_id: int | None) -> list[EventType]:
    """Record an absence (the button, or the words typed after the check-in) and thank without blame."""
    result = reminders.CheckinResult("unknown")
    if signup_id is not None:
        result = reminders.finish_checkin(
            get_settings(), signup_id=signup_id, channel=channel_of(tracker), sender_id=tracker.sender_id,
            minutes=None,
        )  # fmt: skip
    response = "utter_checkin_no_show" if result.status == "no_show" else _refusal(result.status)
    dispatcher.utter_message(response=response)
    return _ended()


class ActionCheckinRating(Action):
    """A rating 1-5 (button): kept, and an optional comment asked for."""

    def name(self) -> str:
        return "action_checkin_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        signup_id = _signup_id(tracker)
        rating = _int(_entity(tracker, "rating"))
        return _take_rating(dispatcher, tracker, signup_id, rating)


def _take_rating(
    dispatcher: CollectingDispatcher, tracker: Tracker, signup_id: int | None, rating: int | None
) -> list[EventType]:
    state = _state(tracker, signup_id)
    if state.status != "ok" or signup_id is None:
        dispatcher.utter_message(response=_refusal(state.status))
        return _ended()
    minutes = _int(tracker.get_slot(MINUTES)) if _int(tracker.get_slot(SIGNUP)) == signup_id else None
    if minutes is None:  # the hours were not given in this check-in (an old button): ask them first
        dispatcher.utter_message(response="utter_ask_checkin_duration")
        return _asked("checkin_minutes", **{SIGNUP: signup_id})
    dispatcher.utter_message(response="utter_ask_checkin_comment", signup_id=signup_id)
    return _asked("checkin_comment", **{SIGNUP: signup_id, RATING: rating if rating in range(1, 6) else None})


def _finish(dispatcher: CollectingDispatcher, tracker: Tracker, comment: str | None) -> list[EventType]:
    signup_id = _int(tracker.get_slot(SIGNUP))
    minutes = _int(tracker.get_slot(MINUTES))
    if signup_id is None or minutes is None:
        dispatcher.utter_message(response="utter_checkin_unknown")
        return _ended()
    result = reminders.finish_checkin(
        get_settings(), signup_id=signup_id, channel=channel_of(tracker), sender_id=tracker.sender_id,
        minutes=minutes, rating=_int(tracker.get_slot(RATING)), comment=comment,
    )  # fmt: skip
    if result.status == "ok" and result.counted_minutes is not None:  # well over the planned length: staff check
        dispatcher.utter_message(
            response="utter_checkin_thanks_to_check", hours=say_minutes(minutes),
            counted=say_minutes(result.counted_minutes),
        )  # fmt: skip
    elif result.status == "ok":
        dispatcher.utter_message(response="utter_checkin_thanks", hours=say_minutes(minutes))
    elif result.status == "invalid":  # more than 24 hours that day with the person's other hours: asked again
        dispatcher.utter_message(response="utter_checkin_duration_out_of_range")
        return _asked("checkin_minutes", **{SIGNUP: signup_id, MINUTES: None, RATING: None})
    else:
        dispatcher.utter_message(response=_refusal(result.status))
    return _ended()


class ActionSkipCheckinComment(Action):
    """ "Passer" under the comment question: the check-in is stored without a comment."""

    def name(self) -> str:
        return "action_skip_checkin_comment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return _finish(dispatcher, tracker, None)


# --------------------------------------------------------------------------- attestations


class ActionAskAttestation(Action):
    """ "Je voudrais une attestation": which period (buttons); without a profile, why it cannot be made."""

    def name(self) -> str:
        return "action_ask_attestation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        settings, channel = get_settings(), channel_of(tracker)
        if not reminders.has_profile(settings, channel=channel, sender_id=tracker.sender_id):
            dispatcher.utter_message(response="utter_attestation_no_profile")
            return _ended()
        if reminders.recorded_minutes(settings, channel=channel, sender_id=tracker.sender_id) == 0:
            dispatcher.utter_message(response="utter_attestation_no_hours_yet")  # no period, no name for nothing
            return _ended()
        dispatcher.utter_message(response="utter_ask_attestation_period")
        return _ended()


class ActionOfferAttestation(Action):
    """After the FAQ answer on attestations: to someone with hours recorded, the way to get theirs now."""

    def name(self) -> str:
        return "action_offer_attestation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        settings, channel = get_settings(), channel_of(tracker)
        minutes = reminders.recorded_minutes(settings, channel=channel, sender_id=tracker.sender_id)
        if minutes <= 0:
            return []
        pending = reminders.minutes_to_check(settings, channel=channel, sender_id=tracker.sender_id)
        if pending > 0:  # said apart: the attestation counts them only once staff accept them
            dispatcher.utter_message(
                response="utter_offer_attestation_to_check", hours=say_minutes(minutes), pending=say_minutes(pending)
            )
        else:
            dispatcher.utter_message(response="utter_offer_attestation", hours=say_minutes(minutes))
        return []


class ActionAttestationPeriod(Action):
    """A period chosen with a button or typed right after the question: the full name to print is asked for."""

    def name(self) -> str:
        return "action_attestation_period"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        settings, channel = get_settings(), channel_of(tracker)
        period = str(_entity(tracker, "period") or "")
        if period not in reminders.PERIODS:  # typed: "cette année", "2025", "de mars à juin", "le mois dernier"
            text = tracker.latest_message.get("text") or ""
            period = read_period(text, today=today_in(settings)) or ""
        if not reminders.is_period(period):
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            if intent == "inform":  # not a period: a profile fact, read as it is anywhere else
                return [*_ended(), FollowupAction("action_show_summary")]
            dispatcher.utter_message(response="utter_ask_attestation_period")
            return _ended()
        if not reminders.has_profile(settings, channel=channel, sender_id=tracker.sender_id):
            dispatcher.utter_message(response="utter_attestation_no_profile")
            return _ended()
        if reminders.recorded_minutes(settings, channel=channel, sender_id=tracker.sender_id, period=period) == 0:
            response = "utter_attestation_no_hours_yet" if period == "all" else "utter_attestation_no_hours_in_period"
            dispatcher.utter_message(response=response)
            return _ended()
        dispatcher.utter_message(response="utter_ask_attestation_name")
        return _asked("attestation_name", **{PERIOD: period})


def _attestation(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> list[EventType]:
    if SKIP.match(text):
        dispatcher.utter_message(response="utter_attestation_dropped")
        return _ended()
    name = reminders.clean_full_name(text)
    if name is None:
        dispatcher.utter_message(response="utter_attestation_name_invalid")
        return _asked("attestation_name")
    settings, channel, period = get_settings(), channel_of(tracker), str(tracker.get_slot(PERIOD) or "this_year")
    offer = reminders.attestation_link(
        settings, channel=channel, sender_id=tracker.sender_id, period=period, full_name=name
    )
    if offer is None:
        dispatcher.utter_message(response="utter_attestation_no_profile")
    elif offer.url is None:
        dispatcher.utter_message(response="utter_attestation_no_hours")
    else:
        dispatcher.utter_message(response="utter_attestation_link", url=offer.url, expires=offer.expires)
        pending = reminders.minutes_to_check(settings, channel=channel, sender_id=tracker.sender_id, period=period)
        if pending > 0:  # the PDF counts the planned length of those lines: say so rather than let it surprise
            dispatcher.utter_message(response="utter_attestation_hours_to_check", pending=say_minutes(pending))
    return _ended()


# --------------------------------------------------------------------------- words typed after a question

# Short answers are often read as another request ("24h" as "stop relances", "Bob Dupont" as a profile
# update): data/rules/follow_up.yml sends these intents here too. What reads as the answer asked is the
# answer; otherwise the question is dropped and the request is served (the buttons stay valid).
HANDED_OVER = {
    "stop_nudges": "action_stop_nudges",
    "update_profile": "action_show_summary",
    "sign_up": "action_offer_shifts",
}


def _hand_over(dispatcher: CollectingDispatcher, action: str) -> list[EventType]:
    dispatcher.utter_message(response="utter_checkin_dropped")
    return [*_ended(), FollowupAction(action)]


class ActionFollowUpAnswer(Action):
    """Words typed right after a check-in or attestation question: hours, a rating, a comment or a full name."""

    def name(self) -> str:
        return "action_follow_up_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "").strip()
        step = tracker.get_slot(STEP)
        signup_id = _int(tracker.get_slot(SIGNUP))
        request = HANDED_OVER.get((tracker.latest_message.get("intent") or {}).get("name") or "")
        if step == "attestation_name":
            if request and not extract_facts(text, expecting="first_name").first_name:
                return _hand_over(dispatcher, request)
            return _attestation(dispatcher, tracker, text)
        if step == "checkin_comment":
            if request:  # "stop relances" is not a comment: the check-in is stored without one
                return _finish(dispatcher, tracker, None) + [FollowupAction(request)]
            return _finish(dispatcher, tracker, None if SKIP.match(text) else text)
        if step == "checkin_rating":
            found = re.search(r"\b([1-5])\b", text)
            if found or SKIP.match(text):
                return _take_rating(dispatcher, tracker, signup_id, int(found.group(1)) if found else None)
            if request:
                return _hand_over(dispatcher, request)
            dispatcher.utter_message(response="utter_checkin_rating_unclear", signup_id=signup_id)
            return _asked("checkin_rating")
        if step == "checkin_minutes" and signup_id is not None:
            if request and parse_minutes(text) is None and not SKIP.match(text) and not said_no_show(text):
                return _hand_over(dispatcher, request)
            return self._minutes(dispatcher, tracker, signup_id, text)
        dispatcher.utter_message(response="utter_anything_else")
        return _ended()

    def _minutes(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, signup_id: int, text: str
    ) -> list[EventType]:
        if SKIP.match(text):
            dispatcher.utter_message(response="utter_checkin_dropped")
            return _ended()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if said_no_show(text) or (intent == "cancel_signup" and parse_minutes(text) is None):
            return _no_show(dispatcher, tracker, signup_id)
        state = _state(tracker, signup_id)
        if state.status != "ok" or state.view is None:
            dispatcher.utter_message(response=_refusal(state.status))
            return _ended()
        minutes = parse_minutes(text)
        if minutes is None:  # "oui", "comme prévu"
            minutes = read_minutes(text, planned=state.view.planned_minutes)
        if minutes is None:
            dispatcher.utter_message(response="utter_checkin_duration_unclear")
            return _asked("checkin_minutes")
        if not 0 < minutes <= MAX_MINUTES:
            dispatcher.utter_message(response="utter_checkin_duration_out_of_range")
            return _asked("checkin_minutes")
        return _ask_rating(dispatcher, signup_id, minutes)


# --------------------------------------------------------------------------- the yearly summary


class ActionYearlySummary(Action):
    """In January: last year's hours and what they mean for the Compte d'engagement citoyen."""

    def name(self) -> str:
        return "action_yearly_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        year = _int(_entity(tracker, "year"))
        if year is None:
            return []
        summary = reminders.yearly_summary_text(
            get_settings(), channel=channel_of(tracker), sender_id=tracker.sender_id, year=year
        )
        if summary is not None:
            dispatcher.utter_message(response="utter_yearly_summary", summary=summary, year=year)
        return []
