"""FrenchSpacyNLP runs only the spaCy components config.yml keeps, with the same tokens and vectors."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.exceptions import InvalidConfigException

from bot.rasa.nlu.spacy_nlp import MAX_RUN_CHARS, MAX_TOKENS, BoundedTokenizer, FrenchSpacyNLP

TEXTS = [
    "Je m'appelle Julie, j'habite à Villeurbanne et je suis dispo le samedi matin",
    "moi c lea, je fais de la cuisine",
    "Est-ce que je peux aider si j'ai 16 ans ?",
]


def spacy_nlp(**config: Any) -> FrenchSpacyNLP:
    return FrenchSpacyNLP.create({"model": "fr_core_news_md", **config}, None, None, None)


def test_only_the_components_kept_run_and_tokens_and_vectors_do_not_change() -> None:
    full = SpacyNLP.create({"model": "fr_core_news_md"}, None, None, None).provide().model
    bare = spacy_nlp(components=[]).provide().model
    lemmas = spacy_nlp(components=["tok2vec", "morphologizer", "attribute_ruler", "lemmatizer"]).provide().model
    assert "ner" in full.pipe_names
    assert bare.pipe_names == []
    assert lemmas.pipe_names == ["tok2vec", "morphologizer", "attribute_ruler", "lemmatizer"]
    for text in TEXTS:
        expected = full(text)
        for nlp in (bare, lemmas):
            doc = nlp(text)
            assert [(t.text, t.idx) for t in doc] == [(t.text, t.idx) for t in expected]
            assert (doc.vector == expected.vector).all()
            assert all((a.vector == b.vector).all() for a, b in zip(doc, expected, strict=True))
        assert [t.lemma_ for t in lemmas(text)] == [t.lemma_ for t in expected]


def test_every_component_runs_when_none_is_listed() -> None:
    assert spacy_nlp().provide().model.pipe_names == SpacyNLP.load_model("fr_core_news_md").model.pipe_names


def test_a_component_the_model_does_not_have_is_a_configuration_error() -> None:
    with pytest.raises(InvalidConfigException, match="nerr not in fr_core_news_md"):
        spacy_nlp(components=["nerr"])


HOSTILE = ["😀" * 2000, "!" * 2000, ".," * 1000, "a" * 2000, "bonjour " + "😀" * 100 + " fin", "! " * 1000]


@pytest.mark.parametrize("text", HOSTILE, ids=["emoji", "bangs", "dots-commas", "one-word", "mixed", "spaced"])
def test_long_runs_never_reach_spacy_whole_and_keep_their_text(text: str) -> None:
    nlp = spacy_nlp(components=[]).provide().model
    tokenizer = nlp.tokenizer
    assert isinstance(tokenizer, BoundedTokenizer)
    seen: list[str] = []
    original = tokenizer.tokenizer

    def recorded(piece: str) -> Any:
        seen.append(piece)
        return original(piece)

    tokenizer.tokenizer = recorded
    try:
        doc = nlp(text)
    finally:
        tokenizer.tokenizer = original
    assert doc.text == text
    assert all(token.idx == text.index(token.text, token.idx) for token in doc)
    assert len(doc) <= MAX_TOKENS
    assert all(len(run) <= MAX_RUN_CHARS for piece in seen for run in piece.split())


def test_ordinary_messages_get_spacys_own_tokens() -> None:
    nlp = spacy_nlp(components=[]).provide().model
    for text in TEXTS:
        assert [(t.text, t.idx) for t in nlp(text)] == [(t.text, t.idx) for t in nlp.tokenizer.tokenizer(text)]


def test_spacy_is_loaded_once_for_rasas_provider_and_process_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    first = spacy_nlp(components=[]).provide()
    monkeypatch.setattr(SpacyNLP, "load_model", lambda name: pytest.fail(f"{name} loaded again"))
    again = spacy_nlp(components=[])
    assert again.provide() is first and again.provide().model.pipe_names == []
    with pytest.raises(pytest.fail.Exception, match="loaded again"):
        spacy_nlp(components=["tok2vec"])  # other components kept: another model
