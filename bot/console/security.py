"""Console sessions and CSRF tokens: a signed HttpOnly cookie, a random token per session.

The session cookie holds the staff id, a CSRF token, a fingerprint of the password hash (a new
password ends every session) and the account's session version (logging out increments it in
the database, which ends every session of the account, copies of the cookie included), signed
with ``bot.config.secret_key`` (itsdangerous). Before login, a second signed cookie carries the
login form's CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.config import Settings, secret_key

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
SESSION_MAX_AGE = 12 * 3600  # a working day
LOGIN_CSRF_MAX_AGE = 3600
COOKIE_PATH = "/console"


def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(settings), salt=f"console-{purpose}")


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: sessions die when the password changes."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def open_session(
    response: Response, request: Request, settings: Settings, *, staff_id: int, password_hash: str, version: int
) -> None:
    """Log a staff member in: a fresh session cookie with a fresh CSRF token."""
    payload = {"staff_id": staff_id, "csrf": new_token(), "pw": password_fingerprint(password_hash), "sv": version}
    token = _serializer(settings, "session").dumps(payload)
    _set_cookie(response, request, SESSION_COOKIE, token, SESSION_MAX_AGE)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH)


def close_session(response: Response) -> None:
    """Forget the session cookie in the browser (the server ends the session itself: see auth.logout)."""
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def read_session(request: Request, settings: Settings) -> dict[str, Any] | None:
    """The signed session, or None when absent, tampered with or expired."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(settings, "session").loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("staff_id"), int) or not data.get("csrf"):
        return None
    if not isinstance(data.get("sv"), int):  # a cookie from before session versions: log in again
        return None
    return data


def is_current(data: dict[str, Any], *, password_hash: str, version: int) -> bool:
    """True while the password is unchanged and the account has not logged out since the session began."""
    return data.get("pw") == password_fingerprint(password_hash) and data.get("sv") == version


def login_csrf(request: Request, settings: Settings) -> str | None:
    """The CSRF token of the login form, if its cookie is valid."""
    raw = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not raw:
        return None
    try:
        value = _serializer(settings, "login").loads(raw, max_age=LOGIN_CSRF_MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def new_token() -> str:
    """A fresh random CSRF token."""
    return secrets.token_urlsafe(24)


def set_login_csrf(response: Response, request: Request, settings: Settings, token: str) -> None:
    """Keep the login form's CSRF token in its own signed cookie."""
    _set_cookie(response, request, LOGIN_CSRF_COOKIE, _serializer(settings, "login").dumps(token), LOGIN_CSRF_MAX_AGE)


def same_token(sent: str | None, expected: str | None) -> bool:
    """Constant-time comparison; False when either is missing."""
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent), str(expected))
