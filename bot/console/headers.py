"""Security headers on every response of the web app: console pages, JSON API, demo page, privacy
notice, the chat bubble's files, redirects and error pages alike.

A response that sets one of these headers itself keeps its value (the chat bubble's files and
the console's stylesheet stay cacheable); every other response gets the defaults. Scripts only
ever come from this server. Two pages differ: the demo page and the privacy notice are HTML
files with inline ``<style>`` blocks an association edits (inline styles allowed, never inline
scripts), and the demo page's chat bubble opens a WebSocket to the Rasa server on ``RASA_PORT``
of the same host, which its ``connect-src`` names.
"""

from __future__ import annotations

from starlette.datastructures import URL, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
INLINE_STYLES = ("/", "/confidentialite")
DEMO_PAGE = "/"
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # personal data must not stay in a browser's or a proxy's cache
}


def assistant_socket_origin(url: URL, rasa_port: int) -> str:
    """Where the demo page's chat bubble connects: the Rasa server on this host (as the demo page names it)."""
    hostname = url.hostname or "127.0.0.1"
    if ":" in hostname:  # an IPv6 address
        hostname = f"[{hostname}]"
    scheme = "wss" if url.scheme == "https" else "ws"
    return f"{scheme}://{hostname}:{rasa_port}"


def content_security_policy(url: URL, rasa_port: int) -> str:
    """The Content-Security-Policy of a response to ``url``."""
    policy = dict(POLICY)
    if url.path in INLINE_STYLES:
        policy["style-src"] = "'self' 'unsafe-inline'"
    if url.path == DEMO_PAGE:
        policy["connect-src"] = f"'self' {assistant_socket_origin(url, rasa_port)}"
    return "; ".join(f"{name} {value}" for name, value in policy.items())


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp, *, rasa_port: int) -> None:
        self.app = app
        self.rasa_port = rasa_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = content_security_policy(URL(scope=scope), self.rasa_port)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
