"""PlanePoints: the plane's points built fresh and written into reused buffers agree with θ + α·d1 + β·d2."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nbviz.landscape.points import PlanePoints


def params(seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"conv.weight": torch.randn(8, 3, 3, 3, generator=g), "fc.weight": torch.randn(5, 8, generator=g),
            "fc.bias": torch.randn(5, generator=g)}


def channels_last(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {n: t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 else t for n, t in state.items()}


@pytest.fixture
def points() -> PlanePoints:
    return PlanePoints(params(0), params(1), params(2), np.linspace(-1.0, 1.0, 5))


def test_points_are_the_affine_combination(points):
    """Point k = row·R + col is θ + axis[col]·d1 + axis[row]·d2 (checked in float64 by hand)."""
    for k in (0, 7, 13, 24):
        row, col = divmod(k, 5)
        a, b = -1.0 + 0.5 * col, -1.0 + 0.5 * row
        assert points.coords(k) == (a, b)
        for n, t in points(k).items():
            expected = points.theta[n].double() + a * points.d1[n].double() + b * points.d2[n].double()
            torch.testing.assert_close(t.double(), expected, rtol=1e-6, atol=1e-6)


def test_written_points_equal_fresh_ones_bitwise_in_any_order(points):
    """Rows revisited, skipped and interleaved: every written point is the fresh point's floats."""
    laid = points.laid_out(channels_last)
    buffers = None
    for k in (0, 1, 2, 12, 13, 3, 24, 4, 0):
        written = laid.write(k)
        buffers = buffers or {n: t.data_ptr() for n, t in written.items()}
        assert {n: t.data_ptr() for n, t in written.items()} == buffers  # the same buffers every time
        fresh = points(k)
        for n, t in written.items():
            assert torch.equal(t, fresh[n]), (k, n)


def test_laid_out_keeps_unchanged_tensors_and_lays_out_the_rest(points):
    laid = points.laid_out(channels_last)
    assert laid.theta["fc.weight"] is points.theta["fc.weight"]  # nothing to lay out: shared, not copied
    assert laid.theta["conv.weight"].is_contiguous(memory_format=torch.channels_last)
    assert laid.write(3)["conv.weight"].is_contiguous(memory_format=torch.channels_last)
    assert not points.theta["conv.weight"].is_contiguous(memory_format=torch.channels_last)  # the given ones stay


def test_mismatched_directions_are_refused():
    d2 = params(2)
    del d2["fc.bias"]
    with pytest.raises(ValueError, match="d1, d2"):
        PlanePoints(params(0), params(1), d2, np.linspace(-1, 1, 3))
