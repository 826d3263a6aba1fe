"""SQLAlchemy models of the application database (volunteers, missions, proposals, consent, audit)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
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
Base = declarative_base(metadata=metadata)

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
    remote = Column(Boolean, nullable=False, default=False)
    places_total = Column(Integer, nullable=False, default=1)
    places_filled = Column(Integer, nullable=False, default=0)
    min_age = Column(Integer)
    status = Column(String(16), nullable=False, default="open")
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


class RetentionNotice(Base):
    """The retention notice sent to an inactive volunteer (once per period of inactivity)."""

    __tablename__ = "retention_notices"
    volunteer_id = Column(Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True)
    sent_at = Column(DateTime(timezone=True), nullable=False)
