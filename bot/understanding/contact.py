"""Email addresses and French phone numbers from free text.

Usage::

    from bot.understanding.contact import find_email, find_phone, format_phone

    find_email("c'est Julie.Martin@Gmail.com merci")     # "julie.martin@gmail.com"
    looks_like_email_attempt("julie arobase gmail")      # True: ask again with an example
    find_phone("+33 (0)6 12 34 56 78")                   # "+33612345678"
    format_phone("+33612345678")                         # "06 12 34 56 78"

Phones: French mobiles (06, 07) and geographic or VoIP numbers (01-05, 09), written
with spaces, dots, dashes or slashes, with 0, +33, 0033 or +33 (0). Special-rate
numbers (08) and numbers of the wrong length are refused.
"""

from __future__ import annotations

import re

_EMAIL_RE = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,})(?![\w@-])"
)
_EMAIL_HINT_RE = re.compile(
    r"@|\barob[a@]s+e?\b|\bat\b.*\b(?:point|dot)\b|\b[\w-]+\.(?:fr|com|net|org|eu|be|ch|io|info)\b"
    r"|\b(?:gmail|hotmail|yahoo|outlook|orange|free|wanadoo|laposte|icloud|live|sfr|protonmail|proton|msn|aol)\b",
    re.IGNORECASE,
)
_PHONE_RE = re.compile(r"(?<![\d+])(?:(?:\+|00) ?33 ?(?:\(0\)|0)? ?|0)([1-79])((?:[ .\-/]?\d){8})(?![\d])")
_E164_FR_RE = re.compile(r"^\+33([1-9]\d{8})$")


def find_email(text: str) -> str | None:
    """The first valid email address in the text, lowercased, or None."""
    for match in _EMAIL_RE.finditer(text):
        address = match.group(1).lower()
        local, _, domain = address.partition("@")
        if local.startswith(".") or local.endswith(".") or ".." in address or domain.startswith("-"):
            continue
        return address
    return None


def looks_like_email_attempt(text: str) -> bool:
    """True when the text seems to try an email address but holds no valid one."""
    return find_email(text) is None and _EMAIL_HINT_RE.search(text) is not None


def find_phone(text: str) -> str | None:
    """The first French phone number in the text, as E.164 ("+33612345678"), or None."""
    match = _PHONE_RE.search(text)
    if match is None:
        return None
    digits = re.sub(r"\D", "", match.group(2))
    return f"+33{match.group(1)}{digits}"


def contact_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of every email address and phone number in the text."""
    return [m.span() for m in _EMAIL_RE.finditer(text)] + [m.span() for m in _PHONE_RE.finditer(text)]


def format_phone(e164: str) -> str:
    """A French number for display ("+33612345678" -> "06 12 34 56 78"); others unchanged."""
    match = _E164_FR_RE.match(e164)
    if match is None:
        return e164
    national = "0" + match.group(1)
    return " ".join(national[i : i + 2] for i in range(0, 10, 2))
