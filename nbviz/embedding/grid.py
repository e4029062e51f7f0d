"""Snap a 2-D embedding to a regular grid: every point gets its own cell, neighbours stay neighbours.

The embedding is stretched to fill the grid (x to columns 0 … cols−1, y to rows 0 … rows−1), then a
linear assignment (SciPy's ``linear_sum_assignment``) gives each point a distinct cell so that the
sum of squared distances between points and their cells is the smallest possible. The cost matrix is
N × cells, so the work grows like N³: a few thousand points take seconds, more are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validate import check_points

__all__ = ["GridLayout", "MAX_GRID_POINTS", "grid_shape", "snap_to_grid"]

MAX_GRID_POINTS = 5_000  # N × cells float64 costs: 5,000² = 200 MB and tens of seconds; beyond, subsample


@dataclass(frozen=True)
class GridLayout:
    """Where each point sits on the grid.

    ``cells`` (N, 2) int: column and row of each point (x then y, rows counted upwards like the
    embedding's y), all distinct; ``shape``: ``(rows, cols)``; ``cost``: the summed squared distance
    (in cell units) between each stretched point and its cell, the quantity the assignment minimises.
    """

    cells: np.ndarray
    shape: tuple[int, int]
    cost: float

    @property
    def positions(self) -> np.ndarray:
        """The cells as an (N, 2) float32 embedding (draw it like any other)."""
        return self.cells.astype(np.float32)

    def index_grid(self) -> np.ndarray:
        """(rows, cols) int array: the point in each cell, or −1; row 0 is the top row (image order)."""
        rows, cols = self.shape
        grid = np.full((rows, cols), -1, dtype=np.int64)
        grid[rows - 1 - self.cells[:, 1], self.cells[:, 0]] = np.arange(self.cells.shape[0])
        return grid


def grid_shape(n: int, aspect: float = 1.0) -> tuple[int, int]:
    """The smallest ``(rows, cols)`` with at least ``n`` cells and about ``aspect`` = cols / rows."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected a positive integer, got {n!r}")
    aspect = float(np.clip(aspect, 0.25, 4.0)) if np.isfinite(aspect) and aspect > 0 else 1.0
    cols = max(1, int(np.ceil(np.sqrt(n * aspect))))
    rows = int(np.ceil(n / cols))
    return rows, cols


def snap_to_grid(embedding: Any, shape: tuple[int, int] | None = None, *, max_points: int = MAX_GRID_POINTS) -> GridLayout:
    """Assign each row of ``embedding`` (N, 2) to its own cell of a ``(rows, cols)`` grid.

    ``shape`` defaults to the smallest grid with ≥ N cells and about the embedding's aspect ratio.
    The embedding is scaled per axis onto the grid (min → 0, max → cols−1 or rows−1) and the
    assignment minimises the summed squared distance between points and their cells (optimal, not
    greedy). More than ``max_points`` points is refused: pass a subsample instead.
    """
    Y = check_points(embedding, argument="embedding", min_points=1)
    if Y.shape[1] != 2:
        raise ValueError(f"embedding: expected shape (N, 2), got {tuple(Y.shape)}")
    n = Y.shape[0]
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 1:
        raise ValueError(f"max_points: expected a positive integer, got {max_points!r}")
    if n > max_points:
        raise ValueError(
            f"embedding: snap_to_grid assigns at most max_points={max_points:,} points (the work grows like N³), "
            f"got {n:,}; pass a subsample, e.g. embedding[np.random.default_rng(0).choice(N, {max_points}, replace=False)]"
        )
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    extent = hi - lo
    if shape is None:
        aspect = extent[0] / extent[1] if extent[1] > 0 else 1.0
        shape = grid_shape(n, aspect)
    rows, cols = _check_shape(shape, n)

    span = np.where(extent > 0, extent, 1.0)
    stretched = (Y - lo) / span * np.array([cols - 1, rows - 1], dtype=np.float64)
    cx, cy = np.meshgrid(np.arange(cols), np.arange(rows))
    centres = np.stack([cx.ravel(), cy.ravel()], axis=1).astype(np.float64)  # cell k = (k % cols, k // cols)
    cost = _squared_distances(stretched, centres)

    from scipy.optimize import linear_sum_assignment  # scipy loads only when a grid is asked for

    points, chosen = linear_sum_assignment(cost)
    order = np.argsort(points)
    chosen = chosen[order]
    cells = centres[chosen].astype(np.int64)
    return GridLayout(cells=cells, shape=(rows, cols), cost=float(cost[points[order], chosen].sum()))


def _check_shape(shape: Any, n: int) -> tuple[int, int]:
    try:
        rows, cols = shape
    except (TypeError, ValueError):
        raise TypeError(f"shape: expected (rows, cols), got {shape!r}") from None
    for value in (rows, cols):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"shape: expected two positive integers (rows, cols), got {shape!r}")
    if rows * cols < n:
        raise ValueError(f"shape: a {rows}×{cols} grid has {rows * cols} cells, fewer than the {n} points")
    if rows * cols > 4 * max(n, 1) + 16:
        raise ValueError(f"shape: a {rows}×{cols} grid has {rows * cols} cells, far more than the {n} points (at most 4×N)")
    return int(rows), int(cols)


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) squared Euclidean distances, exact (no ‖a‖² − 2ab + ‖b‖² cancellation)."""
    return (a[:, None, 0] - b[None, :, 0]) ** 2 + (a[:, None, 1] - b[None, :, 1]) ** 2
