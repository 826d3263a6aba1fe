"""Calls to the action server: the answer's validation, and the HTTP client.

- Every answer of the action server is checked against its JSON schema with
  ``jsonschema.validate``, which first re-checks the (large) schema itself against the JSON
  Schema meta-schema: about 50 ms of CPU per custom action call, more than the rest of a turn.
  It is validated with validators compiled once (jsonschema-rs says an answer is valid in
  microseconds; an invalid one goes through jsonschema): same checks, same error.
- Rasa opens a new HTTP client, and a new TCP connection, for every call to the action server.
  The clients share one pool of connections, kept open for two seconds, under the five seconds
  after which the action server (Sanic) closes an idle one. They write the request (the whole
  conversation, several times a message) with ujson rather than ``json``: the same JSON
  values, a few times faster.
"""

from __future__ import annotations

import atexit
import json
from functools import cache
from typing import Any

import ujson

from bot.rasa.speedups.patching import replace

_original: dict[str, Any] = {}
# the event loop -> the connection pool its HTTP clients share
_connectors: dict[int, tuple[Any, Any]] = {}
# An idle connection to the action server is reused within this many seconds: under Sanic's keep-alive (5 s).
KEEP_ALIVE_SECONDS = 2.0


@cache
def _action_result_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every call
    return validator_class(schema)


@cache
def _quick_action_result_check() -> Any:
    """The same schema compiled by jsonschema-rs (Rust): it only says whether an answer is valid."""
    import jsonschema_rs
    from rasa.core.actions.action import RemoteAction

    return jsonschema_rs.validator_for(RemoteAction.action_response_format_spec())


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with compiled validators (same checks, same error).

    A valid answer is recognised by the Rust validator; any other goes through Python's
    jsonschema, which gives Rasa's own error (or, should the two ever disagree, the last word).
    """
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    if _quick_action_result_check().is_valid(result):
        return True
    try:
        _action_result_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise


def _close_pools() -> None:
    """At exit, close the pools' idle connections (their event loop has stopped: no farewell to send)."""
    for _, connector in _connectors.values():
        try:
            connector._close()
        except Exception:  # noqa: BLE001 - the process is ending; the system closes the sockets anyway
            connector._closed = True
    _connectors.clear()


def _pooled_session(self: Any) -> Any:
    """EndpointConfig.session, with the connections of the running event loop's pool."""
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    loop = asyncio.get_running_loop()
    pooled = _connectors.get(id(loop))
    if pooled is None or pooled[0] is not loop or pooled[1].closed:
        if not _connectors:
            atexit.register(_close_pools)
        pooled = (loop, aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS))
        _connectors[id(loop)] = pooled
    auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
    return aiohttp.ClientSession(
        headers=self.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=pooled[1],
        connector_owner=False,  # closing a client leaves the pool open
        json_serialize=json_dumps,
    )


def json_dumps(value: Any) -> str:
    """``json.dumps`` of what Rasa sends the action server (the tracker), written by ujson (C).

    The same JSON values, without the spaces; anything ujson does not write as ``json`` would
    (not-a-number, or an object it does not know) is left to ``json``.
    """
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False, reject_bytes=True)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


def install() -> None:
    """Compiled validators for the action server's answers; pooled HTTP clients writing with ujson."""
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    _original["validate_action_result"] = replace(RemoteAction, "_validate_action_result", _validate_action_result)
    _original["session"] = replace(EndpointConfig, "session", _pooled_session)
