"""LayerExplorer without a browser: traits in, arrays out, stale requests dropped, bad arguments, guard."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import traitlets

import nbviz
from guard_checks import ModelSnapshot
from nbviz.widgets.layers import LayerExplorer


@pytest.fixture(scope="module")
def digits():
    return nbviz.zoo.digits_cnn().model, nbviz.datasets.digits()


@pytest.fixture(scope="module")
def explorer(digits):
    model, data = digits
    e = LayerExplorer(model, data.images[:6], data.labels[:6], data.images[:120], class_names=data.class_names)
    yield e.wait()
    e.close()


def test_construct_sends_tree_grid_thumbnails_and_stats(explorer, digits):
    e = explorer
    assert e.error == ""
    assert e.layer == "features.0" and e.maps_layer == "features.0"
    assert e.maps.shape == (16, 8, 8) and e.maps.dtype == np.uint8
    assert e.thumbnails.shape == (6, 8, 8, 3) and e.thumbnails.dtype == np.uint8
    assert e.input_image.shape == (8, 8, 3)
    assert e.map_range.shape == (16, 2) and e.map_range.dtype == np.float32
    assert e.labels == [digits[1].class_names[int(v)] for v in digits[1].labels[:6]]
    names = [row["name"] for row in e.tree]
    assert "features" in names and "features.3" in names
    assert all({"name", "type", "depth", "output_shape", "selectable"} <= row.keys() for row in e.tree)
    assert e.stats is not None and e.stats.samples == 120
    assert e.channel_stats.shape == (16, 4)
    assert [row["layer"] for row in e.layer_summary][:2] == ["features.0", "features.1"]


def test_layer_input_and_transform_give_the_matching_maps(explorer, digits):
    model, data = digits
    e = explorer
    with e.hold_trait_notifications():
        e.layer, e.input_index, e.angle = "features.3", 2, 30.0
    e.wait()
    assert e.maps.shape == (32, 8, 8) and e.maps.dtype == np.uint8 and e.maps_layer == "features.3"
    moved = nbviz.transforms.affine(data.images[2:3], angle=30.0)
    expected = nbviz.activations(model, moved, "features.3")["features.3"][0]
    torch.testing.assert_close(e.feature_maps(), expected)
    assert np.array_equal(e.maps, nbviz.render.to_uint8(expected, scale="each"))
    e.normalize = "shared"
    e.wait()
    assert np.array_equal(e.maps, nbviz.render.to_uint8(expected, scale="shared"))
    e.normalize, e.angle, e.input_index = "each", 0.0, 0
    e.wait()


def test_layer_switch_and_return_reuse_the_capture(explorer):
    e = explorer
    before = e.forwards
    for name in ("features.0", "features.6", "classifier.1", "features.0"):
        e.layer = name
        e.wait()
        assert e.maps_layer == name
    assert e.forwards == before, "a layer switch must not run the model again"
    assert e.maps.shape == (16, 8, 8)
    e.layer = "classifier.1"
    e.wait()
    assert e.maps.shape == (10, 1, 1)
    e.layer = "features.0"
    e.wait()


def test_rapid_changes_compute_only_the_newest(digits):
    model, data = digits
    e = LayerExplorer(model, data.images[:4])
    e.wait()
    start = e.forwards
    for angle in range(5, 185, 5):  # 36 requests while the worker is busy with the first
        e.angle = float(angle)
    e.wait()
    assert e.angle == 180.0
    assert e.forwards - start <= 3, f"stale requests ran: {e.forwards - start} forwards for 36 changes"
    expected = nbviz.activations(model, nbviz.transforms.affine(data.images[:1], angle=180.0), e.layer)[e.layer][0]
    assert np.array_equal(e.maps, nbviz.render.to_uint8(expected))
    e.close()


def test_channel_detail_shows_top9_crops_and_filter(explorer):
    e = explorer
    e.layer = "features.3"
    e.channel = 5
    e.wait()
    assert e.detail_channel == 5 and e.error == ""
    assert e.top_images.shape == (9, 8, 8, 3) and e.top_images.dtype == np.uint8
    assert e.top_boxes.shape == (9, 4) and len(e.top_indices) == 9
    assert e.top_values == sorted(e.top_values, reverse=True)
    assert e.filter_kind == "signed" and e.filter_image.shape == (16, 3, 3)
    e.layer = "features.4"  # a ReLU: no filter; switching layer closes the detail
    e.wait()
    assert e.channel == -1 and e.detail_channel == -1 and e.top_images is None
    e.channel = 0
    e.wait()
    assert e.filter_kind == "" and e.filter_image is None and e.top_images.shape[0] == 9
    e.channel = -1
    e.layer = "features.0"
    e.wait()


def test_rgb_first_layer_filter_is_an_image():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU()).eval()
    e = LayerExplorer(model, torch.rand(3, 3, 10, 10))
    e.wait()
    e.channel = 1
    e.wait()
    assert e.filter_kind == "rgb" and e.filter_image.shape == (3, 3, 3) and e.filter_image.dtype == np.uint8
    assert e.top_images.shape == (3, 10, 10, 3)  # fewer inputs than 9
    e.close()


def test_labels_are_kept_as_plain_strings(digits):
    model, data = digits
    evil = '<img src=x onerror="alert(1)">'
    e = LayerExplorer(model, data.images[:2], [evil, "two"])
    assert e.labels == [evil, "two"]
    e.close()


def test_bad_arguments_name_the_argument(digits, explorer):
    model, data = digits
    with pytest.raises(TypeError, match="model"):
        LayerExplorer("not a model", data.images[:2])
    with pytest.raises(ValueError, match="inputs"):
        LayerExplorer(model, data.images[0])
    with pytest.raises(TypeError, match="inputs"):
        LayerExplorer(model, [[1, 2]])
    with pytest.raises(ValueError, match="labels"):
        LayerExplorer(model, data.images[:3], [1, 2])
    with pytest.raises(ValueError, match="inputs"):
        LayerExplorer(model, torch.rand(2, 3, 8, 8))  # wrong channel count for the model
    with pytest.raises(TypeError, match="dataset"):
        LayerExplorer(model, data.images[:2], dataset="digits")
    with pytest.raises(traitlets.TraitError, match="closest: 'features.3'"):
        LayerExplorer(model, data.images[:2], layer="features.33")
    with pytest.raises(traitlets.TraitError, match="layer"):
        explorer.layer = "featurs.0"
    with pytest.raises(traitlets.TraitError, match="input_index"):
        explorer.input_index = 6
    with pytest.raises(traitlets.TraitError, match="channel"):
        explorer.channel = 16
    with pytest.raises(traitlets.TraitError, match="scale"):
        explorer.scale = 0.0
    assert explorer.layer == "features.0" and explorer.input_index == 0


def test_model_comes_back_unchanged(digits):
    model, data = digits
    model.train()  # the guard must restore train mode too
    snapshot = ModelSnapshot(model)
    e = LayerExplorer(model, data.images[:3], dataset=data.images[:40])
    e.wait()
    e.layer, e.angle = "features.3", 45.0
    e.channel = 1
    e.selection = [0, 5, 7]  # channel means over the dataset for the contrast
    e.wait()
    e.precompute(inputs=[1])
    assert e.error == "" and e.contrast_size == 3
    snapshot.assert_unchanged(model)
    e.close()
    model.eval()


def test_precompute_stores_every_layer_for_the_chosen_inputs(digits):
    model, data = digits
    e = LayerExplorer(model, data.images[:6], dataset=data.images[:50])
    e.wait()
    e.precompute(inputs=[0, 4], windows=[3, 5])  # options meant for other explorers are ignored
    names = [row["name"] for row in e.tree if row["selectable"]]
    assert {(x["layer"], x["input"]) for x in e.offline_index} == {(n, i) for n in names for i in (0, 4)}
    captured = nbviz.activations(model, data.images[[0, 4]], names)
    for entry in e.offline_index:
        m = entry["maps"]
        got = e.offline_maps[m["offset"] : m["offset"] + int(np.prod(m["shape"]))].reshape(m["shape"])
        maps = captured[entry["layer"]][[0, 4].index(entry["input"])]
        maps = maps.reshape(maps.shape[0], 1, 1) if maps.ndim == 1 else maps
        assert np.array_equal(got, nbviz.render.to_uint8(maps, scale="each")), entry
        r = entry["range"]
        ranges = e.offline_ranges[r["offset"] : r["offset"] + 2 * maps.shape[0]].reshape(-1, 2)
        np.testing.assert_allclose(ranges[:, 1], maps.reshape(maps.shape[0], -1).amax(1).numpy(), rtol=1e-6)
    s = e.offline_stats["features.3"]
    stats = e.offline_ranges[s["offset"] : s["offset"] + 32 * 4].reshape(32, 4)
    np.testing.assert_allclose(stats[:, 0], e.stats.mean["features.3"], rtol=1e-5)
    e.precompute()  # default: the current input and the strip, at most 8
    assert sorted({x["input"] for x in e.offline_index}) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="inputs"):
        e.precompute(inputs=[6])
    with pytest.raises(traitlets.TraitError, match="layer"):
        e.precompute(layers=["nope"])
    e.close()


def test_strip_follows_the_input_and_a_selection(digits):
    model, data = digits
    e = LayerExplorer(model, data.images[:40], max_inputs=40)
    assert e.strip == list(range(32)) and e.thumbnails.shape[0] == 32
    e.input_index = 35
    assert e.strip[0] == 35 and len(e.strip) == 32
    assert np.array_equal(e.thumbnails[0], nbviz.render.to_rgb_uint8(data.images[35:36])[0])
    e.selection = [3, 38, 7]
    assert e.strip == [3, 38, 7] and e.thumbnails.shape[0] == 3
    e.wait()
    assert e.contrast_size == 3 and e.error == ""
    e.close()
