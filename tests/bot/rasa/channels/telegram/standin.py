"""A local stand-in of the Telegram Bot API: an HTTP server on 127.0.0.1 that records every call.

python-telegram-bot reaches it through ``Bot(base_url=standin.base_url)`` (the TELEGRAM_API_URL
setting), exactly as it reaches api.telegram.org. It implements the methods the channel
uses, can answer one call with a 429 (``fail_next``), and serves queued updates to getUpdates.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

# Parameters PTB sends JSON-encoded in its form bodies (strings are sent as they are).
STRUCTURED = {
    "chat_id", "reply_markup", "allowed_updates", "offset", "timeout", "limit", "commands",
    "drop_pending_updates", "message_id", "cache_time", "show_alert", "max_connections",
}  # fmt: skip


class Call(dict):
    """One recorded Bot API call: its method and parameters."""

    @property
    def method(self) -> str:
        return str(self["method"])

    @property
    def params(self) -> dict[str, Any]:
        return dict(self["params"])


class BotAPIStandIn:
    """The stand-in server. Start it with :meth:`start`, stop it with :meth:`stop`."""

    def __init__(self, token: str, *, username: str = "entraide_test_bot") -> None:
        self.token = token
        self.username = username
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self._failures: dict[str, list[int]] = {}
        self._condition = threading.Condition()
        self._message_ids = itertools.count(1000)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._stopping = False

    @property
    def base_url(self) -> str:
        """What to pass as PTB's ``base_url`` (TELEGRAM_API_URL)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> BotAPIStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- what tests arrange ----------------------------------------------------------------

    def fail_next(self, method: str, *, retry_after: int) -> None:
        """Answer the next call of ``method`` with 429 Too Many Requests."""
        with self._condition:
            self._failures.setdefault(method, []).append(retry_after)

    def queue_update(self, update: dict[str, Any]) -> None:
        """An update getUpdates will hand out."""
        with self._condition:
            self.updates.append(update)
            self._condition.notify_all()

    # --- what tests check ------------------------------------------------------------------

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._condition:
            return [
                c for c in self.calls if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
            ]

    def texts(self, chat_id: int) -> list[str]:
        """Texts delivered to a chat, in order (calls answered with a 429 delivered nothing)."""
        return [str(c.params["text"]) for c in self.calls_of("sendMessage", chat_id) if not c["refused"]]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
        """Wait until ``predicate()`` holds (checked at each call); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(min(left, 0.2))
        return True

    def wait_for_texts(self, chat_id: int, count: int, timeout: float = 60.0) -> list[str]:
        """Wait until ``count`` texts were sent to the chat, then return them all."""
        self.wait_for(lambda: len(self.texts(chat_id)) >= count, timeout)
        return self.texts(chat_id)

    # --- serving ---------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                standin._serve(self)

            def do_GET(self) -> None:  # noqa: N802
                standin._serve(self)

        return Handler

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        prefix = f"/bot{self.token}/"
        if not request.path.startswith(prefix):
            self._reply(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = request.path[len(prefix) :].split("?", 1)[0]
        params = self._params(request)
        with self._condition:
            failures = self._failures.get(method)
            retry_after = failures.pop(0) if failures else None
            self.calls.append(Call(method=method, params=params, at=time.monotonic(), refused=retry_after is not None))
            self._condition.notify_all()
        if retry_after is not None:
            self._reply(
                request,
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
            )
            return
        handler = getattr(self, f"_method_{method}", None)
        if handler is None:
            self._reply(request, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self._reply(request, 200, {"ok": True, "result": handler(params)})

    @staticmethod
    def _params(request: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        if not raw:
            return {}
        if "application/json" in (request.headers.get("Content-Type") or ""):
            return dict(json.loads(raw))
        params: dict[str, Any] = {}
        for key, values in parse_qs(raw.decode(), keep_blank_values=True).items():
            params[key] = json.loads(values[0]) if key in STRUCTURED else values[0]
        return params

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    # --- Bot API methods -------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        bot_id = int(self.token.split(":", 1)[0])
        return {"id": bot_id, "is_bot": True, "first_name": "Entraide", "username": self.username}

    def _method_getMe(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._bot_user()

    def _method_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": params["chat_id"], "type": "private"},
            "from": self._bot_user(),
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _method_sendChatAction(self, params: dict[str, Any]) -> bool:  # noqa: N802
        return True

    def _method_answerCallbackQuery(self, params: dict[str, Any]) -> bool:  # noqa: N802
        return True

    def _method_setMyCommands(self, params: dict[str, Any]) -> bool:  # noqa: N802
        return True

    def _method_setWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        self.webhook = dict(params)
        return True

    def _method_deleteWebhook(self, params: dict[str, Any]) -> bool:  # noqa: N802
        self.webhook = {}
        return True

    def _method_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    def _method_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:  # noqa: N802
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)  # short waits keep tests quick
        with self._condition:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # an offset confirms earlier ones
            while not self.updates and not self._stopping and time.monotonic() < deadline:
                self._condition.wait(deadline - time.monotonic())
            return list(self.updates)
