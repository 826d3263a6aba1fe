"""Text normalisation shared by the understanding functions.

Usage::

    from bot.understanding.text import fold, words, stem

    fold("  J’habite à   Écully ")   # "j'habite a ecully"
    words("J'ai le permis B")         # ["j", "ai", "le", "permis", "b"]
    stem("infirmières")               # "infirmi"  (same as stem("infirmier"))
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "′": "'"})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
_SPACES_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[a-z0-9]+")
# Words (letters and digits) and the punctuation that ends a clause.
_TOKEN_RE = re.compile(r"[a-z0-9]+|[.,;:!?()\[\]/\n]")

CLAUSE_PUNCTUATION = frozenset(".,;:!?()[]/\n")

# Little words that vary freely inside a phrase ("aide aux devoirs", "aide au devoir").
FUNCTION_WORDS: dict[str, str] = {
    "la": "le",
    "les": "le",
    "l": "le",
    "un": "un",
    "une": "un",
    "des": "de",
    "du": "de",
    "d": "de",
    "aux": "au",
    "a": "a",
    "en": "en",
    "mon": "mon",
    "ma": "mon",
    "mes": "mon",
    "ton": "mon",
    "ta": "mon",
    "tes": "mon",
    "son": "mon",
    "sa": "mon",
    "ses": "mon",
    "notre": "mon",
    "nos": "mon",
    "votre": "mon",
    "vos": "mon",
    "leur": "mon",
    "leurs": "mon",
    "ce": "ce",
    "cet": "ce",
    "cette": "ce",
    "ces": "ce",
}

# Derivational endings mapped to the masculine singular, longest first.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("iennes", "ien"),
    ("ienne", "ien"),
    ("iens", "ien"),
    ("ieres", "ier"),
    ("iere", "ier"),
    ("iers", "ier"),
    ("euses", "eur"),
    ("euse", "eur"),
    ("eurs", "eur"),
    ("trices", "teur"),
    ("trice", "teur"),
    ("teurs", "teur"),
    ("eaux", "eau"),
    ("aux", "al"),
    ("ives", "if"),
    ("ive", "if"),
    ("ifs", "if"),
)
# Everyday words that a stem must never turn into.
_PROTECTED = frozenset(
    {"dans", "sans", "sous", "avec", "pour", "chez", "vers", "mais", "donc", "elle", "nous", "vous", "tout", "tous"}
    | {"plus", "tres", "bien", "fait", "fais", "sont", "etre", "avoir", "faire", "comm", "cont", "part", "port"}
)
# Verb and feminine endings, longest first; a stem keeps at least four letters.
_ENDINGS: tuple[str, ...] = ("ais", "ait", "ee", "er", "ez", "ai", "e")


@dataclass(frozen=True)
class Token:
    """A folded word or clause punctuation, with its position in the folded text."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        """True for words, False for punctuation."""
        return self.text not in CLAUSE_PUNCTUATION


# Cached briefly: one message is folded by every extractor in turn.
@functools.lru_cache(maxsize=64)
def fold(text: str) -> str:
    """Lowercase, strip accents, normalise apostrophes and ligatures, collapse whitespace."""
    text = text.translate(_APOSTROPHES).lower().translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES_RE.sub(" ", stripped).strip()


def fold_aligned(text: str) -> str:
    """Like fold, but one character out for each character in, so spans map back to the text."""
    out = []
    for ch in text.translate(_APOSTROPHES):
        low = ch.lower()
        if len(low) != 1:  # "İ".lower() is two characters
            low = ch
        out.append(unicodedata.normalize("NFKD", low)[:1] or low)
    return "".join(out)


def words(text: str) -> list[str]:
    """Folded words of a text, split on anything that is not a letter or a digit."""
    return _WORD_RE.findall(fold(text))


def tokens(folded: str) -> list[Token]:
    """Words and clause punctuation of an already folded text."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(folded)]


@functools.lru_cache(maxsize=16_384)
def stem(word: str) -> str:
    """A light French stem: plural, feminine and common verb endings removed."""
    if word in FUNCTION_WORDS:
        return FUNCTION_WORDS[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)] + replacement
            break
    if word.endswith(("s", "x")) and len(word) > 4:
        word = word[:-1]
    singular = word
    # Twice, so that "anglaise" -> "anglais" -> "angl" meets "anglais" -> "angl".
    for _ in range(2):
        for ending in _ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= 4:
                word = word[: -len(ending)]
                break
        else:
            break
    # "danse" must not become the preposition "dans".
    return singular if word in _PROTECTED else word


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i:] == b[i + 1 :]
