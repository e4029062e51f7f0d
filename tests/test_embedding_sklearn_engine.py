"""The scikit-learn engine tells its caller what it did: its one frame reaches the callback with
the iteration count, KL and positions of the result, progress goes from 0 to 1 with a readable
message, and an iteration count that is not a whole number is refused as for openTSNE."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from nbviz.embedding import tsne


@pytest.fixture(scope="module")
def few() -> np.ndarray:
    return load_digits().data[:150]


def test_callback_and_progress_see_the_one_frame(few):
    calls, seen = [], []
    result = tsne(few, perplexity=10, n_iter=260, engine="sklearn", seed=1,
                  callback=lambda iteration, kl, positions: calls.append((iteration, kl, positions)),
                  progress=lambda fraction, message: seen.append((fraction, message)))
    assert len(calls) == 1
    iteration, kl, positions = calls[0]
    assert isinstance(iteration, int) and iteration == int(result.iterations[-1]) and 250 < iteration <= 260
    assert kl == pytest.approx(result.final_kl)
    np.testing.assert_array_equal(positions, result.embedding)
    assert [f for f, _ in seen] == [0.0, 1.0]
    assert all(isinstance(m, str) and m for _, m in seen)
    assert "KL" in seen[-1][1]


@pytest.mark.parametrize("n_iter", [300.5, 300.0, True])
def test_n_iter_must_be_a_whole_number(few, n_iter):
    with pytest.raises(ValueError, match="n_iter"):
        tsne(few, perplexity=10, n_iter=n_iter, engine="sklearn")
