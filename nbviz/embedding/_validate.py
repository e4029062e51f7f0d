"""Input checks shared by the embedding functions: clear errors before any heavy work starts."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._inputs import check_finite_rows

__all__ = ["MIN_POINTS", "check_distinct", "check_labels", "check_perplexity", "check_points"]

MIN_POINTS = 5


def check_points(X: Any, *, argument: str = "X", min_points: int = MIN_POINTS) -> np.ndarray:
    """``X`` as a C-contiguous float64 (N, D) array; errors for wrong rank, too few rows, NaN/inf."""
    if hasattr(X, "detach") and hasattr(X, "cpu"):  # a torch tensor, without importing torch here
        X = X.detach().cpu().numpy()
    try:
        array = np.asarray(X)
    except Exception as error:  # pragma: no cover - exotic inputs
        raise TypeError(f"{argument}: expected an (N, D) array, got {type(X).__name__}") from error
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{argument}: expected a numeric (N, D) array, got dtype {array.dtype}")
    if array.ndim != 2:
        raise ValueError(
            f"{argument}: expected a 2-D array of shape (N, D), got {array.ndim}-D shape {tuple(array.shape)}"
            + ("; flatten per-sample features first, e.g. X.reshape(len(X), -1)" if array.ndim > 2 else "")
        )
    n = array.shape[0]
    if n < min_points:
        raise ValueError(f"{argument}: needs at least {min_points} points, got {n}")
    if array.shape[1] < 1:
        raise ValueError(f"{argument}: has no feature columns (shape {tuple(array.shape)})")
    array = np.ascontiguousarray(array, dtype=np.float64)
    check_finite_rows(np.isfinite(array).all(axis=1), argument=argument)
    return array


def check_distinct(X: np.ndarray, *, argument: str = "X") -> np.ndarray:
    """``X`` (checked by :func:`check_points`) unless all its points are identical.

    Identical points have no neighbourhoods for t-SNE to keep: every distance is 0, the PCA start
    divides by a zero spread (an all-NaN map) and scikit-learn's engine crashes, while a random
    start gives a layout that means nothing. So this is an error, not a result.

    :param X: the (N, D) float array of points.
    :param argument: the argument's name in error messages.
    """
    if not np.ptp(X, axis=0).any():
        raise ValueError(
            f"{argument}: expected points that differ, got {X.shape[0]} identical points (every distance is 0, "
            "so t-SNE has no neighbours to preserve); check the features, e.g. a layer that outputs a constant"
        )
    return X


def check_perplexity(perplexity: Any, n_points: int, *, argument: str = "perplexity") -> float:
    """A perplexity of at least 1 and below (N − 1) / 3 (the kNN graph holds 3×perplexity neighbours)."""
    if isinstance(perplexity, bool) or not isinstance(perplexity, (int, float, np.integer, np.floating)):
        raise TypeError(f"{argument}: expected a number, got {type(perplexity).__name__}")
    value = float(perplexity)
    if not np.isfinite(value) or value < 1:
        raise ValueError(f"{argument}: must be at least 1, got {perplexity}")
    limit = (n_points - 1) / 3
    if value >= limit:
        raise ValueError(
            f"{argument}: must be below (N - 1) / 3 = {limit:.4g} for N = {n_points} points, got {perplexity}"
        )
    return value


def check_labels(labels: Any, n_points: int, *, argument: str = "labels") -> np.ndarray | None:
    """``labels`` as a 1-D array of length N (or None)."""
    if labels is None:
        return None
    if hasattr(labels, "detach") and hasattr(labels, "cpu"):
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"{argument}: expected one label per point (1-D), got shape {tuple(array.shape)}")
    if array.shape[0] != n_points:
        raise ValueError(f"{argument}: has {array.shape[0]} entries but there are {n_points} points")
    return array
