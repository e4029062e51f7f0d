"""activation_stats() against a numpy computation on whole-dataset outputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from layers_models import digits_cnn, digits_data, images, tiny_vit
from nbviz.layers import activation_stats


def _reference(outputs: np.ndarray, axis: int) -> dict[str, np.ndarray]:
    values = np.moveaxis(outputs.astype(np.float64), axis, 0).reshape(outputs.shape[axis], -1)
    return dict(mean=values.mean(1), max=values.max(1), sparsity=(values == 0).mean(1), dead=values.max(1) <= 0)


def test_every_leaf_layer_matches_numpy_and_finds_the_dead_channel():
    model, x = digits_cnn(), digits_data(300)
    calls = []
    stats = activation_stats(model, x, batch_size=64, progress=lambda f, m: calls.append(f))
    assert stats.layers == ["0", "1", "2", "3", "4", "5", "6"] and stats.samples == 300
    with torch.no_grad():
        for k, name in enumerate(stats.layers):
            ref = _reference(model[: k + 1](x).numpy(), 1)
            np.testing.assert_allclose(stats.mean[name], ref["mean"], rtol=1e-6, atol=1e-7)
            np.testing.assert_array_equal(stats.max[name], ref["max"])
            np.testing.assert_array_equal(stats.sparsity[name], ref["sparsity"])
            np.testing.assert_array_equal(stats.dead[name], ref["dead"])
    assert stats.dead["3"][0] and stats.dead_counts()[3] >= 1 and stats.sparsity["3"][0] == 1.0
    assert stats.layer_sparsity()[1] > 0 and stats.layer_sparsity()[0] == 0
    assert calls[0] == 0.0 and calls[-1] == 1.0 and calls == sorted(calls) and len(calls) == 6
    summary = stats.summary()
    assert summary[3]["dead"] == int(stats.dead["3"].sum()) and summary[3]["channels"] == 8
    from matplotlib.figure import Figure

    assert isinstance(stats.plot(), Figure)


def test_dataloader_and_explicit_layers_give_the_same_numbers():
    model, x = digits_cnn(), digits_data(200)
    y = torch.zeros(200, dtype=torch.long)
    from_tensor = activation_stats(model, x, layers=["1", model[3]], batch_size=50)
    from_loader = activation_stats(model, DataLoader(TensorDataset(x, y), batch_size=32), layers=["1", "3"])
    assert from_tensor.layers == from_loader.layers == ["1", "3"]
    for name in ("1", "3"):
        np.testing.assert_allclose(from_tensor.mean[name], from_loader.mean[name], rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(from_tensor.sparsity[name], from_loader.sparsity[name])


def test_token_layers_use_the_last_axis():
    vit = tiny_vit().eval()
    x = images(6, 32)
    name = "encoder.layers.encoder_layer_1.mlp.1"
    stats = activation_stats(vit, x, layers=[name], batch_size=4)
    from nbviz.layers import activations

    ref = _reference(activations(vit, x, name)[name].numpy(), 2)
    assert stats.channel_axis[name] == 2 and stats.mean[name].shape == (64,)
    np.testing.assert_allclose(stats.mean[name], ref["mean"], rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(stats.max[name], ref["max"])


def test_bad_inputs():
    model = digits_cnn()
    with pytest.raises(ValueError, match="data: holds no samples"):
        activation_stats(model, torch.zeros(0, 1, 8, 8))
    with pytest.raises(ValueError, match="batch_size: expected a positive integer"):
        activation_stats(model, digits_data(4), batch_size=0)
    with pytest.raises(ValueError, match=r"layers: no layer named '9'"):
        activation_stats(model, digits_data(4), layers="9")
    with pytest.raises(ValueError, match=r"data: the model failed on an input of shape \(4, 3, 8, 8\); expected N×1×H×W"):
        activation_stats(model, torch.zeros(4, 3, 8, 8))
