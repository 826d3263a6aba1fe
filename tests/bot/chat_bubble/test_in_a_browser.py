"""The website chat bubble in a real browser, against the real Rasa server, action server and web app.

One set of servers for the whole module (started as `make run` starts them, on free ports
with throw-away databases): Debian's Chromium opens the demo page, or a page of another site
that embeds the bubble with its one script tag, and talks to the assistant like a visitor.
A few tests speak the WebSocket protocol directly, as an attacker or a broken client would.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import websockets
import websockets.client
import websockets.exceptions
from websockets.typing import Origin

from bot.config import Settings
from bot.rasa.channels.chat_bubble import BURST
from bot.serve import prepare_database, running_assistant, running_web
from tests.conftest import exported_volunteers, free_port

pytestmark = pytest.mark.e2e

ANSWER_TIMEOUT_MS = 90_000
SHADOW = "document.querySelector('#entraide-widget').shadowRoot"


@dataclass
class Servers:
    settings: Settings
    web: str  # the web app (demo page, widget.js)
    rasa: str  # the Rasa server
    partner: str  # another site embedding the bubble, allowed
    logs: Path

    @property
    def socket(self) -> str:
        return self.rasa.replace("http://", "ws://") + "/webhooks/web/socket"

    def export(self) -> list[dict[str, Any]]:
        """`bot volunteers export --format json` on this module's database."""
        return exported_volunteers(self.settings.database_url)

    def rasa_log(self) -> str:
        return (self.logs / "rasa.log").read_text(errors="replace")


def _partner_site(page_html: str) -> tuple[ThreadingHTTPServer, int]:
    """A static web site of someone else, serving one page that embeds the bubble."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


@pytest.fixture(scope="module")
def servers(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = tmp_path_factory.mktemp("widget")
    action_port, rasa_port, web_port, partner_port = free_port(), free_port(), free_port(), free_port()
    rasa = f"http://127.0.0.1:{rasa_port}"
    web = f"http://127.0.0.1:{web_port}"
    partner_html = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Mairie</title></head>'
        "<body><h1>Une autre association</h1>"
        f'<script src="{web}/widget.js" data-server="{rasa}"></script></body></html>'
    )
    partner_server, partner_port = _partner_site(partner_html)
    settings = Settings(
        database_url=f"sqlite:///{folder / 'bot.db'}",
        tracker_store_url=f"sqlite:///{folder / 'tracker.db'}",
        rasa_host="127.0.0.1",
        rasa_port=rasa_port,
        action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
        web_port=web_port,
        secret_key="widget-tests-secret",
        # the demo page as served on 127.0.0.1 and the partner site; http://localhost:... is another origin
        widget_allowed_origins=f"{web}, http://127.0.0.1:{partner_port}",
    )
    prepare_database(settings)
    logs = folder / "logs"
    with running_assistant(settings, trained_model, log_dir=logs), running_web(settings, log_dir=logs):
        yield Servers(settings, web, rasa, f"http://127.0.0.1:{partner_port}", logs)
    partner_server.shutdown()


# ---------------------------------------------------------------- driving the bubble


def bot_count(page: Any) -> int:
    return page.evaluate(f"{SHADOW}.querySelectorAll('.message.bot').length")


def wait_answer(page: Any, before: int) -> None:
    """Wait until the assistant has answered (new messages, typing indicator gone)."""
    page.wait_for_function(
        f"(before) => {SHADOW}.querySelectorAll('.message.bot').length > before"
        f" && {SHADOW}.querySelector('.typing').hidden",
        arg=before,
        timeout=ANSWER_TIMEOUT_MS,
    )


def last_bot_text(page: Any, count: int = 1) -> str:
    texts = page.locator(".message.bot .text").all_inner_texts()
    return "\n".join(texts[-count:])


def open_bubble(page: Any, url: str) -> None:
    """Load a page, open the bubble and wait for the assistant's greeting."""
    page.goto(url)
    page.get_by_role("button", name="Discuter avec l'assistant bénévolat").click()
    wait_answer(page, 0)


def say(page: Any, text: str) -> str:
    """Type a message and send it with Enter; returns what the assistant answered."""
    before = bot_count(page)
    page.get_by_label("Votre message").fill(text)
    page.get_by_label("Votre message").press("Enter")
    wait_answer(page, before)
    return "\n".join(page.locator(".message.bot .text").all_inner_texts()[before:])


def click(page: Any, title: str) -> str:
    """Click a quick reply; returns what the assistant answered."""
    before = bot_count(page)
    page.locator(".replies").get_by_role("button", name=title).last.click()
    wait_answer(page, before)
    return "\n".join(page.locator(".message.bot .text").all_inner_texts()[before:])


def conversation_id(page: Any, servers: Servers) -> str:
    token = page.evaluate("(key) => localStorage.getItem(key)", f"entraide-widget:{servers.rasa}")
    assert token and token.startswith("web-")
    return token.rsplit(".", 1)[0]


def stored_volunteer(servers: Servers, sender_id: str) -> dict[str, Any] | None:
    return next((row for row in servers.export() if row["sender_id"] == sender_id), None)


# ---------------------------------------------------------------- a visitor's journeys


def test_onboarding_completed_by_typing_stores_the_profile(servers: Servers, page: Any) -> None:
    open_bubble(page, f"{servers.web}/")
    assert "Entraide Rhône" in last_bot_text(page)
    assert "24 mois" in say(page, "bonjour, je voudrais devenir bénévole")
    assert "prénom" in say(page, "oui j'accepte")
    assert "âge" in say(page, "Je m'appelle Julie, infirmière à Villeurbanne, dispo le samedi matin")
    assert "causes" in say(page, "34 ans")
    if screenshot := os.environ.get("WIDGET_SCREENSHOT"):  # refresh docs/widget.png (see docs/widget.md)
        page.locator("#entraide-panel").screenshot(path=screenshot)
    assert "recontacter" in say(page, "la santé et la solidarité")
    summary = say(page, "julie.martin@exemple.fr")
    assert "Villeurbanne (69100)" in summary and "le samedi matin" in summary
    assert "Merci Julie" in say(page, "oui c'est correct")

    stored = stored_volunteer(servers, conversation_id(page, servers))
    assert stored is not None
    assert (stored["channel"], stored["first_name"], stored["city"]) == ("web", "Julie", "Villeurbanne")
    assert stored["email"] == "julie.martin@exemple.fr"
    assert stored["availability"] == [{"day": "saturday", "period": "morning"}]
    assert set(stored["interests"]) == {"health", "solidarity"}
    assert len(stored["proposed_missions"]) == 3


def test_onboarding_completed_by_clicking_buttons(servers: Servers, page: Any) -> None:
    open_bubble(page, f"{servers.web}/")
    assert "24 mois" in click(page, "Devenir bénévole")
    assert page.locator(".message.user").last.inner_text().endswith("Devenir bénévole")  # the title, not /payload
    assert "prénom" in click(page, "J'accepte")
    assert "âge" in say(page, "Sofia")
    assert "commune" in click(page, "18 ans ou plus")
    assert "Qu'aimez-vous faire" in say(page, "69003")
    assert "disponible" in click(page, "Rien de particulier")
    assert "causes" in say(page, "le mercredi après-midi")
    assert "recontacter" in click(page, "Solidarité")
    assert "Est-ce correct" in say(page, "06 12 34 56 78")
    proposals = click(page, "Oui, c'est correct")
    assert "Merci Sofia" in proposals and proposals.count("Pourquoi") == 3
    interested = page.locator(".replies").get_by_role("button", name="Ça m'intéresse").first
    mission = interested.inner_text()
    assert "C'est noté" in click(page, mission)

    stored = stored_volunteer(servers, conversation_id(page, servers))
    assert stored is not None
    assert (stored["channel"], stored["first_name"], stored["postcode"]) == ("web", "Sofia", "69003")
    assert stored["phone"] == "+33612345678"
    assert stored["interests"] == ["solidarity"]
    assert stored["availability"] == [{"day": "wednesday", "period": "afternoon"}]


def test_a_reload_keeps_the_conversation(servers: Servers, page: Any) -> None:
    open_bubble(page, f"{servers.web}/")
    click(page, "Voir les missions")
    say(page, "est-ce que je suis assuré ?")
    before = page.locator(".message").all_inner_texts()
    sender = conversation_id(page, servers)

    page.reload()
    # the history comes back from the server (nothing of it is kept in the browser)
    page.wait_for_function(f"() => {SHADOW}.querySelectorAll('.message').length === {len(before)}")
    assert page.locator(".message").all_inner_texts() == before
    assert page.get_by_role("dialog").is_visible()  # the bubble stays open across the reload
    assert conversation_id(page, servers) == sender
    assert "formation" in say(page, "y a-t-il une formation ?").lower()  # the conversation goes on


def test_a_page_of_another_allowed_site_embeds_the_bubble(servers: Servers, page: Any) -> None:
    open_bubble(page, servers.partner)
    assert "Entraide Rhône" in last_bot_text(page)
    assert page.locator("h1").inner_text() == "Une autre association"  # the host page is untouched


def test_a_page_from_a_disallowed_origin_is_refused(servers: Servers, page: Any) -> None:
    # same server, but http://localhost:PORT is not in WIDGET_ALLOWED_ORIGINS
    refused = servers.web.replace("127.0.0.1", "localhost")
    page.goto(f"{refused}/")
    page.get_by_role("button", name="Discuter avec l'assistant bénévolat").click()
    # functions, not bare expressions: Playwright polls an expression with eval, which the page's CSP refuses
    page.wait_for_function(f"() => {SHADOW}.querySelector('.panel').dataset.connection === 'reconnecting'")
    assert page.locator(".message.bot").count() == 0
    assert page.get_by_role("button", name="Réessayer maintenant").is_visible()
    assert f"refused a chat bubble connection from origin '{refused}'" in servers.rasa_log()


def test_keyboard_only_with_a_live_region(servers: Servers, page: Any) -> None:
    page.goto(f"{servers.web}/")
    launcher = page.get_by_role("button", name="Discuter avec l'assistant bénévolat")
    for _ in range(10):  # Tab through the page until the bubble's button has the focus
        page.keyboard.press("Tab")
        if launcher.evaluate("(el) => el.getRootNode().activeElement === el"):
            break
    assert launcher.evaluate("(el) => el.getRootNode().activeElement === el")
    assert launcher.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    wait_answer(page, 0)
    text_box = page.get_by_label("Votre message")
    assert text_box.evaluate("(el) => el.getRootNode().activeElement === el")  # focus moved into the bubble

    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    assert "Entraide Rhône" in log.inner_text()  # the greeting lands in the live region
    assert page.locator(".message.bot .visually-hidden").first.inner_text().strip() == "Assistant :"

    before = bot_count(page)
    page.keyboard.type("quelles missions avez-vous ?")
    page.keyboard.press("Enter")
    wait_answer(page, before)
    assert "Pourquoi" in log.inner_text()

    # Tab reaches a quick reply; Enter activates it
    before = bot_count(page)
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        focused = page.evaluate(f"{SHADOW}.activeElement && {SHADOW}.activeElement.className")
        if focused == "reply":
            break
    assert focused == "reply"
    page.keyboard.press("Enter")
    wait_answer(page, before)

    # Escape closes the bubble and gives the focus back to its button
    text_box.focus()
    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").is_hidden()
    assert launcher.evaluate("(el) => el.getRootNode().activeElement === el")
    assert launcher.get_attribute("aria-expanded") == "false"


def test_phone_sized_screen_gets_the_whole_screen(servers: Servers, browser: Any) -> None:
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 667}, has_touch=True)
    page = context.new_page()
    try:
        open_bubble(page, f"{servers.web}/")
        box = page.get_by_role("dialog").bounding_box()
        assert box == {"x": 0, "y": 0, "width": 375, "height": 667}
        page.get_by_role("button", name="Fermer la discussion").click()
        assert page.get_by_role("dialog").is_hidden()
    finally:
        context.close()


def test_the_console_can_push_a_message_into_an_open_bubble(servers: Servers, page: Any) -> None:
    from bot.assistant_api import trigger_intent

    open_bubble(page, f"{servers.web}/")
    say(page, "est-ce que je suis assuré ?")
    before = bot_count(page)
    trigger_intent(servers.settings, sender_id=conversation_id(page, servers), intent="faq_training")
    page.wait_for_function(
        f"() => {SHADOW}.querySelectorAll('.message.bot').length > {before}", timeout=ANSWER_TIMEOUT_MS
    )
    assert "formation" in last_bot_text(page).lower()


def test_the_assistants_links_are_links_and_nothing_else_is(servers: Servers, page: Any) -> None:
    """The calendar, attestation and privacy links can be clicked; markup and other schemes stay text."""
    from bot.assistant_api import append_events

    open_bubble(page, f"{servers.web}/")
    say(page, "est-ce que je suis assuré ?")
    before = bot_count(page)
    text = (
        "Votre agenda : http://127.0.0.1:8000/calendar/12-abc.ics. Détails (https://example.org/confidentialite), "
        "<img src=x onerror=\"window.hacked=1\"> javascript:window.hacked=2 <a href='https://evil.example'>x</a>"
    )
    append_events(servers.settings, sender_id=conversation_id(page, servers), events=[{"event": "bot", "text": text}])
    page.wait_for_function(
        f"() => {SHADOW}.querySelectorAll('.message.bot').length > {before}", timeout=ANSWER_TIMEOUT_MS
    )
    links = page.evaluate(
        f"Array.from({SHADOW}.querySelectorAll('.message.bot:last-of-type a'))"
        ".map(a => [a.getAttribute('href'), a.textContent, a.target, a.rel])"
    )
    assert links == [
        ["http://127.0.0.1:8000/calendar/12-abc.ics", "http://127.0.0.1:8000/calendar/12-abc.ics", "_blank",
         "noopener noreferrer"],
        ["https://example.org/confidentialite", "https://example.org/confidentialite", "_blank", "noopener noreferrer"],
        ["https://evil.example/", "https://evil.example", "_blank", "noopener noreferrer"],
    ]  # fmt: skip
    assert page.evaluate(f"{SHADOW}.querySelectorAll('.message.bot img').length") == 0
    assert page.evaluate("window.hacked === undefined")
    assert last_bot_text(page).endswith("<a href='https://evil.example'>x</a>")


# ---------------------------------------------------------------- the protocol, spoken directly


def run_in_thread(scenario: Any) -> None:
    """Run an async scenario in its own thread: Playwright's sync API owns this thread's event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(scenario())).result()


async def _frames_until_idle(ws: Any) -> list[dict[str, Any]]:
    """Read frames until the assistant stops typing (or an error arrives)."""
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT_MS / 1000))
        frames.append(frame)
        if frame["type"] == "error" or (frame["type"] == "typing" and not frame["on"]):
            return frames


async def _hello(ws: Any, token: str | None) -> list[dict[str, Any]]:
    await ws.send(json.dumps({"type": "hello", "conversation": token}))
    frames = [json.loads(await asyncio.wait_for(ws.recv(), 30))]
    if frames[0]["type"] == "error":
        frames.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
    return frames


def test_a_forged_or_unsigned_conversation_id_is_refused(servers: Servers) -> None:
    origin = servers.web

    async def scenario() -> None:
        async with websockets.client.connect(servers.socket, origin=Origin(origin)) as ws:
            [welcome] = await _hello(ws, None)
            victim = welcome["conversation"]
            await ws.send(json.dumps({"type": "message", "text": "Je m'appelle Claire"}))
            await _frames_until_idle(ws)
        victim_id = victim.rsplit(".", 1)[0]
        for forged in (victim_id, victim_id + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA", victim[:-1] + "x", "web-deviné"):
            async with websockets.client.connect(servers.socket, origin=Origin(origin)) as ws:
                error, welcome = await _hello(ws, forged)
                assert error["code"] == "conversation_refused" and "nouvelle conversation" in error["text"]
                assert welcome["type"] == "welcome" and welcome["history"] == []
                assert welcome["conversation"].rsplit(".", 1)[0] != victim_id
        async with websockets.client.connect(servers.socket, origin=Origin(origin)) as ws:  # the real token still works
            [welcome] = await _hello(ws, victim)
            assert {"from": "user", "text": "Je m'appelle Claire"} in welcome["history"]

    run_in_thread(scenario)


def test_bad_input_gets_polite_errors_and_the_connection_goes_on(servers: Servers) -> None:
    async def scenario() -> None:
        async with websockets.client.connect(servers.socket, origin=Origin(servers.web)) as ws:
            await _hello(ws, None)
            for bad, code in (
                ("{not json", "malformed"),
                ("[1, 2]", "malformed"),
                (b"\x00\x01binary", "malformed"),
                (json.dumps({"type": "subscribe", "to": "everything"}), "unknown_type"),
                (json.dumps({"type": "message", "text": 42}), "malformed"),
                (json.dumps({"type": "message", "text": "x" * 2001}), "too_long"),
            ):
                await ws.send(bad)
                [error] = await _frames_until_idle(ws)
                assert (error["type"], error["code"]) == ("error", code)
                assert error["text"] and "Traceback" not in error["text"]
            await ws.send(json.dumps({"type": "start"}))
            assert any(frame["type"] == "bot" for frame in await _frames_until_idle(ws))  # still served

        async with websockets.client.connect(servers.socket, origin=Origin(servers.web)) as ws:  # a flood is cut short
            await _hello(ws, None)
            flood = 60
            for _ in range(flood):
                await ws.send(json.dumps({"type": "message", "text": "bonjour"}))
            refused = answered = 0
            while refused + answered < flood:  # each message ends in an error or in the end of typing
                frame = json.loads(await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT_MS / 1000))
                refused += frame["type"] == "error" and frame["code"] == "too_fast"
                answered += frame["type"] == "typing" and not frame["on"]
            assert answered >= BURST - 1 and refused >= flood - BURST - 5  # a few tokens refill while it lasts

        async with websockets.client.connect(
            servers.socket, origin=Origin(servers.web), max_size=None
        ) as ws:  # oversized frame
            await _hello(ws, None)
            await ws.send("x" * 100_000)
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 30)
            assert closed.value.code == 1009  # message too big: the connection is closed, the server goes on

        async with websockets.client.connect(servers.socket, origin=Origin(servers.web)) as ws:
            [welcome] = await _hello(ws, None)
            assert welcome["type"] == "welcome"

    run_in_thread(scenario)
    log = servers.rasa_log()
    assert "sent malformed JSON" in log and "sends too fast" in log
    assert "Traceback" not in log
