"""Claims on work done once per key (``job_runs``): the first process to insert the row does the work."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import models


def claim(session: Session, *, kind: str, key: str) -> bool:
    """True if this call claimed ``(kind, key)``, False if it was claimed before (by anyone)."""
    try:
        with session.begin_nested():
            session.add(models.JobRun(kind=kind, key=key[:96]))
            session.flush()
    except IntegrityError:
        return False
    return True
