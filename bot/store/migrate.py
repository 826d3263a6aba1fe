"""Apply Alembic migrations from Python (used by ``bot db upgrade`` and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for this project, without an alembic.ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url or "")
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Create or upgrade the database schema to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Downgrade the database schema to ``revision``."""
    command.downgrade(alembic_config(url), revision)
