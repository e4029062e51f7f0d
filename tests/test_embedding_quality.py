"""trustworthiness against scikit-learn; kNN preservation against a brute-force hand implementation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.manifold import trustworthiness as sklearn_trustworthiness

from nbviz._progress import Cancelled
from nbviz.embedding import knn_preservation, trustworthiness


@pytest.fixture(scope="module")
def noisy_projection():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 20))
    Y = X[:, :2] + 0.3 * rng.normal(size=(600, 2))
    return X, Y


@pytest.mark.parametrize("k", [1, 5, 10, 30])
def test_trustworthiness_equals_sklearn(noisy_projection, k):
    X, Y = noisy_projection
    assert trustworthiness(X, Y, k) == pytest.approx(sklearn_trustworthiness(X, Y, n_neighbors=k), abs=1e-12)


def test_trustworthiness_on_digits_with_ties():
    """Integer pixels make distances tie; sklearn orders ties by argsort, we count strictly closer points."""
    X = load_digits().data[:800]
    Y = X @ np.random.default_rng(1).normal(size=(64, 2))
    assert trustworthiness(X, Y, 10) == pytest.approx(sklearn_trustworthiness(X, Y, n_neighbors=10), abs=1e-3)


def test_trustworthiness_in_chunks(noisy_projection, monkeypatch):
    import nbviz.embedding.quality as quality

    X, Y = noisy_projection
    whole = trustworthiness(X, Y, 10)
    monkeypatch.setattr(quality, "CHUNK_ELEMENTS", 600 * 7)  # 7 rows per chunk
    assert trustworthiness(X, Y, 10) == whole
    assert knn_preservation(X, Y, 10) == pytest.approx(_brute_knn_preservation(X, Y, 10))


def test_perfect_and_extreme_scores(noisy_projection):
    X, _ = noisy_projection
    assert trustworthiness(X, X, 10) == pytest.approx(1.0)
    assert knn_preservation(X, X, 10) == 1.0


def _brute_knn_preservation(X, Y, k):
    def neighbours(A):
        d = ((A[:, None, :] - A[None, :, :]) ** 2).sum(-1)
        np.fill_diagonal(d, np.inf)
        return np.argsort(d, axis=1, kind="stable")[:, :k]

    nx, ny = neighbours(X), neighbours(Y)
    return np.mean([len(set(a) & set(b)) / k for a, b in zip(nx, ny)])


@pytest.mark.parametrize("k", [1, 10, 25])
def test_knn_preservation_equals_brute_force(noisy_projection, k):
    X, Y = noisy_projection
    assert knn_preservation(X, Y, k) == pytest.approx(_brute_knn_preservation(X, Y, k), abs=1e-12)


def test_progress_can_cancel(noisy_projection, monkeypatch):
    import nbviz.embedding.quality as quality

    monkeypatch.setattr(quality, "CHUNK_ELEMENTS", 600 * 100)
    X, Y = noisy_projection
    with pytest.raises(Cancelled):
        trustworthiness(X, Y, 10, progress=lambda f, m: f < 0.5)


def test_errors(noisy_projection):
    X, Y = noisy_projection
    with pytest.raises(ValueError, match="Y: has 599 points but X has 600"):
        trustworthiness(X, Y[:-1])
    with pytest.raises(ValueError, match="k: must be below N / 2"):
        trustworthiness(X, Y, 300)
    with pytest.raises(ValueError, match="k: expected a positive integer"):
        knn_preservation(X, Y, 0)
    bad = Y.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match=r"Y: contains NaN or inf in 1 row\(s\): 3"):
        knn_preservation(X, bad)
