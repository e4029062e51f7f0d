"""filters(): weight arrangement against a hand computation."""

from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from layers_models import VggLike, seeded
from nbviz.layers import filters


def test_first_layer_rgb_and_deeper_layers_per_input_channel():
    model = seeded(VggLike)
    first = filters(model, "features.0")
    w = model.features[0].weight.detach().double().numpy()
    assert first.weights.shape == (8, 3, 3, 3) and np.array_equal(first.weights, w)
    peak = np.abs(w).max(axis=(1, 2, 3))
    expected = np.transpose(0.5 + 0.5 * w / peak[:, None, None, None], (0, 2, 3, 1))
    np.testing.assert_allclose(first.rgb, expected, rtol=0, atol=1e-12)
    assert first.rgb.shape == (8, 3, 3, 3) and first.rgb.min() >= 0 and first.rgb.max() <= 1
    deeper = filters(model, model.features[5])
    assert deeper.rgb is None and deeper.weights.shape == (16, 8, 3, 3) and deeper.layer == "features.5"
    assert np.allclose(np.abs(deeper.scaled).max(axis=(1, 2, 3)), 1.0)
    from matplotlib.figure import Figure

    assert isinstance(first.plot(), Figure) and isinstance(deeper.plot(max_filters=4), Figure)


def test_transposed_convolution_is_arranged_out_by_in():
    model = nn.Sequential(nn.ConvTranspose2d(3, 5, 2))
    got = filters(model, "0")
    assert got.weights.shape == (5, 3, 2, 2) and got.rgb.shape == (5, 2, 2, 3)
    assert np.array_equal(got.weights, model[0].weight.detach().double().transpose(0, 1).numpy())


def test_layers_without_conv_weights_are_refused_with_the_conv_names():
    model = seeded(VggLike)
    with pytest.raises(ValueError, match=r"layer: 'classifier.1' is a Linear, not a 2-D convolution.*'features.0', 'features.2', 'features.5'"):
        filters(model, "classifier.1")
    with pytest.raises(ValueError, match=r"the model has none"):
        filters(nn.Sequential(nn.Linear(2, 2)), "0")
    with pytest.raises(ValueError, match=r"no layer named 'features.50'"):
        filters(model, "features.50")
