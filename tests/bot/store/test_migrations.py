"""Alembic migrations create the same schema as the models, and go down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.store.migrate import downgrade, upgrade
from bot.store.models import metadata
from bot.store.session import get_engine


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Everything but SQLite's own bookkeeping (``sqlite_sequence``, kept for AUTOINCREMENT tables)."""
    return not (type_ == "table" and name == "sqlite_sequence")


def test_migrations_match_the_models(database_url: str) -> None:
    with get_engine(database_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": _ours})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_downgrade_then_upgrade(database_url: str) -> None:
    downgrade(database_url, "base")
    upgrade(database_url, "head")
    with get_engine(database_url).connect() as connection:
        assert set(metadata.tables) <= set(connection.dialect.get_table_names(connection))
