"""What an update means (pure decisions) and how long replies are split."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from bot.rasa.channels.telegram.api import MAX_MESSAGE_LENGTH, split_text, utf16_length
from bot.rasa.channels.telegram.output import ButtonPayloads
from bot.rasa.channels.telegram.texts import load_texts
from bot.rasa.channels.telegram.updates import (
    MAX_TEXT_CHARS,
    Ignore,
    Reply,
    SharedLocation,
    ToAssistant,
    interpret,
    source_payload,
)
from tests.bot.rasa.channels.telegram import telegram_json as tg

TEXTS = load_texts()
CHAT = 4242


def step(update: dict[str, Any]) -> object:
    return interpret(Update.de_json(update, None), TEXTS)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("bonjour, je voudrais aider", "bonjour, je voudrais aider"),
        ("/start", "/greet"),
        ("/start affiche_mairie", '/greet{"source": "affiche_mairie"}'),
        ("/start@entraide_test_bot forum-2026", '/greet{"source": "forum-2026"}'),
        ("/start <script>", "/greet"),  # not a valid deep-link parameter: no source
        ("/stop", "/stop"),
        ("/STOP", "/stop"),
        ("/mesdonnees", "/show_my_data"),
        ("/supprimer", "/delete_my_data"),
    ],
)
def test_text_and_commands_go_to_the_assistant(typed: str, sent: str) -> None:
    assert step(tg.text(CHAT, typed)) == ToAssistant(CHAT, sent)


@pytest.mark.parametrize("typed", ["/aide", "/help", "/aide@entraide_test_bot"])
def test_help_is_answered_by_the_channel_with_buttons(typed: str) -> None:
    assert step(tg.text(CHAT, typed)) == Reply(CHAT, TEXTS.help, TEXTS.help_buttons)


@pytest.mark.parametrize(
    "typed",
    ["/inconnue", '/inform{"first_name": "X"}', "/ bonjour", "/delete_my_data", ' /inform{"first_name": "X"}',
     '\n\t/inform{"email": "x@e.org"}'],
)  # fmt: skip
def test_typed_slash_text_never_becomes_an_intent(typed: str) -> None:
    answer = step(tg.text(CHAT, typed))
    assert isinstance(answer, Reply) and answer.text.startswith(TEXTS.unknown_command)


def test_a_button_tap_sends_its_payload_and_is_acknowledged() -> None:
    update = tg.button(CHAT, '/inform{"age_group": "adult"}')
    answer = step(update)
    assert answer == ToAssistant(CHAT, '/inform{"age_group": "adult"}', update["callback_query"]["id"])


@pytest.mark.parametrize("data", [12, {"payload": "/affirm"}, ["/affirm"], True])
def test_a_forged_button_whose_data_is_not_text_is_ignored_and_acknowledged(data: object) -> None:
    update = tg.button(CHAT, "/affirm")
    update["callback_query"]["data"] = data  # Telegram's own callback data is always a string
    answer = step(update)
    assert isinstance(answer, Ignore) and answer.callback_query_id == update["callback_query"]["id"]


@pytest.mark.parametrize(
    ("build", "kind"),
    [(tg.photo, "photo"), (tg.sticker, "sticker"), (tg.voice, "voice"), (tg.document, "document")],
)
def test_contents_that_are_not_text_get_their_own_answer(build: Any, kind: str) -> None:
    assert step(build(CHAT)) == Reply(CHAT, TEXTS.not_text[kind])


def test_an_edited_message_is_answered_not_reprocessed() -> None:
    assert step(tg.edited(CHAT, "en fait le dimanche")) == Reply(CHAT, TEXTS.edited)


def test_a_shared_location_is_kept_for_the_place() -> None:
    assert step(tg.location(CHAT, 45.7667, 4.8803)) == SharedLocation(CHAT, 45.7667, 4.8803)


def test_groups_get_a_pointer_to_a_private_chat_only_when_they_address_the_bot() -> None:
    assert step(tg.group_text(CHAT, "bonjour à tous")) == Ignore("supergroup chat")
    assert step(tg.group_text(CHAT, "/start")) == Reply(-100_200_300, TEXTS.private_only)


def test_other_updates_are_ignored() -> None:
    inline = {"update_id": 1, "inline_query": {"id": "1", "from": tg.person(CHAT), "query": "x", "offset": ""}}
    assert step(inline) == Ignore("update type not used")
    service = tg.message(CHAT, pinned_message={"message_id": 1, "date": 0, "chat": tg.private_chat(CHAT)})
    assert step(service) == Ignore("service message")


def test_source_payload_only_carries_what_telegram_allows_in_deep_links() -> None:
    assert source_payload("a" * 64) == '/greet{"source": "' + "a" * 64 + '"}'
    assert source_payload("a" * 65) == "/greet"
    assert source_payload(None) == "/greet"


def test_short_replies_are_not_split() -> None:
    assert split_text("  Bonjour !  ") == ["Bonjour !"]
    assert split_text("") == []


def test_long_replies_are_split_at_paragraphs_then_words_within_the_limit() -> None:
    paragraph = "Une mission de soutien scolaire le mercredi après-midi à Villeurbanne. " * 30
    reply = "\n\n".join([paragraph.strip()] * 4)
    parts = split_text(reply)
    assert len(parts) > 1
    assert all(utf16_length(part) <= MAX_MESSAGE_LENGTH for part in parts)
    assert all(part.endswith(".") for part in parts)  # cut between sentences or paragraphs, not in a word
    assert " ".join(" ".join(parts).split()) == " ".join(reply.split())  # nothing lost


def test_splitting_counts_emoji_as_telegram_does_and_cuts_giant_words() -> None:
    parts = split_text("🙂" * 3000)  # 6,000 UTF-16 code units
    assert [utf16_length(p) for p in parts] == [4096, 1904]
    assert split_text("x" * 5000, limit=4096) == ["x" * 4096, "x" * 904]


def test_payloads_too_long_for_telegram_are_kept_behind_a_short_token() -> None:
    book = ButtonPayloads()
    short = '/apply{"mission_id": "M001"}'
    long = '/apply{"mission_id": "' + "M" * 60 + '"}'
    assert book.data_for(short) == short
    token = book.data_for(long)
    assert len(token.encode()) <= 64 and book.payload_for(token) == long
    assert ButtonPayloads().payload_for(token) is None  # forgotten after a restart: the channel says so


def test_a_message_longer_than_the_assistant_reads_gets_a_polite_answer() -> None:
    answer = step(tg.text(CHAT, "😀" * (MAX_TEXT_CHARS + 1)))
    assert answer == Reply(CHAT, TEXTS.too_long.format(limit=MAX_TEXT_CHARS))
    assert step(tg.text(CHAT, "😀" * MAX_TEXT_CHARS)) == ToAssistant(CHAT, "😀" * MAX_TEXT_CHARS)
