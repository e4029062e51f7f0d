"""display_rgb: the one rule for showing pictures (as is inside [0, 1], else each image stretched)."""

from __future__ import annotations

import numpy as np
import torch

from nbviz.widgets._images import display_rgb


def test_values_inside_unit_range_are_shown_as_they_are():
    x = np.array([0.0, 0.5, 1.0, 0.25], dtype=np.float32).reshape(1, 1, 2, 2)
    out = display_rgb(x)
    assert out.shape == (1, 2, 2, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, :, :, 0], [[0, 128], [255, 64]])  # round(v * 255), by hand
    np.testing.assert_array_equal(out[..., 0], out[..., 2])  # grey repeated into RGB


def test_values_outside_are_stretched_per_image_not_clipped():
    a = np.array([[-1.0, 0.0], [1.0, 3.0]], dtype=np.float32)  # stretched: (v + 1) / 4
    b = np.array([[0.0, 0.5], [0.5, 1.0]], dtype=np.float32)  # same batch, but the rule is per image
    out = display_rgb(torch.tensor(np.stack([a, b])[:, None]))
    np.testing.assert_array_equal(out[0, :, :, 0], [[0, 64], [128, 255]])
    np.testing.assert_array_equal(out[1, :, :, 0], [[0, 128], [128, 255]])


def test_shows_the_first_three_channels_or_the_first_one():
    x = np.random.default_rng(0).uniform(size=(2, 4, 3, 3)).astype(np.float32)
    np.testing.assert_array_equal(display_rgb(x), display_rgb(x[:, :3]))
    two = x[:, :2]
    np.testing.assert_array_equal(display_rgb(two), display_rgb(two[:, :1]))
    np.testing.assert_array_equal(display_rgb(x[:, :3])[0, 1, 2], np.round(x[0, :3, 1, 2] * 255).astype(np.uint8))
