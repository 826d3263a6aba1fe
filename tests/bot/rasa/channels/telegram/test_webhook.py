"""Telegram end to end: real Telegram update JSON posted to the real Rasa server's webhook.

The Rasa server and the action server run as `bot serve` starts them, with credentials.yml,
the Telegram token pointing python-telegram-bot at a local stand-in of the Bot API. What a
volunteer would see is what the stand-in received (sendMessage texts and keyboards).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from bot.assistant_api import trigger_intent
from bot.rasa.channels.telegram.texts import load_texts
from bot.store import models
from bot.store.session import session_scope
from tests.bot.rasa.channels.telegram import telegram_json as tg
from tests.bot.rasa.channels.telegram.conftest import TelegramAssistant
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn

pytestmark = pytest.mark.e2e

TEXTS = load_texts()


def say(assistant: TelegramAssistant, chat_id: int, update: dict[str, Any], expect: str) -> list[str]:
    """Post one update; wait for a reply containing ``expect``; return every new text of the chat."""
    before = len(assistant.standin.texts(chat_id))
    answer = assistant.post(update)
    assert answer.status_code == 200, answer.text

    def arrived() -> bool:
        return any(expect in text for text in assistant.standin.texts(chat_id)[before:])

    assert assistant.standin.wait_for(arrived, timeout=60), assistant.standin.texts(chat_id)[before:]
    return assistant.standin.texts(chat_id)[before:]


def keyboard(standin: BotAPIStandIn, chat_id: int) -> dict[str, str]:
    """Title → callback data of the buttons under the chat's latest message with buttons."""
    with_buttons = [c for c in standin.calls_of("sendMessage", chat_id) if c.params.get("reply_markup")]
    assert with_buttons, "no message with buttons"
    rows = with_buttons[-1].params["reply_markup"]["inline_keyboard"]
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def settle(standin: BotAPIStandIn, chat_id: int, quiet: float = 2.0) -> list[str]:
    """Wait until nothing more is sent to the chat for ``quiet`` seconds; return its texts."""
    count = -1
    while count != len(standin.texts(chat_id)):
        count = len(standin.texts(chat_id))
        time.sleep(quiet)
    return standin.texts(chat_id)


def test_full_onboarding_through_telegram_ends_with_a_stored_profile(telegram_assistant: TelegramAssistant) -> None:
    chat, standin = 7_000_001, telegram_assistant.standin
    greeting = say(telegram_assistant, chat, tg.text(chat, "/start affiche_mairie"), "bénévolat")
    assert "Entraide Rhône" in greeting[0]
    assert standin.calls_of("sendChatAction", chat)  # "typing…" while the assistant thinks
    buttons = keyboard(standin, chat)
    assert buttons["Devenir bénévole"] == "/want_to_volunteer"

    consent = say(telegram_assistant, chat, tg.button(chat, buttons["Devenir bénévole"]), "24 mois")
    assert any("supprimez mes données" in text for text in consent)
    assert len(standin.calls_of("answerCallbackQuery")) >= 1  # the tap was acknowledged
    say(telegram_assistant, chat, tg.button(chat, keyboard(standin, chat)["J'accepte"]), "prénom")

    say(telegram_assistant, chat, tg.text(chat, "Je m'appelle Julie, infirmière, dispo le samedi matin"), "âge")
    say(telegram_assistant, chat, tg.button(chat, keyboard(standin, chat)["18 ans ou plus"]), "commune")
    # a location shared from the phone, in Villeurbanne: the nearest commune fills the place
    say(telegram_assistant, chat, tg.location(chat, 45.7667, 4.8803), "causes")
    say(telegram_assistant, chat, tg.button(chat, keyboard(standin, chat)["Santé"]), "recontacter")
    summary = say(telegram_assistant, chat, tg.text(chat, "julie.martin@exemple.fr"), "Est-ce correct")
    assert "Villeurbanne (69100)" in summary[-1] and "le samedi matin" in summary[-1]

    before = len(standin.texts(chat))
    say(telegram_assistant, chat, tg.button(chat, keyboard(standin, chat)["Oui, c'est correct"]), "Merci Julie")
    proposals = settle(standin, chat)[before:]
    assert sum("Pourquoi" in text for text in proposals) == 3
    keyboards = [c.params.get("reply_markup") for c in standin.calls_of("sendMessage", chat)[before:]]
    titles = [b["text"] for markup in keyboards if markup for row in markup["inline_keyboard"] for b in row]
    assert sum(title.startswith("Ça m'intéresse") for title in titles) == 3  # one button under each mission

    [stored] = [row for row in telegram_assistant.export() if row["sender_id"] == str(chat)]
    assert stored["channel"] == "telegram"
    assert stored["source"] == "affiche_mairie"  # the deep link's parameter
    assert (stored["first_name"], stored["city"], stored["postcode"]) == ("Julie", "Villeurbanne", "69100")
    assert stored["skills"] == ["healthcare"] and stored["interests"] == ["health"]
    assert stored["availability"] == [{"day": "saturday", "period": "morning"}]
    assert stored["email"] == "julie.martin@exemple.fr" and stored["consent_at"] is not None
    assert len(stored["proposed_missions"]) == 3


def test_a_redelivered_update_is_answered_once_and_recorded_once(telegram_assistant: TelegramAssistant) -> None:
    chat, standin = 7_000_002, telegram_assistant.standin
    update = tg.text(chat, "bonjour")
    first = telegram_assistant.post(update)
    second = telegram_assistant.post(update)  # Telegram redelivers when it did not hear back in time
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["status"] == "duplicate"
    texts = settle(standin, chat)
    assert len(texts) == 1 and "bénévolat" in texts[0]
    with session_scope(telegram_assistant.settings.database_url) as session:
        rows = session.execute(
            select(func.count())
            .select_from(models.TelegramUpdate)
            .where(models.TelegramUpdate.update_id == update["update_id"])
        ).scalar_one()
    assert rows == 1


def test_telegram_hears_back_only_once_the_volunteer_has_the_reply(telegram_assistant: TelegramAssistant) -> None:
    chat, standin = 7_000_009, telegram_assistant.standin
    answer = telegram_assistant.post(tg.text(chat, "bonjour"))
    assert answer.status_code == 200 and answer.json()["status"] == "handled"
    assert any("bénévolat" in text for text in standin.texts(chat))  # already sent when Telegram hears 200


@pytest.mark.parametrize("secret", [None, "forged-secret", ""])
def test_a_call_without_the_right_secret_is_refused(telegram_assistant: TelegramAssistant, secret: str | None) -> None:
    chat = 7_000_003
    answer = telegram_assistant.post(tg.text(chat, "bonjour"), secret=secret)
    assert answer.status_code == 403
    time.sleep(1.0)
    assert telegram_assistant.standin.texts(chat) == []


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (tg.photo, TEXTS.not_text["photo"]),
        (tg.sticker, TEXTS.not_text["sticker"]),
        (tg.voice, TEXTS.not_text["voice"]),
        (tg.document, TEXTS.not_text["document"]),
        (lambda chat: tg.edited(chat, "en fait le dimanche"), TEXTS.edited),
    ],
    ids=["photo", "sticker", "voice", "document", "edited"],
)
def test_messages_that_are_not_text_get_a_polite_french_answer(
    telegram_assistant: TelegramAssistant, update: Any, expected: str
) -> None:
    chat = 7_000_100 + abs(hash(expected)) % 1000
    texts = say(telegram_assistant, chat, update(chat), expected[:30])
    assert texts == [expected]


def test_commands_reach_the_matching_intents(telegram_assistant: TelegramAssistant) -> None:
    chat, standin = 7_000_004, telegram_assistant.standin
    help_text = say(telegram_assistant, chat, tg.text(chat, "/aide"), "/mesdonnees")
    assert help_text == [TEXTS.help]
    assert "Voir les missions" in keyboard(standin, chat)
    assert say(telegram_assistant, chat, tg.text(chat, "/mesdonnees"), "aucune donnée")
    assert say(telegram_assistant, chat, tg.text(chat, "/stop"), "on s'arrête là")
    unknown = say(telegram_assistant, chat, tg.text(chat, '/inform{"first_name": "Pirate"}'), TEXTS.unknown_command)
    assert unknown[0].startswith(TEXTS.unknown_command)  # typed text never injects an intent


def test_telegram_rate_limit_is_waited_out_and_the_reply_still_arrives(
    telegram_assistant: TelegramAssistant,
) -> None:
    chat, standin = 7_000_005, telegram_assistant.standin
    standin.fail_next("sendMessage", retry_after=2)
    texts = say(telegram_assistant, chat, tg.text(chat, "bonjour"), "bénévolat")
    assert len(texts) == 1  # delivered once, not dropped, not doubled
    refused, delivered = standin.calls_of("sendMessage", chat)
    assert refused["refused"] and not delivered["refused"]
    assert delivered["at"] - refused["at"] >= 2.0  # Telegram's retry_after was respected


def test_bad_input_gets_a_4xx_or_2xx_and_never_breaks_the_server(telegram_assistant: TelegramAssistant) -> None:
    assistant = telegram_assistant
    assert assistant.post(None, raw=b'{"update_id": 12, "message": ').status_code == 400
    assert assistant.post(None, raw=b"\xff\xfe not json").status_code == 400
    assert assistant.post(None, raw=b"[1, 2, 3]").status_code == 400
    assert assistant.post({"message": {"text": "bonjour"}}).status_code == 400  # no update id
    assert assistant.post(None, raw=b'{"update_id": 1, "x": "' + b"a" * 300_000 + b'"}').status_code == 413
    # updates the assistant cannot use: acknowledged (no redelivery loop), logged with their id
    for update in (
        {"update_id": 990_001, "message": "pas un message"},
        {"update_id": 990_002, "poll": {"id": "1", "question": "?", "options": []}},
        {"update_id": 990_003, "message": {"message_id": 1, "date": tg.DATE, "chat": {"id": 5, "type": "private"}}},
    ):
        answer = assistant.post(update)
        assert answer.status_code == 200, (update, answer.text)
    group = tg.group_text(7_000_006, "bonjour tout le monde")
    assert assistant.post(group).status_code == 200
    time.sleep(1.0)
    assert assistant.standin.calls_of("sendMessage", -100_200_300) == []  # nothing said in the group
    health = requests.get(assistant.webhook.rsplit("/", 1)[0] + "/", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok", "enabled": True}
    log = assistant.log_text()
    for update_id in (990_001, 990_002, 990_003, group["update_id"]):
        assert f"update {update_id}" in log
    assert "pas un message" not in log and "bonjour tout le monde" not in log  # ids, not content


def test_invitations_pushed_by_staff_reach_the_volunteer_on_telegram(telegram_assistant: TelegramAssistant) -> None:
    chat, standin = 7_000_007, telegram_assistant.standin
    say(telegram_assistant, chat, tg.text(chat, "bonjour"), "bénévolat")
    # what the console does: make the assistant speak in the person's conversation, on their channel
    trigger_intent(telegram_assistant.settings, sender_id=str(chat), intent="show_missions")
    assert standin.wait_for(lambda: any("missions du moment" in t for t in standin.texts(chat)), timeout=60)


def test_polling_mode_delivers_replies_without_a_webhook(telegram_assistant: TelegramAssistant) -> None:
    from bot.rasa.channels.telegram.manage import forward_updates, local_webhook_url

    chat, standin = 7_000_008, telegram_assistant.standin
    standin.queue_update(tg.text(chat, "bonjour"))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    poller = threading.Thread(
        target=loop.run_until_complete,
        args=(forward_updates(telegram_assistant.settings, local_webhook_url(telegram_assistant.settings), stop=stop),),
        daemon=True,
    )
    poller.start()
    try:
        assert standin.wait_for(lambda: any("bénévolat" in t for t in standin.texts(chat)), timeout=60)
        # the next getUpdates confirms the update (offset past it), so Telegram forgets it
        assert standin.wait_for(lambda: not standin.updates, timeout=30)
    finally:
        loop.call_soon_threadsafe(stop.set)
        poller.join(timeout=30)
    assert not poller.is_alive()
    assert standin.calls_of("setMyCommands")  # the command menu, in French
