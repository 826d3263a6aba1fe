"""Small helpers shared by the actions: who is talking, and how profiles are shown."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.matching import describe_availability, join_words
from bot.onboarding import place_from_slot, slots_from_keys
from bot.rasa.channels import owner_of
from bot.taxonomy import load_taxonomy
from bot.texts import labels
from bot.understanding import format_phone


def channel_of(tracker: Tracker) -> str:
    """The channel this conversation comes from ("rest", "telegram", "web").

    Before the conversation's first message is logged (``action_session_start`` of a new
    conversation) the tracker names no channel: the conversation id's owner does, as every
    channel checks it (``bot.rasa.channels.owner_of``).
    """
    return tracker.get_latest_input_channel() or owner_of(tracker.sender_id)


def profile_view(slots: dict[str, Any]) -> dict[str, str]:
    """Slot values as French text, for the summary and the "my data" answer."""
    taxonomy = load_taxonomy()
    words = labels()
    # A slot holds whatever was put in it: only the values the assistant itself could have set are shown.
    place = place_from_slot(slots.get("place"))
    skills = _known(slots.get("skills"), taxonomy.skills)
    causes = _known(slots.get("causes"), taxonomy.causes)
    availability = slots_from_keys(_strings(slots.get("availability")))
    contact = [value for value in (_text(slots.get("email")), _text(slots.get("phone"))) if value]
    age_group = _text(slots.get("age_group"))
    return {
        "first_name": _text(slots.get("first_name")) or words["not_given"],
        "age_group": words["age_groups"].get(age_group, words["not_given"]),
        "place": place.label if place else words["not_given"],
        "skills": _list_or(skills, taxonomy.skill_label, words),
        "causes": _list_or(causes, taxonomy.cause_label, words),
        "availability": describe_availability(availability) if availability else words["not_given"],
        "contact": join_words([_show_contact(c) for c in contact]) if contact else words["not_given"],
        "email": _text(slots.get("email")) or words["not_given"],
        "phone": _show_contact(_text(slots.get("phone"))) if _text(slots.get("phone")) else words["not_given"],
    }


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _known(value: object, terms: dict[str, Any]) -> list[str] | None:
    """The taxonomy keys of a list slot; None when it was never filled."""
    if value is None:
        return None
    return [key for key in _strings(value) if key in terms]


def _list_or(keys: list[str] | None, label: Any, words: dict[str, Any]) -> str:
    if keys is None:
        return str(words["not_given"])
    if not keys:
        return str(words["none_selected"])
    return join_words([label(key) for key in keys])


def _show_contact(value: str) -> str:
    return format_phone(value) if value.startswith("+") else value
