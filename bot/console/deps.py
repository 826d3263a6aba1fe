"""What every console route shares: settings, one database session per request, the logged-in
staff member, CSRF checking, templates and the French error pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.config import Settings
from bot.console import security
from bot.console.views import install_filters
from bot.errors import InvalidDataError, NotFoundError
from bot.store import models
from bot.store import staff as staff_store
from bot.store.session import session_scope

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
install_filters(TEMPLATES.env)


@dataclass(frozen=True)
class StaffView:
    """Who is logged in, as the page header shows it."""

    id: int
    email: str
    role: str


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""


class Forbidden(Exception):
    """The staff member's role does not allow this page (the message says who may)."""

    def __init__(self, message: str = "Cette page est réservée aux administrateurs.") -> None:
        super().__init__(message)


class CsrfRefused(Exception):
    """A form came without the right CSRF token."""


def get_settings(request: Request) -> Settings:
    """The settings the web app was built with."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def db_session(settings: SettingsDep) -> Iterator[Session]:
    """One unit of work per request: committed when the route returns, rolled back if it raises."""
    with session_scope(settings.database_url) as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]

# A row's id in a console address: beyond what the database holds it is refused (400), not a 500.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]


def current_staff(request: Request, session: DbSession, settings: SettingsDep) -> models.StaffMember:
    """The logged-in staff member; anonymous requests go to the login page."""
    data = security.read_session(request, settings)
    if data is None:
        raise LoginRequired()
    member = staff_store.get(session, staff_id=data["staff_id"])
    if member is None or not security.is_current(
        data, password_hash=member.password_hash, version=member.session_version
    ):
        raise LoginRequired()
    # A plain copy for templates: error pages render after the session is closed.
    request.state.staff = StaffView(member.id, member.email, member.role)
    request.state.csrf = data["csrf"]
    return member


Staff = Annotated[models.StaffMember, Depends(current_staff)]


def admin_staff(member: Staff) -> models.StaffMember:
    """Only admins get past this."""
    if member.role != "admin":
        raise Forbidden()
    return member


Admin = Annotated[models.StaffMember, Depends(admin_staff)]


async def check_csrf(request: Request, settings: SettingsDep) -> None:
    """Every form the console receives carries the session's CSRF token (or the login form's)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get("X-CSRF-Token")
    if sent is None:
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 - an unreadable body simply has no token
            raise CsrfRefused() from None
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    session = security.read_session(request, settings)
    if request.url.path == "/console/login":  # the login form's own token, even under an ended session's cookie
        session = None
    expected = session["csrf"] if session else security.login_csrf(request, settings)
    if not security.same_token(sent, expected):
        raise CsrfRefused()


def actor(member: models.StaffMember) -> str:
    """How a staff member is named in the audit log."""
    return f"staff:{member.id}"


# What a form's answer says on the next page travels in short-lived cookies, never in the address: a
# page that showed ?ok= or ?err= let anyone send staff a link to the console saying what they liked.
FLASH_COOKIES = {"ok": "console_ok", "error": "console_error"}
FLASH_SECONDS = 60
MAX_FLASH = 600


def flashed(request: Request, kind: str = "ok") -> str | None:
    """The confirmation ("ok") or refusal ("error") the previous form left for this page, if any."""
    value = request.cookies.get(FLASH_COOKIES[kind])
    return unquote(value)[:MAX_FLASH] if value else None


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """A console page, with the staff member and the CSRF token (security headers: ``bot.console.headers``)."""
    values = {
        "staff": getattr(request.state, "staff", None),
        "csrf_token": getattr(request.state, "csrf", ""),
        "flash": flashed(request),
    }
    values.update(context or {})
    response = TEMPLATES.TemplateResponse(request, template, values, status_code=status_code)
    for name in FLASH_COOKIES.values():  # said once
        if name in request.cookies:
            response.delete_cookie(name, path="/console")
    return response


def download(content: str, *, filename: str, media_type: str) -> Response:
    """A file to save (CSV, JSON of personal data); never cached nor sniffed (``bot.console.headers``)."""
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def redirect(url: str, message: str | None = None, *, error: str | None = None) -> RedirectResponse:
    """After a form: back to a page (303, so the browser GETs it), with an optional confirmation or refusal."""
    response = RedirectResponse(url, status_code=303)
    for kind, text in (("ok", message), ("error", error)):
        if text:
            response.set_cookie(FLASH_COOKIES[kind], quote(text[:MAX_FLASH]), max_age=FLASH_SECONDS,
                                path="/console", httponly=True, samesite="lax")  # fmt: skip
    return response


def _is_console(request: Request) -> bool:
    return request.url.path.startswith("/console")


def _error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    if not _is_console(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    return render(request, "error.html", {"title": title, "message": message}, status_code=status_code)


def install_error_pages(app: FastAPI) -> None:
    """Turn domain errors into French pages under /console (JSON elsewhere), never a 500."""

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _: LoginRequired) -> Response:
        if not _is_console(request):
            return JSONResponse({"detail": "authentification requise"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden) -> Response:
        return _error_page(request, 403, "Accès réservé", str(error))

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _: CsrfRefused) -> Response:
        return _error_page(
            request,
            403,
            "Formulaire refusé",
            "Ce formulaire a expiré ou ne vient pas de la console. Rechargez la page et recommencez.",
        )

    @app.exception_handler(NotFoundError)
    async def _not_found(request: Request, error: NotFoundError) -> Response:
        return _error_page(request, 404, "Introuvable", _sentence(str(error)))

    @app.exception_handler(InvalidDataError)
    async def _invalid(request: Request, error: InvalidDataError) -> Response:
        return _error_page(request, 400, "Demande incorrecte", _sentence(str(error)))

    default_validation = app.exception_handlers.get(RequestValidationError)
    default_http = app.exception_handlers.get(StarletteHTTPException)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        if _is_console(request):
            return _error_page(request, 400, "Demande incorrecte", "Un champ du formulaire est manquant ou mal rempli.")
        return await default_validation(request, error)  # type: ignore[misc]

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        if _is_console(request) and error.status_code == 404:
            return _error_page(request, 404, "Introuvable", "Cette page n'existe pas.")
        if _is_console(request) and error.status_code == 405:
            return _error_page(request, 405, "Action impossible", "Cette adresse ne s'utilise pas ainsi.")
        return await default_http(request, error)  # type: ignore[misc]


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text
