"""The REST channel for integrations and tests, checked before anything reaches Rasa.

Declared in ``credentials.yml`` as ``bot.rasa.channels.rest.CheckedRestInput``; it serves Rasa's
usual routes and contract::

    GET  /webhooks/rest/            {"status": "ok"} (503 {"status": "loading"} while warming up)
    POST /webhooks/rest/webhook     {"sender": "...", "message": "..."}
         → [{"recipient_id": "...", "text": "...", "buttons": [...]}, ...]

What Rasa's own ``rest`` channel lets through, and this one refuses with a clear JSON error:

- 401 without the channel's token (``Authorization: Bearer REST_TOKEN``). While
  REST_TOKEN is empty (development), only requests from this machine that no proxy
  forwarded are served (403 otherwise).
- 400 for a body that is not a JSON object, a missing, empty, over-long or oddly spelled
  sender, a message that is not text; 413 for a body over :data:`MAX_BODY_BYTES`.
- 403 for a sender id of another channel (the bubble's ``web-…``, a Telegram chat number):
  a conversation belongs to the channel that started it.

A message over :data:`MAX_TEXT_CHARS` (the chat bubble's limit) is not read: the person is
asked, politely and in the usual answer format, to shorten it. Any other message is passed
on as the REST channel's (a client cannot claim another input channel or metadata), with
typed payload syntax read as words unless it is a button the assistant offered
(:mod:`bot.rasa.channels.payloads`). A turn that fails (the conversation could not be read or
stored: ``bot.rasa.tracker_store``) is answered, in the usual format, with the bubble's polite
"problème technique, réessayez" (``unavailable`` in widget.yml), never with nothing and never
with answers the conversation does not hold. Nothing a person wrote is logged.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import Settings
from bot.logs import pseudonym
from bot.rasa.channels import owner_of
from bot.rasa.channels.framing import guard_framing
from bot.rasa.channels.payloads import tracker_store_of, vetted_text
from bot.rasa.channels.warm_up import is_warm, register_warm_up
from bot.texts import widget_texts

logger = logging.getLogger(__name__)

CHANNEL = "rest"
MAX_TEXT_CHARS = 2000  # as the chat bubble (bot.rasa.channels.chat_bubble)
MAX_BODY_BYTES = 64 * 1024  # 2,000 characters as JSON escapes them (12 bytes an emoji), and room to spare
MAX_SENDER_CHARS = 128
SENDER_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@")
NOT_AN_OBJECT = 'the body must be a JSON object: {"sender": "...", "message": "..."}'
# Any of these says a proxy or a tunnel passed the request on: without REST_TOKEN, not served.
# (A proxy that adds none of them cannot be told apart: set REST_TOKEN whenever one is in front.)
FORWARDING_HEADERS = (
    "x-forwarded-for", "forwarded", "x-real-ip", "via", "x-forwarded-proto", "x-forwarded-host",
    "x-forwarded-port", "x-forwarded-server", "x-original-forwarded-for", "x-client-ip", "client-ip",
    "true-client-ip", "cf-connecting-ip", "fastly-client-ip", "x-cluster-client-ip",
)  # fmt: skip


class RequestRefused(Exception):
    """A request this channel does not serve: its status and a message for the integrator."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_access(request: Request, token: str) -> None:
    """Refuse a request without the channel's token (or, without one, from another machine)."""
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise RequestRefused(401, "missing or wrong token: send 'Authorization: Bearer <REST_TOKEN>'")
        return
    forwarded = any(header in request.headers for header in FORWARDING_HEADERS)
    if forwarded or not _is_loopback(request.ip):
        raise RequestRefused(403, "the REST channel answers other machines only with a token: set REST_TOKEN")


def read_message(body: bytes) -> tuple[str, str]:
    """The sender id and the message of a request body, or :class:`RequestRefused`."""
    if len(body) > MAX_BODY_BYTES:
        raise RequestRefused(413, f"body over {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: arrays nested thousands deep
        raise RequestRefused(400, NOT_AN_OBJECT) from None
    if not isinstance(data, dict):
        raise RequestRefused(400, NOT_AN_OBJECT)
    sender = data.get("sender")
    if not isinstance(sender, str) or not sender:
        raise RequestRefused(400, "'sender' must be a non-empty string: the id of the conversation")
    if len(sender) > MAX_SENDER_CHARS or not set(sender) <= SENDER_CHARACTERS:
        raise RequestRefused(
            400, f"'sender' must be at most {MAX_SENDER_CHARS} characters among letters, digits and - _ . : @"
        )
    if set(sender) == {"."}:  # "." and "..": a path segment, not an id, in the addresses of Rasa's API
        raise RequestRefused(400, "'sender' cannot be made of dots only")
    if owner_of(sender) != CHANNEL:
        raise RequestRefused(403, "this sender id belongs to another channel's conversations")
    message = data.get("message")
    if not isinstance(message, str):
        raise RequestRefused(400, "'message' must be a string")
    return sender, message


class CheckedRestInput(InputChannel):
    """Rasa's REST contract, with access, size, shape and ownership checked first."""

    @classmethod
    def name(cls) -> str:
        """Channel name: the routes are under /webhooks/rest/."""
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel from credentials.yml (``token: ${REST_TOKEN}``) or the settings."""
        credentials = credentials or {}
        settings = Settings.from_env()
        token = str(credentials.get("token") or "").strip() or settings.rest_token
        errors = widget_texts(settings.association_dir)["errors"]
        return cls(token=token, too_long=errors["too_long"], unavailable=errors["unavailable"])

    def __init__(self, *, token: str = "", too_long: str | None = None, unavailable: str | None = None) -> None:
        self.token = token
        self.too_long = (too_long or widget_texts()["errors"]["too_long"]).format(limit=MAX_TEXT_CHARS)
        self.unavailable = unavailable or widget_texts()["errors"]["unavailable"]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health and webhook routes."""
        rest = Blueprint("bot_rest_webhook", __name__)
        guard_framing(rest)  # for every route of the Rasa server, not only these (bot.rasa.channels.framing)
        register_warm_up(rest)  # the first volunteer does not pay for the model's first run

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not is_warm(request.app):
                return response.json({"status": "loading"}, status=503)
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                check_access(request, self.token)
                sender, message = read_message(request.body or b"")
            except RequestRefused as refused:
                logger.info("REST request refused (%d): %s", refused.status, refused.message)
                return response.json({"error": refused.message}, status=refused.status)
            if len(message) > MAX_TEXT_CHARS:
                logger.info("REST message of %d characters not read", len(message))
                return response.json([{"recipient_id": sender, "text": self.too_long}])
            text = await vetted_text(message, sender, tracker_store_of(request.app.ctx))
            return response.json(await self.answer(on_new_message, sender, text))

        return rest

    async def answer(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], sender: str, text: str
    ) -> list[dict[str, Any]]:
        """The assistant's messages for one turn, or the polite apology when the turn failed."""
        collector = CollectingOutputChannel()
        try:
            await on_new_message(UserMessage(text, collector, sender, input_channel=CHANNEL))
        except asyncio.CancelledError:
            logger.error("REST message of %s timed out", pseudonym(sender))
        except Exception as error:  # noqa: BLE001 - the person is told, the server goes on
            logger.error("REST message of %s failed: %s", pseudonym(sender), type(error).__name__)
        else:
            return collector.messages
        # the turn was not stored: what it said so far is not part of the conversation
        return [{"recipient_id": sender, "text": self.unavailable}]
