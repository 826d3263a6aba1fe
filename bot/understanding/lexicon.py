"""Find taxonomy terms in free French text, tolerant of inflection and aware of negation.

Usage::

    from bot.understanding.lexicon import Lexicon

    lexicon = Lexicon({"cooking": ["cuisine", "gâteaux"], "handiwork": ["bricol*"]})
    lexicon.find("Je fais des gâteaux, je bricole un peu")   # ["cooking", "handiwork"]
    lexicon.find("je ne sais pas cuisiner")                  # []

A synonym is a word or a phrase. Words are compared by their light stem (see
``text.stem``), so plural, feminine and most verb forms meet; a word ending in ``*``
matches any word starting with it. Inside a phrase the little words (le, des, au...)
may differ or be missing, unless they are all the phrase has besides one word
("la com", "en droit"). A word of six letters or more that matches nothing may still
match a one-word synonym with a doubled letter written single or a single one doubled,
the commonest French typo ("environement", "acompagnement", "cuisinne"), or one written
as it sounds ("informatik", "comptabilitée", "fotographie", "assurence").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.understanding.text import FUNCTION_WORDS, Token, fold, stem, tokens

_FILLERS = frozenset(FUNCTION_WORDS.values())
_SYNONYM_WORD_RE = re.compile(r"[a-z0-9]+\*?")

# Words that end the reach of a negation, besides punctuation.
_CLAUSE_WORDS = frozenset(
    {"mais", "et", "ou", "sinon", "donc", "car", "puis", "alors", "cependant", "pourtant", "toutefois", "plutot"}
)
_NEGATIONS = frozenset(
    {"pas", "jamais", "aucun", "aucune", "sans", "ni", "nul", "nulle", "n", "ne", "rien", "guere", "non"}
)
# "pas mal", "pas seulement", "sans problème", "n'importe": these do not deny what follows.
_NOT_NEGATING_AFTER = {
    "pas": frozenset({"mal", "seulement", "que", "qu", "uniquement", "juste", "loin", "cher", "chere", "besoin"}),
    "sans": frozenset({"probleme", "problemes", "souci", "soucis", "hesiter", "hesitation", "doute", "aucun"}),
    "n": frozenset({"importe", "hesite", "hesitez"}),
    "ne": frozenset({"importe"}),
}
_NOT_NEGATING_PAIRS = frozenset({("de", "souci"), ("de", "soucis"), ("de", "probleme"), ("de", "problemes")})
_ONLY = frozenset({"que", "qu"})
_LOOK_BEHIND = 6
_LOOK_AHEAD = 2
_MAX_SKIPPED_FILLERS = 2
# Shorter words are too often other words once a letter is doubled or undoubled.
_MIN_TYPO_LENGTH = 6
_DOUBLED_RE = re.compile(r"(.)\1+")
# Spellings that sound the same: "qu"/"c"/"ck" before a hard vowel and "k", "ph" and "f", "y" and "i",
# "en" and "an".
_SOUNDS = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in ((r"qu|ck|c(?=[aou])", "k"), (r"ph", "f"), (r"y", "i"), (r"en", "an"), (r"[es]+$", ""))
)


@dataclass(frozen=True)
class Match:
    """Synonyms found at words ``start`` to ``end`` (excluded) of a text, and the keys they name."""

    keys: tuple[str, ...]
    start: int
    end: int


def keys_of(matches: Iterable[Match]) -> list[str]:
    """The keys the matches name, in order of first appearance, without repeats."""
    return list(dict.fromkeys(key for match in matches for key in match.keys))


def inside_longer(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    """True when words start..end lie within a longer span of the list."""
    return any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans)


@dataclass(frozen=True)
class _PatternWord:
    value: str
    is_prefix: bool

    def matches(self, word: str, word_stem: str) -> bool:
        return word.startswith(self.value) if self.is_prefix else word_stem == self.value


@dataclass(frozen=True)
class _Pattern:
    words: tuple[_PatternWord, ...]
    key: str


class Lexicon:
    """An index of synonyms by their first word, for fast left-to-right matching."""

    def __init__(self, synonyms_by_key: Mapping[str, Iterable[str]], *, heed_negation: bool = True) -> None:
        # Off for topics of a question: "je n'ai pas d'assurance ?" is about insurance all the same.
        self._heed_negation = heed_negation
        self._by_stem: dict[str, list[_Pattern]] = {}
        self._by_prefix: dict[str, list[_Pattern]] = {}
        # keys of the long one-word synonyms, by their stem with doubled letters made single
        self._undoubled: dict[str, set[str]] = {}
        # and by how that sounds ("informatik")
        self._sounding: dict[str, set[str]] = {}
        for key, synonyms in synonyms_by_key.items():
            for synonym in synonyms:
                pattern = _compile(synonym, key)
                if pattern is None:
                    continue
                first = pattern.words[0]
                if first.is_prefix:
                    self._by_prefix.setdefault(first.value[:3], []).append(pattern)
                else:
                    self._by_stem.setdefault(first.value, []).append(pattern)
                    if len(pattern.words) == 1 and len(first.value) >= _MIN_TYPO_LENGTH:
                        self._undoubled.setdefault(_undouble(first.value), set()).add(key)
                        self._sounding.setdefault(_sound(first.value), set()).add(key)

    def find(self, text: str) -> list[str]:
        """Keys whose synonyms occur, not negated, in order of first appearance, without repeats."""
        return keys_of(self.matches(text))

    def matches(self, text: str) -> list[Match]:
        """Where the synonyms occur, not negated, as word positions (the same for any Lexicon)."""
        toks = tokens(fold(text))
        stems = [stem(t.text) if t.is_word else "" for t in toks]
        matches: list[tuple[int, int, list[str]]] = []
        for i, tok in enumerate(toks):
            if not tok.is_word:
                continue
            best_end, best_keys = -1, list[str]()
            for pattern in self._by_stem.get(stems[i], []) + self._by_prefix.get(tok.text[:3], []):
                end = _match(pattern, toks, stems, i)
                if end > best_end:
                    best_end, best_keys = end, [pattern.key]
                elif end == best_end and end > 0 and pattern.key not in best_keys:
                    best_keys.append(pattern.key)
            if best_end <= 0:
                best_keys = self._typo_keys(stems[i])
                best_end = i + 1 if best_keys else -1
            if best_end > 0:
                matches.append((i, best_end, best_keys))
        kept: list[Match] = []
        for start, end, keys in matches:
            # "premiers soins" is first aid, not also "soins"; overlapping phrases both count.
            negated = self._heed_negation and _negated(toks, start, end)
            if not inside_longer(start, end, [(s, e) for s, e, _ in matches]) and not negated:
                kept.append(Match(tuple(keys), start, end))
        return kept

    def _typo_keys(self, word_stem: str) -> list[str]:
        """The key of the one synonym this long word matches once doubled letters are made single, or by sound."""
        if len(word_stem) < _MIN_TYPO_LENGTH:
            return []
        keys = self._undoubled.get(_undouble(word_stem), set()) or self._sounding.get(_sound(word_stem), set())
        return list(keys) if len(keys) == 1 else []


def _undouble(word: str) -> str:
    return _DOUBLED_RE.sub(r"\1", word)


def _sound(word: str) -> str:
    """A rough French sound of a folded word: "informatique", "informatik" -> "informatik"."""
    word = _undouble(word)
    for pattern, replacement in _SOUNDS:
        word = pattern.sub(replacement, word)
    return word


def _compile(synonym: str, key: str) -> _Pattern | None:
    raw = _SYNONYM_WORD_RE.findall(fold(synonym))
    words = [
        _PatternWord(w[:-1], True) if w.endswith("*") and len(w) > 3 else _PatternWord(stem(w.rstrip("*")), False)
        for w in raw
    ]
    content = [w for w in words if w.is_prefix or w.value not in _FILLERS]
    # Keep the little words when they are what makes the phrase ("la com", "en droit").
    if len(content) >= 2 or (content and len(words) == 1):
        words = content
    return _Pattern(tuple(words), key) if words else None


def _match(pattern: _Pattern, toks: list[Token], stems: list[str], start: int) -> int:
    """End index (exclusive) of the tokens matching the pattern from start, or -1."""
    i = start
    for n, word in enumerate(pattern.words):
        skipped = 0
        while True:
            if i >= len(toks) or not toks[i].is_word:
                return -1
            if word.matches(toks[i].text, stems[i]):
                break
            if n == 0 or skipped >= _MAX_SKIPPED_FILLERS or stems[i] not in _FILLERS:
                return -1
            skipped += 1
            i += 1
        i += 1
    return i


def _negated(toks: list[Token], start: int, end: int) -> bool:
    """True when a negation in the same clause denies the words toks[start:end]."""
    k = start - 1
    while k >= 0 and start - k <= _LOOK_BEHIND:
        word = toks[k].text
        if not toks[k].is_word or word in _CLAUSE_WORDS or word in _ONLY:
            break
        if word in _NEGATIONS and not _excused(toks, k) and not _said_of_others(toks, k):
            return True
        k -= 1
    for k in range(end, min(end + _LOOK_AHEAD, len(toks))):
        word = toks[k].text
        if not toks[k].is_word or word in _CLAUSE_WORDS:
            break
        if word in ("pas", "jamais") and not _excused(toks, k):
            return True
    return False


def _said_of_others(toks: list[Token], k: int) -> bool:
    """True when the negation at k describes the people one wants to help, not oneself.

    "ceux qui n'ont pas de logement", "les enfants qui ne savent pas lire".
    """
    return any(toks[j].text == "qui" for j in range(max(0, k - 3), k))


def _excused(toks: list[Token], k: int) -> bool:
    """True when the negation word at k is part of a positive idiom ("pas mal", "sans souci")."""
    word = toks[k].text
    after = toks[k + 1].text if k + 1 < len(toks) else ""
    if after in _NOT_NEGATING_AFTER.get(word, ()):
        return True
    after2 = toks[k + 2].text if k + 2 < len(toks) else ""
    return word == "pas" and (after, after2) in _NOT_NEGATING_PAIRS
