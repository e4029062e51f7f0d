"""The kNN graph behind t-SNE's affinities: an exact search up to 150,000 points, Annoy above.

openTSNE's ``"auto"`` switches to Annoy (50 trees) at 1,000 points. An exact search by blocks
(scikit-learn's brute-force ``ArgKmin``: a BLAS product per block and a running top k) is cheaper
than that Annoy index far beyond, and it finds every true neighbour. Measured here (50-D gaussian
mixture, k = 90, one thread, CPU seconds, loaded 2-core machine; ``benchmarks/tsne_profile.py``):

=========  ==========================  ===========================
points     Annoy, 50 trees (recall)    exact (recall)
=========  ==========================  ===========================
10,000     3.97 s (1.000)              0.77 s (1.000)
70,000     55.2 s (0.967)              27.5 s (1.000)
=========  ==========================  ===========================

The exact search grows as N² and Annoy here as ~N^1.35 (its 14× for 7× the points), so they
would cost alike near 200,000 points; :data:`EXACT_MAX_POINTS` stays below that, where the exact
search still wins on both counts. The search runs on at most ``n_jobs`` threads (scikit-learn's
OpenMP pool is otherwise all cores), so it competes with openTSNE's on equal terms. Below 1,000
points, and for any method named explicitly, openTSNE's own choice is kept unchanged.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

__all__ = ["EXACT_MAX_POINTS", "knn_method"]

EXACT_MAX_POINTS = 150_000
OPENTSNE_EXACT_BELOW = 1_000  # openTSNE's "auto" is already exact below this (openTSNE.affinity.get_knn_index)


def knn_method(neighbors: Any, X: np.ndarray, perplexity: float, n_jobs: int, seed: int) -> Any:
    """What to pass openTSNE's ``PerplexityBasedNN`` as ``method`` for ``neighbors``.

    Parameters
    ----------
    neighbors : str or openTSNE.nearest_neighbors.KNNIndex
        ``"auto"`` (exact up to :data:`EXACT_MAX_POINTS` points, Annoy above) or any of openTSNE's
        methods (passed on unchanged).
    X : numpy.ndarray
        The (N, D) points.
    perplexity : float
        The perplexity the graph is built for (3 × perplexity neighbours, as openTSNE).
    n_jobs : int
        Threads the search may use (openTSNE's convention: −1 all cores).
    seed : int
        Seed of the index (unused by the exact search, kept for openTSNE's interface).

    Returns
    -------
    str or openTSNE.nearest_neighbors.KNNIndex
        An exact index limited to ``n_jobs`` threads where openTSNE's ``"auto"`` would use Annoy
        (1,000 to :data:`EXACT_MAX_POINTS` points), otherwise ``neighbors`` itself.
    """
    n = int(X.shape[0])
    if not (isinstance(neighbors, str) and neighbors == "auto" and OPENTSNE_EXACT_BELOW <= n <= EXACT_MAX_POINTS):
        return neighbors
    return _exact_index()(X, min(n - 1, int(3 * perplexity)), "euclidean", n_jobs=n_jobs, random_state=seed)


@functools.cache
def _exact_index() -> type:
    from openTSNE.nearest_neighbors import Sklearn
    from threadpoolctl import threadpool_limits

    class ExactKNN(Sklearn):  # type: ignore[misc]  # openTSNE is untyped
        """openTSNE's exact (scikit-learn) index, on at most ``n_jobs`` threads."""

        def build(self) -> Any:
            with threadpool_limits(_threads(self.n_jobs)):
                return super().build()

        def query(self, query: Any, k: int) -> Any:
            with threadpool_limits(_threads(self.n_jobs)):
                return super().query(query, k)

    return ExactKNN


def _threads(n_jobs: int) -> int | None:
    """openTSNE's ``n_jobs`` as a thread limit (``None``: no limit, for −1 and other negatives)."""
    return int(n_jobs) if n_jobs >= 1 else None
