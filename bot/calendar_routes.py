"""``GET /calendar/{token}.ics``: the calendar file of a sign-up (bot.signups, bot.ics).

The token is the sign-up's id with an HMAC of it, compared in constant time. A live sign-up gets
its file (no personal data in it), never cached; a cancelled, unknown or forged one a short
French page (404).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from bot import signups

router = APIRouter(include_in_schema=False)

NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
GONE_TITLE = "Créneau introuvable"
GONE_TEXT = (
    "Ce créneau n'existe pas ou l'inscription a été annulée. "
    "Écrivez « mes créneaux » à l'assistant pour voir vos prochaines dates."
)


def _gone() -> HTMLResponse:
    body = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(GONE_TITLE)}</title></head><body><main><h1>{escape(GONE_TITLE)}</h1>"
        f"<p>{escape(GONE_TEXT, quote=False)}</p></main></body></html>"
    )
    return HTMLResponse(body, status_code=404, headers=NO_STORE)


@router.get("/calendar/{token}.ics")
async def calendar(request: Request, token: str) -> Response:
    """The sign-up's calendar file, or a French 404 page."""
    settings = request.app.state.settings
    content = await run_in_threadpool(signups.calendar_for_token, settings, token)
    if content is None:
        return _gone()
    name = signups.texts(settings.association_dir)["calendar"]["file_name"]
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(content.encode("utf-8"), media_type="text/calendar; charset=utf-8", headers=headers)
