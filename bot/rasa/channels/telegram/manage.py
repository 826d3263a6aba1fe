"""Setting Telegram up from the command line, and the long-polling forwarder.

Usage::

    asyncio.run(set_webhook(settings, "https://benevoles.example.org"))   # registers .../webhooks/telegram/webhook
    asyncio.run(delete_webhook(settings))
    asyncio.run(webhook_status(settings))
    asyncio.run(forward_updates(settings, "http://127.0.0.1:5005/webhooks/telegram/webhook"))

The poller asks Telegram for updates (getUpdates, long polling) and posts each one, with the
webhook secret, to the Rasa server's Telegram webhook: one processing path for both modes
(same checks, same once-only recording, same answers). An update is acknowledged to Telegram
(the next getUpdates offset) only once the webhook accepted or refused it; if the Rasa server
is unreachable the poller waits and tries the same update again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from telegram import Bot, BotCommand
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.config import Settings
from bot.errors import BotError
from bot.rasa.channels.telegram.api import call_api, make_bot, retry_seconds, webhook_secret
from bot.rasa.channels.telegram.texts import load_texts

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
POLL_TIMEOUT = 25  # seconds Telegram holds a getUpdates call open
RETRY_DELAY = 3.0  # seconds before retrying after a failure


class TelegramSetupError(BotError):
    """Telegram cannot be set up as asked (no token, refused token, wrong URL...)."""


@dataclass(frozen=True)
class WebhookStatus:
    """What Telegram says about the bot and its webhook."""

    username: str
    url: str
    pending_updates: int
    last_error: str | None


def checked_secret(settings: Settings) -> str:
    """The webhook secret, checked against what Telegram accepts."""
    secret = webhook_secret(settings)
    if not SECRET_RE.fullmatch(secret):
        raise TelegramSetupError(
            "TELEGRAM_WEBHOOK_SECRET ne peut contenir que des lettres, des chiffres, _ et - (256 au plus)"
        )
    return secret


def local_webhook_url(settings: Settings) -> str:
    """The Telegram webhook of the Rasa server on this machine (what the poller feeds)."""
    return f"http://127.0.0.1:{settings.rasa_port}{WEBHOOK_PATH}"


def public_webhook_url(url: str) -> str:
    """The URL to register: HTTPS, and the webhook path added when only the site's address is given."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise TelegramSetupError(
            f"Telegram n'appelle que des adresses en https:// publiques ; reçu « {url} ». "
            "Sans adresse publique, utilisez « bot telegram poll »."
        )
    path = parts.path if parts.path not in ("", "/") else WEBHOOK_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[tuple[Bot, str]]:
    """A Bot API client whose token Telegram accepted, and the bot's username; clear errors otherwise."""
    if not settings.telegram_token:
        raise TelegramSetupError(
            "TELEGRAM_TOKEN est vide : indiquez le jeton donné par @BotFather (voir docs/telegram.md)"
        )
    bot = make_bot(settings.telegram_token, settings.telegram_api_url)
    try:
        try:
            me = await bot.get_me()
        except InvalidToken as error:
            raise TelegramSetupError(
                "Telegram refuse ce jeton (TELEGRAM_TOKEN) : vérifiez-le auprès de @BotFather"
            ) from error
        except TelegramError as error:
            raise TelegramSetupError(
                f"Telegram ne répond pas ({type(error).__name__}) : réessayez plus tard"
            ) from error
        yield bot, me.username or ""
    finally:
        await bot.shutdown()


async def _set_commands(bot: Bot, settings: Settings) -> None:
    """The command menu shown next to the message field, in French (descriptions from telegram.yml)."""
    commands = [
        BotCommand(name, description) for name, description in load_texts(settings.association_dir).commands.items()
    ]
    await call_api(lambda: bot.set_my_commands(commands), what="setMyCommands")


async def set_webhook(settings: Settings, url: str, *, drop_pending_updates: bool = False) -> str:
    """Register the webhook with its secret and the command menu; returns the registered URL."""
    target = public_webhook_url(url)
    secret = checked_secret(settings)
    async with connected(settings) as (bot, _):
        try:
            await bot.set_webhook(
                target,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=drop_pending_updates,
            )
        except TelegramError as error:
            raise TelegramSetupError(f"Telegram a refusé le webhook : {error}") from error
        await _set_commands(bot, settings)
    logger.info("Telegram webhook registered")
    return target


async def delete_webhook(settings: Settings) -> None:
    """Remove the webhook (updates then wait for getUpdates: ``bot telegram poll``)."""
    async with connected(settings) as (bot, _):
        try:
            await bot.delete_webhook()
        except TelegramError as error:
            raise TelegramSetupError(f"Telegram a refusé : {error}") from error


async def webhook_status(settings: Settings) -> WebhookStatus:
    """The bot's username and what Telegram knows about its webhook."""
    async with connected(settings) as (bot, username):
        info = await bot.get_webhook_info()
    return WebhookStatus(username, info.url or "", info.pending_update_count, info.last_error_message)


async def forward_updates(settings: Settings, webhook_url: str, *, stop: asyncio.Event | None = None) -> None:
    """Long polling: fetch updates from Telegram and post each one to the local webhook, until ``stop``."""
    stop = stop or asyncio.Event()
    secret = checked_secret(settings)
    async with connected(settings) as (bot, _), httpx.AsyncClient(timeout=30, trust_env=False) as client:
        info = await bot.get_webhook_info()
        if info.url:
            raise TelegramSetupError(
                "un webhook est déjà enregistré pour ce bot : Telegram ne donne pas les messages aux deux. "
                "Supprimez-le d'abord avec « bot telegram delete-webhook »."
            )
        await _set_commands(bot, settings)
        offset: int | None = None
        while not stop.is_set():
            updates = await _next_updates(bot, offset, stop)
            for update in updates:
                while not stop.is_set() and not await _deliver(client, webhook_url, secret, update.to_dict()):
                    await _sleep(stop, RETRY_DELAY)
                if stop.is_set():
                    break
                offset = update.update_id + 1


async def _next_updates(bot: Bot, offset: int | None, stop: asyncio.Event) -> tuple:
    try:
        poll = bot.get_updates(offset=offset, timeout=POLL_TIMEOUT, allowed_updates=list(ALLOWED_UPDATES))
        waiter = asyncio.ensure_future(stop.wait())
        fetch = asyncio.ensure_future(poll)
        done, _ = await asyncio.wait({waiter, fetch}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if fetch not in done:
            fetch.cancel()
            return ()
        return tuple(fetch.result())
    except RetryAfter as error:
        await _sleep(stop, retry_seconds(error))
    except Conflict as error:
        raise TelegramSetupError(
            "Telegram refuse : un autre programme lit déjà les messages de ce bot (webhook ou autre « poll »)."
        ) from error
    except InvalidToken as error:
        raise TelegramSetupError("Telegram refuse ce jeton (TELEGRAM_TOKEN)") from error
    except (NetworkError, TelegramError) as error:
        logger.warning("getUpdates failed (%s): retrying in %.0f s", type(error).__name__, RETRY_DELAY)
        await _sleep(stop, RETRY_DELAY)
    return ()


async def _deliver(client: httpx.AsyncClient, webhook_url: str, secret: str, update: dict) -> bool:
    """Post one update to the webhook; True when it was accepted or refused for good (not to be retried)."""
    update_id = update.get("update_id")
    try:
        answer = await client.post(webhook_url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret})
    except httpx.HTTPError as error:
        logger.warning("update %s not delivered to the assistant (%s): retrying", update_id, type(error).__name__)
        return False
    if answer.status_code in (403, 404):
        raise TelegramSetupError(
            f"le serveur Rasa refuse les mises à jour Telegram (HTTP {answer.status_code}) : "
            "vérifiez TELEGRAM_TOKEN et TELEGRAM_WEBHOOK_SECRET"
        )
    if answer.status_code >= 500:
        logger.warning("update %s: the assistant answered HTTP %s, retrying", update_id, answer.status_code)
        return False
    if answer.status_code >= 400:
        logger.warning("update %s refused by the webhook (HTTP %s): skipped", update_id, answer.status_code)
    return True


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
