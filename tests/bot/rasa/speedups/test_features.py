"""bot.rasa.speedups.features: the patched Rasa code gives Rasa's own answers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.rasa.speedups import features


def test_sparse_features_are_joined_as_scipy_joins_them(monkeypatch: Any) -> None:
    """COO matrices of every shape a message gives (no entry, one token, many), and what falls back."""
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features
    from scipy.sparse import coo_matrix, csr_matrix, random

    rng = np.random.default_rng(7)

    def pair(left: Any, right: Any) -> tuple[Features, Features]:
        return Features(left, "sequence", "text", "a"), Features(right, "sequence", "text", "b")

    cases = [
        pair(random(1, 300, 0.02, "coo", random_state=rng), random(1, 2000, 0.003, "coo", random_state=rng)),
        pair(random(9, 300, 0.02, "coo", random_state=rng), random(9, 2000, 0.003, "coo", random_state=rng)),
        pair(coo_matrix((4, 10)), random(4, 20, 0.3, "coo", random_state=rng)),
        pair(random(3, 5, 0.5, "coo", dtype=np.float32, random_state=rng), coo_matrix((3, 7), dtype=np.float32)),
        pair(csr_matrix(np.eye(3)), random(3, 4, 0.5, "coo", random_state=rng)),  # not COO: scipy's way
        pair(random(2, 5, 0.5, "coo", random_state=rng), random(2, 5, 0.5, "coo", dtype=np.float32, random_state=rng)),
        pair(
            random(9, 18, 0.2, "coo", random_state=rng), random(9, 600, 0.01, "coo", dtype=np.int64, random_state=rng)
        ),
        pair(random(2, 5, 0.5, "coo", dtype=np.int32, random_state=rng), coo_matrix((2, 3), dtype=np.float32)),
    ]
    scipys_way = features._original["combine_sparse_features"]
    fallbacks = []
    monkeypatch.setitem(features._original, "combine_sparse_features", lambda *a: fallbacks.append(a) or scipys_way(*a))
    for mine, extra in cases:
        theirs = Features(mine.features.copy(), "sequence", "text", "a")
        mine.combine_with_features(extra)
        scipys_way(theirs, extra)
        assert type(mine.features) is type(theirs.features)
        assert (mine.features.shape, mine.features.dtype) == (theirs.features.shape, theirs.features.dtype)
        for name in ("row", "col", "data"):
            ours, scipys = getattr(mine.features, name), getattr(theirs.features, name)
            assert ours.dtype == scipys.dtype and np.array_equal(ours, scipys)
    assert len(fallbacks) == 1  # the CSR matrix
    mismatched, other = pair(coo_matrix((2, 3)), coo_matrix((5, 3)))
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        mismatched.combine_with_features(other)
