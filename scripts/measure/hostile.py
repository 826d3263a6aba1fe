"""Hostile inputs for the assistant's three channels, generated from a seed (``make fuzz``).

Usage::

    secrets = Secrets(rest_token="…", telegram_secret="…", origin="http://localhost:8000")
    case = make_case(seed=0, index=17, secrets=secrets)     # always the same case for (seed, index)
    for case in cases(seed=0, messages=10_000, secrets=secrets): ...

A case is one HTTP request (REST channel or Telegram webhook), a few raw bytes on a TCP
connection, or one chat bubble WebSocket session (a handshake and its frames). Each case
is drawn from its own ``random.Random(f"{seed}:{index}")``, so any case can be generated
again alone to reproduce what it triggered. Nothing here does I/O; scripts/fuzz.py sends.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

REST_PATH = "/webhooks/rest/webhook"
TELEGRAM_PATH = "/webhooks/telegram/webhook"
WEB_SOCKET_PATH = "/webhooks/web/socket"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHANNELS = ("rest", "telegram", "web")
SENDER_POOL = 30  # REST senders and Telegram chats shared by several cases: conversations go on
CHAT_BASE = 910_000_000  # Telegram chat ids of the fuzz (owned by the Telegram channel: digits)
# The control's conversations are apart from the fuzz's: a forged button sent again to a chat that the
# control had greeted would be a button the assistant offered there.
CONTROL_CHATS = 50_000_000


@dataclass(frozen=True)
class Secrets:
    """What a legitimate client of each channel knows."""

    rest_token: str  # empty: the REST channel has no token (loopback only)
    telegram_secret: str
    origin: str  # an origin the chat bubble accepts


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request to the Rasa server."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None = None
    skip_content_type: bool = False  # send no Content-Type at all


@dataclass(frozen=True)
class RawRequest:
    """Bytes written on a TCP connection to the Rasa server as they are (broken HTTP)."""

    data: bytes


@dataclass(frozen=True)
class SocketSession:
    """A chat bubble WebSocket session: the Origin header, then steps.

    Steps: ``("hello", frame)`` sends the first frame and reads the answer; ``("send", frame)``
    sends a frame and reads until the assistant stops typing (or an error, or the close);
    ``("flood", frames)`` sends every frame at once, then reads an outcome per frame;
    ``("send_only", frame)`` sends without reading; ``("silent",)`` waits for the server to close;
    ``("close",)`` closes without reading.
    A frame is ``str`` (text frame) or ``bytes`` (binary frame).
    """

    origin: str | None
    steps: tuple[tuple, ...]

    @property
    def frames(self) -> int:
        """Frames this session sends."""
        count = 0
        for step in self.steps:
            if step[0] in ("hello", "send", "send_only"):
                count += 1
            elif step[0] == "flood":
                count += len(step[1])
        return count


@dataclass(frozen=True)
class Case:
    """One generated hostile input."""

    index: int
    channel: str
    kind: str
    request: HttpRequest | RawRequest | SocketSession
    # the conversation it speaks in (REST sender, Telegram chat), for the check of typed payloads
    conversation: str | None = None
    payload_typed: bool = False  # the text is typed payload syntax (Rasa's "/intent{...}")
    fresh: bool = False  # the conversation is this case's own: nothing was offered in it before

    @property
    def opened_by_payload(self) -> str | None:
        """The conversation a typed payload opens, where no button was ever offered."""
        return self.conversation if self.payload_typed and self.fresh else None

    @property
    def messages(self) -> int:
        """Messages this case sends: one request, or a handshake and the frames of a session."""
        if isinstance(self.request, SocketSession):
            return 1 + self.request.frames
        return 1


# --------------------------------------------------------------------------- texts

TEXT_KINDS = ("unicode", "long", "megabyte", "emoji_run", "control", "payload", "injection", "surrogate", "blank")

# Code point ranges people and robots send: Latin, accents, combining marks, Arabic and
# Hebrew (right to left), CJK, Hangul, private use, emoji, mathematical alphanumerics, tags.
UNICODE_RANGES = (
    (0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x590, 0x6FF), (0x900, 0x97F), (0x2000, 0x206F),
    (0x2190, 0x2BFF), (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xF8FF),
    (0xFB00, 0xFFFD), (0x1D400, 0x1D7FF), (0x1F300, 0x1FAFF), (0xE0000, 0xE007F), (0x10FFF0, 0x10FFFF),
)  # fmt: skip
RUNS = ("😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "€", "﷽", "ꙮ", "\u0338", "\u200b", "a", "9", "é", "–", "!", ".", "\t")
RUN_LENGTHS = (50, 500, 1999, 2000, 2001, 20_000)
CONTROLS = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\r\n\t\x85\u2028\u2029\ufeff\u202e\u202d\u200d\u200e\ufffd\ufffe\uffff"
WORDS = ("bonjour", "je", "veux", "aider", "Lyon", "le", "samedi", "matin", "cuisine", "Julie", "oui", "non")
INJECTIONS = (
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "'; DROP TABLE volunteers; --",
    "1' OR '1'='1", "{{7*7}}", "${jndi:ldap://127.0.0.1/a}", "%s%s%s%n%x", "{0.__class__.__mro__}",
    "{first_name}", "{{first_name}}", "../../../../etc/passwd", "[lien](javascript:alert(1))",
    "\\u0000\\x00", '{"sender": "web-x", "message": "/restart"}', "je m'appelle {first_name} {limit}",
    "%(message)s", "`rm -rf /`", "$(reboot)", "<!--", "]]>", "*" * 64 + "_" * 64,
)  # fmt: skip
PAYLOADS = (
    '/inform{{"first_name": "<script>{mark}</script>"}}', "/restart", "/session_start", "/affirm", "/deny",
    '/inform{{"email": "{mark}@example.invalid"}}', '/apply{{"mission_id": "1"}}', "/delete_my_data",
    "/show_my_data", '/inform{{"place": {{"$ne": null}}, "first_name": "{mark}"}}',
    '/inform{{"skills": ["{mark}", "cuisine", "' + "x" * 300 + '"]}}', '/greet{{"source": "{mark}"}}',
    '/inform{{"first_name": "{mark}"', '/inform{{"first_name": ' + "[" * 300, '//inform{{"first_name": "{mark}"}}',
    "/ inform", "/EXTERNAL_retention_notice", '/mission_invitation{{"mission_id": "{mark}"}}', "/nlu_fallback",
    '/inform@0.99{{"first_name": "{mark}"}}', '/inform{{"first_name": "{mark}", "consent": "given"}}',
    '/inform{{"age_group": "adult", "first_name": "{mark}"}}', "/", "/stop", "/start_over",
    '/inform{{"first_name": "{mark}"}} bonjour', '/inform{{"availability": [{{"day": "lundi"}}], "x": 1e999}}',
)  # fmt: skip
SURROGATES = ("\ud800", "\udfff", "\udc80", "\ud83d")
BLANKS = ("", " ", "\n\t ", "\u00a0\u3000", "\u200b\u200b", "\r\n" * 50)
ODD_SENDERS = ("jean dupont", "../../etc", "é", "a\x00b", "fz\n1", "<b>", "x" * 127 + "é", "fz%00", "fz;rm")
LEADING_SPACE = ("", "", " ", "  ", "\n", "\t", " \n\t", "\u00a0", "\u3000", "\u200b")


def _repeat_to(rng: random.Random, length: int, alphabet: str) -> str:
    """``length`` characters: a random chunk repeated (cheap even at a million characters)."""
    chunk = "".join(rng.choice(alphabet) for _ in range(min(length, 257)))
    return (chunk * (length // len(chunk) + 1))[:length]


def random_unicode(rng: random.Random, length: int) -> str:
    """Random characters from many scripts, planes and symbol blocks (no surrogates)."""
    characters = []
    for _ in range(length):
        low, high = rng.choice(UNICODE_RANGES)
        characters.append(chr(rng.randint(low, high)))
    return "".join(characters)


def payload_text(rng: random.Random, mark: str) -> str:
    """Typed Rasa payload syntax, sometimes after whitespace."""
    return rng.choice(LEADING_SPACE) + rng.choice(PAYLOADS).format(mark=mark)


# What a volunteer writes: the control run sends these where the fuzz sends a hostile text.
ORDINARY_TEXTS = (
    "bonjour", "je voudrais devenir bénévole", "quelles missions avez-vous ?", "oui", "non merci",
    "j'habite à Villeurbanne", "je sais cuisiner et bricoler", "le samedi matin", "comment ça marche ?",
    "merci beaucoup", "est-ce que je suis assuré ?", "je m'appelle Julie", "plutôt l'environnement",
)  # fmt: skip


def hostile_text(rng: random.Random, kind: str, mark: str, *, tame: bool = False) -> str:
    """A message text of one of :data:`TEXT_KINDS`; ``mark`` tags typed payloads.

    ``tame``: an ordinary sentence instead (the control run: the same traffic without the hostile texts).
    """
    if tame:
        return rng.choice(ORDINARY_TEXTS)
    if kind == "unicode":
        return random_unicode(rng, rng.randint(1, 400))
    if kind == "long":  # over the 2,000 characters every channel reads
        length = rng.choice((2001, 2500, 4097, 10_000, 60_000))
        return _repeat_to(rng, length, "abcdéèàç " + random_unicode(rng, 20))
    if kind == "megabyte":
        return _repeat_to(rng, rng.choice((100_000, 300_000, 1_000_000)), "azertyuiopéèà ,.;")
    if kind == "emoji_run":
        return rng.choice(RUNS) * rng.choice(RUN_LENGTHS)
    if kind == "control":
        parts = [rng.choice(CONTROLS) if rng.random() < 0.5 else rng.choice(WORDS) for _ in range(rng.randint(1, 60))]
        return "".join(parts)
    if kind == "payload":
        return payload_text(rng, mark)
    if kind == "injection":
        return rng.choice(("", "je m'appelle ", "j'habite à ")) + rng.choice(INJECTIONS)
    if kind == "surrogate":
        return rng.choice(WORDS) + rng.choice(SURROGATES) + rng.choice(("", " bonjour", rng.choice(SURROGATES)))
    if kind == "blank":
        return rng.choice(BLANKS)
    raise ValueError(f"no text kind {kind!r}")


def _json(value: object, rng: random.Random, *, ascii_only: bool = False) -> bytes:
    """JSON bytes, with non-ASCII characters as they are or escaped (lone surrogates: always escaped)."""
    try:
        ensure_ascii = ascii_only or rng.random() < 0.3
        return json.dumps(value, ensure_ascii=ensure_ascii).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True).encode("utf-8")


def _nested(depth: int, opening: str = "[", closing: str = "]") -> bytes:
    return (opening * depth + closing * depth).encode()


def _nested_objects(depth: int) -> bytes:
    return ('{"a":' * depth + "1" + "}" * depth).encode()


# --------------------------------------------------------------------------- the REST channel

REST_KINDS = {
    # a message that goes to the assistant (with the token, a sender of this channel)
    **{f"text:{kind}": 4 for kind in TEXT_KINDS},
    "text:payload": 8,
    # bodies the channel must refuse
    "empty_body": 1, "not_json": 1, "invalid_utf8": 1, "json_array": 1, "json_string": 1, "json_null": 1,
    "json_number": 1, "json_true": 1, "nested_arrays": 2, "nested_objects": 2, "sender_missing": 1,
    "sender_null": 1, "sender_number": 1, "sender_object": 1, "sender_empty": 1, "sender_huge": 1,
    "sender_odd_characters": 2, "sender_web": 2, "sender_telegram": 2, "message_missing": 1, "message_null": 1,
    "message_number": 1, "message_list": 1, "message_object": 1, "claims_channel": 2, "duplicate_keys": 1,
    "huge_number": 1, "nan": 1, "wrong_content_type": 3,
    # access
    "no_token": 3, "wrong_token": 3, "token_in_query": 1, "token_lowercase": 1, "forwarded": 2, "huge_header": 1,
    # methods and broken HTTP
    "other_method": 2, "raw_truncated_body": 1, "raw_bad_content_length": 1, "raw_negative_content_length": 1,
    "raw_garbage": 1,
    "raw_chunked_garbage": 1, "raw_many_headers": 1,
}  # fmt: skip


def _rest_sender(rng: random.Random, seed: int, index: int, *, control: bool = False) -> tuple[str, bool]:
    """A sender id, and whether it is this case's own (``control``: one of the control's)."""
    prefix = "fzc" if control else "fz"
    if rng.random() < 0.3:
        return f"{prefix}-{seed}-pool{rng.randrange(SENDER_POOL)}", False
    return f"{prefix}-{seed}-{index}", True


def _rest_case(
    rng: random.Random, seed: int, index: int, secrets: Secrets, attempt: int = 0, *, tame: bool = False
) -> Case:
    kind = _weighted(rng, REST_KINDS)
    sender, fresh = _rest_sender(rng, seed, index, control=tame)
    auth = (("Authorization", f"Bearer {secrets.rest_token}"),) if secrets.rest_token else ()
    json_headers = (("Content-Type", "application/json"), *auth)
    body: object = {"sender": sender, "message": "bonjour"}

    def post(data: bytes | None, headers: tuple[tuple[str, str], ...] = json_headers, **extra: bool) -> HttpRequest:
        return HttpRequest("POST", REST_PATH, headers, data, **extra)

    def case(request: HttpRequest | RawRequest, *, typed: bool = False, conversation: str | None = None) -> Case:
        return Case(index, "rest", kind, request, conversation=conversation, payload_typed=typed, fresh=fresh)

    if kind.startswith("text:"):
        text_kind = kind.split(":", 1)[1]
        text = hostile_text(rng, text_kind, mark=f"fz{index}", tame=tame)
        body = {"sender": sender, "message": text}
        data = _json(body, rng, ascii_only=text_kind == "surrogate")
        return case(post(data), typed=text_kind == "payload", conversation=sender)
    simple = {
        "empty_body": b"", "not_json": b"sender=x&message=bonjour", "invalid_utf8": b'{"sender": "\xff\xfe", "m\xc3(',
        "json_array": b'[{"sender": "x", "message": "bonjour"}]', "json_string": b'"bonjour"', "json_null": b"null",
        "json_number": b"42", "json_true": b"true",
    }  # fmt: skip
    if kind in simple:
        return case(post(simple[kind]))
    if kind == "nested_arrays":
        return case(post(_nested(rng.choice((100, 1000, 5000, 30_000)))))
    if kind == "nested_objects":
        depth = rng.choice((100, 1000, 5000, 30_000))
        inner = _nested_objects(depth).decode()
        return case(post(f'{{"sender": "{sender}", "message": {inner}}}'.encode()))
    senders: dict[str, object] = {
        "sender_null": None, "sender_number": rng.choice((0, -1, 10**30, 3.5)), "sender_object": {"id": sender},
        "sender_empty": "", "sender_huge": "s" * rng.choice((129, 1000, 30_000)),
        "sender_odd_characters": rng.choice(ODD_SENDERS),
        "sender_web": "web-" + "".join(rng.choice("abcdefXYZ0123_-") for _ in range(24)),
        "sender_telegram": str(rng.choice((CHAT_BASE + rng.randrange(1000), -100123456789, 0, 42))),
    }  # fmt: skip
    if kind in senders:
        return case(post(_json({"sender": senders[kind], "message": "bonjour"}, rng)))
    if kind == "sender_missing":
        return case(post(_json({"message": "bonjour"}, rng)))
    messages = {"message_null": None, "message_number": 12, "message_list": ["bonjour"], "message_object": {"t": 1}}
    if kind in messages:
        return case(post(_json({"sender": sender, "message": messages[kind]}, rng)))
    if kind == "message_missing":
        return case(post(_json({"sender": sender}, rng)))
    if kind == "claims_channel":  # a client cannot choose its channel or metadata
        claim = {"sender": sender, "message": "bonjour", "input_channel": "telegram", "metadata": {"admin": True}}
        return case(post(_json(claim, rng)), conversation=sender)
    if kind == "duplicate_keys":
        return case(post(f'{{"sender": "web-x", "sender": "{sender}", "message": 1, "message": "salut"}}'.encode()))
    if kind == "huge_number":
        return case(post(f'{{"sender": "{sender}", "message": {"9" * rng.choice((400, 5000))}}}'.encode()))
    if kind == "nan":
        return case(post(f'{{"sender": "{sender}", "message": {rng.choice(("NaN", "Infinity", "-1e999"))}}}'.encode()))
    if kind == "wrong_content_type":
        content_type = rng.choice(
            (
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/xml",
                "",
            )
        )
        headers = (*auth, ("Content-Type", content_type)) if content_type else auth
        return case(post(_json(body, rng), headers, skip_content_type=not content_type))
    if kind == "no_token":
        return case(post(_json(body, rng), (("Content-Type", "application/json"),)))
    if kind == "wrong_token":
        token = secrets.rest_token
        wrong = rng.choice(
            ("Bearer ", "Bearer x", f"Bearer {token}x", f"Basic {token}", token or "x", "Bearer " + "A" * 500,
             f"Bearer  {token}")
        )  # fmt: skip
        return case(post(_json(body, rng), (("Content-Type", "application/json"), ("Authorization", wrong))))
    if kind == "token_in_query":
        return case(
            HttpRequest("POST", f"{REST_PATH}?token={secrets.rest_token}", (("Content-Type", "application/json"),),
                        _json(body, rng))
        )  # fmt: skip
    if kind == "token_lowercase":
        headers = (("Content-Type", "application/json"), ("authorization", f"bearer {secrets.rest_token}"))
        return case(post(_json(body, rng), headers))
    if kind == "forwarded":
        forwarded = rng.choice((("X-Forwarded-For", "203.0.113.9"), ("Forwarded", "for=203.0.113.9"),
                                ("X-Real-IP", "203.0.113.9")))  # fmt: skip
        headers = (("Content-Type", "application/json"), forwarded, *(auth if rng.random() < 0.5 else ()))
        return case(post(_json(body, rng), headers))
    if kind == "huge_header":
        headers = (*json_headers, ("X-Padding", "p" * rng.choice((9000, 70_000))))
        return case(post(_json(body, rng), headers))
    if kind == "other_method":
        method = rng.choice(("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"))
        return case(
            HttpRequest(method, REST_PATH, json_headers, _json(body, rng) if method in ("PUT", "PATCH") else None)
        )
    return case(RawRequest(_raw_http(rng, kind, REST_PATH, _json(body, rng), auth)))


def _raw_http(rng: random.Random, kind: str, path: str, body: bytes, headers: tuple[tuple[str, str], ...]) -> bytes:
    """Broken HTTP: a truncated body, a bad length, garbage, bad chunks, too many headers."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers]
    if kind == "raw_truncated_body":
        head = "\r\n".join([*lines, f"Content-Length: {len(body) + rng.choice((1, 1000, 10**6))}", "", ""])
        return head.encode() + body
    if kind == "raw_bad_content_length":
        length = rng.choice(("abc", "1e3", "99999999999999999999", "10, 20", "+5", " "))
        return "\r\n".join([*lines, f"Content-Length: {length}", "", ""]).encode() + body
    if kind == "raw_negative_content_length":
        length = rng.choice(("-1", "-2", "-100", "-0"))
        return "\r\n".join([*lines, f"Content-Length: {length}", "", ""]).encode() + body
    if kind == "raw_chunked_garbage":
        chunks = rng.choice((b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nab\r\n0\r\n\r\n", b"ffffffffffffffff\r\nx\r\n"))
        return "\r\n".join([*lines, "Transfer-Encoding: chunked", "", ""]).encode() + chunks
    if kind == "raw_many_headers":
        many = [f"X-H{number}: {number}" for number in range(rng.choice((200, 2000)))]
        return "\r\n".join([*lines, *many, f"Content-Length: {len(body)}", "", ""]).encode() + body
    garbage = rng.choice(
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"GET / HTTP/9.9\r\n\r\n", b"POST\r\n\r\n",
         b"POST " + path.encode() + b" HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
         bytes(rng.randrange(256) for _ in range(512)),
         b"POST /" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n")
    )  # fmt: skip
    return garbage


# --------------------------------------------------------------------------- the Telegram webhook

TELEGRAM_KINDS = {
    **{f"text:{kind}": 3 for kind in TEXT_KINDS},
    "text:payload": 5, "spaced_payload": 6, "command": 4, "callback_forged": 6,
    "no_secret": 3, "wrong_secret": 3, "not_json": 1, "invalid_utf8": 1, "json_array": 1, "json_null": 1,
    "nested": 2, "no_update_id": 1, "update_id_string": 1, "update_id_bool": 1, "update_id_float": 1,
    "update_id_huge": 1, "duplicate_update": 1, "too_large": 1, "message_no_chat": 1, "chat_id_string": 1,
    "group_chat": 1, "text_not_string": 1, "message_empty": 1, "message_list": 1, "callback_no_message": 1,
    "edited_message": 1, "channel_post": 1, "member_malformed": 1, "odd_location": 2, "media": 1,
    "bad_entities": 1, "no_from": 1, "date_string": 1, "unknown_fields": 1,
}  # fmt: skip


def _chat_id(rng: random.Random, index: int, *, fresh: bool = False, control: bool = False) -> tuple[int, bool]:
    """A private chat id, and whether it is this case's own (``control``: one of the control's)."""
    base = CHAT_BASE + (CONTROL_CHATS if control else 0)
    if fresh or rng.random() < 0.5:
        return base + 100_000 + index, True
    return base + rng.randrange(SENDER_POOL), False


def _update_id(seed: int, index: int, attempt: int) -> int:
    """Telegram answers an update id once: a case sent again (``attempt``) carries another."""
    return attempt * 10**11 + (seed % 1000) * 10_000_000 + index + 1


def _message(update_id: int, chat_id: int, **content: object) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Fuzz", "language_code": "fr"},
            "chat": {"id": chat_id, "first_name": "Fuzz", "type": "private"},
            "date": 1_795_000_000,
            **content,
        },
    }


def _callback(update_id: int, chat_id: int, data: object) -> dict[str, object]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": {"id": chat_id, "is_bot": False, "first_name": "Fuzz"},
            "message": {
                "message_id": 7, "date": 1_795_000_000, "text": "…",
                "from": {"id": 123456, "is_bot": True, "first_name": "Entraide"},
                "chat": {"id": chat_id, "type": "private"},
            },
            "chat_instance": "-42",
            "data": data,
        },
    }  # fmt: skip


def _telegram_case(
    rng: random.Random, seed: int, index: int, secrets: Secrets, attempt: int = 0, *, tame: bool = False
) -> Case:
    kind = _weighted(rng, TELEGRAM_KINDS)
    update_id = _update_id(seed, index, attempt)
    chat, fresh = _chat_id(rng, index, fresh=kind in ("text:payload", "spaced_payload"), control=tame)
    headers = (("Content-Type", "application/json"), (TELEGRAM_SECRET_HEADER, secrets.telegram_secret))
    update: dict[str, Any] = _message(update_id, chat, text="bonjour")

    def case(body: bytes, given: tuple[tuple[str, str], ...] = headers, *, typed: bool = False) -> Case:
        request = HttpRequest("POST", TELEGRAM_PATH, given, body)
        return Case(index, "telegram", kind, request, conversation=str(chat), payload_typed=typed, fresh=fresh)

    if kind.startswith("text:"):
        text_kind = kind.split(":", 1)[1]
        text = hostile_text(rng, text_kind, mark=f"fz{index}", tame=tame)
        data = _json(_message(update_id, chat, text=text), rng, ascii_only=text_kind == "surrogate")
        return case(data, typed=text_kind == "payload")
    if kind == "spaced_payload":  # whitespace first: not a command for Telegram, maybe an intent for Rasa
        text = rng.choice((" ", "  ", "\n", "\t", " \n ", "\u00a0", "\u2003", "\r\n")) + payload_text(rng, f"fz{index}")
        return case(_json(_message(update_id, chat, text=text), rng), typed=True)
    if kind == "command":
        command = rng.choice(
            ("/start", "/start " + "x" * 80, "/start {\"source\": \"x\"}", "/start é", "/start@other_bot", "/supprimer",
             "/mesdonnees", "/stop", "/aide", "/xyz", "/", "/" + "a" * 5000, "/START", "/start\n/inform{}")
        )  # fmt: skip
        entities = [
            {"offset": 0, "length": max(1, len(command.split()[0]) if command.split() else 1), "type": "bot_command"}
        ]
        return case(_json(_message(update_id, chat, text=command, entities=entities), rng))
    if kind == "callback_forged":
        forged: object = rng.choice(
            (payload_text(rng, f"fz{index}").strip(), "b:" + str(rng.randrange(10**6)), "", "x" * 65, "é" * 40,
             random_unicode(rng, 30), "/affirm", "/deny", "0", None, 12, {"payload": "/affirm"})
        )  # fmt: skip
        typed = isinstance(forged, str) and forged.startswith("/")
        return case(_json(_callback(update_id, chat, forged), rng), typed=typed)
    if kind == "no_secret":
        return case(_json(update, rng), (("Content-Type", "application/json"),))
    if kind == "wrong_secret":
        wrong = rng.choice(("", "x", secrets.telegram_secret + "x", secrets.telegram_secret.upper(), "s" * 300))
        return case(_json(update, rng), (("Content-Type", "application/json"), (TELEGRAM_SECRET_HEADER, wrong)))
    raw = {
        "not_json": b"update_id=1", "invalid_utf8": b'{"update_id": 1, "message": {"text": "\xff\xfe\xc3('
        b'"}}', "json_array": b"[1, 2, 3]", "json_null": b"null",
    }  # fmt: skip
    if kind in raw:
        return case(raw[kind])
    if kind == "nested":
        depth = rng.choice((100, 1000, 5000, 30_000))
        inner = _nested(depth).decode() if rng.random() < 0.5 else _nested_objects(depth).decode()
        return case(f'{{"update_id": {update_id}, "message": {inner}}}'.encode())
    if kind == "too_large":
        return case(_json(_message(update_id, chat, text="x" * rng.choice((262_145, 1_000_000))), rng))
    broken: dict[str, object] = {
        "no_update_id": {"message": update["message"]},
        "update_id_string": {**update, "update_id": str(update_id)},
        "update_id_bool": {**update, "update_id": True},
        "update_id_float": {**update, "update_id": update_id + 0.5},
        "update_id_huge": {**update, "update_id": 2**80 + update_id},
        "duplicate_update": _message(max(1, update_id - 1), chat, text="bonjour"),
        "message_no_chat": {"update_id": update_id, "message": {"message_id": 1, "date": 1, "text": "bonjour"}},
        "chat_id_string": _message(update_id, chat, text="bonjour", chat={"id": "abc", "type": "private"}),
        "group_chat": _message(update_id, chat, text=rng.choice(("/start", "bonjour")), chat={"id": -100 - index,
                               "type": rng.choice(("group", "supergroup", "channel"))}),
        "text_not_string": _message(update_id, chat, text=rng.choice((42, ["a"], {"b": 1}, True))),
        "message_empty": {"update_id": update_id, "message": {}},
        "message_list": {"update_id": update_id, "message": ["bonjour"]},
        "callback_no_message": {"update_id": update_id, "callback_query": {"id": "1", "from": {"id": chat,
                                "is_bot": False, "first_name": "F"}, "chat_instance": "1", "data": "/affirm"}},
        "edited_message": {"update_id": update_id, "edited_message": _message(update_id, chat, text="x")["message"]},
        "channel_post": {"update_id": update_id, "channel_post": {"message_id": 1, "date": 1, "text": "/start",
                         "chat": {"id": -1001, "type": "channel"}}},
        "member_malformed": {"update_id": update_id, "my_chat_member": {"chat": {"id": chat}, "new_chat_member": 3}},
        "odd_location": _message(update_id, chat, location={"latitude": rng.choice((float("nan"), 1e308, -91.0, 0.0,
                                 "45.7")), "longitude": rng.choice((float("inf"), 4.8, -181.0, None))}),
        "media": _message(update_id, chat, **{rng.choice(("photo", "sticker", "voice", "document", "dice", "poll")):
                          rng.choice(({}, [], "x", [{"file_id": 1}]))}),
        "bad_entities": _message(update_id, chat, text="/start x", entities=[{"offset": 99, "length": -5,
                                 "type": "bot_command"}, {"type": "url"}]),
        "no_from": {"update_id": update_id, "message": {"message_id": 1, "date": 1, "text": "bonjour",
                    "chat": {"id": chat, "type": "private"}}},
        "date_string": _message(update_id, chat, text="bonjour", date="hier"),
        "unknown_fields": {**update, "business_message": {"x": 1}, "surprise": [None] * 50},
    }  # fmt: skip
    return case(_json(broken[kind], rng))


# --------------------------------------------------------------------------- the chat bubble

WEB_KINDS = {
    "bad_origin": 2, "silent": 1, "bad_hello": 4, "forged_token": 4, "texts": 12, "oversize_frame": 3,
    "binary_frame": 2, "flood": 2, "odd_frames": 4, "abrupt_close": 2,
}  # fmt: skip


def _frame(value: object, rng: random.Random, *, ascii_only: bool = False) -> str:
    return _json(value, rng, ascii_only=ascii_only).decode("utf-8")


def _hello(token: object = None) -> tuple[str, str]:
    return ("hello", json.dumps({"type": "hello", "conversation": token}))


def _web_case(
    rng: random.Random, seed: int, index: int, secrets: Secrets, attempt: int = 0, *, tame: bool = False
) -> Case:
    kind = _weighted(rng, WEB_KINDS)
    origin: str | None = secrets.origin
    steps: list[tuple] = []
    if kind == "bad_origin":
        origin = rng.choice((None, "null", "http://evil.example", secrets.origin + ".evil.example", "file://",
                             secrets.origin.replace("http", "https"), secrets.origin + ":1"))  # fmt: skip
        steps = [_hello()]
    elif kind == "silent":
        steps = [("silent",)]
    elif kind == "bad_hello":
        frame = rng.choice(
            ("{not json", "[1, 2]", '"hello"', "null", json.dumps({"type": "start"}),
             json.dumps({"conversation": None}),
             json.dumps({"type": "HELLO"}), json.dumps({"type": "hello", "conversation": 42}),
             json.dumps({"type": "hello", "conversation": {"id": "web-x"}}),
             json.dumps({"type": "hello", "conversation": "x" * 10_000}), b"\x00\x01hello", "")
        )  # fmt: skip
        steps = [("hello", frame), ("send", json.dumps({"type": "start"}))]
    elif kind == "forged_token":
        forged = rng.choice(
            ("web-" + "A" * 24, "web-" + "A" * 24 + ".AAAAAAAAAAAAAAAAAAAAAAAAAAA", f"{CHAT_BASE}.abc",
             "fz-0-pool1.sig", "web-../../x.y", "." * 50, "web-x." + "A" * 195, random_unicode(rng, 40), "web-é.é")
        )  # fmt: skip
        steps = [_hello(forged), ("send", _frame({"type": "message", "text": "bonjour"}, rng))]
    elif kind == "texts":
        steps = [_hello()]
        if rng.random() < 0.5:
            steps.append(("send", json.dumps({"type": "start"})))
        for _ in range(rng.randint(1, 4)):
            text_kind = rng.choice(TEXT_KINDS)
            text = hostile_text(rng, text_kind, mark=f"fz{index}", tame=tame)
            steps.append(("send", _frame({"type": "message", "text": text}, rng, ascii_only=text_kind == "surrogate")))
    elif kind == "oversize_frame":
        size = rng.choice((16 * 1024 + 1, 64 * 1024, 1024 * 1024))
        frame = rng.choice(("x" * size, json.dumps({"type": "message", "text": "é" * size})))
        steps = [_hello(), ("send", frame)]
    elif kind == "binary_frame":
        blob = rng.choice((b"\x00\x01\x02", json.dumps({"type": "message", "text": "bonjour"}).encode(),
                           bytes(rng.randrange(256) for _ in range(rng.choice((1, 100, 4000))))))  # fmt: skip
        steps = [_hello(), ("send", blob), ("send", json.dumps({"type": "message", "text": "bonjour"}))]
    elif kind == "flood":
        count = rng.choice((25, 40, 80))
        text = rng.choice(("bonjour", "oui", "😀" * 10, "/affirm"))
        steps = [_hello(), ("flood", tuple(json.dumps({"type": "message", "text": text}) for _ in range(count)))]
    elif kind == "odd_frames":
        steps = [_hello()]
        for _ in range(rng.randint(1, 5)):
            frame = rng.choice(
                (json.dumps({"type": "subscribe", "to": "everything"}), json.dumps({"type": "message"}),
                 json.dumps({"type": "message", "text": rng.choice((42, None, ["a"], {"t": 1}, True))}),
                 json.dumps({"type": "message", "text": "oui", "label": "L" * rng.choice((10, 5000))}),
                 json.dumps({"type": "message", "text": "oui", "label": {"x": 1}}), json.dumps({"type": "hello"}),
                 json.dumps({"type": "start"}), json.dumps({"type": None}), json.dumps([]), "{", "",
                 json.dumps({"type": "message", "text": "x" * 2001}))
            )  # fmt: skip
            steps.append(("send", frame))
    else:  # abrupt_close: a message, then gone before the answer
        steps = [_hello(), ("send_only", json.dumps({"type": "message", "text": rng.choice(WORDS)})), ("close",)]
    return Case(index, "web", kind, SocketSession(origin, tuple(steps)))


# --------------------------------------------------------------------------- choosing

CHANNEL_WEIGHTS = {"rest": 55, "telegram": 38, "web": 7}
KINDS = {"rest": REST_KINDS, "telegram": TELEGRAM_KINDS, "web": WEB_KINDS}
MAKERS = {"rest": _rest_case, "telegram": _telegram_case, "web": _web_case}


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_case(
    seed: int,
    index: int,
    secrets: Secrets,
    *,
    only: frozenset[str] | None = None,
    skip: frozenset[str] = frozenset(),
    attempt: int = 0,
    tame: bool = False,
) -> Case:
    """Case ``index`` of the run seeded with ``seed``.

    ``only`` and ``skip`` name channels (``rest``) or kinds (``rest/nested_arrays``) to keep or
    leave out: cases are drawn again until one fits, so a filtered run is reproducible too.
    ``attempt`` > 0 is the same case sent again, with a new Telegram update id (Telegram's
    webhook ignores an update it has already seen). ``tame``: every hostile message text
    replaced by an ordinary sentence, the rest of the case unchanged (the control run).
    """
    rng = random.Random(f"{seed}:{index}")
    for _ in range(10_000):
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        case = MAKERS[channel](rng, seed, index, secrets, attempt, tame=tame)
        names = {case.channel, f"{case.channel}/{case.kind}"}
        if (only is None or names & only) and not names & skip:
            return case
    raise ValueError(f"no case fits only={sorted(only or ())} skip={sorted(skip)}")


def cases(
    seed: int,
    messages: int,
    secrets: Secrets,
    *,
    start: int = 0,
    only: frozenset[str] | None = None,
    skip: frozenset[str] = frozenset(),
    attempt: int = 0,
    tame: bool = False,
) -> Iterator[Case]:
    """Cases ``start``, ``start + 1``… until they send at least ``messages`` messages (see :func:`make_case`)."""
    sent, index = 0, start
    while sent < messages:
        case = make_case(seed, index, secrets, only=only, skip=skip, attempt=attempt, tame=tame)
        sent += case.messages
        index += 1
        yield case


def all_kinds() -> list[str]:
    """Every ``channel/kind`` the generator can produce."""
    return [f"{channel}/{kind}" for channel, weights in KINDS.items() for kind in weights]
