"""Evaluation and benchmark scripts (``make eval``, ``make bench``); run them as modules: ``python -m scripts.X``."""
