"""Winograd's minimal filtering for 3×3 convolutions: the Toom-Cook transforms against Lavin & Gray's
published matrices and the 1-D filtering identity, and :class:`WinogradConv` against ``F.conv2d``
computed in float64 (shapes that do not fill whole tiles, every padding, passes over a few images)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nbviz.attribution._winograd import F4X4_3X3, WinogradConv, toom_cook

# Lavin & Gray (CVPR 2016), section 4.2: F(4×4, 3×3) at 0, ±1, ±2 and ∞
LAVIN_BT = [
    [4, 0, -5, 0, 1, 0],
    [0, -4, -4, 1, 1, 0],
    [0, 4, -4, -1, 1, 0],
    [0, -2, -1, 2, 1, 0],
    [0, 2, -1, -2, 1, 0],
    [0, 4, 0, -5, 0, 1],
]
LAVIN_G = [
    [1 / 4, 0, 0],
    [-1 / 6, -1 / 6, -1 / 6],
    [-1 / 6, 1 / 6, -1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6],
    [0, 0, 1],
]
LAVIN_AT = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]


def test_toom_cook_reproduces_lavin_and_grays_matrices():
    t = toom_cook(4, 3, [0, 1, -1, 2, -2])
    np.testing.assert_array_equal(t.input.numpy(), np.array(LAVIN_BT, dtype=np.float32))
    np.testing.assert_allclose(t.kernel.numpy(), np.array(LAVIN_G), rtol=1e-15)
    np.testing.assert_array_equal(t.output.numpy(), np.array(LAVIN_AT, dtype=np.float32))
    assert t.ones == 1 and t.tile == 4 and t.points == 6


@pytest.mark.parametrize(
    "m, r, points",
    [(2, 3, [0, 1, -1]), (4, 3, [0, 1, -1, Fraction(1, 2), -2]), (3, 2, [0, 1, -1]), (6, 3, [0, 1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2)])],
)
def test_transforms_filter_exactly(m, r, points):
    """Aᵀ[(G g) ⊙ (Bᵀ d)] is the correlation of d with g (the 1-D identity the 2-D one nests)."""
    t = toom_cook(m, r, points)
    rng = np.random.default_rng(m * 10 + r)
    for _ in range(5):
        d, g = rng.standard_normal(m + r - 1), rng.standard_normal(r)
        got = t.output.double().numpy() @ ((t.kernel.numpy() @ g) * (t.input.double().numpy() @ d))
        np.testing.assert_allclose(got, np.correlate(d, g, "valid"), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "batch, channels, out_channels, height, width, pad",
    [
        (3, 5, 4, 9, 7, (1, 1, 1, 1)),  # neither side a multiple of the tile
        (2, 3, 6, 8, 8, (1, 1, 1, 1)),  # whole tiles
        (4, 6, 3, 6, 10, (0, 0, 0, 0)),  # no padding
        (2, 4, 4, 5, 11, (2, 0, 1, 1)),  # uneven padding
        (1, 2, 2, 3, 3, (1, 1, 1, 1)),  # smaller than one tile
    ],
)
@pytest.mark.parametrize("bias", [True, False])
def test_equals_conv2d_in_double_precision(batch, channels, out_channels, height, width, pad, bias):
    g = torch.Generator().manual_seed(batch * 100 + height)
    x = torch.randn(batch, channels, height, width, generator=g, dtype=torch.float64)
    w = torch.randn(out_channels, channels, 3, 3, generator=g, dtype=torch.float64)
    b = torch.randn(out_channels, generator=g, dtype=torch.float64) if bias else None
    top, bottom, left, right = pad
    expected = F.conv2d(F.pad(x, (left, right, top, bottom)), w, b)
    for pass_bytes in (1, 6 << 20):  # one image per pass, and all at once
        got = WinogradConv(w, b, pad, pass_bytes=pass_bytes)(x)
        assert got.shape == expected.shape
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-10)


def test_float32_rounding_stays_near_the_direct_convolutions():
    """The documented accuracy: RMS error against float64 within 4× the direct convolution's (2–2.5× measured)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 64, 14, 14, generator=g).relu().contiguous(memory_format=torch.channels_last)
    w = torch.randn(64, 64, 3, 3, generator=g) / math.sqrt(9 * 64)
    exact = F.conv2d(x.double(), w.double(), None, 1, 1)
    direct = F.conv2d(x, w, None, 1, 1)
    conv = WinogradConv(w, None, (1, 1, 1, 1))
    assert conv.transform is F4X4_3X3  # the documented default
    winograd = conv(x)

    def rms(y: torch.Tensor) -> float:
        return float((y.double() - exact).pow(2).mean().sqrt())

    assert rms(winograd) <= 4 * rms(direct)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="points: expected 5 distinct"):
        toom_cook(4, 3, [0, 1, -1, 2])
    with pytest.raises(ValueError, match="points: expected 1 among them"):
        toom_cook(2, 3, [0, 2, -1])
    with pytest.raises(ValueError, match="weight: expected Cout×Cin×3×3"):
        WinogradConv(torch.zeros(4, 3, 5, 5), None, (2, 2, 2, 2))
