"""New points on an existing t-SNE map: held-out digits land in their class neighbourhoods as well as
openTSNE's own ``transform`` places them on the same map (kNN class agreement within 2 points), and
the map does not move."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier

import nbviz


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:1200].astype(np.float32), y[:1200], X[1200:1500].astype(np.float32), y[1200:1500]


def agreement(map_points, map_labels, placed, labels, k=10) -> float:
    """Share of placed points whose k nearest map points mostly have their class."""
    return float((KNeighborsClassifier(k).fit(map_points, map_labels).predict(placed) == labels).mean())


def test_held_out_points_land_with_their_class_as_opentsne_places_them(digits):
    from openTSNE import TSNEEmbedding

    X, y, X_new, y_new = digits
    session = nbviz.TSNESession(X, seed=0)
    result = session.run(30, n_iter=300)
    before = result.embedding.copy()
    placed = result.transform(X_new)
    assert placed.shape == (300, 2) and placed.dtype == np.float32
    np.testing.assert_array_equal(result.embedding, before)  # the map does not move
    ours = agreement(result.embedding, y, placed, y_new)
    reference = TSNEEmbedding(result.embedding.astype(np.float64), session._affinities_at(30, None), random_state=0)
    theirs = agreement(result.embedding, y, np.asarray(reference.transform(X_new)), y_new)
    assert ours >= theirs - 0.02 and ours > 0.8  # chance is 0.1
    assert agreement(result.embedding, y, placed, (y_new + 1) % 10) < 0.2  # wrong labels do not agree


def test_bad_new_points_are_refused(digits):
    X, y, X_new, _ = digits
    result = nbviz.tsne(X[:200], n_iter=60, early_iter=20)
    with pytest.raises(ValueError, match="X_new: expected points with 64 features"):
        result.transform(X_new[:, :10])
    with pytest.raises(ValueError, match="X_new"):
        result.transform(np.full((3, 64), np.nan))
