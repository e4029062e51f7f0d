"""Settings that change the computation, not only its label: init="random" starts from openTSNE's
random layout (not the spectral one), the scikit-learn engine uses the learning rate it is given,
and trustworthiness reports the share of points done, chunk by chunk."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits

from nbviz.embedding import TSNESession, trustworthiness, tsne


@pytest.fixture(scope="module")
def few() -> np.ndarray:
    return load_digits().data[:150]


def test_random_init_is_not_the_spectral_layout(few):
    settings = dict(n_iter=20, early_iter=10, snapshot_every=10)
    random_start = TSNESession(few, init="random").run(5, **settings)
    spectral = TSNESession(few, init="spectral").run(5, **settings)
    assert not np.allclose(random_start.embedding, spectral.embedding, atol=1e-3)
    again = TSNESession(few, init="random").run(5, **settings)  # same seed: the same random start
    np.testing.assert_allclose(again.embedding, random_start.embedding, atol=1e-6)


def test_sklearn_engine_uses_the_given_learning_rate(few):
    from sklearn.manifold import TSNE

    result = tsne(few, perplexity=10, n_iter=260, engine="sklearn", learning_rate=50.0, seed=1)
    reference = TSNE(perplexity=10, max_iter=260, learning_rate=50.0, random_state=1, init="pca").fit(few)
    assert result.final_kl == pytest.approx(reference.kl_divergence_, rel=1e-6)
    auto = tsne(few, perplexity=10, n_iter=260, engine="sklearn", seed=1)
    assert auto.final_kl != pytest.approx(result.final_kl, rel=1e-6)


def test_trustworthiness_progress_is_the_share_of_points_done(few, monkeypatch):
    import nbviz.embedding.quality as quality

    n = len(few)
    monkeypatch.setattr(quality, "CHUNK_ELEMENTS", n * 40)  # 40 rows per chunk
    seen = []
    trustworthiness(few, few[:, :2], 5, progress=lambda fraction, message: seen.append(fraction))
    assert seen == pytest.approx([0 / n, 40 / n, 80 / n, 120 / n, 1.0])
