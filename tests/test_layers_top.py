"""top_activating() against brute force over whole-dataset outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layers_models import digits_cnn, digits_data, images, tiny_vit
from nbviz.layers import activations, top_activating
from test_layers_receptive_field import closed_form


def _brute(outputs: torch.Tensor, channel: int, k: int):
    v = outputs[:, channel].reshape(len(outputs), -1).numpy()
    per_image = v.max(1)
    order = np.argsort(-per_image, kind="stable")[:k]
    return order, per_image[order], v.argmax(1)[order]


@pytest.mark.parametrize("layer, channel", [("0", 5), ("3", 2)])
def test_conv_layers_match_brute_force_with_receptive_field_crops(layer, channel):
    model, x = digits_cnn(), digits_data(300)
    top = top_activating(model, x, layer, channel, k=9, batch_size=64)
    with torch.no_grad():
        outputs = model[: int(layer) + 1](x)
    order, values, flat = _brute(outputs, channel, 9)
    np.testing.assert_array_equal(top.indices, order)
    np.testing.assert_allclose(top.values, values, rtol=1e-6)
    np.testing.assert_array_equal(top.positions, np.stack(np.unravel_index(flat, (8, 8)), 1))
    layers = list(model[: int(layer) + 1])
    for (i, j), box, crop, index in zip(top.positions, top.boxes, top.crops, top.indices):
        assert tuple(box) == closed_form(layers, 8, i) + closed_form(layers, 8, j)
        np.testing.assert_array_equal(crop, x[index, :, box[0] : box[1], box[2] : box[3]].numpy())
    np.testing.assert_array_equal(top.images, x[top.indices].numpy())
    from matplotlib.figure import Figure

    assert isinstance(top.plot(), Figure)


def test_linear_layer_and_small_data():
    model, x = digits_cnn(), digits_data(40)
    top = top_activating(model, x, model[6], 4, k=5, batch_size=16)
    with torch.no_grad():
        values = model(x)[:, 4].numpy()
    order = np.argsort(-values, kind="stable")[:5]
    np.testing.assert_array_equal(top.indices, order)
    np.testing.assert_allclose(top.values, values[order], rtol=1e-6)
    assert top.positions is None and top.boxes is None and top.crops is None and top.layer == "6"
    assert len(top_activating(model, x[:3], "6", 0, k=9).indices) == 3


def test_ties_prefer_earlier_inputs():
    model, x = digits_cnn(), digits_data(20)
    top = top_activating(model, x, "3", 0, k=4, batch_size=7)  # channel 0 of "3" is dead: all zeros
    np.testing.assert_array_equal(top.indices, [0, 1, 2, 3])
    assert (top.values == 0).all()


def test_vit_tokens_give_token_positions_and_no_crops():
    vit = tiny_vit().eval()
    x = images(10, 32)
    name = "encoder.layers.encoder_layer_0"
    top = top_activating(vit, x, name, 7, k=3, batch_size=4)
    tokens = activations(vit, x, name)[name][:, :, 7]  # channel = hidden dimension (last axis)
    order = np.argsort(-tokens.max(1).values.numpy(), kind="stable")[:3]
    np.testing.assert_array_equal(top.indices, order)
    np.testing.assert_array_equal(top.positions[:, 0], tokens.argmax(1).numpy()[order])
    assert top.crops is None


def test_bad_arguments():
    model, x = digits_cnn(), digits_data(10)
    with pytest.raises(ValueError, match=r"channel: '3' has 8 channels \(axis 1\), got 8"):
        top_activating(model, x, "3", 8)
    with pytest.raises(ValueError, match="k: expected a positive integer"):
        top_activating(model, x, "3", 0, k=0)
    with pytest.raises(TypeError, match="channel: expected an integer"):
        top_activating(model, x, "3", 1.5)
    with pytest.raises(ValueError, match=r"layer: no layer named 'conv'"):
        top_activating(model, x, "conv", 0)
