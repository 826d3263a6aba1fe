"""What Rasa loads by name, and what our entry point installs into the Rasa server.

Nothing in the rest of the project imports these modules to run them: Rasa does, from the
YAML files, or :mod:`bot.rasa.server` does as it starts the Rasa server.

- from ``config.yml``: the NLU components (:mod:`bot.rasa.nlu`) and the TED policy with a
  memory (:mod:`bot.rasa.policies`), whose TensorFlow models load without a training step
  (:mod:`bot.rasa.quick_load`);
- from ``endpoints.yml``: the tracker store (:mod:`bot.rasa.tracker_store`);
- from ``credentials.yml``: the channels (:mod:`bot.rasa.channels`: REST, Telegram, the
  website's chat bubble);
- by :mod:`bot.rasa.server`, the entry point ``bot serve`` runs: the "loading" answer of the
  port while the model loads (:mod:`bot.rasa.loading`), the polite answer to a failed custom
  action (:mod:`bot.rasa.action_fallback`) and the speed patches (:mod:`bot.rasa.speedups`).
"""
