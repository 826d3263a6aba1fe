"""Rasa's DIETClassifier, loading its model without a training step (:mod:`bot.rasa.quick_load`)."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier

from bot.rasa.quick_load import QuickLoad


class QuickLoadingDIET(QuickLoad, DIET):
    """DIET's TensorFlow model, loaded by prediction rather than by one step of training."""


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class QuickLoadingDIETClassifier(DIETClassifier):
    """DIETClassifier, the same in training and prediction; only the loading of its model differs."""

    @staticmethod
    def model_class() -> type[DIET]:
        """The TensorFlow model class (Rasa's, with :class:`bot.rasa.quick_load.QuickLoad`'s load)."""
        return QuickLoadingDIET
