"""Rasa's SpacyNLP, running only the spaCy components the rest of the pipeline reads.

Rasa's SpacyNLP runs every component of the spaCy model but the parser. For
``fr_core_news_md`` that is tok2vec, morphologizer, attribute_ruler, lemmatizer and ner,
about 6 ms per message on our machine, while config.yml reads from spaCy's ``Doc`` only
the tokens and the static word vectors (SpacyTokenizer, SpacyFeaturizer), and the lemmas
if a CountVectorsFeaturizer has ``use_lemma`` on (the lemmatizer needs the morphologizer's
parts of speech, which need tok2vec). Named entities are read by nothing: ours come from
:mod:`bot.rasa.nlu.profile_extractor`.

``components`` in config.yml lists the spaCy components to keep (all of them when absent);
the others are removed once the model is loaded. Tokenisation and vectors do not depend on
any component, so they are the same whatever is kept.

spaCy's tokeniser takes time quadratic in the length of a run of characters without spaces
that its prefix and suffix rules keep splitting: 2,000 emoji or punctuation marks held the
event loop, and so every conversation, for about a second (``"😀" * 10000``: 19 s). The model's
tokeniser is therefore wrapped (:class:`BoundedTokenizer`): a run longer than
:data:`MAX_RUN_CHARS` is tokenised in slices of that length and the docs joined, with the same
text and offsets, and a doc of more than :data:`MAX_TOKENS` tokens has neighbouring tokens
merged (the featurizers after it take time in proportion to the tokens). No French word is
that long and no message of the bubble's 2,000 characters has that many words, so ordinary
messages give the very same doc.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.exceptions import InvalidConfigException
from spacy.tokens import Doc

logger = logging.getLogger(__name__)

MAX_RUN_CHARS = 64
# Past this many tokens, neighbours are merged so that the doc has at most this many: the
# featurizers' time grows with the tokens, and 2,000 one-character tokens cost 120 ms.
MAX_TOKENS = 400
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN_CHARS + 1},}}")
# spaCy models loaded in this process, by (name, components kept): see FrenchSpacyNLP.create.
_LOADED: dict[tuple[Any, tuple[str, ...] | None], SpacyModel] = {}


class BoundedTokenizer:
    """spaCy's tokeniser, in linear time on long runs without spaces (see the module docstring)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        """The doc of ``text``: spaCy's own, or the join of its slices' docs when a run is long."""
        if _LONG_RUN.search(text) is None:
            doc = self.tokenizer(text)
        else:
            doc = Doc.from_docs([self.tokenizer(piece) for piece in slices(text)], ensure_whitespace=False)
        return doc if len(doc) <= MAX_TOKENS else merged(doc, MAX_TOKENS)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tokenizer, name)


def merged(doc: Doc, limit: int) -> Doc:
    """``doc`` with neighbouring tokens merged so that at most ``limit`` remain (same text)."""
    group = -(-len(doc) // limit)
    with doc.retokenize() as retokenizer:
        for start in range(0, len(doc), group):
            if min(start + group, len(doc)) - start > 1:
                retokenizer.merge(doc[start : start + group])
    return doc


def slices(text: str, size: int = MAX_RUN_CHARS) -> list[str]:
    """Consecutive pieces of ``text`` in which no run without spaces is longer than ``size``."""
    pieces: list[str] = []
    start = 0
    for match in _LONG_RUN.finditer(text):
        if match.start() > start:
            pieces.append(text[start : match.start()])
        pieces.extend(text[at : min(at + size, match.end())] for at in range(match.start(), match.end(), size))
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="FrenchSpacyNLP",  # its own provider node feeds its process node, as for SpacyNLP
)
class FrenchSpacyNLP(SpacyNLP):
    """SpacyNLP that keeps only the spaCy components listed in its ``components`` setting."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """SpacyNLP's settings, and ``components``: the spaCy components to run (None: all)."""
        return {**SpacyNLP.get_default_config(), "components": None}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FrenchSpacyNLP:
        """Load the model as Rasa does, then remove the components not kept.

        Rasa's graph creates a model loader twice, for its provider node and for its process
        node, and SpacyNLP loads spaCy's model each time: the second creation takes the model
        the first loaded (same name, same components kept), which saves a load and its memory.
        """
        keep = config.get("components")
        key = (config.get("model"), None if keep is None else tuple(keep))
        loaded = _LOADED.get(key)
        if loaded is not None:
            return cls(loaded, {**cls.get_default_config(), **config})
        component = super().create(config, model_storage, resource, execution_context)
        if keep is not None:
            nlp = component.provide().model
            unknown = sorted(set(keep) - set(nlp.pipe_names))
            if unknown:
                raise InvalidConfigException(
                    f"FrenchSpacyNLP: {', '.join(unknown)} not in {config.get('model')} "
                    f"(it has {', '.join(nlp.pipe_names) or 'no components'})"
                )
            for name in [name for name in nlp.pipe_names if name not in keep]:
                nlp.remove_pipe(name)
        nlp = component.provide().model
        if not isinstance(nlp.tokenizer, BoundedTokenizer):
            nlp.tokenizer = BoundedTokenizer(nlp.tokenizer)
        logger.debug("spaCy components run: %s", ", ".join(component.provide().model.pipe_names) or "none")
        _LOADED[key] = component.provide()
        return component
