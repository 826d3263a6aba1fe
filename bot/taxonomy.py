"""The association's taxonomy of skills and causes, read from ``data/association/taxonomy.yml``.

Usage::

    from bot.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    taxonomy.skill_label("cooking")        # "cuisine"
    taxonomy.causes["animals"].synonyms    # ("animaux", "animal", ...)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.config import get_settings
from bot.errors import InvalidDataError

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "association"
DEFAULT_PATH = DATA_DIR / "taxonomy.yml"

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_SECTIONS = ("skills", "causes")


class TaxonomyError(InvalidDataError, ValueError):
    """The taxonomy file is missing or malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Term:
    """One skill or cause: its stable key, its French label and the words that mean it."""

    key: str
    label: str
    synonyms: tuple[str, ...]


# eq=False keeps instances hashable by identity, so matchers can be cached per taxonomy.
@dataclass(eq=False)
class Taxonomy:
    """Skills and causes by key, in the order of the file."""

    skills: dict[str, Term] = field(default_factory=dict)
    causes: dict[str, Term] = field(default_factory=dict)

    def skill_label(self, key: str) -> str:
        """French label of a skill key; raises KeyError for an unknown key."""
        return self.skills[key].label

    def cause_label(self, key: str) -> str:
        """French label of a cause key; raises KeyError for an unknown key."""
        return self.causes[key].label


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file (TaxonomyError, a ValueError, if malformed); the default is cached."""
    if path is None:
        return _load_default()
    return _load(Path(path))


@functools.cache
def _load_default() -> Taxonomy:
    return _load(get_settings().association_path / "taxonomy.yml")


def _load(path: Path) -> Taxonomy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TaxonomyError(f"{path}: cannot read the taxonomy file ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise TaxonomyError(f"{path}: not valid YAML ({error})") from error
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{path}: expected a mapping with the sections 'skills' and 'causes'")
    unknown = sorted(set(map(str, raw)) - set(_SECTIONS))
    if unknown:
        raise TaxonomyError(f"{path}: unknown section(s) {', '.join(unknown)}; expected 'skills' and 'causes'")
    sections = {name: _parse_section(path, name, raw.get(name)) for name in _SECTIONS}
    return Taxonomy(skills=sections["skills"], causes=sections["causes"])


def _parse_section(path: Path, name: str, raw: object) -> dict[str, Term]:
    if not isinstance(raw, dict) or not raw:
        raise TaxonomyError(f"{path}: section '{name}' must be a non-empty mapping of keys to terms")
    terms: dict[str, Term] = {}
    for key, entry in raw.items():
        where = f"{path}: {name}.{key}"
        if not isinstance(key, str) or not _KEY_RE.match(key):
            raise TaxonomyError(f"{where}: keys must be lowercase snake_case identifiers")
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{where}: expected a mapping with 'label' and 'synonyms'")
        label = entry.get("label")
        if not isinstance(label, str) or not label.strip():
            raise TaxonomyError(f"{where}: missing or empty 'label'")
        synonyms = entry.get("synonyms")
        if not isinstance(synonyms, list) or not synonyms:
            raise TaxonomyError(f"{where}: 'synonyms' must be a non-empty list")
        cleaned: list[str] = []
        for synonym in synonyms:
            # YAML turns a bare `PSC1` into a string but `1` or `yes` into other types.
            if isinstance(synonym, bool) or not isinstance(synonym, (str, int, float)) or not str(synonym).strip():
                raise TaxonomyError(f"{where}: every synonym must be a non-empty string, got {synonym!r}")
            cleaned.append(str(synonym).strip())
        extra = sorted(set(map(str, entry)) - {"label", "synonyms"})
        if extra:
            raise TaxonomyError(f"{where}: unknown field(s) {', '.join(extra)}")
        terms[key] = Term(key=key, label=label.strip(), synonyms=tuple(cleaned))
    return terms
