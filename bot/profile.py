"""A volunteer's profile as plain values: time slots, the place, the profile, its submission and consent.

Shared by understanding, matching, the store and the actions; a mission's values are in :mod:`bot.missions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The slots that hold what a person says about themself: the profile form's, and how to reach them.
PROFILE_SLOTS = ("first_name", "age_group", "place", "skills", "availability", "causes", "email", "phone", "contact")
DAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PERIODS: tuple[str, ...] = ("morning", "afternoon", "evening")


@dataclass(frozen=True, order=True)
class TimeSlot:
    """One half-day of availability: a day of the week and a period of that day."""

    day: str
    period: str

    def __post_init__(self) -> None:
        if self.day not in DAYS:
            raise ValueError(f"unknown day {self.day!r}")
        if self.period not in PERIODS:
            raise ValueError(f"unknown period {self.period!r}")

    @property
    def key(self) -> str:
        """Compact form used in Rasa entities and slots: ``"saturday:morning"``."""
        return f"{self.day}:{self.period}"

    @classmethod
    def from_key(cls, key: str) -> TimeSlot:
        """Parse the compact ``"day:period"`` form."""
        day, _, period = key.partition(":")
        return cls(day, period)

    def as_dict(self) -> dict[str, str]:
        """The export form of DESIGN.md: ``{"day": ..., "period": ...}``."""
        return {"day": self.day, "period": self.period}


def sort_slots(slots: object) -> list[TimeSlot]:
    """Deduplicate and order slots by day of week, then period of day."""
    unique = set(slots)  # type: ignore[call-overload]
    return sorted(unique, key=lambda s: (DAYS.index(s.day), PERIODS.index(s.period)))


@dataclass(frozen=True)
class Place:
    """A French town with coordinates from the offline gazetteer."""

    name: str
    latitude: float
    longitude: float
    postcode: str | None = None

    def to_slot(self) -> str:
        """Compact form used in Rasa entities and slots: ``"Villeurbanne|69100|45.76601|4.8795"``."""
        return f"{self.name}|{self.postcode or ''}|{self.latitude}|{self.longitude}"

    @classmethod
    def from_slot(cls, value: str) -> Place:
        """Parse the compact slot form; raises ValueError when it is malformed."""
        name, postcode, latitude, longitude = value.split("|")
        return cls(name, float(latitude), float(longitude), postcode or None)

    @property
    def label(self) -> str:
        """How the place is shown to people: ``"Villeurbanne (69100)"``."""
        return f"{self.name} ({self.postcode})" if self.postcode else self.name


@dataclass(frozen=True)
class VolunteerProfile:
    """What matching needs to know about a volunteer (never age, gender or origin)."""

    skills: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()
    availability: tuple[TimeSlot, ...] = ()
    place: Place | None = None
    age: int | None = None  # used only for legal eligibility (mission minimum age)


@dataclass(frozen=True)
class ProfileSubmission:
    """A complete profile the volunteer confirmed, ready to be stored in one transaction."""

    first_name: str
    age_group: str  # "adult" or "minor"
    place: Place | None
    skills: tuple[str, ...]
    causes: tuple[str, ...]
    availability: tuple[TimeSlot, ...]
    email: str | None = None
    phone: str | None = None

    def matching_profile(self, *, adult_age: int = 18, min_age: int = 16) -> VolunteerProfile:
        """What matching may see: no name, no contact, age reduced to eligibility."""
        age = adult_age if self.age_group == "adult" else min_age
        return VolunteerProfile(
            skills=self.skills, causes=self.causes, availability=self.availability, place=self.place, age=age
        )


@dataclass(frozen=True)
class ConsentRecord:
    """Which consent text a person accepted, when and where."""

    text_version: str
    given_at: datetime
    channel: str
