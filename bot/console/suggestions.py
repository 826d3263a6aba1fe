"""Suggested volunteers for a mission: a fast vectorised pre-selection, then the exact ranking of bot.matching.

Scoring every stored volunteer with ``bot.matching.suggest_volunteers`` would take seconds
with 100,000 of them, and so would any SQL that joins their skills, causes and half-days.
Instead each web process keeps the volunteers in memory as NumPy arrays (bit masks of their
skills, causes and half-days, their coordinates, status and age group), refreshed from the
database at each request when something changed (rows whose ``updated_at`` moved are
patched; a count that shrank, after an erasure, reloads everything). The arrays give every
volunteer the score ``matching.yml`` describes in a few milliseconds; the ``POOL`` best are
then loaded from the database and ranked exactly, with their reasons, by
``bot.matching.suggest_volunteers``, which decides what staff see.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from bot import matching
from bot.config import Settings
from bot.geo import radians_km_to_many
from bot.missions import Proposal
from bot.profile import DAYS, PERIODS, Place, TimeSlot, VolunteerProfile
from bot.store import missions as mission_store
from bot.store import models
from bot.store import volunteers as volunteer_store
from bot.taxonomy import load_taxonomy

logger = logging.getLogger(__name__)

POOL = 50
CLOSED_STATUSES = ("refusé", "archivé")
SLOT_BITS = {(day, period): i for i, (day, period) in enumerate((d, p) for d in DAYS for p in PERIODS)}
MAX_BITS = 62


@dataclass(frozen=True)
class Suggestion:
    """A volunteer who fits the mission, with the proposal they would receive."""

    volunteer: models.Volunteer
    proposal: Proposal
    invited: bool


def _bits(keys: list[str]) -> dict[str, int]:
    return {key: i for i, key in enumerate(keys[:MAX_BITS])}


@dataclass
class _Vectors:
    """Every volunteer as arrays, in one order; ``position`` maps a volunteer id to its index."""

    skill_bits: dict[str, int]
    cause_bits: dict[str, int]
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    latitude: np.ndarray = field(default_factory=lambda: np.zeros(0))  # radians, NaN when unknown
    longitude: np.ndarray = field(default_factory=lambda: np.zeros(0))
    degrees: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # as stored, for the reasons' distances
    skills: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    causes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    slots: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_skills: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_causes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    n_slots: np.ndarray = field(default_factory=lambda: np.zeros(0))
    in_play: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    adult: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    position: dict[int, int] = field(default_factory=dict)
    synced_to: datetime | None = None

    def load(self, session: Session, since: datetime | None = None) -> None:
        """Read every volunteer (or those changed since ``since``) and store or patch their rows."""
        read = volunteer_store.matching_rows(session, since=since)
        rows = read.volunteers
        if not rows:
            return
        masks: dict[int, list[int]] = {row[0]: [0, 0, 0, 0, 0, 0] for row in rows}
        # (rows of (volunteer id, key), bits of the keys, mask index, count index)
        for pairs, bits, mask_index, count_index in (
            (read.skills, self.skill_bits, 0, 3),
            (read.causes, self.cause_bits, 1, 4),
        ):
            for volunteer_id, key in pairs:
                bit = bits.get(key)
                if bit is not None and volunteer_id in masks:
                    masks[volunteer_id][mask_index] |= 1 << bit
                    masks[volunteer_id][count_index] += 1
        for volunteer_id, day, period in read.availability:
            if volunteer_id in masks:
                masks[volunteer_id][2] |= 1 << SLOT_BITS[(day, period)]
                masks[volunteer_id][5] += 1
        new = [row for row in rows if row[0] not in self.position]
        if new:
            start = len(self.ids)
            grow = len(new)
            self.ids = np.concatenate([self.ids, np.array([row[0] for row in new], dtype=np.int64)])
            for name, dtype in (("latitude", float), ("longitude", float), ("skills", np.int64), ("causes", np.int64),
                                ("slots", np.int64), ("n_skills", float), ("n_causes", float), ("n_slots", float),
                                ("in_play", bool), ("adult", bool)):  # fmt: skip
                setattr(self, name, np.concatenate([getattr(self, name), np.zeros(grow, dtype=dtype)]))
            self.degrees = np.concatenate([self.degrees, np.zeros((grow, 2))])
            for offset, row in enumerate(new):
                self.position[row[0]] = start + offset
        for volunteer_id, latitude, longitude, status, age_group, updated_at in rows:
            i = self.position[volunteer_id]
            known = latitude is not None and longitude is not None
            self.latitude[i] = math.radians(latitude) if known else math.nan
            self.longitude[i] = math.radians(longitude) if known else math.nan
            self.degrees[i] = (latitude, longitude) if known else (math.nan, math.nan)
            skills, causes, slots, n_skills, n_causes, n_slots = masks[volunteer_id]
            self.skills[i], self.causes[i], self.slots[i] = skills, causes, slots
            self.n_skills[i], self.n_causes[i], self.n_slots[i] = n_skills, n_causes, n_slots
            self.in_play[i] = status not in CLOSED_STATUSES
            self.adult[i] = age_group == "adult"
            if self.synced_to is None or _naive(updated_at) > _naive(self.synced_to):
                self.synced_to = updated_at

    def profile(self, i: int, settings: Settings) -> VolunteerProfile:
        """What matching sees of the volunteer at index ``i`` (no name, no contact, age as eligibility)."""
        skills = tuple(key for key, bit in self.skill_bits.items() if int(self.skills[i]) >> bit & 1)
        causes = tuple(key for key, bit in self.cause_bits.items() if int(self.causes[i]) >> bit & 1)
        slots = tuple(TimeSlot(*slot) for slot, bit in SLOT_BITS.items() if int(self.slots[i]) >> bit & 1)
        latitude, longitude = (float(x) for x in self.degrees[i])
        place = None if math.isnan(latitude) else Place("", latitude, longitude)
        age = settings.adult_age if self.adult[i] else settings.min_age
        return VolunteerProfile(skills=skills, causes=causes, availability=slots, place=place, age=age)


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


_cache: dict[str, _Vectors] = {}
_lock = threading.Lock()


def _vectors(session: Session, url: str) -> _Vectors:
    """The up-to-date arrays for this database (loaded once per process, then patched)."""
    latest, count = volunteer_store.last_change(session)
    with _lock:
        vectors = _cache.get(url)
        stale = vectors is not None and latest is not None and vectors.synced_to is not None
        if stale and _naive(latest) > _naive(vectors.synced_to):  # type: ignore[union-attr,arg-type]
            vectors.load(session, since=vectors.synced_to)  # type: ignore[union-attr]
        if vectors is None or len(vectors.ids) != count:  # first use, or people were erased
            taxonomy = load_taxonomy()
            vectors = _Vectors(skill_bits=_bits(list(taxonomy.skills)), cause_bits=_bits(list(taxonomy.causes)))
            vectors.load(session)
            _cache[url] = vectors
            logger.info("loaded %d volunteers for suggestions", len(vectors.ids))
        return vectors


def _matches(masks: np.ndarray, bits: list[int]) -> np.ndarray:
    total = np.zeros(len(masks))
    for bit in bits:
        total += (masks >> bit) & 1
    return total


def _overlap(matches: np.ndarray, own: np.ndarray, wanted: int) -> np.ndarray:
    # items in common relative to the shorter list, as bot.matching computes it
    shorter = np.maximum(np.minimum(own, wanted), 1)
    return np.where(matches > 0, matches / shorter, 0.0)


def _preselect(
    vectors: _Vectors, mission: models.Mission, settings: Settings, excluded: set[int], pool: int
) -> list[int]:
    """Ids of the ``pool`` volunteers with the best score, as matching.yml defines it, computed for everyone at once."""
    rules = matching.load_rules()
    w = rules.weights
    if not len(vectors.ids):
        return []
    skill_bits = [vectors.skill_bits[s.skill] for s in mission.skills if s.skill in vectors.skill_bits]
    cause_bits = [vectors.cause_bits[c.cause] for c in mission.causes if c.cause in vectors.cause_bits]
    slot_bits = [SLOT_BITS[(s.day, s.period)] for s in mission.schedule]
    skills = _overlap(_matches(vectors.skills, skill_bits), vectors.n_skills, len(mission.skills))
    causes = _overlap(_matches(vectors.causes, cause_bits), vectors.n_causes, len(mission.causes))
    slots = _overlap(_matches(vectors.slots, slot_bits), vectors.n_slots, len(mission.schedule))
    has_place = ~np.isnan(vectors.latitude)
    eligible = vectors.in_play.copy()
    if mission.remote:
        proximity = np.where(has_place, rules.remote_proximity, 0.0)
    elif mission.latitude is not None and mission.longitude is not None:
        with np.errstate(invalid="ignore"):  # volunteers without a place are NaN
            km = radians_km_to_many(mission.latitude, mission.longitude, vectors.latitude, vectors.longitude)
        proximity = np.where(has_place, 1 - km / rules.max_distance_km, 0.0)
        eligible &= ~has_place | (np.nan_to_num(km, nan=0.0) <= rules.max_distance_km)
    else:
        proximity = np.zeros(len(vectors.ids))
    if mission.min_age is not None and mission.min_age > settings.min_age:
        eligible &= vectors.adult  # minors are counted as min_age, adults as adult_age
    places_left = max(mission.places_total - mission.places_filled, 0)
    score = (
        w.skills * skills + w.availability * slots + w.distance * proximity + w.causes * causes
        + w.places_left * min(places_left, rules.places_left_cap) / rules.places_left_cap
    )  # fmt: skip
    wishes = (vectors.n_skills + vectors.n_causes + vectors.n_slots) > 0
    score = np.where(wishes & (skills == 0) & (slots == 0) & (causes == 0), score * rules.no_overlap_factor, score)
    if excluded:
        eligible &= ~np.isin(vectors.ids, np.fromiter(excluded, dtype=np.int64))
    candidates = np.flatnonzero(eligible)
    if len(candidates) > pool:
        best = np.argpartition(-score[candidates], pool)[:pool]
        candidates = candidates[best]
    return [int(vectors.ids[i]) for i in candidates]


def suggest(
    session: Session,
    settings: Settings,
    *,
    mission: models.Mission,
    limit: int = 10,
    excluded: Collection[int] = (),
) -> list[Suggestion]:
    """The volunteers who fit the mission best, best first, with the reasons each fits.

    Applicants are left out, and so are the ids in ``excluded`` (the urgent call's limits).
    """
    if mission.places_total - mission.places_filled <= 0:
        return []
    left_out = volunteer_store.applicants(session, mission_id=mission.id) | set(excluded)
    vectors = _vectors(session, settings.database_url)
    ids = _preselect(vectors, mission, settings, left_out, max(POOL, 5 * limit))
    if not ids:
        return []
    profiles = [(str(volunteer_id), vectors.profile(vectors.position[volunteer_id], settings)) for volunteer_id in ids]
    ranked = matching.suggest_volunteers(mission_store.to_domain(mission), profiles, limit=limit)
    shown = [int(vid) for vid, _ in ranked]
    rows = volunteer_store.by_ids(session, shown)
    invited = volunteer_store.invited(session, mission_id=mission.id, volunteer_ids=shown)
    return [Suggestion(rows[int(vid)], proposal, int(vid) in invited) for vid, proposal in ranked if int(vid) in rows]


def warm_up(settings: Settings) -> None:
    """Load the arrays before the first suggestion is asked for (run in a thread at start-up)."""
    from bot.store.session import session_scope

    try:
        with session_scope(settings.database_url) as session:
            _vectors(session, settings.database_url)
    except Exception:  # noqa: BLE001 - a failed warm-up only means the first request loads them
        logger.warning("could not load volunteers for suggestions in advance", exc_info=True)
