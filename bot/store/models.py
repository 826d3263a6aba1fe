"""SQLAlchemy models of the application database (volunteers, missions, proposals, consent, audit)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
# Typed as Any: SQLAlchemy 1.4 ships no types for its declarative classes (2.0 does, with DeclarativeBase).
Base: Any = declarative_base(metadata=metadata)

DAY_CHECK = "day IN ('monday','tuesday','wednesday','thursday','friday','saturday','sunday')"
PERIOD_CHECK = "period IN ('morning','afternoon','evening')"


def utcnow() -> datetime:
    """Timezone-aware current time; stored as UTC."""
    return datetime.now(timezone.utc)


class Volunteer(Base):
    """A prospective volunteer (lead) who consented and confirmed a profile."""

    __tablename__ = "volunteers"
    __table_args__ = (UniqueConstraint("channel", "sender_id", name="uq_volunteers_channel_sender"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    sender_id = Column(String(128), nullable=False, index=True)
    first_name = Column(String(60), nullable=False)
    email = Column(String(254))
    phone = Column(String(20))
    city = Column(String(120))
    postcode = Column(String(10))
    latitude = Column(Float)
    longitude = Column(Float)
    age_group = Column(String(16), nullable=False)  # "adult" or "minor": no birth date is kept
    status = Column(String(16), nullable=False, default="nouveau")
    source = Column(String(64))
    # Said "ne plus recevoir de propositions": never invited again (urgent calls, bot.urgent).
    proposals_opt_out_at = Column(DateTime(timezone=True))
    # Said "stop relances": no re-engagement message ever again (bot.reengagement); reminders of shifts go on.
    nudges_opt_out_at = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    skills = relationship("VolunteerSkill", cascade="all, delete-orphan", order_by="VolunteerSkill.position")
    causes = relationship("VolunteerCause", cascade="all, delete-orphan", order_by="VolunteerCause.position")
    availability = relationship("VolunteerAvailability", cascade="all, delete-orphan")
    consents = relationship("Consent", cascade="all, delete-orphan", order_by="Consent.given_at")
    proposals = relationship("Proposal", cascade="all, delete-orphan", order_by="Proposal.id")
    applications = relationship("Application", cascade="all, delete-orphan", order_by="Application.id")


class VolunteerSkill(Base):
    """A skill (taxonomy key) a volunteer offers."""

    __tablename__ = "volunteer_skills"
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True)
    skill = Column(String(40), primary_key=True)
    position = Column(Integer, nullable=False, default=0)


class VolunteerCause(Base):
    """A cause (taxonomy key) a volunteer cares about."""

    __tablename__ = "volunteer_causes"
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True)
    cause = Column(String(40), primary_key=True)
    position = Column(Integer, nullable=False, default=0)


class VolunteerAvailability(Base):
    """One half-day (day × period) a volunteer is free."""

    __tablename__ = "volunteer_availability"
    __table_args__ = (CheckConstraint(DAY_CHECK, name="day"), CheckConstraint(PERIOD_CHECK, name="period"))
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True)
    day = Column(String(9), primary_key=True)
    period = Column(String(9), primary_key=True)


class Consent(Base):
    """The consent a volunteer gave: which text version, when and on which channel."""

    __tablename__ = "consents"
    id = Column(Integer, primary_key=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False, index=True)
    text_version = Column(String(16), nullable=False)
    channel = Column(String(32), nullable=False)
    given_at = Column(DateTime(timezone=True), nullable=False)
    withdrawn_at = Column(DateTime(timezone=True))


class Mission(Base):
    """A mission of the association."""

    __tablename__ = "missions"
    id = Column(String(32), primary_key=True)
    title = Column(String(120), nullable=False)
    description = Column(Text, nullable=False, default="")
    city = Column(String(120))
    postcode = Column(String(10))
    latitude = Column(Float)
    longitude = Column(Float)
    address = Column(String(200))  # where to go: street and number, shown in "Plus d'infos" and calendar files
    contact = Column(String(200))  # who to ask on the day: a first name and a phone or e-mail of the association
    remote = Column(Boolean, nullable=False, default=False)
    places_total = Column(Integer, nullable=False, default=1)
    places_filled = Column(Integer, nullable=False, default=0)
    min_age = Column(Integer)
    status = Column(String(16), nullable=False, default="open")
    # Urgent and below target: the assistant invites the best-matching volunteers itself (bot.urgent).
    urgent = Column(Boolean, nullable=False, default=False, server_default="0")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    skills = relationship("MissionSkill", cascade="all, delete-orphan", order_by="MissionSkill.skill")
    causes = relationship("MissionCause", cascade="all, delete-orphan", order_by="MissionCause.cause")
    schedule = relationship("MissionSlot", cascade="all, delete-orphan")


class MissionSkill(Base):
    """A skill a mission wants."""

    __tablename__ = "mission_skills"
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="CASCADE"), primary_key=True)
    skill = Column(String(40), primary_key=True)


class MissionCause(Base):
    """A cause a mission serves."""

    __tablename__ = "mission_causes"
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="CASCADE"), primary_key=True)
    cause = Column(String(40), primary_key=True)


class MissionSlot(Base):
    """A half-day in a mission's weekly schedule."""

    __tablename__ = "mission_schedule"
    __table_args__ = (CheckConstraint(DAY_CHECK, name="day"), CheckConstraint(PERIOD_CHECK, name="period"))
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="CASCADE"), primary_key=True)
    day = Column(String(9), primary_key=True)
    period = Column(String(9), primary_key=True)


class Proposal(Base):
    """A mission proposed to a volunteer, with the score and reasons shown to them."""

    __tablename__ = "proposals"
    id = Column(Integer, primary_key=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False, index=True)
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="CASCADE"), nullable=False)
    score = Column(Float, nullable=False)
    reasons = Column(JSON, nullable=False, default=list)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    mission = relationship("Mission")


class Application(Base):
    """A volunteer said yes to a mission: staff follow up."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("volunteer_id", "mission_id", name="uq_applications_volunteer_mission"),)
    id = Column(Integer, primary_key=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False, index=True)
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="CASCADE"), nullable=False)
    status = Column(String(16), nullable=False, default="nouvelle")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    mission = relationship("Mission")


class HandoffRequest(Base):
    """Somebody asked to talk to a person; staff reach them on their channel."""

    __tablename__ = "handoff_requests"
    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    sender_id = Column(String(128), nullable=False, index=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    status = Column(String(16), nullable=False, default="ouverte")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class AuditEntry(Base):
    """An anonymous trace of what happened to personal data (never the data itself)."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    actor = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    subject = Column(String(64), nullable=False)
    details = Column(JSON, nullable=False, default=dict)


class TelegramUpdate(Base):
    """A Telegram update already received: a redelivery is ignored once handled, processed again if not."""

    __tablename__ = "telegram_updates"
    bot_id = Column(BigInteger, primary_key=True, autoincrement=False)
    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    handled_at = Column(DateTime(timezone=True), nullable=True)  # None while the assistant works on it


# --------------------------------------------------------------------------- staff console (issue 4)


class StaffMember(Base):
    """A staff account of the console: a coordinator (leads, missions) or an admin (everything)."""

    __tablename__ = "staff_members"
    __table_args__ = (CheckConstraint("role IN ('admin','coordinator')", name="role"),)
    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)
    role = Column(String(16), nullable=False)
    password_hash = Column(String(255), nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at = Column(DateTime(timezone=True))
    # What the staff member is told by e-mail (bot.notifications), chosen on the console's "Mes notifications".
    notify_handoffs = Column(Boolean, nullable=False, default=True, server_default="1")
    notify_digest = Column(Boolean, nullable=False, default=True, server_default="1")
    notify_missions = Column(Boolean, nullable=False, default=True, server_default="1")
    # Part of every console session cookie; logging out increments it, which ends those sessions.
    session_version = Column(Integer, nullable=False, default=0, server_default="0")


class ApiToken(Base):
    """A token of the JSON API; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_used_at = Column(DateTime(timezone=True))
    staff = relationship("StaffMember")


class LeadFollowUp(Base):
    """Staff follow-up of a lead: who handles it, why it was refused, when the funnel stages were reached."""

    __tablename__ = "lead_follow_ups"
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True)
    assigned_staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"), index=True)
    refusal_reason = Column(Text)
    contacted_at = Column(DateTime(timezone=True))
    active_at = Column(DateTime(timezone=True))
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    assigned_staff = relationship("StaffMember")


class LeadNote(Base):
    """A staff member's note on a lead."""

    __tablename__ = "lead_notes"
    id = Column(Integer, primary_key=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False, index=True)
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    staff = relationship("StaffMember")


class Invitation(Base):
    """A mission a staff member invited a volunteer to; the assistant delivered it on their channel."""

    __tablename__ = "invitations"
    id = Column(Integer, primary_key=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False, index=True)
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="CASCADE"), nullable=False, index=True)
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))  # None: the assistant's urgent call
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    kind = Column(String(16), nullable=False, default="staff", server_default="staff")  # "staff" or "urgent"
    mission = relationship("Mission")
    staff = relationship("StaffMember")


# What the console filters and sorts leads by, and what reverse matching looks up.
Index("ix_volunteers_created_at", Volunteer.created_at)
Index("ix_volunteers_updated_at", Volunteer.updated_at)
Index("ix_volunteers_channel_created_at", Volunteer.channel, Volunteer.created_at)
Index("ix_volunteers_status_created_at", Volunteer.status, Volunteer.created_at)
Index("ix_volunteers_latitude_longitude", Volunteer.latitude, Volunteer.longitude)
Index("ix_volunteer_skills_skill", VolunteerSkill.skill, VolunteerSkill.volunteer_id)
Index("ix_volunteer_causes_cause", VolunteerCause.cause, VolunteerCause.volunteer_id)
Index(
    "ix_volunteer_availability_slot",
    VolunteerAvailability.day,
    VolunteerAvailability.period,
    VolunteerAvailability.volunteer_id,
)
Index("ix_applications_mission_id", Application.mission_id)
Index("ix_proposals_mission_id", Proposal.mission_id)
Index("ix_handoff_requests_status_created_at", HandoffRequest.status, HandoffRequest.created_at)
Index("ix_audit_log_at", AuditEntry.at)


class RetentionNotice(Base):
    """The retention notice sent to an inactive volunteer (once per period of inactivity)."""

    __tablename__ = "retention_notices"
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True)
    sent_at = Column(DateTime(timezone=True), nullable=False)


class Takeover(Base):
    """A staff member holds a conversation: the assistant is silent until it is handed back (bot.takeover).

    At most one open takeover (``ended_at`` NULL) per conversation, enforced by a partial unique index.
    """

    __tablename__ = "takeovers"
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False)
    channel = Column(String(32), nullable=False)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    handoff_id = Column(Integer, ForeignKey("handoff_requests.id", ondelete="SET NULL"))
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    started_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_activity_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    ended_at = Column(DateTime(timezone=True))
    ended_reason = Column(String(16))  # "staff" (handed back), "silence" (automatic), "request", "erased"...
    staff = relationship("StaffMember")
    # Ids never reused after an erasure: the audit log names a takeover by its id.
    __table_args__ = {"sqlite_autoincrement": True}


Index(
    "ix_takeovers_one_open",
    Takeover.sender_id,
    unique=True,
    sqlite_where=Takeover.ended_at.is_(None),
    postgresql_where=Takeover.ended_at.is_(None),
)


class OutgoingEmail(Base):
    """An e-mail to staff, kept until the SMTP server accepted it (retried meanwhile: bot.notifications)."""

    __tablename__ = "outgoing_emails"
    id = Column(Integer, primary_key=True)
    # To a staff member, or to a volunteer who gave an address (reminders, notices): exactly one of the two.
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="CASCADE"), index=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    kind = Column(String(16), nullable=False)  # "handoff", "digest", "missions", "urgent", "reminder", "retention"...
    subject = Column(String(200), nullable=False)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    attempts = Column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True))
    last_error = Column(String(200))
    # A calendar file sent with a volunteer's e-mail (text/calendar), rendered when queued: no personal data.
    attachment_name = Column(String(64))
    attachment = Column(Text)
    staff = relationship("StaffMember")
    __table_args__ = (CheckConstraint("(staff_id IS NULL) <> (volunteer_id IS NULL)", name="one_recipient"),)


Index("ix_outgoing_emails_pending", OutgoingEmail.sent_at, OutgoingEmail.next_attempt_at)


class ConfirmationSent(Base):
    """A sign-up confirmation e-mailed to an address, counted to cap them (bot.signups): kept 24 hours.

    The address is a keyed digest, not the address: the row outlives the profile's erasure on
    purpose (erasing and booking again must not reset the cap), and names no one without the key.
    """

    __tablename__ = "confirmations_sent"
    id = Column(Integer, primary_key=True)
    address_digest = Column(String(64), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class JobRun(Base):
    """Work done once per key (a day's digest, a mission's drop below target): the row is the claim."""

    __tablename__ = "job_runs"
    kind = Column(String(32), primary_key=True)
    key = Column(String(96), primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Decline(Base):
    """Why a volunteer turned down a mission (proposals or an invitation); that mission is not proposed again."""

    __tablename__ = "declines"
    id = Column(Integer, primary_key=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False, index=True)
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="CASCADE"), index=True)
    reason = Column(String(16), nullable=False)  # "too_far", "wrong_days", "not_my_cause", "other", "unknown"
    text = Column(Text)  # the volunteer's own words, when they wrote some
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    __table_args__ = (
        CheckConstraint("reason IN ('too_far','wrong_days','not_my_cause','other','unknown')", name="reason"),
    )


# --------------------------------------------------------------------------- after the first yes (issue 18)


class ShiftSeries(Base):
    """A recurring shift of a mission (every Saturday 9:00-12:00 from ... to ...), unfolded into :class:`Shift` rows."""

    __tablename__ = "shift_series"
    __table_args__ = (
        CheckConstraint(DAY_CHECK, name="day"),
        CheckConstraint("places >= 1", name="places"),
        CheckConstraint("end_time > start_time", name="times"),
    )
    id = Column(Integer, primary_key=True)
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="CASCADE"), nullable=False, index=True)
    day = Column(String(9), nullable=False)
    start_time = Column(String(5), nullable=False)  # "09:00", local time (TIMEZONE)
    end_time = Column(String(5), nullable=False)
    places = Column(Integer, nullable=False, default=1)
    starts_on = Column(Date, nullable=False)
    ends_on = Column(Date)  # None: until the series is removed


class Shift(Base):
    """A dated occurrence of a mission (créneau): one-off, or unfolded from a :class:`ShiftSeries`."""

    __tablename__ = "shifts"
    __table_args__ = (
        UniqueConstraint("mission_id", "starts_at", name="uq_shifts_mission_starts_at"),
        CheckConstraint("places >= 1", name="places"),
        CheckConstraint("ends_at > starts_at", name="times"),
        {"sqlite_autoincrement": True},
    )
    id = Column(Integer, primary_key=True)
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="CASCADE"), nullable=False)
    series_id = Column(Integer, ForeignKey("shift_series.id", ondelete="SET NULL"), index=True)
    starts_at = Column(DateTime(timezone=True), nullable=False)  # UTC
    ends_at = Column(DateTime(timezone=True), nullable=False)
    places = Column(Integer, nullable=False, default=1)
    # Places taken (sign-ups confirmed or attended): changed only by one conditional UPDATE
    # ("SET taken = taken + 1 WHERE taken < places"), so two people never get the last place.
    taken = Column(Integer, nullable=False, default=0, server_default="0")
    cancelled_at = Column(DateTime(timezone=True))  # cancelled by staff: volunteers signed up are told
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    mission = relationship("Mission")
    signups = relationship("Signup", cascade="all, delete-orphan", order_by="Signup.id", back_populates="shift")


class Signup(Base):
    """A volunteer signed up for a shift, and what followed: reminder, answer, check-in, attendance."""

    __tablename__ = "signups"
    __table_args__ = (
        UniqueConstraint("shift_id", "volunteer_id", name="uq_signups_shift_volunteer"),
        CheckConstraint("status IN ('confirmed','cancelled','attended','no_show')", name="status"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        {"sqlite_autoincrement": True},
    )
    id = Column(Integer, primary_key=True)
    shift_id = Column(Integer, ForeignKey("shifts.id", ondelete="CASCADE"), nullable=False, index=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False, index=True)
    status = Column(String(16), nullable=False, default="confirmed")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    cancelled_at = Column(DateTime(timezone=True))
    cancelled_by = Column(String(16))  # "volunteer", "staff", "shift" (the shift itself was cancelled)
    # The reminder the day before: sent (claimed by a conditional UPDATE), answered, followed up once.
    reminder_sent_at = Column(DateTime(timezone=True))
    reminder_answer = Column(String(8))  # "yes", "no"
    reminder_answered_at = Column(DateTime(timezone=True))
    followup_sent_at = Column(DateTime(timezone=True))
    # The check-in after the shift: sent, answered (hours in Hours, rating, optional comment).
    checkin_sent_at = Column(DateTime(timezone=True))
    checkin_done_at = Column(DateTime(timezone=True))
    rating = Column(Integer)
    comment = Column(Text)
    shift = relationship("Shift", back_populates="signups")
    volunteer = relationship("Volunteer")


class HoursEntry(Base):
    """Hours of volunteering done on one day: from a check-in, or entered by staff (hours log, attestations)."""

    __tablename__ = "hours"
    __table_args__ = (
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes"),
        CheckConstraint("source IN ('checkin','staff')", name="source"),
    )
    id = Column(Integer, primary_key=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False, index=True)
    signup_id = Column(Integer, ForeignKey("signups.id", ondelete="SET NULL"), unique=True)
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="SET NULL"))
    mission_title = Column(String(120), nullable=False)  # kept for the attestation if the mission is deleted
    day = Column(Date, nullable=False)
    minutes = Column(Integer, nullable=False)
    # Set: the line is "à vérifier" (a check-in declared more than the shift's length + 1 h) and
    # attestations count this (the planned length) until a staff member accepts the line.
    counted_minutes = Column(Integer)
    source = Column(String(16), nullable=False)
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class AttestationLink(Base):
    """A link to a PDF attestation of hours; only the token's SHA-256 is kept, the PDF is made on each download."""

    __tablename__ = "attestation_links"
    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False, index=True)
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    # The name to print, asked when the attestation is (a profile keeps a first name only); erased with the link.
    full_name = Column(String(120), nullable=False)
    staff_id = Column(Integer, ForeignKey("staff_members.id", ondelete="SET NULL"))  # None: asked in the chat
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)


class Nudge(Base):
    """A message the assistant sent on its own to bring someone back (re-engagement) or warn them (retention)."""

    __tablename__ = "nudges"
    __table_args__ = (
        CheckConstraint("kind IN ('unfinished_profile','inactive','retention')", name="kind"),
        {"sqlite_autoincrement": True},
    )
    id = Column(Integer, primary_key=True)
    kind = Column(String(24), nullable=False)
    channel = Column(String(32), nullable=False)
    sender_id = Column(String(128), nullable=False, index=True)
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    mission_id = Column(String(32), ForeignKey("missions.id", ondelete="SET NULL"))  # the suggestion, if any
    via = Column(String(64), nullable=False, default="")  # channels reached: "telegram", "socketio", "email"...
    sent_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class JobLease(Base):
    """Which process runs a scheduled job now, until when, and how its last run went (bot.background).

    A process takes the lease with one conditional UPDATE (free or expired), so two processes never run
    the same job at once; the row also says when it last ran, which survives restarts.
    """

    __tablename__ = "job_leases"
    name = Column(String(64), primary_key=True)
    holder = Column(String(64))
    until = Column(DateTime(timezone=True))
    last_started_at = Column(DateTime(timezone=True))
    last_finished_at = Column(DateTime(timezone=True))
    last_error = Column(String(64))  # the error's class name, never a message (could hold personal data)


Index("ix_shifts_starts_at", Shift.starts_at)
Index("ix_shifts_mission_id_starts_at", Shift.mission_id, Shift.starts_at)
Index("ix_hours_volunteer_id_day", HoursEntry.volunteer_id, HoursEntry.day)
Index("ix_nudges_kind_sent_at", Nudge.kind, Nudge.sent_at)
