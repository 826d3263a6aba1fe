"""The website chat bubble: its script, styles and the demo association's page (web app routes).

``GET /widget.js`` is the one script a webmaster adds to a page; it loads ``/widget.css``
into its own shadow root and talks to the Rasa server's chat bubble channel
(``bot/rasa/channels/chat_bubble.py``). ``GET /`` is the demo page of the fictional association with the
bubble on it. The files are package data in ``static/``; the texts come from
``data/association/widget.yml``.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.config import Settings
from bot.texts import widget_texts

STATIC = Path(__file__).parent / "static"
TEXTS_MARKER = "{/*WIDGET_TEXTS*/}"
CACHE = "public, max-age=300"  # short: a changed text reaches visitors within minutes

router = APIRouter()


@cache
def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def widget_script(folder: str) -> str:
    """widget.js with the interface texts of the association's widget.yml."""
    texts = json.dumps(widget_texts(folder)["interface"], ensure_ascii=True)
    return _static("widget.js").replace(TEXTS_MARKER, texts)


def _settings(request: Request) -> Settings:
    return request.app.state.settings


@router.get("/widget.js", include_in_schema=False)
def script(request: Request) -> Response:
    """The chat bubble's script."""
    body = widget_script(_settings(request).association_dir)
    return Response(body, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": CACHE})


@router.get("/widget.css", include_in_schema=False)
def styles() -> Response:
    """The chat bubble's styles."""
    return Response(_static("widget.css"), media_type="text/css; charset=utf-8", headers={"Cache-Control": CACHE})


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def demo_page(request: Request) -> str:
    """The demo association's page with the bubble, talking to the Rasa server of this machine."""
    hostname = request.url.hostname or "127.0.0.1"
    if ":" in hostname:  # an IPv6 address
        hostname = f"[{hostname}]"
    server = f"{request.url.scheme}://{hostname}:{_settings(request).rasa_port}"
    return _static("demo.html").replace("{{ server }}", html.escape(server, quote=True))
