"""Age from free French text, used only for legal eligibility (missions' minimum age).

Usage::

    from bot.understanding.age import find_age, says_minor

    find_age("j'ai 17 ans")                                  # 17
    find_age("née en 2008", today=date(2025, 6, 1))          # 17
    find_age("45", expecting=True)                           # 45
    find_age("2008", expecting=True, today=date(2025, 6, 1)) # 17: a bare year is a birth year
    find_age("bénévole depuis 10 ans")                       # None
    says_minor("je suis mineure")                            # True

A birth year gives the age reached this calendar year (a person born in 2008 is
counted 17 all through 2025). Numbers written in words ("soixante-dix ans") are read
from 10 to 99.
"""

from __future__ import annotations

import re
from datetime import date

from bot.understanding.text import fold

_MIN_AGE, _MAX_AGE = 5, 110
_NUMBER_WORDS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
    "septante": 70, "huitante": 80, "octante": 80, "nonante": 90,
}  # fmt: skip
_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_SPELLED = rf"(?:(?:{_NUMBER_WORD})(?:[- ](?:et[- ])?(?:{_NUMBER_WORD}))*)"
_NUMBER = rf"(\d{{1,3}}|{_SPELLED})"

# "j'ai 17 ans", "jai 17ans", "moi 17 ans", "âge : 45 ans", "17 ans" at the start of a clause.
_STATED_RE = re.compile(
    rf"(?:\bj ?'? ?ai|\bage ?:?|\bmon age(?: est| c'est)?|^|[,.;!?(]|\bmoi,?) ?{_NUMBER} ?(?:ans?|yo)\b"
)
# "j'ai 45" at the end of a clause (no unit).
_BARE_STATED_RE = re.compile(r"\bj ?'? ?ai (\d{1,3})(?: ?[,.;!?)]|$)")
_AGE_LABEL_RE = re.compile(r"\bage ?:? ?(\d{1,3})\b")
_BIRTH_YEAR_RE = re.compile(
    r"\bne(?:e|s|es)?\b(?: le \d{1,2}(?:er)?(?: [a-z]+| ?[/.-] ?\d{1,2} ?[/.-]?))?(?: en)? ?((?:19|20)\d{2})\b"
    r"|\bje suis de ((?:19|20)\d{2})\b|\bannee de naissance ?:? ?((?:19|20)\d{2})\b"
)
_BIRTH_DATE_RE = re.compile(r"\bne(?:e|s|es)?\b(?: le)? (\d{1,2}) ?[/.-] ?(\d{1,2}) ?[/.-] ?((?:19|20)\d{2})\b")
_BARE_YEAR_RE = re.compile(r"^\W*((?:19|20)\d{2})\W*$")
_BARE_RE = re.compile(rf"^\D*?{_NUMBER}(?: ?(?:ans?|yo))?\W*$")
_MINOR_RE = re.compile(
    r"\b(?:je suis|jsuis|chuis|j'suis) (?:encore )?(?:mineur|mineure)\b|\bpas (?:encore )?majeure?\b"
    r"|\bmoins de (?:18|dix-huit) ans\b"
    r"|\b(?:je suis|j'ai|jai) (?:au|en) (?:college|lycee|seconde|premiere|terminale|3e|3eme)\b"
    r"|\b(?:je suis )?(?:lyceen|lyceenne|collegien|collegienne)\b"
)


def find_age(text: str, *, expecting: bool = False, today: date | None = None) -> int | None:
    """The age a person states ("j'ai 17 ans", "né en 2008"); a bare number when expecting it."""
    folded = fold(text)
    today = today or date.today()
    age: int | None
    match = _BIRTH_DATE_RE.search(folded)
    if match:
        day, month, year = (int(g) for g in match.groups())
        age = today.year - year - ((today.month, today.day) < (month, day))
        return age if _MIN_AGE <= age <= _MAX_AGE else None
    match = _BIRTH_YEAR_RE.search(folded)
    if match:
        year = int(next(g for g in match.groups() if g))
        age = today.year - year
        return age if _MIN_AGE <= age <= _MAX_AGE else None
    for regex in (_STATED_RE, _BARE_STATED_RE, _AGE_LABEL_RE):
        for found in regex.finditer(folded):
            age = _number(found.group(1))
            if age is not None and _MIN_AGE <= age <= _MAX_AGE:
                return age
    if expecting:
        match = _BARE_YEAR_RE.match(folded)
        if match:
            age = today.year - int(match.group(1))
            return age if _MIN_AGE <= age <= _MAX_AGE else None
        match = _BARE_RE.match(folded)
        if match:
            age = _number(match.group(1))
            if age is not None and _MIN_AGE <= age <= _MAX_AGE:
                return age
    return None


def says_minor(text: str, *, today: date | None = None) -> bool:
    """True when the person says they are under 18 ("je suis mineure", "j'ai 16 ans", "au lycée")."""
    if _MINOR_RE.search(fold(text)):
        return True
    age = find_age(text, today=today)
    return age is not None and age < 18


def _number(raw: str) -> int | None:
    """An integer from digits or French words ("soixante-dix" -> 70, "vingt et un" -> 21)."""
    if raw.isdigit():
        return int(raw)
    total = 0
    for word in re.split(r"[- ]+", raw):
        if word == "et":
            continue
        value = _NUMBER_WORDS.get(word)
        if value is None:
            return None
        if value == 20 and total % 100 == 4:  # quatre-vingt(s)
            total = total - 4 + 80
        elif value in (10, 11, 12, 13, 14, 15, 16) and total % 10 == 0 and total % 100 in (60, 80):
            total += value  # soixante-dix, quatre-vingt-douze
        else:
            total += value
    return total or None
