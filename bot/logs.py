"""Log lines that carry no personal data and stay short, in every process of the assistant.

Usage (entry points only: ``bot`` commands, the action server, the Rasa server)::

    from bot.logs import configure
    configure(settings.log_level)          # or install_record_guard() where another owns handlers
    logger.info("conversation %s erased", pseudonym(sender_id))

Our own code logs ids, never texts or contact details (house style). Rasa and its
libraries do not always: a failed custom action used to log the whole request body
(slots, messages, domain) at ERROR, up to megabytes per line. So every log record made
in these processes goes through :func:`guard`, installed as the log record factory:
whatever logger made it and whatever handler prints it, its traceback keeps the frames and
exception types but not the exceptions' messages, and its message is scrubbed of e-mail
addresses, phone numbers and the values of known message fields, and cut to
:data:`MAX_RECORD_CHARS`.

Conversation ids (a Telegram chat id, a bubble's id) identify a person: log lines carry
:func:`pseudonym` instead, a short keyed hash that lets lines of one conversation be
followed without revealing it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import traceback
from typing import Any

from bot.config import ROOT

MAX_RECORD_CHARS = 2000  # a log line, traceback included
OUR_PACKAGES = ("bot", "actions", "scripts")  # warnings raised in their code always show
REDACTED = "[masqué]"

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French and international phone numbers as people type them: 06 12 34 56 78, +33 6 12..., 0612345678.
PHONE_RE = re.compile(r"(?<![\w.])(?:(?:\+|00)\d{1,3}[ .-]?\d(?:[ .-]?\d){5,12}|0[1-9](?:[ .-]?\d{2}){4})(?![\w.])")
# Values of the fields through which Rasa, Sanic and the action server pass what people said:
# JSON ("text": "…"), Python reprs ('text': '…') and structlog's console form (text='…').
FIELDS = (
    "text", "user_text", "message", "response_text", "slots", "slot_values", "value", "entities",
    "request_body", "body", "latest_message", "tracker", "parse_data", "metadata", "first_name",
    "email", "phone", "place", "skills", "availability", "causes", "contact", "sender", "sender_id",
)  # fmt: skip
_FIELD_NAMES = "|".join(FIELDS)
FIELD_RE = re.compile(
    rf"""(?P<key>["']?(?:{_FIELD_NAMES})["']?\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\{.*?\}(?=[,}\s]|$)|\[.*?\](?=[,}\s]|$))""",
    re.DOTALL,
)

# A Telegram bot token in a Bot API address (https://api.telegram.org/bot<id>:<secret>/sendMessage):
# whoever reads it owns the bot. httpx logs every such address at INFO.
BOT_TOKEN_RE = re.compile(r"(?<=/bot)\d+:[\w-]+")
QUIET_LOGGERS = ("httpx", "httpcore")  # one line per HTTP call, with the address: WARNING and above only
# Lines a person starting the assistant has no use for, at every start: WARNING and above only.
QUIET_AT_START = (
    "alembic.runtime.plugins",  # "setup plugin alembic.autogenerate.schemas", seven times
    "rasa_sdk.executor",  # "Registered function for 'action_greet'", once per action
)
# A warning as logging.captureWarnings logs it: "path:line: Category: message".
CAPTURED_WARNING_RE = re.compile(r"(?P<path>[^\n]+?):\d+: (?P<category>\w+): ")
# Deprecations: DeprecationWarning and the libraries' own (PyparsingDeprecationWarning, SQLAlchemy's MovedIn20Warning).
DEPRECATION_RE = re.compile(r"\w*(Deprecat\w*|MovedIn\d+|RemovedIn\d+)Warning")

_installed = False
_pseudonym_key = b""


def scrub(text: str, limit: int = MAX_RECORD_CHARS) -> str:
    """``text`` without e-mails, phone numbers or message field values, at most ``limit`` characters."""
    if len(text) > 4 * limit:  # no need to scan megabytes that will be cut anyway
        text = text[: 4 * limit]
    text = BOT_TOKEN_RE.sub("[jeton]", text)
    text = FIELD_RE.sub(lambda match: match.group("key") + f'"{REDACTED}"', text)
    text = EMAIL_RE.sub("[e-mail]", text)
    text = PHONE_RE.sub("[téléphone]", text)
    if len(text) > limit:
        text = text[:limit] + " […]"
    return text


def guard(record: logging.LogRecord) -> logging.LogRecord:
    """Scrub and bound one record's message and traceback, in place."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not lose the line
        message = str(record.msg)
    if record.exc_info and record.exc_info[0] is not None:
        error = record.exc_info[1]
        if is_client_error(error):
            name = f"{type(error).__module__}.{type(error).__qualname__}"
            record.exc_text = f"{name}: a client's request, not a fault here"
        else:
            record.exc_text = scrub(traceback_without_messages(error))
        record.exc_info = None
    record.msg = scrub(message)
    record.args = ()
    return record


def is_client_error(error: BaseException | None) -> bool:
    """True for an HTTP error a client caused (Sanic's 4xx exceptions): its traceback says nothing.

    Sanic 21.12 logs one with a traceback when a malformed chunked body is found after the answer
    was sent (``protocol.connection_task uncaught``); one line is enough.
    """
    status = getattr(error, "status_code", None)
    return isinstance(status, int) and 400 <= status < 500


def traceback_without_messages(error: BaseException | None) -> str:
    """A traceback's frames and exception types, without the exceptions' messages.

    The frames say where something failed; the messages may say what was being handled
    (Rasa's ``ClientResponseError`` carries the action server's whole answer, a ``KeyError``
    its key), so they are left out.
    """
    lines: list[str] = []
    seen: set[int] = set()
    chain: list[BaseException] = []
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        chain.append(error)
        error = error.__cause__ or error.__context__
    for position, failure in enumerate(reversed(chain)):
        if position:
            lines.append("During the handling of the above, another exception occurred:")
        lines.append("Traceback (most recent call last):")
        for frame in traceback.extract_tb(failure.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        lines.append(f"{type(failure).__module__}.{type(failure).__qualname__} (message not logged)")
    return "\n".join(lines)


def install_record_guard() -> None:
    """Make every log record of this process go through :func:`guard` (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    for name in QUIET_LOGGERS + QUIET_AT_START:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("py.warnings").addFilter(hide_dependency_deprecations)
    make_record = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return guard(make_record(*args, **kwargs))

    logging.setLogRecordFactory(factory)


def hide_dependency_deprecations(record: logging.LogRecord) -> bool:
    """False for a captured deprecation warning raised in a dependency's code, unless logging at DEBUG.

    Rasa, TensorFlow and their dependencies warn about each other's deprecated APIs at every
    start (pkg_resources, pyparsing, distutils): nothing the person running the assistant can
    act on. A warning raised in our own code (``bot/``, ``actions/``, ``scripts/``), or
    about another category, still shows.
    """
    match = CAPTURED_WARNING_RE.match(record.getMessage())
    if match is None or not DEPRECATION_RE.fullmatch(match["category"]):
        return True
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        return True
    path = os.path.abspath(match["path"])
    return any(path.startswith(f"{ROOT / package}{os.sep}") for package in OUR_PACKAGES)


def set_pseudonym_key(key: bytes) -> None:
    """The secret behind :func:`pseudonym` (the signing secret), set once per process."""
    global _pseudonym_key
    _pseudonym_key = key


def pseudonym(conversation_id: object) -> str:
    """A short, stable stand-in for a conversation id in log lines (``conv:1a2b3c4d``)."""
    if not _pseudonym_key:
        from bot.config import get_settings, secret_key

        set_pseudonym_key(secret_key(get_settings()))
    digest = hmac.new(_pseudonym_key, str(conversation_id).encode(), hashlib.sha256).hexdigest()
    return f"conv:{digest[:8]}"


def configure(level: str, *, fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s") -> None:
    """Configure logging for an entry point of ours, with the record guard."""
    install_record_guard()
    logging.captureWarnings(True)
    logging.basicConfig(level=level, format=fmt)
