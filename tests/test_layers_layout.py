"""One layout resolver for every view: channels-first maps, channels-last maps (Swin, ConvNeXt),
transformer tokens, 1-D sequences and vectors are told apart, and what is computed over channels
(statistics, pooled features) equals a hand permutation of the raw output."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from nbviz.embedding import extract_features
from nbviz.layers import activation_stats, activations, layer_tree
from nbviz.layers.channels import layouts
from nbviz.layers.layout import Layout, layout_of


def kinds(model: nn.Module, x: torch.Tensor) -> dict[str, str]:
    return {name: layout.kind for name, layout in layouts(model, layer_tree(model, x)).items()}


@pytest.fixture(scope="module")
def swin():
    torch.manual_seed(0)
    return torchvision.models.swin_t(weights=None).eval(), torch.randn(3, 3, 64, 64)


@pytest.fixture(scope="module")
def vit():
    torch.manual_seed(0)
    return torchvision.models.vit_b_16(weights=None, image_size=64).eval(), torch.randn(3, 3, 64, 64)


def test_each_architecture_gets_its_layouts(swin, vit):
    found = kinds(*swin)
    assert found["features.0.0"] == "image"  # the patch-embedding conv
    assert found["features.0.1"] == "image_last"  # Permute NCHW -> NHWC
    assert found["features.5"] == found["features.5.1.norm1"] == found["norm"] == "image_last"
    assert found["permute"] == "image"  # back to NCHW before pooling
    found = kinds(*vit)
    assert found["conv_proj"] == "image"
    assert found["encoder.layers.encoder_layer_3"] == found["encoder.ln"] == "tokens"
    assert found["heads"] == "vector"
    torch.manual_seed(0)
    convnext = torchvision.models.convnext_tiny(weights=None).eval()
    found = kinds(convnext, torch.randn(1, 3, 64, 64))
    assert found["features.0.1"] == "image"  # LayerNorm2d normalises channels of NCHW maps
    assert found["features.1.0.block.2"] == "image_last"  # the channels-last LayerNorm inside a CNBlock
    conv1d = nn.Sequential(nn.Conv1d(2, 5, 3), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(5, 3))
    found = kinds(conv1d, torch.randn(2, 2, 20))
    assert found["0"] == found["1"] == "sequence" and found["4"] == "vector"


def test_token_layouts_set_the_class_token_aside_and_form_the_patch_grid():
    layout = Layout("tokens", (2, 17, 8))
    assert layout.prefix == 1 and layout.grid == (4, 4) and layout.channels == 8
    t = torch.arange(2 * 17 * 8, dtype=torch.float32).reshape(2, 17, 8)
    maps = layout.maps(t)
    assert maps.shape == (2, 8, 4, 4)
    assert torch.equal(maps[1, 5, 2, 3], t[1, 1 + 2 * 4 + 3, 5])  # channel 5 of patch (row 2, col 3)
    assert Layout("tokens", (2, 16, 8)).prefix == 0
    assert Layout("tokens", (2, 21, 8)).grid == (4, 4)  # 16 patches + 1 class + 4 register tokens
    assert Layout("tokens", (2, 60, 8)).grid is None  # 49 + 11: too many left over for a prefix, not a square
    with pytest.raises(ValueError, match="no spatial maps"):
        Layout("sequence", (2, 3, 9)).maps(torch.zeros(2, 3, 9))
    assert layout_of((2, 8, 8, 3), 3).kind == "image_last"
    with pytest.raises(ValueError, match="layouts"):
        layout_of((2, 8), 1, override="tokens")


def test_channel_statistics_of_swin_and_vit_layers_equal_a_hand_permutation(swin, vit):
    for (model, x), layer, to_channels_first in (
        (swin, "features.5", lambda t: t.permute(0, 3, 1, 2)),
        (vit, "encoder.layers.encoder_layer_3", lambda t: t.transpose(1, 2)),
    ):
        raw = activations(model, x, layer)[layer]
        by_hand = to_channels_first(raw).flatten(2)  # N×C×positions
        stats = activation_stats(model, x, layers=[layer])
        np.testing.assert_allclose(stats.mean[layer], by_hand.mean(dim=(0, 2)).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(stats.max[layer], by_hand.amax(dim=(0, 2)).numpy(), rtol=1e-6)
        assert len(stats.mean[layer]) == raw.shape[-1]  # channels are the last axis of both


def test_pooled_features_average_positions_not_channels(swin, vit):
    for (model, x), layer, positions in ((swin, "features.5", (1, 2)), (vit, "encoder.layers.encoder_layer_3", (1,))):
        raw = activations(model, x, layer)[layer]
        features = extract_features(model, x, layer, pool="avg")
        assert features.shape == (len(x), raw.shape[-1])
        np.testing.assert_allclose(features, raw.mean(dim=positions).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(extract_features(model, x, layer, pool="max"), raw.amax(dim=positions).numpy(), rtol=1e-6)


def test_feature_visualisation_units_of_a_token_layer_are_hidden_units():
    from nbviz import featurevis

    torch.manual_seed(0)
    model = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=24, mlp_dim=48)
    model.eval()
    result = featurevis.maximize(model, "encoder.layers.encoder_layer_1", units=[20, 23], size=32, steps=4)
    assert len(result.activations) == 2  # units 20 and 23 exist: 24 hidden units, not 17 tokens
    with pytest.raises(ValueError, match="24 channels"):
        featurevis.maximize(model, "encoder.layers.encoder_layer_1", units=[24], size=32, steps=2)


def test_the_layer_explorer_shows_swin_and_vit_layers_as_maps(swin, vit):
    import nbviz

    model, x = swin
    e = nbviz.LayerExplorer(model, x, layer="features.5").wait()
    assert not e.error and tuple(e.maps.shape) == (384, 4, 4)  # 384 channels of 4×4 maps, not 4 of 4×384
    e.close()
    model, x = vit
    e = nbviz.LayerExplorer(model, x, layer="encoder.layers.encoder_layer_3").wait()
    assert not e.error and tuple(e.maps.shape) == (768, 4, 4)  # the 4×4 patch grid, class token aside
    e.close()
