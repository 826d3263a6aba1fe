"""The Telegram input channel of the Rasa server (python-telegram-bot 22, not Rasa's aiogram channel).

Declared in ``credentials.yml``::

    bot.rasa.channels.telegram.TelegramInput:
      token: ${TELEGRAM_TOKEN}
      webhook_secret: ${TELEGRAM_WEBHOOK_SECRET}
      api_url: ${TELEGRAM_API_URL}

It serves ``GET /webhooks/telegram/`` (health) and ``POST /webhooks/telegram/webhook``.
A webhook call is checked (secret header, size, JSON, update id) and recorded so that a
redelivered update is answered once; the update is processed one at a time per chat, in the
order received, and the webhook answers Telegram once the volunteer has had the assistant's
reply (or after :data:`ANSWER_WITHIN` seconds, the work going on). An update whose processing
was cut short, the Rasa server stopped in the middle of the turn, thus got no answer: Telegram
delivers it again and, recorded but never marked handled, it is processed again
(:mod:`bot.store.telegram_updates`). While no model is loaded, an update is answered 503 and
not recorded: Telegram keeps it and delivers it again (as it does while the Rasa server loads
its model, :mod:`bot.rasa.loading`). With an empty token the
channel is off: the Rasa server starts, the other channels work, the webhook answers 404.
Nothing here talks to Telegram before an update arrives: ``bot telegram set-webhook``
registers the webhook, ``bot telegram poll`` feeds this same webhook from getUpdates.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update

from bot.config import Settings, get_settings
from bot.logs import pseudonym
from bot.rasa.channels.delivery import HeldOutput
from bot.rasa.channels.payloads import agent_ready, tracker_store_of, vetted_text
from bot.rasa.channels.telegram.api import bot_id, make_bot, webhook_secret
from bot.rasa.channels.telegram.output import ButtonPayloads, TelegramOutput
from bot.rasa.channels.telegram.texts import TelegramTexts, load_texts
from bot.rasa.channels.telegram.updates import (
    COMMAND_INTENTS,
    Ignore,
    Reply,
    SharedLocation,
    Step,
    ToAssistant,
    interpret,
)
from bot.rasa.loading import RETRY_AFTER
from bot.store.telegram_updates import Seen

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 256 * 1024  # real updates are a few kilobytes
PRUNE_EVERY = 3600.0  # seconds between two clean-ups of old update ids
RECENT_IN_MEMORY = 10_000
MAX_UPDATE_ID = 2**52  # Telegram's identifiers have at most 52 significant bits; the database keeps 63
ANSWER_WITHIN = 20.0  # seconds the webhook waits for the turn before answering Telegram anyway


def ids_are_numbers(update: Update) -> bool:
    """True when the update's chat and sender, if any, have whole-number ids, as Telegram's always do."""
    for entity in (update.effective_chat, update.effective_user):
        identifier = getattr(entity, "id", 0)
        if not isinstance(identifier, int) or isinstance(identifier, bool):
            return False
    return True


class TelegramInput(InputChannel):
    """Receives Telegram updates (webhook, or forwarded by the poller) and answers through the Bot API."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        """Build the channel from credentials.yml; empty values fall back to the settings."""
        credentials = credentials or {}
        settings = get_settings()
        token = str(credentials.get("token") or settings.telegram_token or "").strip()
        secret = str(credentials.get("webhook_secret") or "").strip()
        api_url = str(credentials.get("api_url") or settings.telegram_api_url).strip()
        return cls(token=token, secret=secret, api_url=api_url, settings=settings)

    def __init__(self, *, token: str, secret: str = "", api_url: str, settings: Settings) -> None:
        self.settings = settings
        self.token = token
        self.bot = make_bot(token, api_url) if token else None
        self.bot_id = bot_id(token)
        self.secret = (secret or webhook_secret(settings)) if token else ""
        self.texts: TelegramTexts | None = load_texts(settings.association_dir) if token else None
        self.payloads = ButtonPayloads()
        # Payloads the channel itself puts behind buttons and commands: allowed besides the assistant's.
        own = {button["payload"] for button in self.texts.help_buttons} if self.texts else set()
        self.own_payloads = frozenset(own | set(COMMAND_INTENTS.values()))
        self._recent: OrderedDict[int, None] = OrderedDict()  # update ids handled (or being handled) here
        self._chat_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_prune = 0.0
        if self.bot is None:
            logger.info("Telegram is off: TELEGRAM_TOKEN is empty")

    def get_output_channel(self) -> OutputChannel | None:
        """Lets Rasa push to Telegram (trigger_intent with output_channel=latest): invitations."""
        return TelegramOutput(self.bot, self.payloads) if self.bot is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The health and webhook routes."""
        telegram_webhook = Blueprint("bot_telegram_webhook", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "enabled": self.bot is not None})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        return telegram_webhook

    # --- receiving ------------------------------------------------------------------------

    async def receive(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        """Check one webhook call, record its update and answer at once; the work goes on in the background."""
        if self.bot is None or self.texts is None:
            logger.warning("a Telegram webhook call arrived but Telegram is off (TELEGRAM_TOKEN is empty)")
            return response.json({"error": "telegram channel disabled"}, status=404)
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            logger.warning("Telegram webhook call refused: %s secret", "wrong" if given else "missing")
            return response.json({"error": "forbidden"}, status=403)
        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            logger.warning("Telegram webhook call refused: body of %d bytes is too large", len(body))
            return response.json({"error": "payload too large"}, status=413)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested thousands deep
            logger.warning("Telegram webhook call refused: the body is not JSON")
            return response.json({"error": "malformed JSON"}, status=400)
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < MAX_UPDATE_ID:
            logger.warning("Telegram webhook call refused: no update id")
            return response.json({"error": "not a Telegram update"}, status=400)
        if not agent_ready(request.app.ctx):  # no model to answer with: Telegram delivers it again later
            logger.warning("update %s not taken: no model is loaded; Telegram will deliver it again", update_id)
            return response.json({"status": "loading"}, status=503, headers={"Retry-After": RETRY_AFTER})
        if not await self._to_handle(update_id):
            logger.info("update %s received again: already handled, ignored", update_id)
            return response.json({"status": "duplicate"})
        try:
            update = Update.de_json(data, self.bot)
            if not ids_are_numbers(update):  # a chat id "victim" would address a REST conversation
                logger.warning(
                    "Telegram webhook call refused: update %s has a chat or user id that is not a number", update_id
                )
                self._spawn(self._mark_handled(update_id))
                return response.json({"error": "not a Telegram update"}, status=400)
            step = interpret(update, self.texts)
        except Exception as error:  # noqa: BLE001 - anything unreadable is logged and acknowledged
            logger.warning("update %s could not be read (%s): ignored", update_id, type(error).__name__)
            self._spawn(self._mark_handled(update_id))
            return response.json({"status": "ignored"})
        if isinstance(step, Ignore):
            logger.info("update %s ignored: %s", update_id, step.reason)
            if step.callback_query_id:
                self._spawn(TelegramOutput(self.bot, self.payloads).answer_button(step.callback_query_id))
            self._spawn(self._mark_handled(update_id))
            return response.json({"status": "ignored"})
        work = self._spawn(self._handle(update_id, step, on_new_message, tracker_store_of(request.app.ctx)))
        # Answer Telegram once the turn is done: if this process stops meanwhile, Telegram gets no
        # answer and delivers the update again. The work is not cancelled if the call is.
        done, _ = await asyncio.wait({work}, timeout=ANSWER_WITHIN)
        return response.json({"status": "handled" if done else "accepted"})

    async def _to_handle(self, update_id: int) -> bool:
        """True when the update is to be processed: first seen, or recorded but cut short by a stop."""
        if update_id in self._recent:  # handled here, or being handled: Telegram did not wait for the answer
            return False
        self._recent[update_id] = None
        while len(self._recent) > RECENT_IN_MEMORY:
            self._recent.popitem(last=False)
        try:
            seen = await asyncio.to_thread(self._remember, update_id)
        except SQLAlchemyError as error:
            # Better to answer than to make Telegram redeliver forever; memory still stops repeats.
            logger.error("update %s not recorded in the database (%s)", update_id, type(error).__name__)
            return True
        if seen is Seen.UNFINISHED:
            logger.warning("update %s was received before a stop and never answered: processed now", update_id)
        return seen is not Seen.HANDLED

    def _remember(self, update_id: int) -> Seen:
        from bot.store import telegram_updates
        from bot.store.session import session_scope

        with session_scope(self.settings.database_url) as session:
            seen = telegram_updates.remember(session, bot_id=self.bot_id, update_id=update_id)
        if time.monotonic() - self._last_prune > PRUNE_EVERY:
            self._last_prune = time.monotonic()
            with session_scope(self.settings.database_url) as session:
                pruned = telegram_updates.prune(session)
            logger.info("forgot %d Telegram update ids older than a week", pruned)
        return seen

    async def _mark_handled(self, update_id: int) -> None:
        """Record that the update needs nothing more: a redelivery of it is a duplicate."""
        from bot.store import telegram_updates
        from bot.store.session import session_scope

        def mark() -> None:
            with session_scope(self.settings.database_url) as session:
                telegram_updates.mark_handled(session, bot_id=self.bot_id, update_id=update_id)

        try:
            await asyncio.to_thread(mark)
        except SQLAlchemyError as error:  # memory still stops repeats in this process
            logger.error("update %s not marked handled in the database (%s)", update_id, type(error).__name__)

    def _spawn(self, work: Awaitable[None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- processing -----------------------------------------------------------------------

    async def _handle(
        self,
        update_id: int,
        step: Step,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        tracker_store: Any = None,
    ) -> None:
        """Process one update in its chat's turn; failures are logged and answered politely."""
        assert self.bot is not None and self.texts is not None
        output = TelegramOutput(self.bot, self.payloads)
        chat_id = getattr(step, "chat_id", None)
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock()) if chat_id is not None else asyncio.Lock()
        callback_query_id = getattr(step, "callback_query_id", None)
        if callback_query_id:  # at once, not after the chat's previous turn: it stops the button's spinner
            self._spawn(output.answer_button(callback_query_id))
        async with lock:
            try:
                await self._process(update_id, step, output, on_new_message, tracker_store)
            except Exception as error:  # noqa: BLE001 - one bad update must not stop the others
                logger.error(
                    "update %s for chat %s failed: %s", update_id, pseudonym(chat_id), type(error).__name__,
                    exc_info=logger.isEnabledFor(logging.DEBUG),
                )  # fmt: skip
                if chat_id is not None:
                    await output.send(chat_id, self.texts.unavailable)
            await self._mark_handled(update_id)  # answered, or apologised for: not to be processed again

    async def _process(
        self,
        update_id: int,
        step: Step,
        output: TelegramOutput,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        tracker_store: Any = None,
    ) -> None:
        assert self.texts is not None
        if isinstance(step, SharedLocation):
            step = await self._place_from_location(step)
        if isinstance(step, Reply):
            logger.info("update %s for chat %s answered by the channel", update_id, pseudonym(step.chat_id))
            await output.send(step.chat_id, step.text, step.buttons)
            return
        if isinstance(step, ToAssistant):
            text: str | None = step.text
            if step.callback_query_id:  # the data behind a button is what the client sent: vetted as typed text
                text = self.payloads.payload_for(step.text)
                if text is None:
                    await output.send(step.chat_id, self.texts.expired_button)
                    return
                text = await vetted_text(text, str(step.chat_id), tracker_store, self.own_payloads)
            logger.info("update %s for chat %s goes to the assistant", update_id, pseudonym(step.chat_id))
            await output.typing(step.chat_id)
            held = HeldOutput(output)  # sent once the turn is stored (bot.rasa.channels.delivery)
            await on_new_message(
                UserMessage(
                    text,
                    held,
                    str(step.chat_id),
                    input_channel=self.name(),
                    message_id=f"telegram-{update_id}",
                    metadata={"telegram_update_id": update_id},
                )
            )
            await held.deliver()

    async def _place_from_location(self, step: SharedLocation) -> Step:
        """A shared location as the volunteer's commune (the nearest one), or a polite answer."""
        from bot.understanding.places import nearest_place

        assert self.texts is not None
        place = await asyncio.to_thread(nearest_place, step.latitude, step.longitude)
        if place is None:
            return Reply(step.chat_id, self.texts.location_not_found)
        return ToAssistant(step.chat_id, "/inform" + json.dumps({"place": place.to_slot()}, ensure_ascii=False))
