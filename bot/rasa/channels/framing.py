"""Requests whose body framing Sanic 21.12 cannot read are refused before it tries.

Sanic reads a request body from ``Content-Length`` or ``Transfer-Encoding: chunked`` without
checking them first: a negative length (``Content-Length: -1`` followed by a byte) loops
forever at full CPU and freezes every conversation of the server; a length that is not a
number (``abc``, ``10, 20``) or a transfer coding other than ``chunked`` ends in a 500 with a
traceback. Both headers at once is how request smuggling starts behind a proxy.

:func:`guard_framing` adds a handler of Sanic's ``http.lifecycle.request`` signal (dispatched
once the head is parsed, before any of the body is read) that answers 400 with a JSON error
and closes the connection. Registered on a channel's blueprint, it guards the whole Rasa
server: a blueprint's signals fire for every request of the app (Sanic 21.12 makes them
non-exclusive). :class:`bot.rasa.channels.rest.CheckedRestInput` registers it.

Usage::

    blueprint = Blueprint("...")
    guard_framing(blueprint)
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sanic import Blueprint
from sanic.exceptions import InvalidUsage

logger = logging.getLogger(__name__)

LENGTH = re.compile(r"[0-9]{1,15}")  # a quadrillion bytes: any real length; Sanic's size limit applies after


def framing_error(headers: Any) -> str | None:
    """Why a request with these headers cannot be read safely, or None when it can."""
    lengths = headers.getall("content-length", [])
    codings = headers.getall("transfer-encoding", [])
    if lengths and codings:
        return "a request has either Content-Length or Transfer-Encoding, not both"
    if len(lengths) > 1 or any(not LENGTH.fullmatch(value.strip()) for value in lengths):
        return "Content-Length must be one number of bytes"
    if len(codings) > 1 or any(value != "chunked" for value in codings):
        return "the only Transfer-Encoding read here is 'chunked'"
    return None


def guard_framing(blueprint: Blueprint) -> None:
    """Refuse, on the whole app, requests whose body framing is malformed (see the module docstring)."""

    @blueprint.signal("http.lifecycle.request")
    async def check_framing(request: Any, **_: Any) -> None:
        error = framing_error(request.headers)
        if error is not None:
            logger.info("request refused before its body was read: %s", error)
            raise InvalidUsage(error)
