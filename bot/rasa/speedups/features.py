"""NLU features: a message's sparse features joined without scipy's general ``hstack``."""

from __future__ import annotations

from typing import Any

from bot.rasa.speedups.patching import replace

_original: dict[str, Any] = {}


def _combine_sparse_features(self: Any, additional_features: Any) -> None:
    """Features._combine_sparse_features: two COO matrices side by side, without scipy's ``hstack``.

    ``hstack`` goes through ``bmat``, which works out block shapes and offsets for any grid of
    blocks: 250 µs for the two small matrices of one message's features, four times a message.
    Two COO matrices side by side are their entries, the right one's columns shifted: the same
    matrix, entries in the same order, types and index types (60 µs; counts, int64, next to
    lexical features, float64, make floats as in scipy). Anything else goes to Rasa's own code.
    """
    import numpy as np
    from scipy.sparse import coo_matrix

    left, right = self.features, additional_features.features
    if not (
        type(left) is coo_matrix
        and type(right) is coo_matrix
        and left.shape[0] == right.shape[0]
        and (left.data.dtype == right.data.dtype or np.result_type(left.data, right.data) == np.float64)
        and all(index.dtype == np.int32 for index in (left.row, left.col, right.row, right.col))
        and left.shape[1] + right.shape[1] < np.iinfo(np.int32).max
    ):
        _original["combine_sparse_features"](self, additional_features)
        return
    self.features = coo_matrix(
        (
            np.concatenate((left.data, right.data)),
            (np.concatenate((left.row, right.row)), np.concatenate((left.col, right.col + np.int32(left.shape[1])))),
        ),
        shape=(left.shape[0], left.shape[1] + right.shape[1]),
    )
    self._cached_fingerprint = None


def install() -> None:
    """Sparse features joined directly."""
    from rasa.shared.nlu.training_data.features import Features

    _original["combine_sparse_features"] = replace(Features, "_combine_sparse_features", _combine_sparse_features)
