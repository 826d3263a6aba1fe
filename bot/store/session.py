"""One engine per process and one session per unit of work."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.config import get_settings

logger = logging.getLogger(__name__)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def is_sqlite_file(url: str | URL) -> bool:
    """True for a SQLite database kept in a file (not in memory)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


def _use_write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    """Journal in write-ahead mode: a commit syncs one file once, readers do not block the writer."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file: a no-op once set
    except sqlite3.OperationalError:  # another process holds the file: it stays as it is
        logger.warning("could not switch the SQLite database to write-ahead logging", exc_info=True)
    finally:
        cursor.close()


def sqlite_file_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for a SQLite file that keeps its connections open between sessions.

    SQLAlchemy 1.4 opens a new connection to a SQLite file for every session (``NullPool``),
    and each new connection reads the schema again; 2.0 keeps them in a pool, as here.

    The file is journalled in write-ahead mode (WAL): in the default mode a commit syncs the
    journal, the database and its folder (0.6 ms here, blocking the Rasa server's event loop);
    in WAL it appends to one file and syncs it once (0.15 ms), with the same durability
    (``synchronous`` stays FULL), and readers such as the console no longer wait for a writer.
    """
    engine = create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False}, **kwargs)
    event.listen(engine, "connect", _use_write_ahead_log)
    return engine


@cache
def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the DATABASE_URL setting), created once per process."""
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if is_sqlite_file(parsed):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = sqlite_file_engine(url, future=True)
        else:
            engine = create_engine(url, future=True, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    else:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    return engine


@cache
def _session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back if it raises."""
    session: Session = _session_factory(url or get_settings().database_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
