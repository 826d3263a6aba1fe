"""How an answer to the profile form's question is meant: adding to it, no preference, of age.

Usage (actions/profile_form.py)::

    from bot.understanding.answers import adds_to_before, has_no_preference, says_adult

    adds_to_before("la cuisine aussi")     # True: add to what was said before, do not replace it
    has_no_preference("peu importe")       # True: an answer to an optional question, with nothing to store
    says_adult("je suis majeure")          # True: the age question answered without a number

The phrasings are the form's, moved here so that they have table tests of their own
(tests/bot/understanding/test_answers.py) like the rest of the understanding; one change on
the way: "pas encore majeure" or "bientôt majeur" no longer counts as of age (the form then
asks for the age again, rather than skip the parental authorisation of a minor).
"""

from __future__ import annotations

import re

_ADDING = re.compile(r"\b(aussi|egalement|également|en plus|de plus|ainsi que)\b", re.IGNORECASE)
_NO_PREFERENCE = re.compile(
    r"^\s*(rien( de (particulier|special|spécial))?|aucune?( en particulier)?|peu importe|n'importe|"
    r"tout me va|toutes?( me (vont|conviennent))?|pas de pr[ée]f[ée]rence|je (ne )?sais pas|sais pas|"
    r"pas vraiment|non|bof)\s*[.!]*\s*$",
    re.IGNORECASE,
)
_ADULT = re.compile(r"\b(majeure?|adulte|plus de 18)\b", re.IGNORECASE)
# "pas encore majeure", "bientôt majeur", "je serai adulte": not of age yet, whatever the words say
_NOT_YET = re.compile(
    r"\b(pas|bient[oô]t|presque|serai|serais|sera|deviens|deviendrai)\b(\W+\w+){0,3}?\W+(majeure?|adulte)\b",
    re.IGNORECASE,
)


def adds_to_before(text: str) -> bool:
    """True when the message adds to what the person said before ("aussi", "en plus"...)."""
    return _ADDING.search(text) is not None


def has_no_preference(text: str) -> bool:
    """True when the whole message says "anything will do" or "I don't know"."""
    return _NO_PREFERENCE.match(text) is not None


def says_adult(text: str) -> bool:
    """True when the message says the person is of age without giving a number ("pas encore majeur": False)."""
    return _ADULT.search(text) is not None and _NOT_YET.search(text) is None
