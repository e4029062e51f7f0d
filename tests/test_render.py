import matplotlib
import numpy as np
import pytest
import torch

from nbviz import render


def test_normalize_each_and_shared():
    x = np.stack([np.linspace(0, 1, 4), np.linspace(10, 30, 4)]).astype(np.float32)
    each = render.normalize(x)
    np.testing.assert_allclose(each, [np.linspace(0, 1, 4)] * 2, atol=1e-6)
    shared = render.normalize(x, scale="shared")
    assert shared.min() == 0 and shared.max() == 1 and shared[0].max() < 0.05


def test_normalize_symmetric_and_constant():
    np.testing.assert_allclose(render.normalize(np.array([[-2.0, 0.0, 1.0]]), symmetric=True), [[0.0, 0.5, 0.75]])
    assert (render.normalize(np.ones((2, 3))) == 0).all()


def test_to_rgb_uint8_gray_and_color():
    gray = torch.linspace(0, 1, 16).reshape(1, 1, 4, 4)
    out = render.to_rgb_uint8(gray)
    assert out.shape == (1, 4, 4, 3) and out.dtype == np.uint8
    assert out[0, 0, 0].tolist() == [0, 0, 0] and out[0, -1, -1].tolist() == [255, 255, 255]
    rgb = render.to_rgb_uint8(torch.rand(2, 3, 5, 5))
    assert rgb.shape == (2, 5, 5, 3)
    with pytest.raises(ValueError, match="images"):
        render.to_rgb_uint8(torch.rand(2, 2, 5, 5))


def test_colorize_matches_matplotlib():
    values = np.linspace(0, 1, 256, dtype=np.float32)[None]
    ours = render.colorize(values, "viridis")[0]
    reference = np.round(matplotlib.colormaps["viridis"](np.linspace(0, 1, 256))[:, :3] * 255)
    np.testing.assert_array_equal(ours, reference)


def test_tile():
    images = np.arange(5 * 2 * 2 * 3, dtype=np.uint8).reshape(5, 2, 2, 3)
    grid = render.tile(images, columns=3, pad=1)
    assert grid.shape == (5, 8, 3)
    np.testing.assert_array_equal(grid[3:5, 3:5], images[4])
