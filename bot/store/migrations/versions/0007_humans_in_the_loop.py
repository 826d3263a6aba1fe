"""humans in the loop: takeovers, e-mail outbox and preferences, urgent missions, why volunteers decline

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposals_opt_out_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), nullable=False, server_default="0"))
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notify_handoffs", sa.Boolean(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("notify_digest", sa.Boolean(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("notify_missions", sa.Boolean(), nullable=False, server_default="1"))
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="staff"))

    op.create_table(
        "takeovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("handoff_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name="fk_takeovers_volunteer_id_volunteers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"], ["handoff_requests.id"], name="fk_takeovers_handoff_id_handoff_requests", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name="fk_takeovers_staff_id_staff_members", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_takeovers"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_takeovers_volunteer_id", "takeovers", ["volunteer_id"])
    op.create_index(
        "ix_takeovers_one_open",
        "takeovers",
        ["sender_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )

    op.create_table(
        "outgoing_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name="fk_outgoing_emails_staff_id_staff_members", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outgoing_emails"),
    )
    op.create_index("ix_outgoing_emails_staff_id", "outgoing_emails", ["staff_id"])
    op.create_index("ix_outgoing_emails_pending", "outgoing_emails", ["sent_at", "next_attempt_at"])

    op.create_table(
        "job_runs",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name="pk_job_runs"),
    )

    op.create_table(
        "declines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.String(32), nullable=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('too_far','wrong_days','not_my_cause','other','unknown')", name="ck_declines_reason"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name="fk_declines_volunteer_id_volunteers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name="fk_declines_mission_id_missions", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_declines"),
    )
    op.create_index("ix_declines_volunteer_id", "declines", ["volunteer_id"])
    op.create_index("ix_declines_mission_id", "declines", ["mission_id"])


def downgrade() -> None:
    op.drop_table("declines")
    op.drop_table("job_runs")
    op.drop_table("outgoing_emails")
    op.drop_table("takeovers")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_column("notify_missions")
        batch_op.drop_column("notify_digest")
        batch_op.drop_column("notify_handoffs")
    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.drop_column("urgent")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("proposals_opt_out_at")
