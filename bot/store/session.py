"""One engine per process and one session per unit of work; database files private, erasures wiped.

A SQLite database, its write-ahead log (-wal) and the log's index (-shm) are readable by the
service's user only, in a folder only it can open. Deleted rows are overwritten with zeroes
(``secure_delete``) and, after an erasure, :func:`wipe_deleted_rows` empties the log, so no
file keeps a copy; PostgreSQL's tables are vacuumed instead (docs/privacy.md, 3.6).

When the database fails, a unit of work fails whole (``session_scope`` rolls it back) and the
next one works as soon as the database does, without a restart: a SQLite file another
program has locked is waited for (``BUSY_TIMEOUT``), a PostgreSQL connection that was lost is
replaced before it is used (``pool_pre_ping``), and a unit of work that is safe to run twice is
run once more when its connection is lost in its middle (:func:`retried_if_disconnected`).
:func:`database_failure` says in a word what went wrong, for log lines that name no one.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from functools import cache, wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.config import DATA_DIR, get_settings
from bot.errors import DatabaseUnavailableError

logger = logging.getLogger(__name__)

PRIVATE_FOLDER, PRIVATE_FILE = 0o700, 0o600
# What SQLite keeps beside a database file: the write-ahead log, its index, a rollback journal.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
# A checkpoint waits for other connections' reads (SQLite's busy timeout, 5 s) this many times.
CHECKPOINT_ATTEMPTS = 3
# How long a PostgreSQL rewrite waits for the tables' users before falling back to a plain VACUUM.
REWRITE_LOCK_TIMEOUT = "5s"
# Seconds a SQLite connection waits for another's write lock before it gives up ("database is locked"):
# SQLite's own bounded retry. Shorter than ACTION_TIMEOUT (8 s), so a custom action still fails in time to be
# answered; the Rasa server's tracker store waits less at a time (bot.rasa.tracker_store).
BUSY_TIMEOUT = 5.0
# Pause before a unit of work whose connection was lost is run again.
RECONNECT_PAUSE = 0.2
# What went wrong with a database (database_failure), and which of these may clear within a moment.
LOCKED, FULL, UNREACHABLE, FAILING = "locked", "full", "unreachable", "failing"
TRANSIENT = frozenset({LOCKED, UNREACHABLE})

Params = ParamSpec("Params")
Result = TypeVar("Result")


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


def sqlite_file_engine(url: str | URL, *, busy_timeout: float | None = None, **kwargs: Any) -> Engine:
    """An engine for a SQLite file that keeps its connections open between sessions.

    SQLAlchemy 1.4 opens a new connection to a SQLite file for every session (``NullPool``),
    and each new connection reads the schema again; 2.0 keeps them in a pool, as here.

    The file is journalled in write-ahead mode (WAL): in the default mode a commit syncs the
    journal, the database and its folder (0.6 ms here, blocking the Rasa server's event loop);
    in WAL it appends to one file and syncs it once (0.15 ms), with the same durability
    (``synchronous`` stays FULL), and readers such as the console no longer wait for a writer.

    The file is private to this user, and deleted data is overwritten (``private_sqlite_file``,
    ``secure_delete``); after an erasure, :func:`wipe_deleted_rows` empties the log.

    A write waits up to ``busy_timeout`` seconds (default ``BUSY_TIMEOUT``) for another
    connection's write lock, then fails with "database is locked".
    """
    private_sqlite_file(url)
    timeout = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
    engine = create_engine(
        url, poolclass=QueuePool, connect_args={"check_same_thread": False, "timeout": timeout}, **kwargs
    )
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


def database_failure(error: BaseException) -> str | None:
    """What went wrong with the database, in a word fit for a log line; None when ``error`` is something else.

    "locked": another connection holds what was needed (SQLite's write lock after ``BUSY_TIMEOUT``,
    a PostgreSQL deadlock or lock timeout); "full": no room to write (disk or file size limit);
    "unreachable": no connection (refused, lost, the server shutting down); "failing": any other
    failure of the database itself (an I/O error, a read-only file). A constraint violated or a
    bad statement is a bug, not the database failing: None.
    """
    if isinstance(error, DatabaseUnavailableError):
        return error.kind
    if not isinstance(error, (OperationalError, InterfaceError, DisconnectionError)):
        return None
    if getattr(error, "connection_invalidated", False):
        return UNREACHABLE
    original = getattr(error, "orig", None)
    if isinstance(original, sqlite3.Error):
        words = str(original).lower()  # Python 3.10's sqlite3 gives no error code, only SQLite's message
        if "locked" in words or "busy" in words:
            return LOCKED
        return FULL if "full" in words else FAILING
    code = getattr(original, "pgcode", None)
    if not code:  # PostgreSQL gave no answer: the connection was refused, reset or closed
        return UNREACHABLE
    if code == "53100":  # disk_full
        return FULL
    if code.startswith(("08", "57P")) or code == "53300":  # connection exceptions, shutdowns, too many connections
        return UNREACHABLE
    if code.startswith("40") or code == "55P03":  # deadlock, serialization failure, lock not available
        return LOCKED
    return FAILING


def retried_if_disconnected(work: Callable[Params, Result]) -> Callable[Params, Result]:
    """``work``, a whole unit of work that is safe to run twice, run once more if its connection was lost in its middle.

    A connection lost between units of work is replaced before it is used (``pool_pre_ping``); one
    lost while a unit of work ran fails that unit, which was rolled back, or committed if the
    connection died just as the commit was answered: hence "safe to run twice" (a read, or a
    write that creates or replaces). A lock is not waited for again here: SQLite already waited
    ``BUSY_TIMEOUT`` for it.
    """

    @wraps(work)
    def run(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return work(*args, **kwargs)
        except (OperationalError, InterfaceError, DisconnectionError) as error:
            if database_failure(error) != UNREACHABLE:
                raise
            logger.warning("database connection lost during %s: running it once more", work.__name__)
        time.sleep(RECONNECT_PAUSE)
        return work(*args, **kwargs)

    return run
