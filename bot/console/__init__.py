"""The staff console: a server-rendered web app mounted at /console/ of the web app.

Routes are grouped by resource (``auth``, ``leads``, ``missions``, ``handoffs``,
``conversations`` (live, with takeover), ``dashboard``, ``notifications`` (what each staff member
receives by e-mail), ``admin``); ``api`` is the JSON API
at /api/ with token authentication.
Every page is French, works without JavaScript, and every form carries a CSRF token.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import FileResponse

from bot.console import (
    admin,
    attendance,
    auth,
    conversations,
    dashboard,
    handoffs,
    leads,
    missions,
    notifications,
    nudges,
)
from bot.console.deps import check_csrf, install_error_pages

STATIC = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


@router.get("/static/console.css")
def stylesheet() -> FileResponse:
    """The console's one stylesheet (served locally: no CDN)."""
    return FileResponse(STATIC / "console.css", media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/static/conversation.js")
def conversation_script() -> FileResponse:
    """The live conversation's script (bot.console.conversations), served locally too."""
    return FileResponse(
        STATIC / "conversation.js", media_type="text/javascript", headers={"Cache-Control": "max-age=3600"}
    )


for group in (auth, dashboard, leads, missions, attendance, handoffs, conversations, notifications, nudges, admin):
    router.include_router(group.router)


def install(app: FastAPI) -> None:
    """Add what the console needs beyond its router: the JSON API and the French error pages."""
    from bot.console.api import router as api_router
    from bot.console.suggestions import warm_up

    app.include_router(api_router, prefix="/api")
    install_error_pages(app)

    def warm_up_suggestions() -> None:
        threading.Thread(target=warm_up, args=(app.state.settings,), name="suggestions-warm-up", daemon=True).start()

    app.router.on_startup.append(warm_up_suggestions)
