"""snap_to_grid: optimal against brute force on tiny inputs, neighbourhoods kept, layout bookkeeping, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nbviz.embedding.grid import GridLayout, grid_shape, snap_to_grid


def brute_force_cost(Y: np.ndarray, rows: int, cols: int) -> float:
    """The best summed squared distance over every injective point → cell map (independent of the module)."""
    Y = np.asarray(Y, dtype=np.float64)
    lo, hi = Y.min(0), Y.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    P = (Y - lo) / span * [cols - 1, rows - 1]
    cells = [(c, r) for r in range(rows) for c in range(cols)]
    best = np.inf
    for chosen in itertools.permutations(range(len(cells)), len(Y)):
        total = sum((P[i, 0] - cells[k][0]) ** 2 + (P[i, 1] - cells[k][1]) ** 2 for i, k in enumerate(chosen))
        best = min(best, total)
    return best


def knn_sets(Y: np.ndarray, k: int) -> list[set[int]]:
    D = ((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    return [set(np.argsort(row, kind="stable")[:k]) for row in D]


def knn_kept(A: np.ndarray, B: np.ndarray, k: int = 8) -> float:
    a, b = knn_sets(A, k), knn_sets(B, k)
    return float(np.mean([len(x & y) / k for x, y in zip(a, b)]))


@pytest.mark.parametrize("seed", range(6))
def test_assignment_is_optimal_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 7))
    rows, cols = (2, 3) if n <= 6 else (3, 3)
    Y = rng.normal(size=(n, 2)) * [3.0, 1.0]
    layout = snap_to_grid(Y, (rows, cols))
    assert layout.cost == pytest.approx(brute_force_cost(Y, rows, cols), abs=1e-9)
    # the reported cost is what the cells really cost
    P = (Y - Y.min(0)) / (Y.max(0) - Y.min(0)) * [cols - 1, rows - 1]
    assert ((P - layout.cells) ** 2).sum() == pytest.approx(layout.cost)


def test_cells_are_distinct_and_inside_the_grid():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(300, 2))
    layout = snap_to_grid(Y)
    rows, cols = layout.shape
    assert rows * cols >= 300 and layout.cells.shape == (300, 2) and layout.cells.dtype.kind == "i"
    assert len({tuple(c) for c in layout.cells}) == 300
    assert layout.cells[:, 0].min() >= 0 and layout.cells[:, 0].max() < cols
    assert layout.cells[:, 1].min() >= 0 and layout.cells[:, 1].max() < rows
    grid = layout.index_grid()
    assert grid.shape == (rows, cols) and (grid >= 0).sum() == 300
    for i in (0, 17, 299):  # row 0 of the index grid is the top (largest y)
        c, r = layout.cells[i]
        assert grid[rows - 1 - r, c] == i
    np.testing.assert_array_equal(layout.positions, layout.cells.astype(np.float32))


def test_already_a_grid_stays_in_place():
    cols, rows = 7, 5
    xs, ys = np.meshgrid(np.arange(cols), np.arange(rows))
    Y = np.stack([xs.ravel(), ys.ravel()], 1) * 2.5 + 10
    layout = snap_to_grid(Y, (rows, cols))
    np.testing.assert_array_equal(layout.cells, np.stack([xs.ravel(), ys.ravel()], 1))
    assert layout.cost == pytest.approx(0)


def test_neighbourhoods_are_kept_far_above_random():
    rng = np.random.default_rng(0)
    centres = rng.uniform(-20, 20, size=(8, 2))  # clusters with gaps, like a t-SNE map
    Y = np.concatenate([c + rng.normal(size=(50, 2)) for c in centres])
    layout = snap_to_grid(Y)
    kept = knn_kept(Y, layout.positions)
    shuffled = layout.positions[rng.permutation(len(Y))]
    baseline = knn_kept(Y, shuffled)
    assert kept > 0.5, kept
    assert kept > 5 * baseline, (kept, baseline)


def test_default_shape_follows_the_aspect_ratio():
    rng = np.random.default_rng(2)
    wide = rng.uniform(size=(200, 2)) * [4.0, 1.0]
    rows, cols = snap_to_grid(wide).shape
    assert cols > 2 * rows and rows * cols >= 200
    assert grid_shape(100) == (10, 10) and grid_shape(101) == (10, 11)


def test_bad_input_errors():
    good = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="embedding.*\\(N, 2\\)"):
        snap_to_grid(np.zeros((20, 3)))
    with pytest.raises(ValueError, match="embedding.*NaN"):
        snap_to_grid(np.where(np.arange(40).reshape(20, 2) == 3, np.nan, good))
    with pytest.raises(ValueError, match="shape.*fewer than the 20 points"):
        snap_to_grid(good, (3, 3))
    with pytest.raises(TypeError, match="shape"):
        snap_to_grid(good, 25)
    with pytest.raises(ValueError, match="shape.*positive integers"):
        snap_to_grid(good, (5.0, 5))
    with pytest.raises(ValueError, match="max_points=10.*subsample"):
        snap_to_grid(good, max_points=10)
    with pytest.raises(TypeError, match="embedding"):
        snap_to_grid("not an array")
    assert isinstance(snap_to_grid(good), GridLayout)
