"""Skills named in free French text, as taxonomy keys.

Usage::

    from bot.understanding.skills import find_skills

    find_skills("J'ai été prof de maths et je fais des gâteaux")   # ["tutoring", "cooking"]
    find_skills("je ne sais pas cuisiner")                          # []
"""

from __future__ import annotations

import functools

from bot.taxonomy import Taxonomy, load_taxonomy
from bot.understanding.lexicon import Lexicon


def find_skills(text: str, *, taxonomy: Taxonomy | None = None) -> list[str]:
    """Skill keys found in the text, in order of first appearance, negated ones left out."""
    return skills_lexicon(taxonomy or load_taxonomy()).find(text)


@functools.lru_cache(maxsize=8)
def skills_lexicon(taxonomy: Taxonomy) -> Lexicon:
    """The matcher for a taxonomy's skills, built once per taxonomy."""
    return Lexicon({key: term.synonyms for key, term in taxonomy.skills.items()})
