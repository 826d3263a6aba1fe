"""after the first yes: dated shifts, sign-ups, hours, attestation links, nudges, job leases, e-mails to volunteers

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )
    op.create_table(
        "attestation_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_members.id"],
            name=op.f("fk_attestation_links_staff_id_staff_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_attestation_links_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestation_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_attestation_links_token_hash")),
    )
    with op.batch_alter_table("attestation_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attestation_links_volunteer_id"), ["volunteer_id"], unique=False)

    op.create_table(
        "nudges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("mission_id", sa.String(length=32), nullable=True),
        sa.Column("via", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('unfinished_profile','inactive','retention')", name=op.f("ck_nudges_kind")),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_nudges_mission_id_missions"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_nudges_volunteer_id_volunteers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nudges")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.create_index("ix_nudges_kind_sent_at", ["kind", "sent_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudges_sender_id"), ["sender_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nudges_volunteer_id"), ["volunteer_id"], unique=False)

    op.create_table(
        "shift_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=9), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=False),
        sa.Column("end_time", sa.String(length=5), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "day IN ('monday','tuesday','wednesday','thursday','friday','saturday','sunday')",
            name=op.f("ck_shift_series_day"),
        ),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_shift_series_times")),
        sa.CheckConstraint("places >= 1", name=op.f("ck_shift_series_places")),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_shift_series_mission_id_missions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_series")),
    )
    with op.batch_alter_table("shift_series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_series_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.String(length=32), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_shifts_times")),
        sa.CheckConstraint("places >= 1", name=op.f("ck_shifts_places")),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_shifts_mission_id_missions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["shift_series.id"], name=op.f("fk_shifts_series_id_shift_series"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
        sa.UniqueConstraint("mission_id", "starts_at", name="uq_shifts_mission_starts_at"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index("ix_shifts_mission_id_starts_at", ["mission_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_shifts_series_id"), ["series_id"], unique=False)
        batch_op.create_index("ix_shifts_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=16), nullable=True),
        sa.Column("reminder_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_answer", sa.String(length=8), nullable=True),
        sa.Column("reminder_answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followup_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkin_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkin_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('confirmed','cancelled','attended','no_show')", name=op.f("ck_signups_status")),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name=op.f("ck_signups_rating")),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_signups_shift_id_shifts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_signups_volunteer_id_volunteers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signups")),
        sa.UniqueConstraint("shift_id", "volunteer_id", name="uq_signups_shift_volunteer"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signups_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signups_volunteer_id"), ["volunteer_id"], unique=False)

    op.create_table(
        "hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("signup_id", sa.Integer(), nullable=True),
        sa.Column("mission_id", sa.String(length=32), nullable=True),
        sa.Column("mission_title", sa.String(length=120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('checkin','staff')", name=op.f("ck_hours_source")),
        sa.CheckConstraint("minutes > 0 AND minutes <= 1440", name=op.f("ck_hours_minutes")),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_hours_mission_id_missions"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["signup_id"], ["signups.id"], name=op.f("fk_hours_signup_id_signups"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name=op.f("fk_hours_staff_id_staff_members"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_hours_volunteer_id_volunteers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hours")),
        sa.UniqueConstraint("signup_id", name=op.f("uq_hours_signup_id")),
    )
    with op.batch_alter_table("hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hours_volunteer_id"), ["volunteer_id"], unique=False)
        batch_op.create_index("ix_hours_volunteer_id_day", ["volunteer_id", "day"], unique=False)

    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("volunteer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("attachment_name", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("attachment", sa.Text(), nullable=True))
        batch_op.alter_column("staff_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_outgoing_emails_volunteer_id"), ["volunteer_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outgoing_emails_volunteer_id_volunteers"),
            "volunteers",
            ["volunteer_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_check_constraint("one_recipient", "(staff_id IS NULL) <> (volunteer_id IS NULL)")

    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nudges_opt_out_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("contact", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.drop_column("contact")
        batch_op.drop_column("address")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("nudges_opt_out_at")

    op.execute("DELETE FROM outgoing_emails WHERE staff_id IS NULL")
    with op.batch_alter_table("outgoing_emails", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outgoing_emails_one_recipient"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_outgoing_emails_volunteer_id_volunteers"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outgoing_emails_volunteer_id"))
        batch_op.alter_column("staff_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("attachment")
        batch_op.drop_column("attachment_name")
        batch_op.drop_column("volunteer_id")

    with op.batch_alter_table("hours", schema=None) as batch_op:
        batch_op.drop_index("ix_hours_volunteer_id_day")
        batch_op.drop_index(batch_op.f("ix_hours_volunteer_id"))

    op.drop_table("hours")
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signups_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_signups_shift_id"))

    op.drop_table("signups")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_shifts_starts_at")
        batch_op.drop_index(batch_op.f("ix_shifts_series_id"))
        batch_op.drop_index("ix_shifts_mission_id_starts_at")

    op.drop_table("shifts")
    with op.batch_alter_table("shift_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_series_mission_id"))

    op.drop_table("shift_series")
    with op.batch_alter_table("nudges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nudges_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_nudges_sender_id"))
        batch_op.drop_index("ix_nudges_kind_sent_at")

    op.drop_table("nudges")
    with op.batch_alter_table("attestation_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attestation_links_volunteer_id"))

    op.drop_table("attestation_links")
    op.drop_table("job_leases")
