"""A takeover as people live it: a coordinator in the console (Chromium) answers a volunteer who talks
through the chat bubble (Chromium too, another browser context) and one who talks through Telegram
(updates posted to the real webhook, answers read from the Bot API stand-in). The real Rasa server,
action server and web app run as `make run` runs them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.config import Settings
from bot.store import models
from bot.store.session import session_scope
from tests.bot.chat_bubble.test_in_a_browser import SHADOW, bot_count, open_bubble, say
from tests.bot.console.conftest import TAKEOVER_STAFF, TAKEOVER_TELEGRAM, TakeoverServers
from tests.bot.rasa.channels.telegram import telegram_json as tg
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn

pytestmark = pytest.mark.e2e

STAFF = TAKEOVER_STAFF
TELEGRAM_SECRET = TAKEOVER_TELEGRAM[1]
DELIVERY = 2.0  # seconds: a staff message reaches the person within this (the target)


@dataclass
class Live:
    settings: Settings
    web: str
    standin: BotAPIStandIn

    def telegram(self, chat_id: int, text: str) -> None:
        url = f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/telegram/webhook"
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        assert requests.post(url, json=tg.text(chat_id, text), headers=headers, timeout=60).status_code == 200


@pytest.fixture()
def live(takeover_servers: TakeoverServers) -> Live:
    return Live(takeover_servers.settings, takeover_servers.web, takeover_servers.standin)


@pytest.fixture()
def console(browser: Any, live: Live) -> Iterator[Any]:
    """A coordinator logged in to the console, in their own browser context."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live.web}/console/login")
    page.get_by_label("Adresse e-mail").fill(STAFF[0])
    page.get_by_label("Mot de passe").fill(STAFF[1])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live.web}/console/")
    yield page
    context.close()


def handoff_id(settings: Settings, sender_id: str) -> int:
    with session_scope(settings.database_url) as session:
        return int(session.query(models.HandoffRequest).filter_by(sender_id=sender_id).one().id)


def bubble_texts(page: Any) -> list[str]:
    return list(page.locator(".message.bot .text").all_inner_texts())


def wait_bubble(page: Any, words: str, timeout_s: float = DELIVERY) -> float:
    """Seconds until a bot message holding ``words`` shows in the bubble."""
    started = time.monotonic()
    page.wait_for_function(
        f"(words) => Array.from({SHADOW}.querySelectorAll('.message.bot .text'))"
        ".some(e => e.textContent.includes(words))",
        arg=words,
        timeout=timeout_s * 1000,
    )
    return time.monotonic() - started


def test_a_coordinator_answers_in_the_chat_bubble(live: Live, page: Any, console: Any) -> None:
    open_bubble(page, f"{live.web}/")
    answer = say(page, "je voudrais parler à quelqu'un de l'équipe")
    assert "équipe" in answer
    sender_id = page.evaluate(
        "(key) => localStorage.getItem(key)", f"entraide-widget:http://127.0.0.1:{live.settings.rasa_port}"
    )
    sender_id = sender_id.rsplit(".", 1)[0]

    request = handoff_id(live.settings, sender_id)
    console.goto(f"{live.web}/console/handoffs")
    console.locator(f'a[href="/console/handoffs/{request}"]', has_text="Ouvrir et répondre").click()
    console.wait_for_url(f"{live.web}/console/conversations/handoff/{request}")
    console.get_by_role("button", name="Prendre la main").click()
    console.get_by_text("Vous tenez la conversation").first.wait_for()
    wait_bubble(page, "Claire, de l'équipe, a rejoint la conversation")

    # The assistant is silent; what the volunteer writes shows in the console without a reload.
    before = bot_count(page)
    page.get_by_label("Votre message").fill("Merci ! Est-ce qu'on peut venir à deux ?")
    page.get_by_label("Votre message").press("Enter")
    console.locator("#transcript .turn.user", has_text="venir à deux").wait_for(timeout=5000)
    time.sleep(1.5)
    assert bot_count(page) == before  # no answer from the assistant

    console.get_by_label("Votre message").fill("Bien sûr, venez avec qui vous voulez.")
    console.get_by_role("button", name="Envoyer").click()
    seconds = wait_bubble(page, "Claire (équipe) : Bien sûr, venez avec qui vous voulez.")
    assert seconds < DELIVERY
    console.locator("#transcript .turn.staff", has_text="venez avec qui").wait_for(timeout=5000)
    assert console.get_by_label("Votre message").input_value() == ""

    console.get_by_role("button", name="Rendre la main à l'assistant").click()
    console.get_by_text("L'assistant a repris la conversation").first.wait_for()
    wait_bubble(page, "a rendu la main à l'assistant")
    answer = say(page, "est-ce que je suis assuré ?")
    assert "assur" in answer.lower()  # the assistant answers again
    console.screenshot(path=str(Path(live.settings.database_url.split("///", 1)[1]).parent / "console.png"))


def test_a_coordinator_answers_on_telegram(live: Live, console: Any) -> None:
    chat_id = 7_400_001
    live.telegram(chat_id, "bonjour")
    live.telegram(chat_id, "je voudrais parler à quelqu'un")
    sent_before = len(live.standin.texts(chat_id))
    console.goto(f"{live.web}/console/conversations/handoff/{handoff_id(live.settings, str(chat_id))}")
    console.get_by_role("button", name="Prendre la main").click()
    console.get_by_text("Vous tenez la conversation").first.wait_for()
    assert live.standin.wait_for(lambda: len(live.standin.texts(chat_id)) > sent_before, DELIVERY)
    assert "a rejoint la conversation" in live.standin.texts(chat_id)[-1]

    held_count = len(live.standin.texts(chat_id))
    live.telegram(chat_id, "j'ai une question sur les horaires")
    console.locator("#transcript .turn.user", has_text="question sur les horaires").wait_for(timeout=5000)
    assert len(live.standin.texts(chat_id)) == held_count  # the assistant stayed silent

    console.get_by_label("Votre message").fill("Les horaires sont souples, dites-moi vos disponibilités.")
    started = time.monotonic()
    console.get_by_role("button", name="Envoyer").click()
    assert live.standin.wait_for(lambda: len(live.standin.texts(chat_id)) > held_count, DELIVERY)
    assert time.monotonic() - started < DELIVERY
    assert (
        live.standin.texts(chat_id)[-1] == "Claire (équipe) : Les horaires sont souples, dites-moi vos disponibilités."
    )

    console.get_by_role("button", name="Rendre la main à l'assistant").click()
    console.get_by_text("L'assistant a repris la conversation").first.wait_for()
    assert live.standin.wait_for(lambda: "a rendu la main" in live.standin.texts(chat_id)[-1], DELIVERY)
