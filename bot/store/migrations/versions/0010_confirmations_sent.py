"""confirmations sent: the cap on sign-up confirmations to one address survives the profile's erasure

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "confirmations_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_confirmations_sent_address_digest", "confirmations_sent", ["address_digest"])
    op.create_index("ix_confirmations_sent_created_at", "confirmations_sent", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_confirmations_sent_created_at", table_name="confirmations_sent")
    op.drop_index("ix_confirmations_sent_address_digest", table_name="confirmations_sent")
    op.drop_table("confirmations_sent")
