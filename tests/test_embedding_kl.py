"""The KL curve is the true KL(P‖Q) of the un-exaggerated P, checked against a dense computation."""

import numpy as np
import pytest
from scipy.spatial.distance import pdist, squareform

pytest.importorskip("openTSNE")

from nbviz.embedding import TSNESession
from nbviz.embedding._kl import kl_divergence, normaliser


def dense_kl(P, Y) -> float:
    """KL(P‖Q) by the definition: P dense and normalised, Q Student-t over all pairs i ≠ j."""
    P = P.toarray()
    P = P / P.sum()
    W = 1.0 / (1.0 + squareform(pdist(np.asarray(Y, dtype=np.float64), "sqeuclidean")))
    np.fill_diagonal(W, 0.0)
    Q = W / W.sum()
    m = P > 0
    return float(np.sum(P[m] * np.log(P[m] / Q[m])))


@pytest.fixture(scope="module")
def random_points():
    return np.random.default_rng(0).normal(size=(300, 10))


@pytest.mark.parametrize("method", ["bh", "fft"])
def test_every_frame_is_the_dense_kl_including_the_phase_boundary(random_points, method):
    session = TSNESession(random_points, 0, negative_gradient_method=method)
    result = session.run(30, n_iter=200, early_iter=50, stop="fixed", snapshot_every=10)
    P = session.affinities(30)
    assert 50 in result.iterations.tolist()  # the last exaggerated iteration is a frame
    dense = np.array([dense_kl(P, Y) for Y in result.snapshots])
    # the snapshots are float32 copies of the positions the KL was evaluated at
    np.testing.assert_allclose(result.kl, dense, rtol=2e-5)
    assert (result.kl >= 0).all()
    # openTSNE's Barnes-Hut value was 0.0 at iteration 50 on these points; the map is collapsed (spread
    # ~1e-5), Q nearly uniform, and the true KL 2.107
    assert result.kl[result.iterations.tolist().index(50)] > 2.0


def test_kl_of_an_exaggerated_p_is_that_of_p(random_points):
    session = TSNESession(random_points, 0)
    P = session.affinities(30)
    Y = np.random.default_rng(1).normal(size=(300, 2))
    assert kl_divergence(P * 12, Y) == pytest.approx(dense_kl(P, Y), rel=1e-10)


def test_normaliser_counts_every_ordered_pair_once():
    Y = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    # pairs: d² = 1, 4, 5 → w = 1/2, 1/5, 1/6, each twice
    assert normaliser(Y) == pytest.approx(2 * (1 / 2 + 1 / 5 + 1 / 6), rel=1e-12)


def test_fft_interpolated_kl_is_within_a_fraction_of_a_percent(random_points):
    session = TSNESession(random_points, 0)
    result = session.run(30, n_iter=150, early_iter=50, stop="fixed", snapshot_every=50)
    P = session.affinities(30)
    for Y in result.snapshots:
        assert kl_divergence(P, Y, exact=False) == pytest.approx(dense_kl(P, Y), rel=5e-3)


def test_warm_start_and_callback_see_the_same_true_kl(random_points):
    session = TSNESession(random_points, 0)
    session.run(30, n_iter=100, early_iter=50, stop="fixed")
    seen = []
    result = session.run(20, n_iter=60, stop="fixed", callback=lambda i, kl, Y: seen.append((kl, dense_kl(session.affinities(20), Y))))
    kl, dense = np.array(seen).T
    np.testing.assert_allclose(kl, dense, rtol=2e-5)
    assert result.kl[-1] == pytest.approx(dense_kl(session.affinities(20), result.embedding), rel=2e-5)


def test_above_the_exact_limit_the_frames_use_the_interpolated_normaliser():
    X = np.random.default_rng(2).normal(size=(900, 10))  # > EXACT_MAX_POINTS: Barnes-Hut gradient, FFT-interpolated Z
    session = TSNESession(X, 0, negative_gradient_method="bh")
    result = session.run(30, n_iter=100, early_iter=50, stop="fixed", snapshot_every=25)
    P = session.affinities(30)
    dense = np.array([dense_kl(P, Y) for Y in result.snapshots])
    assert 50 in result.iterations.tolist()
    np.testing.assert_allclose(result.kl, dense, rtol=5e-3)
    assert (result.kl >= 0).all()
