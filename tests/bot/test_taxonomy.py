"""Tests of bot.taxonomy: the association's taxonomy file and its loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.taxonomy import DEFAULT_PATH, Taxonomy, TaxonomyError, Term, load_taxonomy

REQUIRED_SKILLS = [
    "cooking",
    "tutoring",
    "french_teaching",
    "driving",
    "computing",
    "office_software",
    "communication",
    "social_media",
    "graphic_design",
    "photo_video",
    "handiwork",
    "gardening",
    "first_aid",
    "healthcare",
    "listening",
    "childcare_activities",
    "translation",
    "accounting",
    "legal",
    "fundraising",
    "event_planning",
    "reception",
    "logistics",
    "administrative_help",
    "sports_coaching",
    "music_arts",
    "project_management",
]
REQUIRED_CAUSES = [
    "solidarity",
    "education",
    "health",
    "environment",
    "culture",
    "sport",
    "international",
    "citizenship",
    "emergency",
    "animals",
]


@pytest.mark.parametrize("key", REQUIRED_SKILLS)
def test_required_skill_has_label_and_synonyms(key: str) -> None:
    term = load_taxonomy().skills[key]
    assert (term.key, bool(term.label.strip()), len(term.synonyms) >= 3) == (key, True, True)


@pytest.mark.parametrize("key", REQUIRED_CAUSES)
def test_required_cause_has_label_and_synonyms(key: str) -> None:
    term = load_taxonomy().causes[key]
    assert (term.key, bool(term.label.strip()), len(term.synonyms) >= 3) == (key, True, True)


def test_every_term_has_a_label_and_three_synonyms() -> None:
    taxonomy = load_taxonomy()
    thin = [t.key for t in (*taxonomy.skills.values(), *taxonomy.causes.values()) if len(t.synonyms) < 3 or not t.label]
    assert thin == []


def test_no_synonym_is_listed_twice_under_one_key() -> None:
    taxonomy = load_taxonomy()
    repeated = [
        (term.key, synonym)
        for term in (*taxonomy.skills.values(), *taxonomy.causes.values())
        for synonym in set(term.synonyms)
        if term.synonyms.count(synonym) > 1
    ]
    assert repeated == []


def test_labels() -> None:
    taxonomy = load_taxonomy()
    assert (taxonomy.skill_label("cooking"), taxonomy.cause_label("environment")) == ("cuisine", "environnement")


def test_unknown_label_raises_key_error() -> None:
    with pytest.raises(KeyError):
        load_taxonomy().skill_label("juggling_chainsaws")


def test_default_taxonomy_is_cached() -> None:
    assert load_taxonomy() is load_taxonomy()


def test_default_path_is_in_the_association_data() -> None:
    assert DEFAULT_PATH.parts[-3:] == ("data", "association", "taxonomy.yml")


def test_explicit_path_is_read(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yml"
    path.write_text(
        "skills:\n  knitting:\n    label: tricot\n    synonyms: [tricot, tricoter, laine]\n"
        "causes:\n  bees:\n    label: abeilles\n    synonyms: [abeilles, ruches, apiculture]\n",
        encoding="utf-8",
    )
    expected = Taxonomy(
        skills={"knitting": Term("knitting", "tricot", ("tricot", "tricoter", "laine"))},
        causes={"bees": Term("bees", "abeilles", ("abeilles", "ruches", "apiculture"))},
    )
    actual = load_taxonomy(path)
    assert (actual.skills, actual.causes) == (expected.skills, expected.causes)


GOOD_CAUSES = "causes:\n  x:\n    label: x\n    synonyms: [a]\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("- just\n- a list\n", "expected a mapping"),
        ("skills: {}\ncauses: {}\n", "section 'skills' must be a non-empty mapping"),
        ("skills:\n  cooking:\n    synonyms: [a, b, c]\n" + GOOD_CAUSES, "missing or empty 'label'"),
        ("skills:\n  cooking:\n    label: cuisine\n" + GOOD_CAUSES, "'synonyms' must be a non-empty list"),
        ("skills:\n  Cooking:\n    label: c\n    synonyms: [a]\n" + GOOD_CAUSES, "snake_case"),
        ("skills:\n  cooking:\n    label: c\n    synonyms: [a, yes]\n" + GOOD_CAUSES, "non-empty string"),
        ("skills:\n  cooking: cuisine\n" + GOOD_CAUSES, "expected a mapping with 'label'"),
        ("skills:\n  cooking:\n    label: c\n    synonyms: [a]\n    colour: red\n" + GOOD_CAUSES, "unknown field"),
        ("skills:\n  a:\n    label: a\n    synonyms: [a]\n" + GOOD_CAUSES + "missions: {}\n", "unknown section"),
        ("skills: [unclosed\n", "not valid YAML"),
    ],
)
def test_malformed_file_raises_a_clear_value_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "taxonomy.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_taxonomy(path)


def test_missing_file_raises_taxonomy_error(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "absent.yml")
