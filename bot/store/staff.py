"""Staff accounts of the console: creation, password check with lockout, API tokens.

Passwords are hashed with argon2 (argon2-cffi); API tokens are random and only their
SHA-256 is stored, so a copy of the database gives neither.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, func, literal, select, update
from sqlalchemy.orm import Session

from bot.errors import InvalidDataError, NotFoundError
from bot.store import models

logger = logging.getLogger(__name__)

ROLES = ("admin", "coordinator")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite hands back naive datetimes (stored as UTC)
        return moment.replace(tzinfo=timezone.utc)
    return moment


ONE_ADDRESS = re.compile(r"[^\s@,;<>()\[\]\\\"]+@[^\s@,;<>()\[\]\\\"]+\.[^\s@,;<>()\[\]\\\"]+")


def normalise_email(email: str) -> str:
    """Emails are compared in lower case, without surrounding spaces."""
    return email.strip().lower()


def add(session: Session, *, email: str, role: str, password: str) -> models.StaffMember:
    """Create a staff account, or reset the password and role of an existing one."""
    email = normalise_email(email)
    if not ONE_ADDRESS.fullmatch(email) or len(email) > 254:  # one address: notifications go to it, and only it
        raise InvalidDataError(f"adresse e-mail invalide : {email!r} (une seule adresse, sans espace ni virgule)")
    if role not in ROLES:
        raise InvalidDataError(f"rôle inconnu {role!r} (admin ou coordinator)")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidDataError(f"le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères")
    member = find_by_email(session, email=email)
    if member is None:
        member = models.StaffMember(email=email)
        session.add(member)
    member.role = role
    member.password_hash = _hasher.hash(password)
    member.failed_logins = 0
    member.locked_until = None
    session.flush()
    logger.info("staff account %s saved with role %s", member.id, role)
    return member


def find_by_email(session: Session, *, email: str) -> models.StaffMember | None:
    """The account with this email, if any."""
    return session.execute(
        select(models.StaffMember).where(models.StaffMember.email == normalise_email(email))
    ).scalar_one_or_none()


def get(session: Session, *, staff_id: int) -> models.StaffMember | None:
    """The account with this id, if any."""
    return session.get(models.StaffMember, staff_id)


def all_members(session: Session) -> list[models.StaffMember]:
    """Every staff account, by email."""
    return list(session.execute(select(models.StaffMember).order_by(models.StaffMember.email)).scalars())


def coordinators(session: Session) -> list[models.StaffMember]:
    """Accounts a lead can be assigned to (every account), by email."""
    return all_members(session)


def count(session: Session) -> int:
    """Number of staff accounts."""
    return session.execute(select(func.count()).select_from(models.StaffMember)).scalar_one()


def check_password(session: Session, *, email: str, password: str, now: datetime | None = None) -> int | None:
    """The staff id if the password is right and the account not locked; None otherwise, after the same work.

    Password checks at login: a failure count that holds under concurrent requests, and the same
    work and answer whether the e-mail is unknown, the account locked or the password wrong.

    Each attempt first takes a slot with one atomic ``UPDATE`` (the database serialises it across
    threads and processes, on SQLite as on PostgreSQL) and commits it before any hash is verified:
    the attempt that takes the ``MAX_FAILED_LOGINS``-th slot locks the account, so at most that
    many passwords are ever tried per lockout period, however many arrive at once. A right password
    then gives the slots back. Attempts without a slot (unknown e-mail, locked account) verify the
    password against a dummy hash, so every answer costs one argon2 verification.
    """
    now = now or models.utcnow()
    member = models.StaffMember
    email = normalise_email(email)
    slot = session.execute(
        update(member)
        .where(member.email == email, (member.locked_until.is_(None)) | (member.locked_until <= now))
        .values(
            # A lock that has run out starts a new count; the attempt taking the last slot locks.
            failed_logins=case((member.locked_until.is_not(None), 1), else_=member.failed_logins + 1),
            locked_until=case(
                (
                    case((member.locked_until.is_not(None), 1), else_=member.failed_logins + 1) >= MAX_FAILED_LOGINS,
                    literal(now + LOCKOUT, member.locked_until.type),
                ),
                else_=None,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    row = None
    if slot.rowcount:  # same transaction: our row stays locked against other writers until the commit
        row = session.execute(
            select(member.id, member.password_hash, member.failed_logins).where(member.email == email)
        ).one()
    session.commit()  # the slot is taken before the hash is verified, for every other request to see
    if row is None:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(row.password_hash, password):
        if row.failed_logins >= MAX_FAILED_LOGINS:
            logger.warning("staff account %s locked after repeated failed logins", row.id)
        return None
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = _hasher.hash(password)
    session.execute(
        update(member).where(member.id == row.id).values(**values).execution_options(synchronize_session=False)
    )
    return int(row.id)


def end_sessions(session: Session, *, staff_id: int, version: int) -> bool:
    """Log the account out everywhere: its session version moves on, if ``version`` is still the current one."""
    member = models.StaffMember
    moved = session.execute(
        update(member)
        .where(member.id == staff_id, member.session_version == version)
        .values(session_version=member.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def delete(session: Session, *, staff_id: int) -> None:
    """Remove a staff account (its notes stay, unsigned)."""
    member = get(session, staff_id=staff_id)
    if member is None:
        raise NotFoundError("ce compte n'existe pas")
    session.delete(member)
    session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, email: str) -> str:
    """A new API token for the account; returned once, only its hash is stored."""
    member = find_by_email(session, email=email)
    if member is None:
        raise NotFoundError(f"aucun compte pour {normalise_email(email)}")
    token = secrets.token_urlsafe(32)
    session.add(models.ApiToken(staff_id=member.id, token_hash=_token_hash(token)))
    session.flush()
    logger.info("API token created for staff account %s", member.id)
    return token


def staff_for_token(session: Session, *, token: str) -> models.StaffMember | None:
    """The account an API token belongs to, if the token is known."""
    if not token:
        return None
    row = session.execute(
        select(models.ApiToken).where(models.ApiToken.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if row is None:
        return None
    row.last_used_at = models.utcnow()
    return row.staff
