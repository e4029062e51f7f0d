"""How faithfully a 2-D embedding keeps neighbourhoods: trustworthiness and kNN preservation.

Both work in row chunks (never an N×N matrix), so they stay usable at tens of thousands of points:
exact squared distances of a chunk of rows to all points come from one matrix product.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._progress import Progress, report, with_progress_bar
from ._validate import check_points

__all__ = ["knn_preservation", "trustworthiness"]

CHUNK_ELEMENTS = 2**24  # distances held at once (128 MB of float64)


@with_progress_bar("trustworthiness")
def trustworthiness(X: Any, Y: Any, k: int = 10, *, progress: Progress | None = None) -> float:
    """Trustworthiness of the embedding ``Y`` of ``X`` at ``k`` neighbours.

    Same definition as ``sklearn.manifold.trustworthiness``: 1 − 2/(N k (2N − 3k − 1)) Σᵢ Σⱼ (r(i, j) − k)
    over the k nearest neighbours j of i in ``Y`` that are not among its k nearest in ``X``, where
    r(i, j) is j's rank by distance from i in ``X``. Computed from ranks of just those pairs.

    Parameters
    ----------
    X : array_like
        (N, D) the original data.
    Y : array_like
        (N, d) its embedding.
    k : int, default 10
        Neighbours per point, 1 ≤ k < N/2.
    progress : callable, False or None, default None
        ``progress(fraction, message)`` after each step; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.

    Returns
    -------
    float
        In [0, 1]; 1 when no point gains a false neighbour.
    """
    import torch

    X, Y, k = _check(X, Y, k)
    n = X.shape[0]
    if k >= n / 2:
        raise ValueError(f"k: must be below N / 2 = {n / 2:g} for N = {n} points, got {k} (use k ≤ {max(1, (n - 1) // 2)})")
    neighbours_y = _knn(Y, k, progress=None)
    xt = torch.from_numpy(X)
    sq = (xt * xt).sum(1)
    penalty = 0.0
    for start, stop in _chunks(n, n, progress, "trustworthiness"):
        d = _squared_distances(xt[start:stop], xt, sq[start:stop], sq)
        rows = torch.arange(stop - start)
        d[rows, rows + start] = torch.inf  # a point is not its own neighbour
        d = d.numpy()
        thresholds = np.take_along_axis(d, neighbours_y[start:stop], axis=1)
        # rank of j = 1 + number of points strictly closer to i than j (one pass per neighbour slot)
        closer = np.stack([np.count_nonzero(d < thresholds[:, [t]], axis=1) for t in range(k)], axis=1)
        ranks = closer + 1
        penalty += float(np.clip(ranks - k, 0, None).sum())
    return float(1.0 - penalty * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))


@with_progress_bar("kNN preservation")
def knn_preservation(X: Any, Y: Any, k: int = 10, *, progress: Progress | None = None) -> float:
    """Mean fraction of each point's ``k`` nearest neighbours in ``X`` that are also among its ``k`` nearest in ``Y``.

    Parameters
    ----------
    X : array_like
        (N, D) the original data.
    Y : array_like
        (N, d) its embedding.
    k : int, default 10
        Neighbours per point, 1 ≤ k < N.
    progress : callable, False or None, default None
        ``progress(fraction, message)`` after each step; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.

    Returns
    -------
    float
        In [0, 1]; 1 when every neighbourhood is kept.
    """
    X, Y, k = _check(X, Y, k)
    if k >= X.shape[0]:
        raise ValueError(f"k: must be below N = {X.shape[0]} (the number of points), got {k}")
    near_x = _knn(X, k, progress=progress)
    near_y = _knn(Y, k, progress=None)
    near_x.sort(axis=1)
    near_y.sort(axis=1)
    kept = sum(np.intersect1d(a, b, assume_unique=True).size for a, b in zip(near_x, near_y))
    return float(kept / (X.shape[0] * k))


def _check(X: Any, Y: Any, k: Any) -> tuple[np.ndarray, np.ndarray, int]:
    X = check_points(X, argument="X")
    Y = check_points(Y, argument="Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"Y: has {Y.shape[0]} points but X has {X.shape[0]}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k: expected a positive integer, got {k!r}")
    return X, Y, int(k)


def _knn(points: np.ndarray, k: int, *, progress: Progress | None) -> np.ndarray:
    """Indices (N, k) of each point's k nearest other points, nearest first (exact)."""
    if points.shape[1] <= 3:  # a k-d tree is far faster than brute force in the plane
        from sklearn.neighbors import NearestNeighbors

        return NearestNeighbors(n_neighbors=k).fit(points).kneighbors(return_distance=False)
    import torch

    pt = torch.from_numpy(points)
    sq = (pt * pt).sum(1)
    n = points.shape[0]
    out = np.empty((n, k), dtype=np.int64)
    for start, stop in _chunks(n, n, progress, "nearest neighbours"):
        d = _squared_distances(pt[start:stop], pt, sq[start:stop], sq)
        rows = torch.arange(stop - start)
        d[rows, rows + start] = torch.inf
        out[start:stop] = torch.topk(d, k, dim=1, largest=False, sorted=True).indices.numpy()
    return out


def _squared_distances(a: Any, b: Any, sq_a: Any, sq_b: Any) -> Any:
    import torch

    d = torch.addmm(sq_a[:, None] + sq_b[None, :], a, b.T, alpha=-2.0)
    return d.clamp_(min=0.0)


def _chunks(n: int, width: int, progress: Progress | None, what: str) -> Iterator[tuple[int, int]]:
    size = max(1, CHUNK_ELEMENTS // max(width, 1))
    for start in range(0, n, size):
        report(progress, start / n, f"{what}: {start}/{n} points")
        yield start, min(n, start + size)
    report(progress, 1.0, f"{what}: done")
