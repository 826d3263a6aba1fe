"""The profile form: bare answers to the question just asked, validation, corrections.

Facts stated explicitly ("je m'appelle Julie", "dispo le samedi") arrive as entities from
the NLU component and fill their slots whatever was asked. Here we add what needs the
conversation's context: a bare "Julie" or "17" answering the question just asked,
"aussi" adding to a list instead of replacing it, and polite re-asks with an example.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.digressions import DIGRESSIONS
from bot.config import get_settings
from bot.profile import Place
from bot.understanding import extract_facts, find_phone, looks_like_email_attempt
from bot.understanding.answers import adds_to_before, has_no_preference, says_adult
from bot.understanding.places import suggest_places

logger = logging.getLogger(__name__)

# A second unrecognised answer to these questions moves on: they are optional for matching.
SKIPPABLE = {"skills", "availability", "causes"}
PLACE_SUGGESTION_MAX_CHARS = 60
# Messages this short that answer the question asked count as answers whatever their intent.
SHORT_ANSWER_WORDS = 4
EXPECTING = {
    "first_name": "first_name", "age_group": "age", "place": "place", "skills": "skills",
    "availability": "availability", "causes": "causes", "contact": "contact",
}  # fmt: skip


def _entity_values(tracker: Tracker, entity: str) -> list[Any]:
    return [e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]


def _answering(tracker: Tracker, slot: str) -> bool:
    """True when the latest message answers the question about ``slot``.

    A question or command (a digression) does not, unless the message is a short,
    recognisable answer to that very question: "peu importe" to the causes question is an
    answer, even if the classifier heard "stop".
    """
    if tracker.get_slot("requested_slot") != slot:
        return False
    return not _digression(tracker) or _short_answer(tracker, slot)


def _digression(tracker: Tracker) -> bool:
    return ((tracker.latest_message.get("intent") or {}).get("name") or "") in DIGRESSIONS


def _short_answer(tracker: Tracker, slot: str) -> bool:
    text = tracker.latest_message.get("text") or ""
    if len(text.split()) > SHORT_ANSWER_WORDS:
        return False
    if slot in SKIPPABLE and has_no_preference(text):
        return True
    facts = extract_facts(text, expecting=EXPECTING[slot])
    found = {
        "first_name": facts.first_name, "age_group": facts.age, "place": facts.place, "skills": facts.skills,
        "availability": facts.availability, "causes": facts.causes, "contact": facts.email or facts.phone,
    }[slot]  # fmt: skip
    return bool(found) or found == 0


def _entities_filled(tracker: Tracker, entity: str) -> bool:
    """True when the message's entities already filled the slot (entity mappings skip digressions)."""
    return bool(_entity_values(tracker, entity)) and not _digression(tracker)


def _failed_before(tracker: Tracker, slot: str) -> int:
    """How many times the assistant already said it did not understand the answer about ``slot``."""
    return _said_before(tracker, f"utter_not_understood_{slot}")


def _said_before(tracker: Tracker, response: str) -> int:
    """How many times the assistant said ``response`` since the form last started."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") is None:
            break
        if event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") == response:
            count += 1
    return count


def previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message (to add to a list instead of replacing it)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def _just_a_name(tracker: Tracker) -> bool:
    """True when the whole latest message is a first name or two (a town heard in it is the name)."""
    text = tracker.latest_message.get("text") or ""
    return len(text.split()) <= 2 and bool(extract_facts(text, expecting="first_name").first_name)


def _as_asked(tracker: Tracker, slot: str, value: Any) -> Any:
    """Skills heard in the answer to the causes question (or causes in the skills answer) do not
    replace those already said, unless the person adds them ("aussi"); and words that name what
    was asked are left out: "les festivals", answered to the causes question, is a cause and
    not the skill of organising events."""
    other = {"skills": "causes", "causes": "skills"}[slot]
    if value is None or tracker.get_slot("requested_slot") != other:
        return value
    text = tracker.latest_message.get("text") or ""
    previous = previous_value(tracker, slot)
    if previous and not adds_to_before(text):
        # "distribuer des repas" answered to the causes question describes the cause: the
        # skills said before stay as they were.
        return previous
    heard = extract_facts(text, expecting=EXPECTING[other])
    kept = [v for v in ([value] if isinstance(value, str) else value) if v in getattr(heard, slot)]
    return kept or previous


# A required question not understood twice: a person can always take over.
WAY_OUT_BUTTONS = [{"title": "Parler à quelqu'un", "payload": "/human_handoff"}]


def _place_not_found(dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
    """Offer the communes the answer may mean as buttons, rather than the same question again."""
    text = tracker.latest_message.get("text") or ""
    suggestions = suggest_places(text) if len(text) <= PLACE_SUGGESTION_MAX_CHARS else []
    if not suggestions:
        return _not_understood(dispatcher, tracker, "place")
    buttons = [
        {"title": place.label, "payload": "/inform" + json.dumps({"place": place.to_slot()}, ensure_ascii=False)}
        for place in suggestions
    ]
    dispatcher.utter_message(response="utter_place_suggestions", buttons=buttons + WAY_OUT_BUTTONS)
    return {"place": None}


def _not_understood(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> dict[str, Any]:
    # An optional question is never put a third time: not after one answer not understood,
    # nor when a question in between (an FAQ, a "pardon ?") already made it come back.
    failed_before = _failed_before(tracker, slot) >= 1
    if slot in SKIPPABLE and (failed_before or _said_before(tracker, f"utter_ask_{slot}") >= 2):
        dispatcher.utter_message(response="utter_skipped_field")
        return {slot: []}
    # A required question not understood twice offers a person.
    buttons = WAY_OUT_BUTTONS if failed_before else []
    dispatcher.utter_message(response=f"utter_not_understood_{slot}", buttons=buttons)
    return {slot: None}


class ValidateProfileForm(FormValidationAction):
    """Fills and checks the profile form's slots."""

    def name(self) -> str:
        return "validate_profile_form"

    # --- bare answers to the question just asked -------------------------------------------

    def _bare(self, tracker: Tracker, expecting: str) -> Any:
        return extract_facts(tracker.latest_message.get("text") or "", expecting=expecting)

    async def extract_first_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _answering(tracker, "first_name") or _entities_filled(tracker, "first_name"):
            return {}
        name = self._bare(tracker, "first_name").first_name
        return {"first_name": name} if name else _not_understood(dispatcher, tracker, "first_name")

    async def extract_age_group(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if (
            not _answering(tracker, "age_group")
            or _entities_filled(tracker, "age")
            or _entity_values(tracker, "age_group")
        ):
            return {}
        text = tracker.latest_message.get("text") or ""
        if says_adult(text):
            return {"age_group": "adult"}
        age = self._bare(tracker, "age").age
        return {"age_group": str(age)} if age is not None else _not_understood(dispatcher, tracker, "age_group")

    async def extract_place(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not _answering(tracker, "place") or _entities_filled(tracker, "place"):
            return {}
        place = self._bare(tracker, "place").place
        return {"place": place.to_slot()} if place else _place_not_found(dispatcher, tracker)

    async def extract_skills(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._extract_list(dispatcher, tracker, "skills", "skill")

    async def extract_availability(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._extract_list(dispatcher, tracker, "availability", "availability")

    async def extract_causes(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._extract_list(dispatcher, tracker, "causes", "cause")

    def _extract_list(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, entity: str
    ) -> dict[str, Any]:
        if slot in _entity_values(tracker, "no_preference"):
            return {slot: []}
        if not _answering(tracker, slot) or _entities_filled(tracker, entity):
            return {}
        text = tracker.latest_message.get("text") or ""
        if has_no_preference(text):
            return {slot: []}
        facts = self._bare(tracker, slot)
        found = {"skills": facts.skills, "causes": facts.causes, "availability": [s.key for s in facts.availability]}[
            slot
        ]
        return {slot: found} if found else _not_understood(dispatcher, tracker, slot)

    async def extract_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        known = tracker.get_slot("email") or tracker.get_slot("phone")
        if known:
            return {"contact": known} if tracker.get_slot("contact") != known else {}
        if not _answering(tracker, "contact"):
            return {}
        text = tracker.latest_message.get("text") or ""
        facts = self._bare(tracker, "contact")
        if facts.email or facts.phone:  # given as the answer, though not heard as one
            return {"contact": facts.email or facts.phone, "email": facts.email, "phone": facts.phone}
        if looks_like_email_attempt(text):
            dispatcher.utter_message(response="utter_invalid_email")
            return {"contact": None}
        if re.search(r"\d{4,}|\d{2}[ .-]\d{2}", text) and find_phone(text) is None:
            dispatcher.utter_message(response="utter_invalid_phone")
            return {"contact": None}
        return _not_understood(dispatcher, tracker, "contact")

    # --- validation of whatever was filled this turn ---------------------------------------

    async def validate_first_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not isinstance(value, str) or not value.strip() or len(value) > 60:
            return {"first_name": None}
        return {"first_name": value.strip()}

    async def validate_age_group(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        settings = get_settings()
        group = value
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            age = int(value)
            if not 5 <= age <= 110:
                return _not_understood(dispatcher, tracker, "age_group")
            group = "adult" if age >= settings.adult_age else "minor" if age >= settings.min_age else "too_young"
        if group == "too_young":
            dispatcher.utter_message(response="utter_too_young", min_age=settings.min_age)
            return {"age_group": "too_young", "requested_slot": None}
        if group == "minor":
            dispatcher.utter_message(response="utter_minor_info", adult_age=settings.adult_age)
            return {"age_group": "minor"}
        if group == "adult":
            return {"age_group": "adult"}
        return {"age_group": None}

    async def validate_place(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _answering(tracker, "first_name") and _just_a_name(tracker):
            # "Pierre" answering the first-name question is not Pierre-Bénite (found by `make eval`)
            return {"place": previous_value(tracker, "place")}
        try:
            Place.from_slot(value)
        except (TypeError, ValueError, AttributeError):
            return {"place": None}
        return {"place": value}

    async def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"contact": value if isinstance(value, str) and value else None}

    async def validate_skills(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"skills": self._merge(tracker, "skills", _as_asked(tracker, "skills", value))}

    async def validate_availability(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"availability": self._merge(tracker, "availability", value)}

    async def validate_causes(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"causes": self._merge(tracker, "causes", _as_asked(tracker, "causes", value))}

    @staticmethod
    def _merge(tracker: Tracker, slot: str, value: Any) -> list[str] | None:
        """A correction replaces the list; "aussi" / "en plus" adds to it."""
        if value is None:
            return None
        values = [value] if isinstance(value, str) else list(value)
        previous = previous_value(tracker, slot)
        if previous and values and adds_to_before(tracker.latest_message.get("text") or ""):
            values = list(previous) + values
        return list(dict.fromkeys(values))


class ActionAskAgeGroup(Action):
    """Ask the age group, with the age limits from the settings on the buttons."""

    def name(self) -> str:
        return "action_ask_age_group"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        settings = get_settings()
        dispatcher.utter_message(
            response="utter_ask_age_group",
            adult_age=settings.adult_age,
            min_age=settings.min_age,
            minor_max=settings.adult_age - 1,
        )
        return []
