"""layer_tree() and the channel-axis rule."""

from __future__ import annotations

import json

import torch

from layers_models import TwiceCalled, VggLike, images, seeded, tiny_vit
from nbviz.layers import layer_tree
from nbviz.layers.channels import channel_axes


def test_calls_in_order_with_shapes_params_and_call_numbers():
    model = seeded(TwiceCalled)
    tree = layer_tree(model, images(2, 8))
    assert [(i.name, i.module, i.call) for i in tree] == [
        ("conv1", "conv1", 1), ("act", "act", 1), ("conv2", "conv2", 1), ("act#2", "act", 2), ("head", "head", 1),
    ]
    assert all(i.depth == 0 and i.parent is None and i.is_leaf for i in tree)
    assert [i.output_shape for i in tree] == [(2, 4, 8, 8)] * 4 + [(2, 2)]
    assert [i.params for i in tree] == [4 * 3 * 9 + 4, 0, 4 * 4 * 9 + 4, 0, 4 * 2 + 2]
    assert [i.index for i in tree] == list(range(5))


def test_containers_parents_depths_and_json():
    model = seeded(VggLike)
    x = images(2)
    tree = layer_tree(model, x)
    names = [i.name for i in tree]
    assert names == ["features"] + [f"features.{k}" for k in range(9)] + ["classifier", "classifier.0", "classifier.1"]
    features = tree[0]
    assert not features.is_leaf and features.depth == 0 and features.parent is None
    assert all(i.parent == 0 and i.depth == 1 and i.is_leaf for i in tree[1:10])
    assert all(i.parent == 10 for i in tree[11:])
    with torch.no_grad():
        for k in range(9):
            assert tree[1 + k].output_shape == tuple(model.features[: k + 1](x).shape)
    assert features.params == sum(p.numel() for p in model.features.parameters()) == 224 + 584 + 1168 + 32
    data = json.loads(json.dumps([i.to_dict() for i in tree]))
    assert data[1]["output_shape"] == [2, 8, 32, 32] and data[1]["output_shapes"] == [[2, 8, 32, 32]]
    assert data[0]["type"] == "Sequential" and data[12]["type"] == "Linear"


def test_resnet_second_relu_call_and_vit_attention_leaf():
    from torchvision.models import resnet18

    model = seeded(lambda: resnet18(weights=None))
    tree = layer_tree(model, images(1, 32))
    by_name = {i.name: i for i in tree}
    second = by_name["layer1.0.relu#2"]
    assert second.call == 2 and tree[second.parent].name == "layer1.0" and second.depth == 2
    assert sum(1 for i in tree if i.module == "layer1.0.relu") == 2
    assert sum(i.params for i in tree if i.depth == 0) == sum(p.numel() for p in model.parameters())

    vit = tiny_vit()
    tree = layer_tree(vit, images(1, 32))
    by_name = {i.name: i for i in tree}
    attention = by_name["encoder.layers.encoder_layer_0.self_attention"]
    assert attention.is_leaf and attention.output_shapes == ((1, 17, 32),)  # (output, None) → one tensor
    assert "encoder.layers.encoder_layer_0.self_attention.out_proj" not in by_name


def test_channel_axes_conv_first_tokens_last():
    vit = tiny_vit()
    tree = layer_tree(vit, images(1, 32))
    axes = channel_axes(vit, tree)
    block = "encoder.layers.encoder_layer_0"
    assert axes["conv_proj"] == 1
    assert axes[block] == 2 and axes[f"{block}.ln_1"] == 2 and axes[f"{block}.mlp.0"] == 2
    assert axes[f"{block}.mlp.1"] == 2  # GELU inherits from the Linear before it
    assert axes["heads.head"] == 1 and axes["heads"] == 1
    model = seeded(VggLike)
    axes = channel_axes(model, layer_tree(model, images(1)))
    assert all(axes[f"features.{k}"] == 1 for k in range(9)) and axes["classifier.1"] == 1
