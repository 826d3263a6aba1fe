"""DIET and TED models that load without a training step.

Rasa 3.6 loads a TensorFlow model (``RasaModel.load``) by training it for one step on one
example, only to create its variables at the right sizes, then reads the saved weights over
them, then predicts once to trace the prediction graph. Tracing the training step (forward,
loss, gradients, optimizer) is the costly part: about 9 s for TED and 3.5 s for DIET on a
two-core machine, a third of the Rasa server's start. Prediction needs none of it.

:class:`QuickLoad` creates the variables by predicting once, eagerly (a trace then would
keep the labels' embeddings computed from the initial weights), reads the saved weights into
them, checking that every variable it made got its value from the file (the training-only
weights and the optimizer's state are left in the file), then predicts once more, which
computes the labels' embeddings with those weights and traces the prediction graph, as
Rasa's load does after its training step.
The same model file gives the same predictions (``tests/bot/rasa/test_quick_load.py`` loads both
ways and compares). It is used through Rasa's doors: the model class of our DIET component
(``bot.rasa.nlu.diet``) and of our TED policy (``bot.rasa.policies``); ``QUICK_MODEL_LOAD=0`` gives Rasa's
own load, as does fine-tuning or a model without a prediction example.
"""

from __future__ import annotations

import logging
from typing import Any

import tensorflow as tf
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY

from bot.config import get_settings

logger = logging.getLogger(__name__)


class QuickLoad:
    """Mixin for a ``RasaModel`` subclass: ``load`` without the one-step training (see the module)."""

    @classmethod
    def load(
        cls,
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """The model saved in ``model_file_name``, ready to predict."""
        rasa_load = super().load  # type: ignore[misc]
        if finetune_mode or predict_data_example is None or not get_settings().quick_model_load:
            return rasa_load(model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs)
        model: Any = cls(*args, **kwargs)  # a RasaModel subclass: the mixin itself declares none of this
        config = kwargs.get("config", {})
        # As Rasa does: the optimizer is never used to predict, but compile() sets run_eagerly.
        model.compile(
            optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=config.get(RUN_EAGERLY)
        )
        # One prediction run eagerly creates the variables prediction reads, and traces nothing:
        # a trace now would capture the labels' embeddings computed from the initial weights.
        run_eagerly, model._run_eagerly = model._run_eagerly, True
        try:
            model.run_inference(predict_data_example)
        finally:
            model._run_eagerly = run_eagerly
        status = model.load_weights(model_file_name)
        status.assert_existing_objects_matched()  # every variable made has its saved value
        status.expect_partial()  # training-only weights and the optimizer's state stay in the file
        model.prepared_for_prediction = False  # the labels' embeddings again, with the loaded weights
        model.run_inference(predict_data_example)  # and the trace of prediction, as Rasa's load makes it
        model.loaded_quickly = True  # what the tests check
        logger.debug("%s loaded without a training step", cls.__name__)
        return model
