"""Rasa's SpacyNLP, running only the spaCy components the rest of the pipeline reads.

Rasa's SpacyNLP runs every component of the spaCy model but the parser. For
``fr_core_news_md`` that is tok2vec, morphologizer, attribute_ruler, lemmatizer and ner,
about 6 ms per message on our machine, while config.yml reads from spaCy's ``Doc`` only
the tokens and the static word vectors (SpacyTokenizer, SpacyFeaturizer), and the lemmas
if a CountVectorsFeaturizer has ``use_lemma`` on (the lemmatizer needs the morphologizer's
parts of speech, which need tok2vec). Named entities are read by nothing: ours come from
:mod:`bot.nlu.profile_extractor`.

``components`` in config.yml lists the spaCy components to keep (all of them when absent);
the others are removed once the model is loaded. Tokenisation and vectors do not depend on
any component, so they are the same whatever is kept.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.exceptions import InvalidConfigException

logger = logging.getLogger(__name__)


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
        """Load the model as Rasa does, then remove the components not kept."""
        component = super().create(config, model_storage, resource, execution_context)
        keep = config.get("components")
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
        logger.debug("spaCy components run: %s", ", ".join(component.provide().model.pipe_names) or "none")
        return component  # type: ignore[return-value]
