"""Login and logout of staff members."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from bot.config import Settings
from bot.console import security
from bot.console.deps import DbSession, SettingsDep, redirect, render
from bot.store import staff as staff_store
from bot.store.leads import record_audit

logger = logging.getLogger(__name__)
router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only back into the console: never an open redirect to another site.
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return "/console/"


def _login_page(
    request: Request, settings: Settings, *, next_url: str, error: str | None = None, email: str = "", status: int = 200
) -> Response:
    token = security.new_token()
    context = {"next": next_url, "error": error, "email": email, "login_csrf": token}
    response = render(request, "login.html", context, status)
    security.set_login_csrf(response, request, settings, token)
    return response


@router.get("/login")
def login_form(*, request: Request, next: str | None = None, settings: SettingsDep) -> Response:
    """The login page."""
    return _login_page(request, settings, next_url=_safe_next(next))


@router.post("/login")
def login(
    *,
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/console/",
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Check the password; a fresh session on success, one polite refusal for every failure."""
    staff_id = staff_store.check_password(session, email=email, password=password)
    member = staff_store.get(session, staff_id=staff_id) if staff_id is not None else None
    if member is None:
        # Unknown e-mail, locked account or wrong password: the same page, the same status.
        minutes = int(staff_store.LOCKOUT.total_seconds() // 60)
        return _login_page(
            request,
            settings,
            next_url=_safe_next(next),
            email=email,
            status=401,
            error=f"Adresse e-mail ou mot de passe incorrect. Après {staff_store.MAX_FAILED_LOGINS} essais "
            f"infructueux, le compte est verrouillé pendant {minutes} minutes.",
        )
    record_audit(session, actor=f"staff:{member.id}", action="login", subject=f"staff:{member.id}")
    session.commit()
    logger.info("staff member %s logged in", member.id)
    response = redirect(_safe_next(next))
    security.open_session(
        response,
        request,
        settings,
        staff_id=member.id,
        password_hash=member.password_hash,
        version=member.session_version,
    )
    return response


@router.post("/logout")
def logout(*, request: Request, session: DbSession, settings: SettingsDep) -> Response:
    """End the session on the server, and every other session of the account (the CSRF check already ran)."""
    data = security.read_session(request, settings)
    if data is not None:
        # Only a current session moves the version on: a stale copy of a cookie cannot log anyone out.
        staff_store.end_sessions(session, staff_id=data["staff_id"], version=data["sv"])
        session.commit()
    response = redirect("/console/login")
    security.close_session(response)
    return response
