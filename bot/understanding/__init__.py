"""Free French text to normalised profile facts: pure functions, no I/O besides bundled data.

Usage::

    from bot.understanding import extract_facts

    facts = extract_facts("Je m'appelle Julie, infirmière à Villeurbanne, dispo le samedi matin")
    facts.first_name     # "Julie"
    facts.skills         # ["healthcare"]
    facts.place          # Place("Villeurbanne", 45.766, 4.8795, "69100")
    facts.availability   # [TimeSlot("saturday", "morning")]

    extract_facts("Bron", expecting="place").place        # the question just asked loosens its field
    extract_facts("17", expecting="age").age               # 17

The gazetteer takes about two seconds to load; call ``warm_up()`` at process start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.geo import distance_km
from bot.profile import Place, TimeSlot
from bot.taxonomy import load_taxonomy
from bot.understanding.age import find_age, says_minor
from bot.understanding.availability import parse_availability
from bot.understanding.causes import causes_lexicon, find_causes
from bot.understanding.contact import (
    contact_spans,
    find_email,
    find_phone,
    format_phone,
    looks_like_email_attempt,
)
from bot.understanding.lexicon import inside_longer, keys_of
from bot.understanding.names import find_first_name, first_name_span
from bot.understanding.places import find_place, lookup_place, warm_up_places
from bot.understanding.skills import find_skills, skills_lexicon
from bot.understanding.text import fold

__all__ = [
    "EXPECTABLE",
    "Facts",
    "distance_km",
    "extract_facts",
    "find_age",
    "find_causes",
    "find_email",
    "find_first_name",
    "find_phone",
    "find_place",
    "find_skills",
    "fold",
    "format_phone",
    "lookup_place",
    "looks_like_email_attempt",
    "parse_availability",
    "says_minor",
    "warm_up",
]

EXPECTABLE = frozenset({"first_name", "place", "skills", "availability", "causes", "contact", "age"})

_EMAIL_ATTEMPT_RE = re.compile(r"\S+@\S+")
# A whole short answer tried as a town when the place was just asked for ("villeurbane", "arbresle").
_MAX_PLACE_ANSWER_WORDS = 6


@dataclass
class Facts:
    """Everything one message says about the person writing it."""

    first_name: str | None = None
    place: Place | None = None
    skills: list[str] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)
    availability: list[TimeSlot] = field(default_factory=list)
    email: str | None = None
    phone: str | None = None
    age: int | None = None


def extract_facts(text: str, *, expecting: str | None = None, today: date | None = None) -> Facts:
    """All the profile facts one message offers; ``expecting`` names the field just asked for."""
    if expecting is not None and expecting not in EXPECTABLE:
        raise ValueError(f"unknown expected field {expecting!r}; expected one of {sorted(EXPECTABLE)}")
    facts = Facts(email=find_email(text), phone=find_phone(text))
    # Contact details and the name are blanked out so "julie.69100@..." is no postcode
    # and "moi c'est Sam" is no Saturday.
    spans = contact_spans(text) + [m.span() for m in _EMAIL_ATTEMPT_RE.finditer(text)]
    rest = _blank(text, spans)
    named = first_name_span(rest, expecting=expecting == "first_name")
    if named is not None:
        facts.first_name, start, end = named
        rest = _blank(rest, [(start, end)])
    facts.age = find_age(rest, expecting=expecting == "age", today=today)
    facts.place = find_place(rest)
    if facts.place is None and expecting == "place" and len(rest.split()) <= _MAX_PLACE_ANSWER_WORDS:
        facts.place = lookup_place(rest)
    facts.skills, facts.causes = _skills_and_causes(rest, expecting=expecting)
    facts.availability = parse_availability(rest)
    return facts


def _skills_and_causes(text: str, *, expecting: str | None = None) -> tuple[list[str], list[str]]:
    """Skills and causes; a skill word inside a longer cause phrase names the cause only.

    "l'accueil des migrants" is the cause of refugees, not also the skill of reception.
    Words that name both a skill and a cause ("les festivals", "le secourisme") name what
    was just asked: a cause in answer to the causes question, a skill to the skills one.
    """
    taxonomy = load_taxonomy()
    causes = causes_lexicon(taxonomy).matches(text)
    cause_spans = [(match.start, match.end) for match in causes]
    skills = skills_lexicon(taxonomy).matches(text)
    if expecting == "skills":
        skill_spans = [(match.start, match.end) for match in skills]
        causes = [m for m in causes if not _overlaps(m.start, m.end, skill_spans)]
    elif expecting == "causes":
        skills = [m for m in skills if not _overlaps(m.start, m.end, cause_spans)]
    else:
        skills = [m for m in skills if not inside_longer(m.start, m.end, cause_spans)]
    return keys_of(skills), keys_of(causes)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def warm_up() -> None:
    """Load the taxonomy, its matchers and the gazetteer now rather than on the first message."""
    taxonomy = load_taxonomy()
    skills_lexicon(taxonomy)
    causes_lexicon(taxonomy)
    warm_up_places()
    find_first_name("je m'appelle Julie")


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
