"""Typed payload syntax reaches Rasa only as a button the assistant offered (bot.rasa.channels.payloads)."""

from __future__ import annotations

import asyncio

from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.channels.payloads import as_text, offered_payloads, vetted_text

OFFERED = '/apply{"mission_id": 3}'


class Store:
    """A tracker store holding one conversation."""

    def __init__(self, events: list) -> None:
        self.tracker = DialogueStateTracker.from_events("essai", events)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return self.tracker if sender_id == "essai" else None


EVENTS = [
    UserUttered("bonjour"),
    BotUttered("Cette mission vous intéresse ?", {"buttons": [{"title": "Oui", "payload": OFFERED}]}),
]


def vetted(text: str, sender: str = "essai", store: object = None) -> str:
    return asyncio.run(vetted_text(text, sender, store if store is not None else Store(EVENTS)))


def test_words_pass_unchanged() -> None:
    assert vetted("je m'appelle Julie") == "je m'appelle Julie"


def test_a_button_the_assistant_offered_passes() -> None:
    assert offered_payloads(Store(EVENTS).tracker.events) == {OFFERED}
    assert vetted(OFFERED) == OFFERED
    assert vetted(f"  {OFFERED}\n") == OFFERED


def test_anything_else_that_looks_like_a_payload_is_read_as_words() -> None:
    assert vetted("  //restart") == "restart"
    assert vetted("/aide moi") == "aide moi"
    assert vetted("/") == "?"


def test_a_payload_not_offered_is_not_words_for_the_model_to_guess_at() -> None:
    """Read as words, 'choose_shift{"shift_id": 3}' was heard as a cancellation (0.87): now "?", not understood."""
    assert vetted('/inform{"first_name": "<b>x</b>"}') == "?"
    assert vetted('/apply{"mission_id": 4}') == "?"
    assert vetted('  /choose_shift{"shift_id": 3}\n') == "?"
    assert vetted("/show_my_data") == "?"
    assert vetted('/choose_shift {"shift_id": 3}') == "?"
    assert vetted(OFFERED, sender="other") == as_text(OFFERED) == "?"


def test_without_a_tracker_store_nothing_is_trusted() -> None:
    class Broken:
        async def retrieve(self, sender_id: str) -> None:
            raise RuntimeError("database gone")

    assert vetted(OFFERED, store=Broken()) == as_text(OFFERED)


class SessionStore(Store):
    """A tracker store like Rasa's SQL one: ``retrieve`` reads the current session only, the full tracker all."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        events = list(self.tracker.events)
        starts = [i for i, event in enumerate(events) if isinstance(event, SessionStarted)]
        return DialogueStateTracker.from_events(sender_id, events[starts[-1] :] if starts else events)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        return self.tracker


def test_a_button_offered_in_an_earlier_session_still_passes() -> None:
    """Monday's dates tapped on Friday, after the session that showed them expired."""
    store = SessionStore([*EVENTS, SessionStarted(), UserUttered("bonsoir"), BotUttered("Bonsoir !")])
    assert vetted(OFFERED, store=store) == OFFERED
    assert vetted('/apply{"mission_id": 4}', store=store) == "?"
