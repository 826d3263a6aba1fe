"""Availability (day x period of day) from free French text.

Usage::

    from bot.understanding.availability import parse_availability

    parse_availability("le mardi soir et le samedi matin")
    # [TimeSlot("tuesday", "evening"), TimeSlot("saturday", "morning")]
    len(parse_availability("tous les jours sauf le dimanche"))   # 18

Rules (DESIGN.md and choices made here):

- a day without a period means its three periods; a period without a day means that
  period every day ("le soir" = seven evenings);
- "le week-end" = Saturday and Sunday; "en semaine" = Monday to Friday; "tous les
  jours", "toute la semaine", "n'importe quand", "quand vous voulez", "tout le temps"
  = every half-day;
- a period after a list of days applies to each of them ("lundi et mercredi
  après-midi"); a period before days applies to them and to the days listed after
  them ("le soir en semaine", "l'après-midi : lundi, mardi et jeudi", "après 19h
  le mardi ou le jeudi", "le soir, surtout le mardi"), unless "et"/"ou" joins the
  period to the days ("le soir et le week-end" is every evening and the weekend);
- "mais", "plutôt", "seulement", "surtout"... narrow what came before instead of
  starting afresh ("en semaine, plutôt les après-midis" is weekday afternoons);
- ranges: "du lundi au mercredi", "lundi-vendredi", "de vendredi à lundi" (wraps);
- hours map to periods: morning before 12:00, afternoon 12:00-18:00, evening after
  18:00 ("de 14h à 17h", "après 18h", "avant 10h"); a single time before 13:00 is
  morning;
- "midi", "le midi", "entre midi et deux" count as morning (lunch is the end of the
  morning half-day); "la journée" is morning and afternoon; "la nuit", "en fin de
  journée", "après le travail" are evening;
- "pas", "jamais", "ni" exclude what follows until a comma or "mais"; "sauf",
  "excepté", "hors", "à part" exclude what follows until the end of the sentence,
  and on their own mean "every half-day except" ("dispo sauf le week-end");
- "je travaille / je bosse / je suis occupée" exclude the days they are said of
  ("je travaille en semaine donc le week-end" gives the weekend only);
- abbreviations (sam, dim, lun, merc, ven...) count only next to another day, a
  period or after "le"/"les", so that "c'est Sam" is not a Saturday.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.profile import DAYS, PERIODS, TimeSlot, sort_slots
from bot.understanding.text import fold, within_one_edit

_ALL_DAYS = frozenset(range(7))
_WEEKDAYS = frozenset(range(5))
_WEEKEND = frozenset({5, 6})
_ALL_PERIODS = frozenset(PERIODS)

_DAY_NAMES = {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6}
_ABBREVIATIONS = {
    "lun": 0,
    "mar": 1,
    "mer": 2,
    "merc": 2,
    "mercr": 2,
    "jeu": 3,
    "ven": 4,
    "vend": 4,
    "vendr": 4,
    "sam": 5,
    "dim": 6,
}
# Abbreviations that are also ordinary words ("la mer", "un jeu") need a day or period beside them.
_AMBIGUOUS_ABBREVIATIONS = frozenset({"mar", "mer", "jeu"})
_ABBREVIATION_LEADS = frozenset({"le", "les", "chaque", "tous", "du", "dispo", "dispos", "libre"})

_PERIOD_WORDS: dict[str, frozenset[str]] = {
    "matin": frozenset({"morning"}),
    "matins": frozenset({"morning"}),
    "matinee": frozenset({"morning"}),
    "matinees": frozenset({"morning"}),
    "xmorning": frozenset({"morning"}),
    "xafternoon": frozenset({"afternoon"}),
    "soir": frozenset({"evening"}),
    "soirs": frozenset({"evening"}),
    "soiree": frozenset({"evening"}),
    "soirees": frozenset({"evening"}),
    "soire": frozenset({"evening"}),
    "nuit": frozenset({"evening"}),
    "nuits": frozenset({"evening"}),
    "xevening": frozenset({"evening"}),
    "xdaytime": frozenset({"morning", "afternoon"}),
}
_DAY_SET_WORDS = {"xweekend": _WEEKEND, "xweekdays": _WEEKDAYS, "xalldays": _ALL_DAYS}

_AND_WORDS = frozenset({"et", "ou", ",", "/", "&", "+"})
_STRONG_SEPARATORS = frozenset({".", "!", "?", ";", "car", "parce", "puisque"})
_RANGE_WORDS = frozenset({"au", "a", "-"})
_NOT_WORDS = frozenset({"pas", "jamais", "ni"})
_EXCEPT_WORDS = frozenset({"sauf", "excepte", "hormis", "hors"})
_RESET_WORDS = frozenset(
    {"mais", "seulement", "uniquement", "plutot", "sinon", "donc", "alors", "juste", "contre", "revanche", "que", "qu"}
)
# Reset words that, said while listing what one can do, narrow it rather than start afresh.
_NARROWING_WORDS = frozenset(
    {"mais", "seulement", "uniquement", "plutot", "juste", "que", "qu", "surtout", "notamment", "principalement"}
    | {"preference", "idealement", "essentiellement"}
)
# Words that add something else ("le soir et le week-end", "le soir, mais aussi le samedi").
_ADDING_WORDS = frozenset({"et", "ou", "&", "+", "aussi", "egalement", "voire", "sinon"})
_AVAILABLE_WORDS = frozenset(
    {"dispo", "dispos", "disponible", "disponibles", "libre", "libres", "ok", "possible", "peux", "pourrai", "pourrais"}
)
_BUSY_WORDS = frozenset(
    {"travaille", "travail", "bosse", "taf", "taffe", "boulot", "occupe", "occupee", "pris", "prise"}
    | {"indispo", "indisponible", "indisponibles"}
)
# "pas de souci pour samedi", "pas mal de temps le samedi": not a refusal.
_HARMLESS_AFTER_PAS = frozenset({"mal", "de", "seulement", "que", "qu", "uniquement", "juste"})
_NE = frozenset({"ne", "n"})

_SUBSTITUTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bapres[- ]?midis?\b|\baprems?\b|\baprem's\b|\bap[- ]midis?\b|\bapm\b", " xafternoon "),
        (r"\bentre midi et (?:deux|2|14 ?h)\b|\bpause (?:de |du )?(?:midi|dejeuner)\b", " xmorning "),
        (
            r"\b(?:en )?fin de (?:la )?journee\b|\bapres (?:le|mon|ma) (?:travail|boulot|taf+|journee|job|cours)\b",
            " xevening ",
        ),
        (r"\b(?:toute la|toutes les|la|en|les|des|dans la) journees?\b", " xdaytime "),
        (r"\bweek[- ]?ends?\b|\bwk\b|\bfins? de semaine\b", " xweekend "),
        (r"\b(le|les|ce|du|en|chaque|un|des) w[.-]?e\b\.?", r"\1 xweekend "),
        (
            r"\btoute la semaine\b|\b(?:tou(?:s|t|tes?)|ts) les (?:jours|creneaux)\b|\bchaque jour\b|\btlj\b"
            r"|\b7 ?j? ?/ ?7\b|\b7 jours sur 7\b|\bn[' ]?importe (?:quand|quel jour|quel moment|lequel)\b"
            r"|\bquand (?:vous|tu|on) (?:le )?"
            r"(?:voulez|veux|veut|voudrez|voudras|souhaitez|souhaites|preferez|preferes)\b"
            r"|\btout le temps\b|\ba tout moment\b|\bh ?24\b|\b24 ?h ?/ ?24\b"
            r"|\bpeu importe (?:le jour|les jours|quand|le moment|le creneau|l'heure)\b"
            r"|\btoujours (?:dispo|disponible|libre)s?\b",
            " xalldays ",
        ),
        (
            r"\b(?:en|la|de|pendant la|dans la) semaine\b(?! prochaine| derniere| pro\b| passee)"
            r"|\bjours? ouvr(?:es|ables)\b",
            " xweekdays ",
        ),
    )
)
_CLOCK_RE = re.compile(r"\b([01]?\d|2[0-4]) ?(?:h|heures?|:) ?([0-5]\d)?\b")
_TOKEN_RE = re.compile(r"[a-z0-9]+|[,;.!?/&+\-]")
_HOUR_TOKEN_RE = re.compile(r"^xh(\d{2})(\d{2})$")

_NOON = 12 * 60
_PERIOD_BOUNDS = (("morning", 0, _NOON), ("afternoon", _NOON, 18 * 60), ("evening", 18 * 60, 24 * 60))


@dataclass
class _Group:
    mode: str
    days: set[int] | None = None
    periods: set[str] | None = None
    # "le soir, le mardi et le jeudi": the period was said first and covers the days listed after it.
    period_first: bool = False
    # Days given as a set ("en semaine", "le week-end") rather than named one by one.
    day_set: bool = False

    def slots(self) -> set[TimeSlot]:
        days = self.days if self.days is not None else _ALL_DAYS
        periods = self.periods if self.periods is not None else _ALL_PERIODS
        return {TimeSlot(DAYS[d], p) for d in days for p in periods}


@dataclass
class _Grouper:
    """Turns a stream of days, periods, separators and modes into groups of slots."""

    mode: str = "positive"
    groups: list[_Group] = field(default_factory=list)
    current: _Group | None = None
    separated_since_period: bool = False
    separated_since_item: bool = False
    # "et"/"ou"/"aussi" since the last day or period: what follows is something else.
    added_since_item: bool = False
    # The days last joined to a period-first group, which a period right after takes back.
    joined_days: set[int] = field(default_factory=set)

    def close(self) -> None:
        if self.current is not None and (self.current.days is not None or self.current.periods is not None):
            self.groups.append(self.current)
        self.current = None
        self.separated_since_period = False
        self.separated_since_item = False
        self.added_since_item = False
        self.joined_days = set()

    def set_mode(self, mode: str) -> None:
        self.close()
        self.mode = mode

    def separator(self, *, adding: bool = False) -> None:
        self.separated_since_period = True
        self.separated_since_item = True
        self.added_since_item = self.added_since_item or adding

    def add_days(self, days: Iterable[int], *, day_set: bool = False) -> None:
        group = self.current
        if group is not None and group.periods is not None and not self._days_join(group):
            self.close()
            group = None
        if group is None:
            group = self.current = _Group(self.mode)
        elif group.periods is not None:
            group.period_first = True
            self.joined_days = set(days) - (group.days or set())
        group.days = (group.days or set()) | set(days)
        group.day_set = group.day_set or day_set
        self.separated_since_item = False
        self.added_since_item = False

    def _days_join(self, group: _Group) -> bool:
        """True when days said now belong with the period already in the group."""
        if group.days is None:
            # "le soir en semaine", "le soir, mardi ou mercredi"; not "le soir et le week-end".
            return not self.added_since_item
        # "le soir le mardi et le jeudi"; not "le mardi soir et le jeudi", nor "le soir en
        # semaine et le samedi" (Saturday all day).
        return group.period_first and not (group.day_set and self.added_since_item)

    def add_periods(self, periods: Iterable[str]) -> None:
        group = self.current
        if group is not None and group.period_first and self.joined_days and not self.separated_since_item:
            # "le soir le mardi et le samedi matin": Saturday goes with the morning only.
            taken = self.joined_days
            assert group.days is not None
            group.days -= taken
            self.close()
            group = self.current = _Group(self.mode, days=set(taken))
        if group is None:
            group = self.current = _Group(self.mode)
        group.periods = (group.periods or set()) | set(periods)
        self.joined_days = set()
        self.separated_since_period = False
        self.separated_since_item = False
        self.added_since_item = False

    def busy(self) -> None:
        # "le lundi je travaille": the days just said are the busy ones.
        if self.current is not None and not self.separated_since_item:
            self.current.mode = "not"
        self.set_mode("not")


def parse_availability(text: str) -> list[TimeSlot]:
    """Half-days of availability said in the text, sorted; [] when none is said."""
    toks = _tokens(text)
    if not toks:
        return []
    grouper = _Grouper()
    consumed: set[int] = set()
    i = 0
    while i < len(toks):
        if i in consumed:
            i += 1
            continue
        i = _step(toks, i, grouper, consumed)
    grouper.close()
    positive: set[TimeSlot] = set()
    excluded: set[TimeSlot] = set()
    has_except = False
    for group in grouper.groups:
        if group.mode == "positive":
            positive |= group.slots()
        else:
            excluded |= group.slots()
            has_except = has_except or group.mode == "except"
    if not positive and has_except:
        positive = _Group("positive").slots()
    return sort_slots(positive - excluded)


def _tokens(text: str) -> list[str]:
    folded = fold(text)
    for pattern, replacement in _SUBSTITUTIONS:
        folded = pattern.sub(replacement, folded)
    folded = _CLOCK_RE.sub(lambda m: f" xh{int(m.group(1)):02d}{m.group(2) or '00'} ", folded)
    return _TOKEN_RE.findall(folded)


def _step(toks: list[str], i: int, grouper: _Grouper, consumed: set[int]) -> int:
    """Feed the token at i (and any it belongs with) to the grouper; return the next index."""
    tok = toks[i]
    days = _day_at(toks, i)
    if days is not None:
        end = i + 1
        range_end = _range_end(toks, i)
        if range_end is not None:
            last, end = range_end
            first = next(iter(days))
            days = {(first + k) % 7 for k in range((last - first) % 7 + 1)}
        grouper.add_days(days)
        return end
    if tok in _DAY_SET_WORDS:
        grouper.add_days(_DAY_SET_WORDS[tok], day_set=True)
        return i + 1
    hours = _hours_at(toks, i)
    if hours is not None:
        periods, end = hours
        grouper.add_periods(periods)
        return end
    if tok in _PERIOD_WORDS:
        grouper.add_periods(_PERIOD_WORDS[tok])
        return i + 1
    if tok == "midi":
        grouper.add_periods({"morning"})
        return i + 1
    if tok in _STRONG_SEPARATORS:
        grouper.set_mode("positive")
    elif tok == ",":
        if grouper.mode == "not":
            grouper.set_mode("positive")
        else:
            grouper.separator()
    elif tok in _AND_WORDS or tok in _ADDING_WORDS:
        grouper.separator(adding=tok in _ADDING_WORDS)
    elif tok in _NOT_WORDS:
        if not (tok == "pas" and _at(toks, i + 1) in _HARMLESS_AFTER_PAS):
            grouper.set_mode("not")
    elif tok == "plus" and (_at(toks, i - 1) in _NE or _at(toks, i - 2) in _NE):
        grouper.set_mode("not")
    elif tok in _EXCEPT_WORDS or (tok == "part" and _at(toks, i - 1) == "a"):
        grouper.set_mode("except")
    elif tok in _RESET_WORDS or tok in _NARROWING_WORDS:
        if grouper.mode == "positive" and tok in _NARROWING_WORDS:
            grouper.separator()
        else:
            grouper.set_mode("positive")
    elif tok in _AVAILABLE_WORDS:
        if not any(_at(toks, k) in _NOT_WORDS for k in range(i - 3, i)):
            grouper.set_mode("positive")
    elif tok in _BUSY_WORDS:
        if _at(toks, i - 1) in _NE or _at(toks, i - 2) in _NE or _at(toks, i + 1) == "pas":
            # "je ne travaille pas le mercredi": free that day.
            if _at(toks, i + 1) == "pas":
                consumed.add(i + 1)
            grouper.set_mode("positive")
        else:
            grouper.busy()
    return i + 1


def _at(toks: list[str], i: int) -> str:
    return toks[i] if 0 <= i < len(toks) else ""


def _day_at(toks: list[str], i: int) -> set[int] | None:
    """The day named by the token at i, or None; abbreviations only where context allows."""
    tok = toks[i]
    day = _full_day(tok)
    if day is not None:
        return {day}
    if tok in _ABBREVIATIONS and _abbreviation_allowed(toks, i):
        return {_ABBREVIATIONS[tok]}
    return None


def _full_day(tok: str) -> int | None:
    if tok in _DAY_NAMES:
        return _DAY_NAMES[tok]
    if len(tok) < 5 or not tok.isalpha():
        return None
    singular = tok[:-1] if tok.endswith("s") else tok
    if singular in _DAY_NAMES:
        return _DAY_NAMES[singular]
    for name, day in _DAY_NAMES.items():
        # Typos keep the first letter: "mecredi", "samdi", "dimache", "vendredie".
        if name[0] == tok[0] and (within_one_edit(tok, name) or within_one_edit(singular, name)):
            return day
    return None


def _abbreviation_allowed(toks: list[str], i: int) -> bool:
    before, after = _at(toks, i - 1), _at(toks, i + 1)
    if _is_time_word(before) or _is_time_word(after):
        return True
    if after in _RANGE_WORDS | {"et", ","} and _is_day_like(_at(toks, i + 2)):
        return True
    if before in _RANGE_WORDS | {"et", ","} and _is_day_like(_at(toks, i - 2)):
        return True
    if toks[i] not in _AMBIGUOUS_ABBREVIATIONS and before in _ABBREVIATION_LEADS:
        return True
    # A message that is nothing but the abbreviation ("dim", "sam ?").
    return all(t == toks[i] or not t.isalnum() for t in toks)


def _is_time_word(tok: str) -> bool:
    return tok in _PERIOD_WORDS or tok == "midi" or _HOUR_TOKEN_RE.match(tok) is not None or _full_day(tok) is not None


def _is_day_like(tok: str) -> bool:
    return tok in _ABBREVIATIONS or _full_day(tok) is not None


def _range_end(toks: list[str], i: int) -> tuple[int, int] | None:
    """(last day, next index) when the day at i starts a range like "du lundi au jeudi"."""
    k = i + 1
    if _at(toks, k) == "jusqu":
        k += 1
    if _at(toks, k) in _RANGE_WORDS or (_at(toks, k) == "et" and _at(toks, i - 1) == "entre"):
        last = _day_at(toks, k + 1)
        if last is not None:
            return next(iter(last)), k + 2
    return None


def _hours_at(toks: list[str], i: int) -> tuple[set[str], int] | None:
    """Periods covered by a time or a time range starting at i, and the next index."""
    start = _clock(toks, i, allow_bare=False)
    bare = False
    if start is None:
        # "de 9 à 12h": a bare number, then a range word, then a time.
        start = _clock(toks, i, allow_bare=True)
        bare = True
        if start is None:
            return None
    k = i + 1
    if _at(toks, k) == "jusqu":
        k += 1
    if _at(toks, k) in _RANGE_WORDS or (_at(toks, k) == "et" and _at(toks, i - 1) == "entre"):
        end = _clock(toks, k + 1, allow_bare=False)
        if end is not None:
            if end <= start:
                end = 24 * 60
            return _periods_between(start, end), k + 2
    if bare:
        return None
    before = _at(toks, i - 1)
    if before == "de" and _at(toks, i - 2) == "partir":
        before = "partir"
    if before in {"partir", "apres", "des", "depuis"}:
        return _periods_between(start, 24 * 60), i + 1
    if before == "avant" or (before in {"a", "au"} and _at(toks, i - 2) == "jusqu"):
        return _periods_between(0, max(start, 1)), i + 1
    if toks[i] == "midi" or start < 6 * 60:
        # "midi" alone is a period (morning); "2h par semaine" is a duration, not a time.
        return None
    return {_period_of(start)}, i + 1


def _clock(toks: list[str], i: int, *, allow_bare: bool) -> int | None:
    """Minutes since midnight of the time at i ("xh1830", "midi", or a bare hour if allowed)."""
    tok = _at(toks, i)
    match = _HOUR_TOKEN_RE.match(tok)
    if match:
        return int(match.group(1)) * 60 + int(match.group(2))
    if tok == "midi":
        return _NOON
    if tok == "minuit":
        return 24 * 60
    if allow_bare and tok.isdigit() and len(tok) <= 2 and int(tok) <= 24:
        return int(tok) * 60
    return None


def _periods_between(start: int, end: int) -> set[str]:
    return {name for name, low, high in _PERIOD_BOUNDS if start < high and end > low}


def _period_of(minute: int) -> str:
    if minute < 13 * 60:
        return "morning"
    if minute < 18 * 60:
        return "afternoon"
    return "evening"
