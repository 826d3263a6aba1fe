"""Talk to the running Rasa server's HTTP API: make the assistant say something to a person.

The console uses it to deliver an invitation to a mission, privacy tools to send a notice:
``trigger_intent`` runs the intent's rule in the person's conversation and Rasa sends the
answer on the channel they last used (``output_channel=latest``), when that channel can push.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from bot.config import Settings, rasa_api_token
from bot.errors import AssistantUnavailableError

logger = logging.getLogger(__name__)


def rasa_url(settings: Settings) -> str:
    """Base URL of the Rasa server, as seen from this machine."""
    return f"http://127.0.0.1:{settings.rasa_port}"


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
        raise AssistantUnavailableError(f"l'assistant a refusé la demande (HTTP {response.status_code})")
    return list(response.json().get("messages", []))
