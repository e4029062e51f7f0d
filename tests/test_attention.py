"""Attention maps and rollout on ViTs built on nn.MultiheadAttention: the weights equal what the
attention modules return when asked with ``need_weights=True``, the rollout equals a hand computation
from those weights (Abnar & Zuidema, 2020), and the user's model is never changed."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

import nbviz
from guard_checks import ModelSnapshot


@pytest.fixture(scope="module")
def vit():
    torch.manual_seed(0)
    model = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=3, num_heads=2, hidden_dim=24, mlp_dim=48)
    return model.eval(), torch.randn(2, 3, 32, 32)


def reference_weights(model: nn.Module, x: torch.Tensor) -> list[np.ndarray]:
    """Independent: a copy whose attention modules are called with need_weights=True (per head)."""
    model = copy.deepcopy(model)
    seen: list[np.ndarray] = []
    for module in model.modules():
        if isinstance(module, nn.MultiheadAttention):
            original = module.forward

            def forward(*args, original=original, **kwargs):
                kwargs.update(need_weights=True, average_attn_weights=False)
                out, weights = original(*args, **kwargs)
                seen.append(weights.detach().numpy())
                return out, weights

            module.forward = forward
    with torch.no_grad():
        model(x)
    return seen


def test_attention_maps_equal_the_modules_own_weights(vit):
    model, x = vit
    snapshot = ModelSnapshot(model)
    maps = nbviz.attention_maps(model, x)
    snapshot.assert_unchanged(model)
    expected = reference_weights(model, x)
    assert len(maps.layers) == 3 and maps.prefix == 1 and maps.grid == (4, 4)
    for name, weights in zip(maps.layers, expected):
        assert maps.weights[name].shape == (2, 2, 17, 17)
        np.testing.assert_allclose(maps.weights[name], weights, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(maps.weights[name].sum(-1), 1.0, rtol=1e-5)
    assert maps.patch_map(maps.layers[-1]).shape == (2, 4, 4)


def test_rollout_equals_a_hand_computation(vit):
    model, x = vit
    rollout = nbviz.attention_rollout(model, x)
    flow = np.eye(17)[None].repeat(2, 0)
    for weights in reference_weights(model, x):
        a = weights.mean(axis=1)
        a = (a + np.eye(17)) / 2
        a = a / a.sum(axis=-1, keepdims=True)
        flow = a @ flow
    expected = flow[:, 0, 1:].reshape(2, 4, 4)
    np.testing.assert_allclose(rollout, expected, rtol=1e-4, atol=1e-6)
    assert not np.allclose(rollout[0], rollout[0].mean())  # a map, not a constant


def test_models_without_multihead_attention_get_a_clear_error():
    with pytest.raises(ValueError, match="no nn.MultiheadAttention"):
        nbviz.attention_maps(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten()), torch.randn(1, 3, 8, 8))


def test_unknown_layer_names_are_refused(vit):
    model, x = vit
    with pytest.raises(ValueError, match="layers: 'encoder'"):
        nbviz.attention_maps(model, x, layers=["encoder"])


def test_rollout_is_a_saliency_method_and_the_explorer_offers_it_only_with_attention(vit):
    model, x = vit
    result = nbviz.saliency(model, x, method="attention_rollout")
    rollout = torch.as_tensor(nbviz.attention_rollout(model, x))[:, None]
    expected = torch.nn.functional.interpolate(rollout, size=(32, 32), mode="bilinear", align_corners=False)[:, 0]
    np.testing.assert_allclose(result.maps, expected.numpy(), rtol=1e-5, atol=1e-7)
    explorer = nbviz.SaliencyExplorer(model, x, methods=["gradient", "attention_rollout"]).wait()
    assert not explorer.error and "attention_rollout" in explorer.all_methods and len(explorer.maps) == 2
    explorer.close()
    cnn = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)).eval()
    explorer = nbviz.SaliencyExplorer(cnn, x, methods=["gradient"]).wait()
    assert "attention_rollout" not in explorer.all_methods
    explorer.close()


def test_the_model_comes_back_unchanged_after_a_failing_forward(vit):
    model, _ = vit
    snapshot = ModelSnapshot(model)
    with pytest.raises(ValueError, match="x: the model failed"):
        nbviz.attention_maps(model, torch.randn(1, 3, 24, 24))  # the wrong image size fails inside the forward
    snapshot.assert_unchanged(model)  # weights, modes, flags and no hooks left, also after the error
