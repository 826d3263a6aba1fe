"""Log lines carry no personal data and stay short, whoever writes them (bot.logs)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from rasa.utils.endpoints import ClientResponseError

from bot.logs import MAX_RECORD_CHARS, install_record_guard, pseudonym, scrub

NAME = "Solène"
EMAIL = "solene.martin@exemple.fr"
PHONE = "06 12 34 56 78"


@pytest.fixture()
def captured() -> Iterator[io.StringIO]:
    install_record_guard()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def action_server_answer(size: int) -> str:
    """What rasa-sdk answered when an action failed: the whole request, echoed back."""
    request = {
        "next_action": "action_show_summary",
        "tracker": {
            "slots": {"first_name": NAME, "email": EMAIL, "phone": PHONE},
            "latest_message": {"text": f"je m'appelle {NAME}, mon mail est {EMAIL}"},
            "events": [{"event": "user", "text": f"mon numéro : {PHONE}"}],
        },
        "domain": {"responses": {"utter_x": [{"text": "x" * size}]}},
    }
    return json.dumps({"error": "KeyError", "request_body": request}, ensure_ascii=False)


def test_a_failed_custom_action_as_rasa_logs_it_leaks_nothing(captured: io.StringIO) -> None:
    logger = logging.getLogger("rasa.core.processor")
    try:
        try:
            raise ClientResponseError(500, "Internal Server Error", action_server_answer(2_600_000))
        except ClientResponseError as error:
            raise RuntimeError("Failed to execute custom action 'action_show_summary'") from error
    except RuntimeError:
        logger.exception("Encountered an exception while running action 'action_show_summary'.")
    line = captured.getvalue()
    for personal in (NAME, EMAIL, PHONE, "0612345678"):
        assert personal not in line
    assert "action_show_summary" in line
    assert len(line) < 2 * MAX_RECORD_CHARS + 200


def test_structlog_style_fields_are_masked(captured: io.StringIO) -> None:
    logging.getLogger("rasa.core.channels.rest").error(
        "event=rest.message.received.failure text=%r user_text=%r", f"moi c'est {NAME}", f"je suis {NAME}"
    )
    assert NAME not in captured.getvalue() and EMAIL not in captured.getvalue()


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("update 123456789 for chat conv:1a2b3c4d ignored", "update 123456789 for chat conv:1a2b3c4d ignored"),
        ("mission 12 is now pourvue", "mission 12 is now pourvue"),
        (f"write to {EMAIL}", "write to [e-mail]"),
        ("call +33 6 12 34 56 78 now", "call [téléphone] now"),
        ("call 0612345678 now", "call [téléphone] now"),
    ],
)
def test_scrub_keeps_ids_and_masks_contacts(text: str, kept: str) -> None:
    assert scrub(text) == kept


def test_pseudonyms_are_stable_short_and_do_not_reveal_the_id() -> None:
    assert pseudonym("web-abc") == pseudonym("web-abc")
    assert pseudonym("web-abc") != pseudonym("web-abd")
    assert "abc" not in pseudonym("web-abc") and len(pseudonym("4242")) == len("conv:") + 8


def test_a_clients_malformed_request_is_one_line_not_a_traceback(captured: io.StringIO) -> None:
    from sanic.exceptions import InvalidUsage, ServerError

    for error in (InvalidUsage("Bad chunked encoding"), ServerError("boom")):
        try:
            raise error
        except Exception:
            logging.getLogger("sanic.error").exception("protocol.connection_task uncaught")
    client, server = captured.getvalue().split("ERROR sanic.error")[1:]
    assert "a client's request, not a fault here" in client and "Traceback" not in client
    assert "Traceback" in server and "ServerError (message not logged)" in server


def test_a_telegram_bot_token_never_reaches_a_log(captured: io.StringIO) -> None:
    url = "https://api.telegram.org/bot123456789:AAF-secret_Token-xyz/sendMessage"
    logging.getLogger("bot.test").warning("HTTP Request: POST %s", url)
    logging.getLogger("httpx").info("HTTP Request: POST %s %s", url, "HTTP/1.1 200 OK")  # below WARNING: dropped
    assert "AAF-secret_Token-xyz" not in captured.getvalue() and "123456789" not in captured.getvalue()
    assert "/bot[jeton]/sendMessage" in captured.getvalue()
