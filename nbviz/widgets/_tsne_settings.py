"""TSNEExplorer's settings: defaults that follow the number of points (perplexities, quality
neighbours) and the checks of the arguments a person passes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..embedding._validate import check_perplexity

__all__ = [
    "DEFAULT_METRICS_K",
    "DEFAULT_PERPLEXITIES",
    "DEFAULT_PERPLEXITY",
    "check_learning_rate",
    "check_metrics_k",
    "default_max_perplexity",
    "default_metrics_k",
    "default_perplexities",
    "run_settings",
]

DEFAULT_PERPLEXITY = 30.0  # lowered to the largest allowed for small N
DEFAULT_PERPLEXITIES = (2, 5, 30, 50, 100)
DEFAULT_METRICS_K = 10  # neighbours in the quality scores; lowered below N / 2 for small N


def _limit(n: int) -> float:
    return (n - 1) / 3


def check_learning_rate(value: Any) -> float:
    """``"auto"`` or ``None`` → 0.0 (the trait's "auto"), a positive number → itself as float.

    Parameters
    ----------
    value : float, "auto" or None
        The ``learning_rate`` argument.

    Returns
    -------
    float
    """
    if value == "auto" or value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"learning_rate: expected 'auto' or a positive number, got {value!r}")
    return float(value)


def default_max_perplexity(n: int | None) -> float:
    """100, or the largest whole perplexity ``N`` points allow (below (N - 1) / 3), at least 1.

    Parameters
    ----------
    n : int or None
        Number of points; ``None`` (not known yet) gives 100.

    Returns
    -------
    float
    """
    if n is None:
        return 100.0
    return float(min(100.0, np.floor(_limit(n) - 1e-9))) if _limit(n) > 1 else 1.0


def default_perplexities(n: int) -> list[float]:
    """The distill set (2, 5, 30, 50, 100) below N's limit; for small N the largest allowed value joins
    when the set would be empty or end far below it (N = 15 → [2, 4], N = 5 → [1]).

    Parameters
    ----------
    n : int
        Number of points.

    Returns
    -------
    list of float
    """
    values = [float(p) for p in DEFAULT_PERPLEXITIES if p < _limit(n)]
    top = default_max_perplexity(n)
    if not values or values[-1] * 2 <= top:
        values.append(top)
    return values


def default_metrics_k(n: int | None) -> int:
    """10 neighbours, or the largest k below N / 2 that trustworthiness allows for small N.

    Parameters
    ----------
    n : int or None
        Number of points; ``None`` gives 10.

    Returns
    -------
    int
    """
    return DEFAULT_METRICS_K if n is None else int(min(DEFAULT_METRICS_K, max(1, (n - 1) // 2)))


def check_metrics_k(k: Any, n: int | None) -> int:
    """``k`` if it is a positive integer below N / 2 (trustworthiness compares k-neighbourhoods).

    Parameters
    ----------
    k : int
        The ``metrics_k`` argument.
    n : int or None
        Number of points; ``None`` skips the N / 2 check.

    Returns
    -------
    int
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"metrics_k: expected a positive integer, got {k!r}")
    if n is not None and k >= n / 2:
        raise ValueError(
            f"metrics_k: must be below N / 2 = {n / 2:g} for N = {n} points (trustworthiness compares k-neighbourhoods), "
            f"got {k}; use metrics_k ≤ {max(1, (n - 1) // 2)} or leave it out"
        )
    return int(k)


def run_settings(
    n: int | None,
    *,
    checked: bool,
    perplexity: float | None,
    max_perplexity: float | None,
    perplexities: Sequence[float] | None,
    metrics_k: int | None,
    learning_rate: float | str,
    n_iter: int,
) -> dict[str, Any]:
    """The explorer's initial trait values from its arguments, defaults filled in for ``n`` points.

    Parameters
    ----------
    n : int or None
        Number of points (``None`` when not known yet).
    checked : bool
        Check the perplexities against ``n`` (False for an explorer that only draws an embedding).
    perplexity : float or None
        Default: 30, lowered to what ``n`` allows.
    max_perplexity : float or None
        The kNN graph's perplexity; default 100, lowered to what ``n`` allows, raised to ``perplexity``.
    perplexities : sequence of float or None
        Small-multiples perplexities; default :func:`default_perplexities`.
    metrics_k : int or None
        Neighbours in the quality scores; default :func:`default_metrics_k`.
    learning_rate : float or "auto"
        See :func:`check_learning_rate`.
    n_iter : int
        Iterations of a run, a positive integer.

    Returns
    -------
    dict
        ``perplexity``, ``max_perplexity``, ``learning_rate``, ``n_iter``, ``metrics_k`` and ``perplexities``.
    """
    lr = check_learning_rate(learning_rate)
    top = default_max_perplexity(n) if max_perplexity is None else float(max_perplexity)
    if perplexity is None:
        perplexity = min(DEFAULT_PERPLEXITY, default_max_perplexity(n))
    k = default_metrics_k(n) if metrics_k is None else metrics_k
    if n is not None and checked:
        perplexity = check_perplexity(perplexity, n)
        top = check_perplexity(max(top, perplexity), n, argument="max_perplexity")
        values = default_perplexities(n) if perplexities is None else [
            check_perplexity(p, n, argument="perplexities") for p in perplexities
        ]
    else:
        values = list(perplexities or ())
    if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 1:
        raise ValueError(f"n_iter: expected a positive integer, got {n_iter!r}")
    return dict(
        perplexity=float(perplexity), max_perplexity=float(top), learning_rate=lr, n_iter=int(n_iter),
        metrics_k=check_metrics_k(k, n), perplexities=[float(p) for p in values],
    )
