"""Rasa's SpacyNLP, without the spaCy components no feature of ours reads.

``fr_core_news_md`` runs tok2vec, morphologizer, attribute_ruler, lemmatizer and ner once
Rasa has disabled the parser. What the pipeline reads from spaCy's ``Doc`` is the tokens,
their lemmas (CountVectorsFeaturizer), their tags (SpacyTokenizer) and the static word
vectors (SpacyFeaturizer); the lemmatizer needs the morphologizer's parts of speech, which
need tok2vec. Named entities are read by nothing: our entities come from
:mod:`bot.nlu.profile_extractor`. The ``ner`` component has its own tok2vec layers and was
about a third of spaCy's time per message, so it is removed once the model is loaded.
Every other token attribute is computed exactly as before.
"""

from __future__ import annotations

import logging

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

logger = logging.getLogger(__name__)

# spaCy pipeline components whose output nothing in config.yml reads.
UNUSED_COMPONENTS = ("ner",)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="FrenchSpacyNLP",  # its own provider node feeds its process node, as for SpacyNLP
)
class FrenchSpacyNLP(SpacyNLP):
    """SpacyNLP that loads the French model without its named entity recogniser."""

    @staticmethod
    def load_model(spacy_model_name: str) -> SpacyModel:
        """Load the model as Rasa does, then drop the components nothing reads."""
        loaded = SpacyNLP.load_model(spacy_model_name)
        for name in UNUSED_COMPONENTS:
            if name in loaded.model.pipe_names:
                loaded.model.remove_pipe(name)
        logger.debug("spaCy pipeline: %s", ", ".join(loaded.model.pipe_names))
        return loaded
