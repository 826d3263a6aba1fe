"""The Rasa server's port says "loading" from the moment the process starts, not only once the model is in.

Rasa takes its port only after it has imported itself and loaded the model, one to two minutes
on a small machine. Until then a connection was refused, which nobody can tell from a stopped
server: ``/health`` said ``down`` while the restarted server was well on its way, Telegram saw
a dead webhook. So :mod:`bot.rasa.server` takes the port first, before importing Rasa, with a
:class:`LoadingPort`, and hands it over to Rasa once the model is loaded, just before Rasa
binds it (:func:`hand_over_once_loaded`). Meanwhile every request gets 503 with
``Retry-After``:

- ``{"status": "loading"}``, which the health checks read as ``loading`` (:mod:`bot.health`,
  a load balancer): the same answer as the REST channel's ``GET /webhooks/rest/`` while the
  loaded model warms up (:mod:`bot.rasa.channels.warm_up`);
- the chat bubble's WebSocket handshake fails, so the page keeps saying it is reconnecting and
  tries again; Telegram keeps an update it did not get a 2xx for and delivers it again;
- ``POST /webhooks/rest/webhook`` gets Rasa's REST answer format with the channels' polite
  "problème technique, réessayez dans un instant" (``unavailable`` in ``widget.yml``), so an
  integration that shows the answers shows that.

Usage (:func:`bot.rasa.server.main`, for ``rasa run`` only)::

    loading = LoadingPort(host, port, apology=texts["unavailable"])
    if loading.start():
        hand_over_once_loaded(loading)   # closed once Rasa's agent is loaded
    ...                                  # import Rasa and run it

If the port is taken, nothing is started and Rasa reports it as before.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

RETRY_AFTER = "5"  # seconds: the health checks' own (bot.health)
REST_WEBHOOK = "/webhooks/rest/webhook"
MAX_BODY_BYTES = 64 * 1024  # what the REST channel reads at most (bot.rasa.channels.rest)
SENDER_RE = re.compile(r"[A-Za-z0-9\-_.:@]{1,128}")  # a sender id the REST channel accepts
REQUEST_TIMEOUT = 5.0  # seconds a connection may take to send its request


class _LoadingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 100  # as Sanic's backlog under Rasa

    def __init__(self, address: tuple[str, int], apology: str) -> None:
        self.address_family = _family(address[0])
        self.apology = apology
        super().__init__(address, _LoadingHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up waiting is no news; anything else is one log line, not a traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            logger.warning("a request got no loading answer (%s)", type(error).__name__)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # not HTTPServer's, which looks the host name up in the DNS
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])


class _LoadingHandler(BaseHTTPRequestHandler):
    """503 to every request; the REST webhook's in the REST answer format."""

    server: _LoadingServer
    timeout = REQUEST_TIMEOUT
    protocol_version = "HTTP/1.1"  # what a WebSocket client expects even to a refusal; one request a connection
    server_version = "bot"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        """Nothing per request: a flood of health checks would fill the log."""

    def _answer(self, body: object) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Retry-After", RETRY_AFTER)
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _body(self) -> bytes:
        """The request's body when it is small and plainly framed (read, so that closing does not reset)."""
        length = self.headers.get("Content-Length", "0").strip()
        if (
            not (length.isascii() and length.isdigit())
            or int(length) > MAX_BODY_BYTES
            or self.headers.get("Transfer-Encoding")
        ):
            return b""
        try:
            return self.rfile.read(int(length))
        except OSError:
            return b""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._body()
        self._answer({"status": "loading"})

    do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET  # noqa: N815

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        if self.path.split("?", 1)[0] != REST_WEBHOOK:
            self._answer({"status": "loading"})
            return
        self._answer([{"recipient_id": _sender(body), "text": self.server.apology}])


def _sender(body: bytes) -> str:
    """The REST message's sender, when it is one the REST channel would accept; "" otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    sender = data.get("sender") if isinstance(data, dict) else None
    return sender if isinstance(sender, str) and SENDER_RE.fullmatch(sender) else ""


def _family(host: str) -> socket.AddressFamily:
    """IPv6 for an IPv6 address or a name that only has one, IPv4 otherwise."""
    try:
        return socket.getaddrinfo(host or None, None, type=socket.SOCK_STREAM)[0][0]
    except OSError:
        return socket.AF_INET


class LoadingPort:
    """Answers "loading" on the Rasa server's address until :meth:`close` (see the module docstring)."""

    def __init__(self, host: str, port: int, *, apology: str) -> None:
        self.host = host
        self.port = port
        self.apology = apology
        self._server: _LoadingServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> bool:
        """Take the port and answer on it in a thread; False when it cannot be taken."""
        try:
            server = _LoadingServer((self.host, self.port), self.apology)
        except OSError as error:
            logger.warning("port %d not taken while loading (%s): Rasa will say why", self.port, type(error).__name__)
            return False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="loading-port", daemon=True
        )
        self._thread.start()
        logger.info("port %d answers 'loading' until the model is loaded", self.port)
        return True

    @property
    def serving(self) -> bool:
        """True between :meth:`start` and :meth:`close`."""
        return self._server is not None

    def close(self) -> None:
        """Give the port back (idempotent): Rasa binds it right after."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            logger.info("model loaded: the Rasa server takes port %d over", self.port)


def hand_over_once_loaded(loading: LoadingPort) -> None:
    """Close ``loading`` once Rasa's ``rasa run`` has loaded its agent, before Sanic binds the port.

    Rasa loads the model in a ``before_server_start`` listener, ``rasa.core.run.load_agent_on_start``,
    which ``serve_application`` looks up when it runs: wrapped here, nothing of Rasa replaced. If
    the installed Rasa has no such listener, the port is handed over at once (Rasa as shipped:
    refused while it loads).
    """
    import rasa.core.run as run

    load = getattr(run, "load_agent_on_start", None)
    if not inspect.iscoroutinefunction(load):
        logger.warning("this Rasa version loads its model differently: the port is not held while it loads")
        loading.close()
        return

    @functools.wraps(load)
    async def load_then_hand_over(*args: Any, **kwargs: Any) -> Any:
        try:
            return await load(*args, **kwargs)
        finally:
            loading.close()

    run.load_agent_on_start = load_then_hand_over
