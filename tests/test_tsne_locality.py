"""Runs renumber their points internally (neighbours close in memory); everything handed out is in the user's order."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from nbviz.embedding import _locality, tsne
from nbviz.embedding._locality import MIN_POINTS, LocalOrder, local_order


def shuffled_band(n: int, width: int, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """A symmetric banded affinity pattern, its points shuffled: (P, the shuffle)."""
    rows = np.repeat(np.arange(n), 2 * width + 1)
    cols = np.clip(rows + np.tile(np.arange(-width, width + 1), n), 0, n - 1)
    band = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    shuffle = np.random.default_rng(seed).permutation(n)
    return band[shuffle][:, shuffle].tocsr(), shuffle


def spread(P: sp.csr_matrix) -> float:
    """Mean |i − j| over the stored entries."""
    coo = P.tocoo()
    return float(np.abs(coo.row - coo.col).mean())


def test_renumbering_brings_neighbours_together_and_round_trips():
    P, _ = shuffled_band(3_000, 5)
    order = LocalOrder(P)
    local = order.affinities().P
    assert spread(local) < spread(P) / 50  # the shuffle spread them over ~1,000; renumbered they are ~5 apart
    np.testing.assert_array_equal(local.toarray(), P.toarray()[np.ix_(order.order, order.order)])
    positions = np.random.default_rng(1).normal(size=(3_000, 2))
    np.testing.assert_array_equal(order.to_user(order.to_local(positions)), positions)
    np.testing.assert_array_equal(order.to_local(positions)[order.inverse], positions)


def test_small_runs_keep_the_data_order():
    assert local_order(sp.identity(MIN_POINTS - 1, format="csr")) is None
    assert isinstance(local_order(sp.identity(MIN_POINTS, format="csr")), LocalOrder)


def test_a_renumbered_run_hands_out_frames_in_the_users_order(monkeypatch):
    rng = np.random.default_rng(2)
    centres = rng.normal(scale=6.0, size=(8, 10))
    X = centres[rng.integers(0, 8, size=MIN_POINTS)] + rng.normal(size=(MIN_POINTS, 10))
    kwargs = dict(perplexity=10, n_iter=12, early_iter=12, seed=0, snapshot_every=4, progress=False, negative_gradient_method="fft")
    renumbered = tsne(X, **kwargs)
    monkeypatch.setattr(_locality, "MIN_POINTS", MIN_POINTS + 1)
    plain = tsne(X, **kwargs)
    # the same optimisation up to the order of floating-point sums: frames agree point by point
    scale = float(np.abs(plain.snapshots).max())
    np.testing.assert_allclose(renumbered.snapshots, plain.snapshots, atol=1e-4 * scale)
    np.testing.assert_allclose(renumbered.kl, plain.kl, rtol=1e-6)
