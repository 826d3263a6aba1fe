"""Password checks at login: a failure count that holds under concurrent requests, and the same
work and answer whether the e-mail is unknown, the account locked or the password wrong.

Each attempt first takes a slot with one atomic ``UPDATE`` (the database serialises it across
threads and processes, on SQLite as on PostgreSQL) and commits it before any hash is verified:
the attempt that takes the ``MAX_FAILED_LOGINS``-th slot locks the account, so at most that
many passwords are ever tried per lockout period, however many arrive at once. A right password
then gives the slots back. Attempts without a slot (unknown e-mail, locked account) verify the
password against a dummy hash, so every answer costs one argon2 verification.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import case, literal, select, update
from sqlalchemy.orm import Session

from bot.store import models
from bot.store import staff as staff_store

logger = logging.getLogger(__name__)


def check_password(session: Session, *, email: str, password: str, now: datetime | None = None) -> int | None:
    """The staff id if the password is right and the account not locked; None otherwise, after the same work."""
    now = now or models.utcnow()
    member = models.StaffMember
    email = staff_store.normalise_email(email)
    slot = session.execute(
        update(member)
        .where(member.email == email, (member.locked_until.is_(None)) | (member.locked_until <= now))
        .values(
            # A lock that has run out starts a new count; the attempt taking the last slot locks.
            failed_logins=case((member.locked_until.is_not(None), 1), else_=member.failed_logins + 1),
            locked_until=case(
                (
                    case((member.locked_until.is_not(None), 1), else_=member.failed_logins + 1)
                    >= staff_store.MAX_FAILED_LOGINS,
                    literal(now + staff_store.LOCKOUT, member.locked_until.type),
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
        staff_store._verify(staff_store._DUMMY_HASH, password)
        return None
    if not staff_store._verify(row.password_hash, password):
        if row.failed_logins >= staff_store.MAX_FAILED_LOGINS:
            logger.warning("staff account %s locked after repeated failed logins", row.id)
        return None
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if staff_store._hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = staff_store._hasher.hash(password)
    session.execute(
        update(member).where(member.id == row.id).values(**values).execution_options(synchronize_session=False)
    )
    return int(row.id)
