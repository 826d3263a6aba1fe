"""The website chat bubble's transport: a Rasa input channel over a plain WebSocket.

Declared in ``credentials.yml`` as ``bot.rasa.channels.chat_bubble.WebChatInput``; the Rasa server then
serves ``GET /webhooks/web/`` (health) and the WebSocket ``/webhooks/web/socket``. Only
pages whose ``Origin`` is in WIDGET_ALLOWED_ORIGINS may open it (403 otherwise).

Protocol, one JSON object per text frame (``docs/widget.md`` has the details)::

    client → {"type": "hello", "conversation": TOKEN or null}   first frame, always
    server ← {"type": "welcome", "conversation": TOKEN, "history": [...]}
    client → {"type": "start"}                greet a conversation that has no message yet
    client → {"type": "message", "text": "bonjour"}
    server ← {"type": "typing", "on": true} ... {"type": "bot", "text": ..., "buttons": [...]}
             ... {"type": "typing", "on": false}
    server ← {"type": "user", "text": ...}    what this visitor typed in another tab
    server ← {"type": "error", "code": ..., "text": "<polite French>"}

A conversation TOKEN is a random conversation id signed with the shared secret
(``bot.config.secret_key``): a visitor cannot reach another conversation by guessing or
altering one. History after a reload comes from Rasa's tracker store for that id.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from itsdangerous import BadSignature, Signer
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.constants import EXTERNAL_MESSAGE_PREFIX
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import Settings, secret_key, widget_allowed_origins
from bot.logs import pseudonym
from bot.rasa.channels import WEB_PREFIX
from bot.rasa.channels.delivery import HeldOutput
from bot.rasa.channels.payloads import tracker_store_of, vetted_text
from bot.rasa.channels.relay import Relay
from bot.texts import widget_texts

logger = logging.getLogger(__name__)

CHANNEL = "web"
CONVERSATION_PREFIX = WEB_PREFIX
MAX_TEXT_CHARS = 2000  # the bubble's text box stops there too
MAX_FRAME_BYTES = 16 * 1024  # larger frames are refused by the WebSocket layer itself (close code 1009)
HISTORY_LIMIT = 200  # messages sent back after a reload
HELLO_TIMEOUT_SECONDS = 10.0
BURST = 20  # messages a visitor may send at once (quick replies clicked fast) ...
REFILL_SECONDS = 1.0  # ... then one more every second: no person writes faster
START_PAYLOAD = "/greet"

Socket = Any  # sanic.server.websockets.impl.WebsocketImplProtocol


def _signer(key: bytes) -> Signer:
    return Signer(key, salt="bot.rasa.channels.chat_bubble.conversation")


def new_conversation_id() -> str:
    """A fresh, unguessable conversation id (Rasa's sender id for this visitor)."""
    return CONVERSATION_PREFIX + secrets.token_urlsafe(18)


def sign_conversation(key: bytes, conversation_id: str) -> str:
    """The token the browser keeps: the conversation id and its signature."""
    return _signer(key).sign(conversation_id).decode()


def verify_conversation(key: bytes, token: object) -> str | None:
    """The conversation id behind a token, or None when it is not one this server signed.

    Only the very token the server gave is accepted: the signature's last base64 character
    carries two unused bits, which the decoder ignores, so a few other endings would decode
    to the same signature.
    """
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        conversation_id = _signer(key).unsign(token).decode()
    except BadSignature:
        return None
    if not hmac.compare_digest(sign_conversation(key, conversation_id), token):
        return None
    return conversation_id if conversation_id.startswith(CONVERSATION_PREFIX) else None


class RateLimiter:
    """A token bucket per connection: a burst of messages, then one every few seconds."""

    def __init__(self, burst: int = BURST, refill_seconds: float = REFILL_SECONDS) -> None:
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.tokens = float(burst)
        self.last = time.monotonic()

    def allow(self) -> bool:
        """Take one token if there is one."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) / self.refill_seconds)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Connections:
    """The open sockets of each conversation (a visitor may have several tabs open).

    With a relay (several Rasa processes, bot.rasa.channels.relay), frames also go to the sockets
    of the conversation that other processes hold, and theirs come to this process's.
    """

    def __init__(self, relay: Relay | None = None) -> None:
        self._sockets: dict[str, set[Socket]] = {}
        self.relay = relay

    def add(self, conversation_id: str, socket: Socket) -> None:
        """Remember an open socket of a conversation."""
        self._sockets.setdefault(conversation_id, set()).add(socket)
        if self.relay is not None:
            self.relay.listen(self._send_here)

    def remove(self, conversation_id: str, socket: Socket) -> None:
        """Forget a closed socket."""
        sockets = self._sockets.get(conversation_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[conversation_id]

    async def send(self, conversation_id: str, frame: dict[str, Any], *, skip: Socket | None = None) -> int:
        """Send a frame to every open socket of a conversation; returns how many of this process's got it."""
        delivered = await self._send_here(conversation_id, frame, skip=skip)
        if self.relay is not None:
            await self.relay.publish(conversation_id, frame)
        return delivered

    async def _send_here(self, conversation_id: str, frame: dict[str, Any], *, skip: Socket | None = None) -> int:
        data = json.dumps(frame, ensure_ascii=False)
        delivered = 0
        for socket in list(self._sockets.get(conversation_id, ())):
            if socket is skip:
                continue
            try:
                await socket.send(data)
                delivered += 1
            except Exception:  # noqa: BLE001 - a socket closing mid-send is normal; it is removed on its own
                logger.debug("could not send to a closing socket of %s", pseudonym(conversation_id))
        return delivered


def _buttons(raw: object) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        return []
    return [
        {"title": str(button["title"]), "payload": str(button["payload"])}
        for button in raw
        if isinstance(button, dict) and "title" in button and "payload" in button
    ]


class WebChatOutput(OutputChannel):
    """Sends the assistant's messages to every open socket of the conversation."""

    @classmethod
    def name(cls) -> str:
        """Channel name, as stored with volunteers."""
        return CHANNEL

    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """One bubble per message; paragraphs stay inside it."""
        await self.connections.send(recipient_id, {"type": "bot", "text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Buttons become quick replies under the message."""
        await self.connections.send(recipient_id, {"type": "bot", "text": text, "buttons": _buttons(buttons)})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Images are not part of this assistant's answers; send the address as a link text."""
        await self.connections.send(recipient_id, {"type": "bot", "text": image})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """Custom payloads are not shown by the bubble."""
        logger.debug("custom payload for %s not shown by the bubble", pseudonym(recipient_id))


def history_of(events: list[dict[str, Any]], limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """The messages of a conversation, as the bubble shows them, from its tracker events.

    A button the visitor clicked was sent as its payload (``/affirm``): it is shown with the
    title it had; payloads that match no button (the bubble's opening ``/greet``) are hidden, and so
    are the intents the application pushed (a reminder, an invitation: ``EXTERNAL: shift_reminder``),
    which the person never wrote.
    """
    messages: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for event in events:
        kind = event.get("event")
        if kind == "user":
            text = str(event.get("text") or "")
            if text.startswith(EXTERNAL_MESSAGE_PREFIX):  # what the assistant was asked to say first (trigger_intent)
                continue
            if text.startswith("/"):
                if text not in titles:
                    continue
                text = titles[text]
            titles = {}
            messages.append({"from": "user", "text": text})
        elif kind == "bot":
            text = str(event.get("text") or "")
            buttons = _buttons((event.get("data") or {}).get("buttons"))
            if not text and not buttons:
                continue
            titles.update({button["payload"]: button["title"] for button in buttons})
            message: dict[str, Any] = {"from": "bot", "text": text}
            if buttons:
                message["buttons"] = buttons
            messages.append(message)
    return messages[-limit:]


class WebChatInput(InputChannel):
    """The chat bubble's WebSocket: origin check, signed conversation ids, history, bad input."""

    @classmethod
    def name(cls) -> str:
        """Channel name, as stored with volunteers ("web")."""
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build the channel from credentials.yml; anything missing comes from the settings."""
        credentials = credentials or {}
        settings = Settings.from_env()
        raw = str(credentials.get("allowed_origins") or "")
        origins = [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]
        return cls(
            allowed_origins=origins or widget_allowed_origins(settings),
            key=secret_key(settings),
            texts=widget_texts(settings.association_dir)["errors"],
            relay_url=settings.redis_url,
        )

    def __init__(
        self, *, allowed_origins: list[str], key: bytes, texts: dict[str, str] | None = None, relay_url: str = ""
    ) -> None:
        self.allowed_origins = frozenset(allowed_origins)
        self.key = key
        self.errors = texts or widget_texts()["errors"]
        self.connections = Connections(Relay(relay_url) if relay_url else None)

    def get_output_channel(self) -> OutputChannel | None:
        """Lets Rasa push messages (invitations from the console) to an open bubble."""
        return WebChatOutput(self.connections)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health route and the WebSocket route."""
        channel = self
        web = _WebChatBlueprint("web_chat", __name__)

        @web.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @web.middleware("request")
        async def check_origin(request: Request) -> HTTPResponse | None:
            # runs before the WebSocket handshake: a refused page never gets a connection
            if not request.path.endswith("/socket"):
                return None
            origin = request.headers.get("origin", "")
            if origin.rstrip("/") not in channel.allowed_origins:
                logger.warning("refused a chat bubble connection from origin %r", origin[:100])
                return response.json({"error": "origin not allowed"}, status=403)
            return None

        @web.websocket("/socket")
        async def socket(request: Request, ws: Socket) -> None:
            await Session(channel, ws, on_new_message, server=request.app.ctx).run()

        return web


class _WebChatBlueprint(Blueprint):
    """Caps WebSocket frames for the whole server when the channel is registered."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        app.config.WEBSOCKET_MAX_SIZE = MAX_FRAME_BYTES
        super().register(app, options)


class Session:
    """One open socket: hello, then messages until the visitor leaves."""

    def __init__(
        self,
        channel: WebChatInput,
        ws: Socket,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        *,
        server: Any = None,
    ) -> None:
        self.channel = channel
        self.server = server  # the Rasa server's context: its agent holds the tracker store
        self.ws = ws
        self.on_new_message = on_new_message
        self.conversation_id: str | None = None
        self.limiter = RateLimiter()
        self.connection = secrets.token_hex(4)  # names this socket in log lines

    async def send(self, frame: dict[str, Any]) -> None:
        """Send a frame on this socket only."""
        await self.ws.send(json.dumps(frame, ensure_ascii=False))

    async def error(self, code: str, **values: Any) -> None:
        """A polite French error on this socket."""
        await self.send({"type": "error", "code": code, "text": self.channel.errors[code].format(**values)})

    async def run(self) -> None:
        """Serve the socket until it closes; bad input never ends it with an exception.

        Frames are checked (and rate limited) as they arrive; the messages that pass wait in
        a short queue for the assistant, one at a time, so a flood is refused at once
        instead of piling up behind slow answers.
        """
        pending: asyncio.Queue[tuple[str, bool, object] | None] = asyncio.Queue(maxsize=BURST)
        worker: asyncio.Task[None] | None = None
        try:
            if await self.hello():
                worker = asyncio.create_task(self.work(pending))
                while True:
                    await self.receive(await self.ws.recv(), pending)
        except asyncio.CancelledError:
            if worker is not None:
                worker.cancel()
            raise
        except Exception as error:  # noqa: BLE001 - a socket closing is the normal end
            if type(error).__name__ not in ("ConnectionClosedOK", "ConnectionClosedError", "WebsocketClosed"):
                logger.exception("chat bubble connection %s ended by an error", self.connection)
        finally:
            if self.conversation_id is not None:
                self.channel.connections.remove(self.conversation_id, self.ws)
        if worker is not None:  # what the visitor sent before leaving is still answered (history)
            await pending.put(None)
            await worker

    async def work(self, pending: asyncio.Queue[tuple[str, bool, object] | None]) -> None:
        """Pass the queued messages to the assistant, one at a time."""
        while (item := await pending.get()) is not None:
            text, echo, label = item
            await self.handle(text, echo=echo, label=label)

    def parse(self, data: object) -> dict[str, Any] | None:
        """A frame as a JSON object, or None (logged) when it is not one."""
        if not isinstance(data, str):
            logger.info("chat bubble connection %s sent a binary frame", self.connection)
            return None
        try:
            frame = json.loads(data)
        except ValueError:
            logger.info("chat bubble connection %s sent malformed JSON (%d characters)", self.connection, len(data))
            return None
        if not isinstance(frame, dict):
            logger.info("chat bubble connection %s sent JSON that is not an object", self.connection)
            return None
        return frame

    async def hello(self) -> bool:
        """Expect the hello frame; answer with the conversation token and its history."""
        data = await self.ws.recv(timeout=HELLO_TIMEOUT_SECONDS)
        if data is None:
            logger.info("chat bubble connection %s said nothing; closed", self.connection)
            await self.ws.close(code=1008, reason="hello expected")
            return False
        frame = self.parse(data)
        if frame is None or frame.get("type") != "hello":
            await self.error("malformed")
            await self.ws.close(code=1008, reason="hello expected")
            return False
        token = frame.get("conversation")
        conversation_id = verify_conversation(self.channel.key, token) if token else None
        history: list[dict[str, Any]] = []
        if token and conversation_id is None:
            logger.warning("chat bubble connection %s offered a conversation id with a bad signature", self.connection)
            await self.error("conversation_refused")
        if conversation_id is None:
            conversation_id = new_conversation_id()
            logger.info("chat bubble connection %s starts conversation %s", self.connection, pseudonym(conversation_id))
        else:
            history = await self.history(conversation_id)
        self.conversation_id = conversation_id
        self.channel.connections.add(conversation_id, self.ws)
        await self.send(
            {
                "type": "welcome",
                "conversation": sign_conversation(self.channel.key, conversation_id),
                "history": history,
                "max_chars": MAX_TEXT_CHARS,
            }
        )
        return True

    def tracker_store(self) -> Any:
        """Rasa's tracker store, when the server has loaded its agent."""
        return tracker_store_of(self.server)

    async def history(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation so far, from Rasa's tracker store."""
        store = self.tracker_store()
        if store is None:
            return []
        try:
            tracker = await store.retrieve_full_tracker(conversation_id)
        except Exception:  # noqa: BLE001 - without history the conversation still goes on
            logger.exception("could not read the history of conversation %s", pseudonym(conversation_id))
            return []
        if tracker is None:
            return []
        return history_of([event.as_dict() for event in tracker.events])

    async def receive(self, data: object, pending: asyncio.Queue[tuple[str, bool, object] | None]) -> None:
        """Check one frame after the hello; queue the messages the assistant must answer."""
        frame = self.parse(data)
        if frame is None:
            await self.error("malformed")
            return
        kind = frame.get("type")
        if kind == "hello":
            return  # already said; harmless
        if kind not in ("message", "start"):
            logger.info("chat bubble connection %s sent an unknown frame type", self.connection)
            await self.error("unknown_type")
            return
        if kind == "start":
            item: tuple[str, bool, object] = (START_PAYLOAD, False, None)
        else:
            text = frame.get("text")
            if not isinstance(text, str) or not text.strip():
                logger.info("chat bubble connection %s sent a message without text", self.connection)
                await self.error("malformed")
                return
            if len(text) > MAX_TEXT_CHARS:
                logger.info("chat bubble connection %s sent %d characters; refused", self.connection, len(text))
                await self.error("too_long", limit=MAX_TEXT_CHARS)
                return
            item = (text, True, frame.get("label"))
        if not self.limiter.allow() or pending.full():
            logger.info("chat bubble connection %s sends too fast; message dropped", self.connection)
            await self.error("too_fast")
            return
        pending.put_nowait(item)

    async def handle(self, text: str, *, echo: bool, label: object = None) -> None:
        """Pass one message to Rasa; the answers go to every tab of this conversation."""
        assert self.conversation_id is not None
        connections = self.channel.connections
        if echo:
            shown = label if isinstance(label, str) and label and len(label) <= 200 else text
            await connections.send(self.conversation_id, {"type": "user", "text": shown}, skip=self.ws)
        await connections.send(self.conversation_id, {"type": "typing", "on": True})
        try:
            if echo:  # typed (or a button): payload syntax only as the assistant offered it
                text = await vetted_text(text, self.conversation_id, self.tracker_store())
            output = HeldOutput(
                WebChatOutput(connections)
            )  # shown once the turn is stored (bot.rasa.channels.delivery)
            await self.on_new_message(UserMessage(text, output, self.conversation_id, input_channel=CHANNEL))
            await output.deliver()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the visitor gets a polite answer, the server goes on
            logger.exception("the assistant failed on a message of conversation %s", pseudonym(self.conversation_id))
            await self.error("unavailable")
        finally:
            await connections.send(self.conversation_id, {"type": "typing", "on": False})
