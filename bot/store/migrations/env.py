"""Alembic environment: migrates the database named by the DATABASE_URL setting."""

from __future__ import annotations

from alembic import context

from bot.store.models import metadata
from bot.store.session import get_engine

config = context.config


def run_migrations() -> None:
    """Run the migrations online, on the configured engine (SQLite or PostgreSQL)."""
    url = config.get_main_option("sqlalchemy.url") or None
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch mode to alter tables
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
