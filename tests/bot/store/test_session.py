"""SQLite files as the assistant opens them: journalled in write-ahead mode, as durable as before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from bot.store.session import sqlite_file_engine


def test_a_sqlite_file_is_journalled_ahead_and_each_commit_is_still_synced(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    engine = sqlite_file_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('bonjour')"))
        assert connection.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL: synced at each commit
    # another process (the console, `bot volunteers export`) sees the write and the mode, kept in the file
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert other.execute("SELECT body FROM notes").fetchall() == [("bonjour",)]
    # while it holds a read open, the assistant still writes (the old journal made the writer wait)
    reader = sqlite3.connect(path, timeout=0.1)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM notes").fetchone() == (1,)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('merci')"))
    assert reader.execute("SELECT count(*) FROM notes").fetchone() == (1,)  # its snapshot
    reader.rollback()
    assert reader.execute("SELECT count(*) FROM notes").fetchone() == (2,)
    reader.close()
    engine.dispose()
