"""Talk to the running Rasa server's HTTP API: make the assistant say something to a person.

The console uses it to deliver an invitation to a mission, privacy tools to send a notice:
``trigger_intent`` runs the intent's rule in the person's conversation and Rasa sends the
answer on the channel they last used (``output_channel=latest``), when that channel can push.
A staff member who takes a conversation over (``bot.takeover``) writes through
``append_events``: Rasa stores the events in the conversation and sends its bot messages on
that same channel; ``tracker_events`` reads the conversation back, ``execute`` runs one action.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from bot.config import Settings, rasa_api_token
from bot.errors import AssistantUnavailableError, ConversationRefusedError

logger = logging.getLogger(__name__)
# What Rasa answers when it cannot work at all (loading, its token refused, no model); any other
# error concerns the one conversation asked about.
UNAVAILABLE = frozenset({401, 403, 404, 502, 503, 504})


def rasa_url(settings: Settings) -> str:
    """Base URL of the Rasa server, as seen from this machine."""
    return f"http://127.0.0.1:{settings.rasa_port}"


def _call(
    settings: Settings, method: str, path: str, *, what: str, params: dict[str, str] | None = None, body: Any = None
) -> Any:
    """One call to Rasa's HTTP API with its token; AssistantUnavailableError when it does not answer 200."""
    url = f"{rasa_url(settings)}{path}"
    query = {"token": rasa_api_token(settings), **(params or {})}
    try:
        response = httpx.request(method, url, params=query, json=body, timeout=30)
    except httpx.HTTPError as error:
        raise AssistantUnavailableError(f"l'assistant ne répond pas ({type(error).__name__})") from error
    if response.status_code != 200:
        logger.warning("%s refused with HTTP %s", what, response.status_code)
        raise AssistantUnavailableError(f"l'assistant a refusé la demande (HTTP {response.status_code})")
    return response.json()


def _conversation(sender_id: str) -> str:
    return f"/conversations/{quote(sender_id, safe='')}"


def append_events(settings: Settings, *, sender_id: str, events: list[dict[str, Any]]) -> None:
    """Add ``events`` to the conversation; its bot messages go to the person's latest channel."""
    params = {"output_channel": "latest", "execute_side_effects": "true", "include_events": "NONE"}
    path = f"{_conversation(sender_id)}/tracker/events"
    _call(settings, "POST", path, what="append events", params=params, body=events)


def tracker_events(settings: Settings, *, sender_id: str, events: str = "ALL") -> dict[str, Any]:
    """The conversation as Rasa holds it: paused or not, its slots, active form and ``events`` (ALL or NONE)."""
    result = _call(
        settings, "GET", f"{_conversation(sender_id)}/tracker", what="read tracker", params={"include_events": events}
    )
    return dict(result)


def execute(settings: Settings, *, sender_id: str, action: str) -> None:
    """Run one action in the conversation (its messages go to the person's latest channel)."""
    _call(
        settings,
        "POST",
        f"{_conversation(sender_id)}/execute",
        what=f"execute {action}",
        params={"output_channel": "latest", "include_events": "NONE"},
        body={"name": action},
    )


def trigger_intent(
    settings: Settings,
    *,
    sender_id: str,
    intent: str,
    entities: dict[str, Any] | None = None,
    output_channel: str = "latest",
) -> list[dict[str, Any]]:
    """Inject ``intent`` into the conversation of ``sender_id``; returns the assistant's messages."""
    url = f"{rasa_url(settings)}/conversations/{quote(sender_id, safe='')}/trigger_intent"
    params = {"token": rasa_api_token(settings), "output_channel": output_channel}
    try:
        response = httpx.post(url, params=params, json={"name": intent, "entities": entities or {}}, timeout=30)
    except httpx.HTTPError as error:
        raise AssistantUnavailableError(f"l'assistant ne répond pas ({type(error).__name__})") from error
    if response.status_code != 200:
        logger.warning("trigger_intent %s refused with HTTP %s", intent, response.status_code)
        refused = ConversationRefusedError if response.status_code not in UNAVAILABLE else AssistantUnavailableError
        raise refused(f"l'assistant a refusé la demande (HTTP {response.status_code})")
    return list(response.json().get("messages", []))
