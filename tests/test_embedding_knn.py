"""The kNN graph behind t-SNE's affinities: exact up to EXACT_MAX_POINTS, checked against a brute-force search."""

from __future__ import annotations

import numpy as np
import pytest

from nbviz.embedding import TSNESession
from nbviz.embedding._knn import EXACT_MAX_POINTS, knn_method


def brute_force(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and distances of each point's k nearest others, by all pairwise distances."""
    d = np.sqrt(np.square(X[:, None, :] - X[None, :, :]).sum(axis=2))
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(d, order, axis=1)


@pytest.fixture(scope="module")
def points() -> np.ndarray:
    return np.random.default_rng(3).normal(size=(1_200, 8))  # above openTSNE's own exact limit (1,000)


def test_auto_is_exact_and_equals_brute_force(points: np.ndarray) -> None:
    index = knn_method("auto", points, 10, 1, 0)
    assert not isinstance(index, str)
    assert index.k == 30
    neighbours, distances = index.build()
    ref_neighbours, ref_distances = brute_force(points, 30)
    np.testing.assert_array_equal(neighbours, ref_neighbours)
    np.testing.assert_allclose(distances, ref_distances, rtol=1e-10)


def test_other_methods_and_large_inputs_go_to_opentsne() -> None:
    big = np.zeros((EXACT_MAX_POINTS + 1, 1))
    assert knn_method("auto", big, 30, 1, 0) == "auto"
    assert knn_method("annoy", big[:2_000], 30, 1, 0) == "annoy"
    assert knn_method("exact", big[:2_000], 30, 1, 0) == "exact"
    assert knn_method("auto", big[:999], 30, 1, 0) == "auto"  # openTSNE's own exact search there


def test_search_runs_on_n_jobs_threads(points: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    from openTSNE.nearest_neighbors import Sklearn
    from threadpoolctl import threadpool_info

    seen: list[int] = []
    build = Sklearn.build

    def spy(self: Sklearn) -> object:
        seen.extend(pool["num_threads"] for pool in threadpool_info())
        return build(self)

    monkeypatch.setattr(Sklearn, "build", spy)
    knn_method("auto", points, 10, 1, 0).build()
    assert seen and max(seen) == 1


def test_session_uses_the_exact_graph(points: np.ndarray) -> None:
    session = TSNESession(points, 0)
    P = session.affinities(10)
    ref_neighbours, _ = brute_force(points, 30)
    rows = np.repeat(np.arange(len(points)), 30)
    # every true neighbour pair carries affinity (P is the symmetrised graph of exactly those pairs)
    assert np.all(np.asarray(P[rows, ref_neighbours.ravel()]) > 0)
    assert session.n_neighbors == 30
