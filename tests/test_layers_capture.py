"""activations(): equal to an independent hook implementation and to manual forward slices."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from guard_checks import ForwardCalls
from layers_models import Structured, TwiceCalled, VggLike, hooked_outputs, images, seeded, tiny_vit
from nbviz.layers import activations


def test_vgg_like_equals_manual_slices_of_features():
    model = seeded(VggLike).eval()
    x = images(3)
    names = [f"features.{i}" for i in range(len(model.features))]
    got = activations(model, x, names)
    assert list(got) == names
    with torch.no_grad():
        for i, name in enumerate(names):
            # features[:i+1] recomputes from scratch, so in-place ReLUs later on cannot interfere
            assert torch.equal(got[name], model.features[: i + 1](x)), name


def test_in_place_relu_does_not_change_the_captured_value():
    model = seeded(VggLike).eval()
    x = images(3)
    with torch.no_grad():
        conv_out = model.features[0](x)
        bn_out = model.features[:7](x)
    for _ in range(2):  # second call takes the remembered clone-at-once path
        got = activations(model, x, ["features.0", "features.6", "features.7"])
        assert torch.equal(got["features.0"], conv_out) and (conv_out < 0).any()
        assert torch.equal(got["features.6"], bn_out) and (bn_out < 0).any()
        assert torch.equal(got["features.7"], bn_out.clamp(min=0))


def test_module_called_twice_and_in_place_edit_inside_forward():
    model = seeded(TwiceCalled).eval()
    x = images(2, 8)
    ref = hooked_outputs(model, x, [model.act, model.conv2])
    got = activations(model, x, ["act", "act#2", "act#1", model.conv2])
    assert torch.equal(got["act"], ref[0][0]) and torch.equal(got["act#1"], ref[0][0])
    assert torch.equal(got["act#2"], ref[0][1])
    with torch.no_grad():
        expected_conv2 = model.conv2(model.act(model.conv1(x)))
    # the plain hook saw the value before `h.mul_(2)`, as do we; without a clone it would be doubled
    assert torch.equal(got["conv2"], expected_conv2) and torch.equal(ref[1][0], expected_conv2)
    with pytest.raises(ValueError, match=r"'act' was called only 2 time\(s\).*'act#3'"):
        activations(model, x, "act#3")


def test_tuple_and_dict_outputs_take_the_first_tensor_or_the_full_structure():
    model = seeded(Structured).eval()
    x = images(2, 8)
    with torch.no_grad():
        c = model.conv(x)
    total = c * 2 + (c + 1)
    got = activations(model, x, ["pair", "named"])
    assert torch.equal(got["pair"], c * 2)
    assert torch.equal(got["named"], total - 1)
    full = activations(model, x, ["pair", "named"], output="full")
    assert isinstance(full["pair"], tuple) and torch.equal(full["pair"][1], c + 1)
    assert full["named"]["meta"] is None and torch.equal(full["named"]["aux"], total.sum())


def test_forward_stops_after_the_last_requested_layer():
    model = seeded(VggLike).eval()
    with ForwardCalls(model, model.classifier) as ran:
        activations(model, images(1), "features.3")
        assert len(ran) == 0
        activations(model, images(1), "classifier.1")
        assert len(ran) == 1


def test_torchvision_resnet18_and_mobilenet_match_plain_hooks():
    from torchvision.models import mobilenet_v3_small, resnet18

    for build, names in [
        (resnet18, ["conv1", "bn1", "layer1.0.relu", "layer1.0.relu#2", "layer2.1.conv2", "layer4", "fc"]),
        (mobilenet_v3_small, ["features.0.0", "features.1.block.1.fc1", "features.4.block.2", "classifier.0"]),
    ]:
        model = seeded(lambda build=build: build(weights=None)).eval()
        x = images(2, 32)
        got = activations(model, x, names)
        modules = dict(model.named_modules())
        base = [n.split("#")[0] for n in names]
        ref = hooked_outputs(model, x, [modules[b] for b in dict.fromkeys(base)])
        by_module = dict(zip(dict.fromkeys(base), ref))
        for name in names:
            b, _, k = name.partition("#")
            assert torch.equal(got[name], by_module[b][int(k or 1) - 1]), name


def test_vit_tokens_and_grid_reshape():
    model = tiny_vit().eval()
    x = images(2, 32)
    names = ["encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_1.self_attention", "conv_proj"]
    got = activations(model, x, names)
    ref = hooked_outputs(model, x, [dict(model.named_modules())[n] for n in names])
    for name, r in zip(names, ref):
        assert torch.equal(got[name], r[0])
    assert got[names[0]].shape == (2, 17, 32)
    grid = activations(model, x, names[:1] + ["conv_proj"], reshape_tokens=True)
    tokens = got[names[0]]
    assert torch.equal(grid[names[0]], tokens[:, 1:, :].transpose(1, 2).reshape(2, 32, 4, 4))
    assert torch.equal(grid[names[0]][:, :, 1, 2], tokens[:, 1 + 1 * 4 + 2, :])
    assert torch.equal(grid["conv_proj"], got["conv_proj"])  # 4-D outputs pass unchanged


def test_results_are_detached_and_numpy_input_works():
    model = seeded(VggLike).eval()
    x = images(2)
    got = activations(model, x.numpy(), model.features[2])
    assert set(got) == {"features.2"} and not got["features.2"].requires_grad
    with torch.no_grad():
        assert torch.equal(got["features.2"], model.features[:3](x))


def test_error_messages():
    model = seeded(VggLike).eval()
    with pytest.raises(ValueError, match=r"layers: no layer named 'feature.3'.*closest: 'features.3'"):
        activations(model, images(1), "feature.3")
    with pytest.raises(ValueError, match=r"bad call suffix"):
        activations(model, images(1), "features.3#0")
    with pytest.raises(ValueError, match=r"not part of this model"):
        activations(model, images(1), nn.ReLU())
    with pytest.raises(ValueError, match=r"x: the model failed on an input of shape \(1, 1, 32, 32\); expected N×3×H×W"):
        activations(model, images(1, channels=1), "classifier.1")
    with pytest.raises(ValueError, match=r"x: the model failed on an input of shape \(1, 3, 40, 40\)"):
        activations(model, images(1, 40), "classifier.1")
    with pytest.raises(ValueError, match=r"x: the model failed on an input of shape \(3, 32, 32\); expected N×3×H×W"):
        activations(model, images(1)[0], "classifier.1")
    with pytest.raises(TypeError, match=r"x: expected a torch.Tensor or numpy array, got list"):
        activations(model, [[1.0]], "features.0")
    with pytest.raises(ValueError, match=r"reshape_tokens: the 11 tokens of 'x' form no square grid"):
        from nbviz.layers.tokens import tokens_to_grid

        tokens_to_grid(torch.zeros(1, 11, 4), name="x")
    with pytest.raises(ValueError, match=r"output: expected 'first' or 'full'"):
        activations(model, images(1), "features.0", output="all")
    vit = tiny_vit()
    with pytest.raises(ValueError, match=r"x: .*expected N×3×32×32"):
        activations(vit, images(1, 64), "encoder")
