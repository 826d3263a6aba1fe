"""One engine per process and one session per unit of work; database files private, erasures wiped.

A SQLite database, its write-ahead log (-wal) and the log's index (-shm) are readable by the
service's user only, in a folder only it can open. Deleted rows are overwritten with zeroes
(``secure_delete``) and, after an erasure, :func:`wipe_deleted_rows` empties the log, so no
file keeps a copy; PostgreSQL's tables are vacuumed instead (docs/privacy.md, 3.6).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.config import DATA_DIR, get_settings

logger = logging.getLogger(__name__)

PRIVATE_FOLDER, PRIVATE_FILE = 0o700, 0o600
# What SQLite keeps beside a database file: the write-ahead log, its index, a rollback journal.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
# A checkpoint waits for other connections' reads (SQLite's busy timeout, 5 s) this many times.
CHECKPOINT_ATTEMPTS = 3
# How long a PostgreSQL rewrite waits for the tables' users before falling back to a plain VACUUM.
REWRITE_LOCK_TIMEOUT = "5s"


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def is_sqlite_file(url: str | URL) -> bool:
    """True for a SQLite database kept in a file (not in memory)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


def private_sqlite_file(url: str | URL) -> None:
    """Make a SQLite database file and its folder private to this user, before SQLite opens it.

    A missing folder is created 0700, and the service's own folder (``var/``) tightened if an
    older install left it open; a missing database is created empty and 0600, so that the
    -wal and -shm files SQLite creates beside it, which take the database's mode, are private
    from the start; files an older install left readable by others are made 0600.
    """
    if not is_sqlite_file(url):
        return
    path = Path(str(make_url(url).database)).absolute()
    if not path.parent.exists():
        path.parent.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    elif path.parent.resolve() == DATA_DIR.resolve():
        _keep_private(path.parent, PRIVATE_FOLDER)
    if not path.exists():
        with suppress(FileExistsError):  # another process created it first
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS)):
        _keep_private(file, PRIVATE_FILE)


def _keep_private(path: Path, mode: int) -> None:
    """Take away the permissions beyond ``mode`` (the group's and others')."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode:
            path.chmod(current & mode)
    except FileNotFoundError:
        pass
    except PermissionError:  # owned by another account: say so, do not stop the service
        logger.warning("%s is open to other users and could not be made private", path)


def _delete_securely(dbapi_connection: Any, _record: Any) -> None:
    """Overwrite deleted content with zeroes: cells, freed pages, the old value of an updated row.

    Without it (the default of many SQLite builds) a deleted row stays readable in the file's
    free space until that space is reused.
    """
    cursor = dbapi_connection.cursor()
    try:
        enabled = cursor.execute("PRAGMA secure_delete=ON").fetchone()
    finally:
        cursor.close()
    if enabled != (1,):
        logger.error("this SQLite library cannot overwrite deleted data (secure_delete): erased rows stay on disk")


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

    The file is private to this user, and deleted data is overwritten (``private_sqlite_file``,
    ``secure_delete``); after an erasure, :func:`wipe_deleted_rows` empties the log.
    """
    private_sqlite_file(url)
    engine = create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False}, **kwargs)
    event.listen(engine, "connect", _delete_securely)
    event.listen(engine, "connect", _use_write_ahead_log)
    return engine


def wipe_deleted_rows(engine: Engine, tables: Collection[str], *, rewrite: bool = True) -> bool:
    """After an erasure, leave no copy of the deleted rows in the database's files; False if that failed (logged).

    SQLite: the deleted cells and freed pages are zeroes already (``secure_delete``), but the
    write-ahead log still holds the pages as they were, and the database file its version from
    before the erasure. A checkpoint copies the log into the file and truncates the log; it
    waits for other connections' reads, and is tried again if they keep it waiting.

    PostgreSQL: ``VACUUM FULL`` rewrites ``tables`` into new files and drops the old ones (the
    tables are locked meanwhile; if they stay in use, a plain VACUUM instead). With ``rewrite``
    False, a plain ``VACUUM``: deleted rows leave the indexes and their space is reused, but
    their bytes may remain in the table's file until overwritten (docs/privacy.md, 3.6).
    """
    backend = engine.url.get_backend_name()
    if backend == "sqlite":
        return _checkpoint(engine) if is_sqlite_file(engine.url) else True
    if backend == "postgresql":
        return _vacuum(engine, tables, rewrite=rewrite)
    logger.warning("no way to wipe deleted rows from a %s database", backend)
    return False


def _checkpoint(engine: Engine) -> bool:
    """Copy the write-ahead log into the database file and truncate it (``wal_checkpoint(TRUNCATE)``)."""
    for attempt in range(1, CHECKPOINT_ATTEMPTS + 1):
        with engine.connect() as connection:
            busy, frames, copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return True
        time.sleep(0.1 * attempt)
    logger.warning(
        "the write-ahead log of %s still holds erased data: other connections kept reading "
        "(%d frames, %d copied); the next erasure or `bot privacy purge` empties it",
        Path(str(engine.url.database)).name, frames, copied,
    )  # fmt: skip
    return False


# Each table that exists, and whether this user may vacuum it (PostgreSQL skips the others with a mere warning).
_VACUUMABLE = text(
    "SELECT name, pg_has_role((SELECT relowner FROM pg_class WHERE oid = to_regclass(name)), 'USAGE') "
    "FROM unnest(CAST(:tables AS text[])) AS name WHERE to_regclass(name) IS NOT NULL"
)


def _vacuum(engine: Engine, tables: Collection[str], *, rewrite: bool) -> bool:
    """VACUUM (FULL, with ``rewrite``) the existing ones of ``tables``, outside any transaction."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        owned: dict[str, bool] = {
            name: allowed for name, allowed in connection.execute(_VACUUMABLE, {"tables": list(tables)})
        }
        refused = sorted(table for table, allowed in owned.items() if not allowed)
        if refused:
            logger.error("cannot vacuum %s after an erasure: the database user does not own them", refused)
        quote = connection.dialect.identifier_preparer.quote
        names = ", ".join(quote(table) for table, allowed in owned.items() if allowed)
        if not names:
            return not refused
        if rewrite:
            connection.exec_driver_sql(f"SET lock_timeout = '{REWRITE_LOCK_TIMEOUT}'")
            try:
                connection.exec_driver_sql(f"VACUUM FULL {names}")
                return not refused
            except OperationalError:  # the tables stayed in use: a plain VACUUM now, the rewrite tonight
                logger.warning("could not rewrite %s after an erasure; `bot privacy purge` will", names)
            finally:
                connection.exec_driver_sql("RESET lock_timeout")
        connection.exec_driver_sql(f"VACUUM {names}")
        return not rewrite and not refused


@cache
def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the DATABASE_URL setting), created once per process."""
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if is_sqlite_file(parsed):
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
