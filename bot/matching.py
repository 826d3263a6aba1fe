"""Rank the association's missions for a volunteer (and volunteers for a mission), saying why each fits.

Usage::

    missions = read_missions(DEFAULT_MISSIONS_PATH)  # bot.missions
    for proposal in rank_missions(profile, missions, limit=3):
        print(proposal.title, proposal.score, "; ".join(proposal.reasons))

    index = MissionIndex.of(missions)  # to rank the same missions for many volunteers
    proposals = rank_missions(profile, index, limit=3)

Ranking is pure: rules (weights, limits, French wording) come from ``matching.yml`` and
labels from the taxonomy, loaded once or handed in. Age is used only for eligibility
(a mission's minimum age), never in a score.
"""

from __future__ import annotations

import heapq
import math
import string
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import yaml

from bot.config import get_settings
from bot.errors import InvalidDataError
from bot.geo import EARTH_RADIUS_KM, distance_km
from bot.missions import Mission, Opening, Proposal
from bot.profile import DAYS, PERIODS, Place, TimeSlot, VolunteerProfile, sort_slots
from bot.taxonomy import load_taxonomy

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[1] / "data" / "association" / "matching.yml"


# --------------------------------------------------------------------------- labels


class LabelLookup(Protocol):
    """French labels of skill and cause keys (``bot.taxonomy.Taxonomy`` fits)."""

    def skill_label(self, key: str) -> str:
        """French label of a skill key."""
        ...

    def cause_label(self, key: str) -> str:
        """French label of a cause key."""
        ...


class KeyLabels:
    """Labels without a taxonomy: the key itself, spaces for underscores."""

    def skill_label(self, key: str) -> str:
        """Readable form of a skill key."""
        return key.replace("_", " ")

    def cause_label(self, key: str) -> str:
        """Readable form of a cause key."""
        return key.replace("_", " ")


def default_labels() -> LabelLookup:
    """The project taxonomy (``bot.taxonomy`` loads it once)."""
    return load_taxonomy()


def _label(lookup: Callable[[str], str], key: str) -> str:
    # An unknown key in a mission must not break a conversation: show the key.
    try:
        return lookup(key)
    except (LookupError, ValueError):
        return key


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Weights:
    """How much each score component counts."""

    skills: float
    availability: float
    distance: float
    causes: float
    places_left: float


@dataclass(frozen=True)
class ReasonTemplates:
    """French templates of the reasons shown with a proposal."""

    skills: str
    availability: str
    distance: str
    distance_near: str
    remote: str
    causes: str
    places_left: str
    places_left_one: str
    date: str  # a dated shift the volunteer is free for
    next_date: str  # the next dated shift, when none fits their availability


@dataclass(frozen=True)
class SlotWording:
    """How slots are written in French: ``"le samedi matin"``."""

    slot: str
    days: Mapping[str, str]
    periods: Mapping[str, str]
    conjunction: str
    max_listed_slots: int
    more_slots: str
    more_slots_one: str


@dataclass(frozen=True)
class MatchingRules:
    """Everything the ranking needs besides the profile and the missions."""

    weights: Weights
    max_distance_km: float
    remote_proximity: float
    places_left_cap: int
    no_overlap_factor: float
    reasons: ReasonTemplates
    wording: SlotWording


# Placeholders each template may use; the other templates take none.
_PLACEHOLDERS: dict[str, set[str]] = {
    "reasons.skills": {"labels"},
    "reasons.availability": {"slots"},
    "reasons.distance": {"km"},
    "reasons.causes": {"labels"},
    "reasons.places_left": {"n"},
    "reasons.date": {"date"},
    "reasons.next_date": {"date"},
    "wording.slot": {"day", "period"},
    "wording.more_slots": {"n"},
}


def _parse_rules(raw: Any, source: str) -> MatchingRules:
    """Check the content of ``matching.yml``; errors name the setting: ``matching.yml, weights.skills: ...``."""

    def get(path: str, is_valid: Callable[[Any], bool], expected: str) -> Any:
        value = raw
        for key in path.split("."):
            if not isinstance(value, Mapping) or key not in value:
                raise InvalidDataError(f"{source}, {path}: réglage manquant")
            value = value[key]
        if not is_valid(value):
            raise InvalidDataError(f"{source}, {path}: {expected} attendu, pas {value!r}")
        return value

    def number(path: str, maximum: float = math.inf) -> float:
        expected = "nombre positif ou nul" if maximum == math.inf else f"nombre entre 0 et {maximum:g}"
        return float(get(path, lambda value: type(value) in (int, float) and 0 <= value <= maximum, expected))

    def whole_number(path: str) -> int:
        return int(get(path, lambda value: type(value) is int and value >= 1, "nombre entier ≥ 1"))

    def text(path: str) -> str:
        return str(get(path, lambda value: isinstance(value, str) and value.strip() != "", "texte non vide"))

    def template(path: str) -> str:
        value = text(path)
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as error:
            raise InvalidDataError(f"{source}, {path}: modèle mal formé {value!r} ({error})") from None
        unknown = used - _PLACEHOLDERS.get(path, set())
        if unknown:
            raise InvalidDataError(f"{source}, {path}: variable inconnue {', '.join(sorted(unknown))} dans {value!r}")
        return value

    if number("max_distance_km") == 0:
        raise InvalidDataError(f"{source}, max_distance_km: doit être strictement positif")
    return MatchingRules(
        weights=Weights(**{name: number(f"weights.{name}") for name in Weights.__dataclass_fields__}),
        max_distance_km=number("max_distance_km"),
        remote_proximity=number("remote_proximity", maximum=1),
        places_left_cap=whole_number("places_left_cap"),
        no_overlap_factor=number("no_overlap_factor", maximum=1),
        reasons=ReasonTemplates(**{name: template(f"reasons.{name}") for name in ReasonTemplates.__dataclass_fields__}),
        wording=SlotWording(
            slot=template("wording.slot"),
            days={day: text(f"wording.days.{day}") for day in DAYS},
            periods={period: text(f"wording.periods.{period}") for period in PERIODS},
            conjunction=text("wording.conjunction"),
            max_listed_slots=whole_number("wording.max_listed_slots"),
            more_slots=template("wording.more_slots"),
            more_slots_one=template("wording.more_slots_one"),
        ),
    )


def _read_rules(path: Path) -> MatchingRules:
    try:
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        raise InvalidDataError(f"{path.name} : YAML invalide ({error})") from None
    return _parse_rules(raw, path.name)


@cache
def _default_rules() -> MatchingRules:
    return _read_rules(get_settings().association_path / "matching.yml")


def load_rules(path: Path | None = None) -> MatchingRules:
    """Read the matching rules from ``matching.yml`` (cached for the default path)."""
    return _default_rules() if path is None else _read_rules(path)


# --------------------------------------------------------------------------- wording


def join_words(items: Sequence[str], rules: MatchingRules | None = None) -> str:
    """French enumeration with the wording of matching.yml: "a", "a et b", "a, b et c"."""
    return _join(items, (rules or load_rules()).wording.conjunction)


def _join(items: Sequence[str], conjunction: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def describe_slots(slots: Iterable[TimeSlot], rules: MatchingRules | None = None) -> str:
    """French wording of slots in week order: ``"le mardi soir et le samedi matin"``."""
    wording = (rules or load_rules()).wording
    ordered = sort_slots(slots)
    words = [
        wording.slot.format(day=wording.days[slot.day], period=wording.periods[slot.period])
        for slot in ordered[: wording.max_listed_slots]
    ]
    hidden = len(ordered) - len(words)
    if hidden == 1:
        words.append(wording.more_slots_one)
    elif hidden > 1:
        words.append(wording.more_slots.format(n=hidden))
    return _join(words, wording.conjunction)


def describe_availability(slots: Iterable[TimeSlot], rules: MatchingRules | None = None) -> str:
    """Every slot in French, grouped, never counted away: what a person checks in their summary.

    ``"du lundi au vendredi l'après-midi ; le samedi toute la journée"``,
    ``"tous les jours le soir"``, ``"le mardi soir"``.
    """
    wording = (rules or load_rules()).wording
    periods_of: dict[str, set[str]] = {}
    for slot in sort_slots(slots):
        periods_of.setdefault(slot.day, set()).add(slot.period)
    groups: dict[frozenset[str], list[str]] = {}
    for day in DAYS:
        if day in periods_of:
            groups.setdefault(frozenset(periods_of[day]), []).append(day)
    parts = []
    for periods, days in groups.items():
        alone = len(days) == 1
        parts.append(f"{_days_phrase(days, wording)} {_periods_phrase(periods, wording, bare=alone)}")
    return " ; ".join(parts)


def _days_phrase(days: list[str], wording: SlotWording) -> str:
    indexes = [DAYS.index(day) for day in days]
    if len(days) == len(DAYS):
        return "tous les jours"
    if indexes == [0, 1, 2, 3, 4]:
        return "en semaine"
    if indexes == [5, 6]:
        return "le week-end"
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    words = []
    for run in runs:
        if len(run) >= 3:
            words.append(f"du {wording.days[DAYS[run[0]]]} au {wording.days[DAYS[run[-1]]]}")
        else:
            words.extend(f"le {wording.days[DAYS[index]]}" for index in run)
    return _join(words, wording.conjunction)


def _periods_phrase(periods: frozenset[str], wording: SlotWording, *, bare: bool) -> str:
    if len(periods) == len(PERIODS):
        return "toute la journée"
    names = [wording.periods[period] for period in PERIODS if period in periods]
    if bare and len(names) == 1:
        return names[0]  # "le mardi soir"
    return _join([("l'" if name[0] in "aeiouéè" else "le ") + name for name in names], wording.conjunction)


# --------------------------------------------------------------------------- scoring


class _Point(NamedTuple):
    """A place in radians, with the cosine of its latitude: what the haversine formula needs."""

    latitude: float
    longitude: float
    cos_latitude: float


def _point(place: Place) -> _Point:
    latitude = math.radians(place.latitude)
    return _Point(latitude, math.radians(place.longitude), math.cos(latitude))


def _km_between(first: _Point, second: _Point) -> float:
    """bot.geo.haversine_km, with each point's radians and cosine computed once (tests/bot/test_geo.py)."""
    h = (
        math.sin((second.latitude - first.latitude) / 2) ** 2
        + first.cos_latitude * second.cos_latitude * math.sin((second.longitude - first.longitude) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class _Volunteer:
    """What scoring needs from a profile, as sets."""

    skills: frozenset[str]
    causes: frozenset[str]
    availability: frozenset[TimeSlot]
    place: Place | None
    point: _Point | None
    age: int | None
    has_wishes: bool  # gave at least one skill, slot or cause

    @classmethod
    def of(cls, profile: VolunteerProfile) -> _Volunteer:
        skills, causes, slots = frozenset(profile.skills), frozenset(profile.causes), frozenset(profile.availability)
        point = _point(profile.place) if profile.place is not None else None
        return cls(skills, causes, slots, profile.place, point, profile.age, bool(skills or causes or slots))


@dataclass(frozen=True)
class _Candidate:
    """What scoring needs from a mission, as sets and numbers."""

    mission: Mission
    places_left: int
    min_age: int
    skills: frozenset[str]
    causes: frozenset[str]
    schedule: frozenset[TimeSlot]

    @classmethod
    def of(cls, mission: Mission) -> _Candidate:
        """A dated mission counts its open shifts' slots with its weekly grid, and is closed without one."""
        schedule = frozenset(mission.schedule)
        places_left = mission.places_left
        if mission.dated:
            open_slots = [slot for opening in mission.openings if opening.places_left > 0 for slot in opening.slots]
            schedule |= frozenset(open_slots)
            if not open_slots:
                places_left = 0  # every shift in the horizon is full, or there is none
        return cls(
            mission, places_left, mission.min_age or 0, frozenset(mission.skills), frozenset(mission.causes), schedule
        )


class _Site(NamedTuple):
    """Where missions happen, as the distance score sees it: remote, at a point, or on site somewhere unknown."""

    remote: bool
    point: _Point | None

    @classmethod
    def of(cls, mission: Mission) -> _Site:
        if mission.remote or mission.place is None:
            return cls(mission.remote, None)
        return cls(False, _point(mission.place))


# What the ranking loop reads for each mission, packed in a tuple (attribute access is slow in
# the loop that scores thousands of missions): id, places left, minimum age, then each set as a
# bitmask over the index's keys with its size.
_Packed = tuple[str, int, int, int, int, int, int, int, int]


@dataclass(frozen=True)
class MissionIndex:
    """Missions prepared once for ranking: grouped by site, with coordinates in radians, sets as bitmasks.

    Missions are placed at town centres, so there are far fewer sites than missions:
    the distance to each site is computed once per volunteer, and the missions of a
    site too far away are skipped together. Skills, causes and slots become bits of an
    integer, so the overlap of two sets is one ``&`` and a bit count. To rank the same
    missions for many volunteers, build the index once; it is immutable, so rebuild it
    when they change.
    """

    sites: tuple[tuple[_Site, tuple[_Candidate, ...]], ...]
    packed: tuple[tuple[_Site, tuple[_Packed, ...]], ...]
    bits: Mapping[object, int]  # skill, cause and slot → its bit (skills and causes never share a set)

    @classmethod
    def of(cls, missions: Iterable[Mission]) -> MissionIndex:
        """Prepare ``missions`` for ranking."""
        by_site: dict[_Site, list[_Candidate]] = {}
        for mission in missions:
            by_site.setdefault(_Site.of(mission), []).append(_Candidate.of(mission))
        bits: dict[object, int] = {}
        for candidates in by_site.values():
            for candidate in candidates:
                for item in (*candidate.skills, *candidate.causes, *candidate.schedule):
                    bits.setdefault(item, 1 << len(bits))

        def pack(candidate: _Candidate) -> _Packed:
            return (
                candidate.mission.id, candidate.places_left, candidate.min_age,
                _mask(candidate.skills, bits), len(candidate.skills),
                _mask(candidate.causes, bits), len(candidate.causes),
                _mask(candidate.schedule, bits), len(candidate.schedule),
            )  # fmt: skip

        sites = tuple((site, tuple(candidates)) for site, candidates in by_site.items())
        packed = tuple((site, tuple(pack(candidate) for candidate in candidates)) for site, candidates in sites)
        return cls(sites, packed, bits)


def _mask(items: Iterable[object], bits: Mapping[object, int]) -> int:
    """The bitmask of ``items`` over ``bits``; items the index does not know cannot overlap, so add nothing."""
    mask = 0
    for item in items:
        mask |= bits.get(item, 0)
    return mask


def _is_open_to(volunteer: _Volunteer, candidate: _Candidate) -> bool:
    """Whether the mission may be proposed to the volunteer: places are left and they are old enough."""
    return candidate.places_left > 0 and (volunteer.age is None or volunteer.age >= candidate.min_age)


def _proximity(volunteer: _Volunteer, site: _Site, rules: MatchingRules) -> float | None:
    """The distance component, from 0 to 1; None when the site is too far to propose its missions."""
    if site.remote:
        return rules.remote_proximity if volunteer.point is not None else 0.0
    if site.point is None or volunteer.point is None:
        return 0.0
    km = _km_between(volunteer.point, site.point)
    return None if km > rules.max_distance_km else 1 - km / rules.max_distance_km


def _overlap(wanted: frozenset[Any], offered: frozenset[Any]) -> float:
    """Items in common, relative to the shorter of the two sets."""
    if wanted.isdisjoint(offered):
        return 0.0
    return len(wanted & offered) / min(len(wanted), len(offered))


def _score(volunteer: _Volunteer, candidate: _Candidate, proximity: float, rules: MatchingRules) -> float:
    """How well an open mission fits the volunteer, as matching.yml explains."""
    skills = _overlap(volunteer.skills, candidate.skills)
    availability = _overlap(volunteer.availability, candidate.schedule)
    causes = _overlap(volunteer.causes, candidate.causes)
    weights = rules.weights
    score = (
        weights.skills * skills
        + weights.availability * availability
        + weights.distance * proximity
        + weights.causes * causes
        + weights.places_left * min(candidate.places_left, rules.places_left_cap) / rules.places_left_cap
    )
    if volunteer.has_wishes and not (skills or availability or causes):
        score *= rules.no_overlap_factor
    return score


def _hundredths(score: float) -> int:
    # Scores are shown rounded (half up), and ties on what is shown go by id.
    return math.floor(score * 100 + 0.5)


def _reasons(volunteer: _Volunteer, mission: Mission, rules: MatchingRules, labels: LabelLookup) -> tuple[str, ...]:
    """Why the mission fits this volunteer, in French, in the order of the rules file."""
    templates, conjunction = rules.reasons, rules.wording.conjunction
    reasons: list[str] = []
    skills = [key for key in dict.fromkeys(mission.skills) if key in volunteer.skills]
    if skills:
        names = [_label(labels.skill_label, key) for key in skills]
        reasons.append(templates.skills.format(labels=_join(names, conjunction)))
    slots = [slot for slot in mission.schedule if slot in volunteer.availability]
    opening = _next_opening(volunteer, mission)
    if opening is not None and not volunteer.availability.isdisjoint(opening.slots):
        reasons.append(templates.date.format(date=opening.label))
    elif slots:
        reasons.append(templates.availability.format(slots=describe_slots(slots, rules)))
    if opening is not None and volunteer.availability.isdisjoint(opening.slots):
        reasons.append(templates.next_date.format(date=opening.label))
    if mission.remote:
        reasons.append(templates.remote)
    elif volunteer.place is not None and mission.place is not None:
        km = round(distance_km(volunteer.place, mission.place))
        reasons.append(templates.distance_near if km < 1 else templates.distance.format(km=km))
    causes = [key for key in dict.fromkeys(mission.causes) if key in volunteer.causes]
    if causes:
        names = [_label(labels.cause_label, key) for key in causes]
        reasons.append(templates.causes.format(labels=_join(names, conjunction)))
    if not reasons:
        left = mission.places_left
        reasons.append(templates.places_left_one if left == 1 else templates.places_left.format(n=left))
    return tuple(reasons)


def _next_opening(volunteer: _Volunteer, mission: Mission) -> Opening | None:
    """The first open shift of a dated mission the volunteer is free for, else its first open shift."""
    if not mission.dated:
        return None
    open_ones = [opening for opening in mission.openings if opening.places_left > 0]
    fitting = (opening for opening in open_ones if not volunteer.availability.isdisjoint(opening.slots))
    return next(fitting, open_ones[0] if open_ones else None)


def rank_missions(
    profile: VolunteerProfile,
    missions: Iterable[Mission] | MissionIndex,
    *,
    limit: int = 3,
    exclude: Collection[str] = (),
    rules: MatchingRules | None = None,
    labels: LabelLookup | None = None,
) -> list[Proposal]:
    """The best missions for a volunteer, best first, with scores and French reasons (``missions`` may be an index)."""
    if limit <= 0:
        return []
    rules = rules or load_rules()
    index = missions if isinstance(missions, MissionIndex) else MissionIndex.of(missions)
    volunteer = _Volunteer.of(profile)
    excluded = frozenset(exclude)
    # The loop below is _is_open_to and _score inlined over bitmasks (same arithmetic, in the same
    # order, so the same floats): it runs for every mission of the catalogue.
    bits, weights, cap = index.bits, rules.weights, rules.places_left_cap
    w_skills, w_availability, w_distance, w_causes, w_places = (
        weights.skills, weights.availability, weights.distance, weights.causes, weights.places_left,
    )  # fmt: skip
    skills_mask, n_skills = _mask(volunteer.skills, bits), len(volunteer.skills)
    causes_mask, n_causes = _mask(volunteer.causes, bits), len(volunteer.causes)
    slots_mask, n_slots = _mask(volunteer.availability, bits), len(volunteer.availability)
    age, has_wishes, no_overlap_factor = volunteer.age, volunteer.has_wishes, rules.no_overlap_factor
    scored: list[tuple[int, str, int, int, int]] = []  # (-hundredths, id, order, site, position)
    for site_number, (site, packed) in enumerate(index.packed):
        proximity = _proximity(volunteer, site, rules)
        if proximity is None:
            continue  # too far
        distance = w_distance * proximity
        for position, (
            mission_id,
            left,
            min_age,
            m_skills,
            k_skills,
            m_causes,
            k_causes,
            m_slots,
            k_slots,
        ) in enumerate(packed):
            if left <= 0 or (age is not None and age < min_age) or mission_id in excluded:
                continue
            common = skills_mask & m_skills
            skills = common.bit_count() / (n_skills if n_skills < k_skills else k_skills) if common else 0.0
            common = slots_mask & m_slots
            availability = common.bit_count() / (n_slots if n_slots < k_slots else k_slots) if common else 0.0
            common = causes_mask & m_causes
            causes = common.bit_count() / (n_causes if n_causes < k_causes else k_causes) if common else 0.0
            score = (
                w_skills * skills
                + w_availability * availability
                + distance
                + w_causes * causes
                + w_places * (left if left < cap else cap) / cap
            )
            if has_wishes and not (skills or availability or causes):
                score *= no_overlap_factor
            scored.append((-math.floor(score * 100 + 0.5), mission_id, len(scored), site_number, position))
    best = heapq.nsmallest(limit, scored)
    lookup = labels or default_labels()
    proposals = []
    for minus_hundredths, _, _, site_number, position in best:
        mission = index.sites[site_number][1][position].mission
        proposals.append(_proposal(mission, -minus_hundredths, _reasons(volunteer, mission, rules, lookup)))
    return proposals


def suggest_volunteers(
    mission: Mission,
    volunteers: Iterable[tuple[str, VolunteerProfile]],
    *,
    limit: int = 10,
    rules: MatchingRules | None = None,
    labels: LabelLookup | None = None,
) -> list[tuple[str, Proposal]]:
    """The volunteers who fit a mission best, best first, with the proposal each would receive."""
    if limit <= 0:
        return []
    rules = rules or load_rules()
    site, candidate = _Site.of(mission), _Candidate.of(mission)
    scored: list[tuple[int, str, _Volunteer]] = []
    for volunteer_id, profile in volunteers:
        volunteer = _Volunteer.of(profile)
        proximity = _proximity(volunteer, site, rules) if _is_open_to(volunteer, candidate) else None
        if proximity is not None:
            scored.append((_hundredths(_score(volunteer, candidate, proximity, rules)), volunteer_id, volunteer))
    best = heapq.nsmallest(limit, scored, key=lambda row: (-row[0], row[1]))
    lookup = labels or default_labels()
    return [
        (volunteer_id, _proposal(mission, hundredths, _reasons(volunteer, mission, rules, lookup)))
        for hundredths, volunteer_id, volunteer in best
    ]


def _proposal(mission: Mission, hundredths: int, reasons: tuple[str, ...]) -> Proposal:
    return Proposal(mission_id=mission.id, title=mission.title, score=hundredths / 100, reasons=reasons)
