"""hours to check: a check-in that declares far more than the shift's length counts its planned length until staff accept it

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hours", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hours", schema=None) as batch_op:
        batch_op.drop_column("counted_minutes")
