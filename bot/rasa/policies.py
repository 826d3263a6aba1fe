"""Rasa dialogue policy: TED, remembering its answer for dialogue states it has already seen.

TED predicts the next action from the dialogue states of the last ``max_history`` turns
(intent, entity names, featurised slots, active form, previous action). Its answer depends
on nothing else: our stories have no end-to-end user texts, so the text of a message is
not an input. Profile conversations go through the same few states again and again (the
form asks, the volunteer informs, the form validates), and each TED prediction costs about
8 ms of the Rasa server's single event loop, most of it turning arrays into tensors.

:class:`CachedTEDPolicy` therefore keeps the last predictions, keyed by those states, in a
bounded least-recently-used table, and gives the very same probabilities when the states
come back. Predictions whose input includes a text (an end-to-end model) are never cached.
Training and the trained model are TED's own; a new model starts with an empty table.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from rasa.core.featurizers.precomputation import MessageContainerForCoreFeaturization
from rasa.core.policies.policy import PolicyPrediction, SupportedData
from rasa.core.policies.ted_policy import TED, TEDPolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

from bot.rasa.quick_load import QuickLoad

logger = logging.getLogger(__name__)

# About 2 KB each (one probability per action): a few megabytes at most.
CACHE_SIZE = 4096


def frozen(value: Any) -> Hashable:
    """A hashable, order-independent copy of a dialogue state (dicts, lists, tuples, scalars)."""
    if isinstance(value, dict):
        return tuple(sorted((key, frozen(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(frozen(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(frozen(item) for item in value))  # type: ignore[type-var]
    return value


class QuickLoadingTED(QuickLoad, TED):
    """TED's TensorFlow model, loaded by prediction rather than by one step of training (bot.rasa.quick_load)."""


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True)
class CachedTEDPolicy(TEDPolicy):
    """TEDPolicy that answers repeated dialogue states from a table of its past predictions."""

    @staticmethod
    def model_class() -> type[TED]:
        """TED's model class, with :class:`bot.rasa.quick_load.QuickLoad`'s load."""
        return QuickLoadingTED

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # states -> (probabilities, is_end_to_end_prediction, diagnostic_data), kept as copies
        self._predictions: OrderedDict[Hashable, tuple[tuple[float, ...], bool, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def _states_key(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict[str, Any] | None
    ) -> Hashable | None:
        """What TED's input is made of, or None when it includes a message text."""
        with_text = self.only_e2e or (TEXT in self.fake_features and tracker.latest_action_name == ACTION_LISTEN_NAME)
        if with_text:
            return None
        ml_only = self.supported_data() == SupportedData.ML_DATA
        states = self.featurizer.prediction_states(
            [tracker],
            domain,
            use_text_for_last_user_input=False,
            ignore_rule_only_turns=ml_only,
            rule_only_data=rule_only_data,
            ignore_action_unlikely_intent=ml_only,
        )
        return frozen(states)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        precomputations: MessageContainerForCoreFeaturization | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """TED's prediction, from the table when these dialogue states were seen before."""
        key = self._states_key(tracker, domain, rule_only_data) if self.model is not None else None
        if key is None:
            return super().predict_action_probabilities(
                tracker, domain, rule_only_data=rule_only_data, precomputations=precomputations, **kwargs
            )
        known = self._predictions.get(key)
        if known is not None:
            self.hits += 1
            self._predictions.move_to_end(key)
            probabilities, end_to_end, diagnostic_data = known
            return self._prediction(
                list(probabilities), is_end_to_end_prediction=end_to_end, diagnostic_data=diagnostic_data
            )
        self.misses += 1
        prediction = super().predict_action_probabilities(
            tracker, domain, rule_only_data=rule_only_data, precomputations=precomputations, **kwargs
        )
        if not prediction.optional_events and not prediction.events:
            self._predictions[key] = (
                tuple(prediction.probabilities),
                prediction.is_end_to_end_prediction,
                prediction.diagnostic_data,
            )
            if len(self._predictions) > CACHE_SIZE:
                self._predictions.popitem(last=False)
        return prediction
