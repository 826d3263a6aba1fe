"""Causes (domaines d'action) named in free French text, as taxonomy keys.

Usage::

    from bot.understanding.causes import find_causes

    find_causes("j'aimerais aider les SDF ou les animaux")   # ["solidarity", "animals"]
    find_causes("pas trop le sport")                         # []
"""

from __future__ import annotations

import functools

from bot.taxonomy import Taxonomy, load_taxonomy
from bot.understanding.lexicon import Lexicon


def find_causes(text: str, *, taxonomy: Taxonomy | None = None) -> list[str]:
    """Cause keys found in the text, in order of first appearance, negated ones left out."""
    return causes_lexicon(taxonomy or load_taxonomy()).find(text)


@functools.lru_cache(maxsize=8)
def causes_lexicon(taxonomy: Taxonomy) -> Lexicon:
    """The matcher for a taxonomy's causes, built once per taxonomy."""
    return Lexicon({key: term.synonyms for key, term in taxonomy.causes.items()})
