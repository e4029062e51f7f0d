"""Linked explorers and nbviz.explore without a browser: a selection set in Python reaches the other
views, a group ranks channels exactly like a hand computation, unlink stops it, errors, guard."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import traitlets

import nbviz
from guard_checks import ModelSnapshot
from nbviz.widgets.layers import LayerExplorer
from nbviz.widgets.occlusion import OcclusionExplorer, default_window
from nbviz.widgets.saliency import SaliencyExplorer
from nbviz.widgets.tsne import TSNEExplorer

N = 60


@pytest.fixture(scope="module")
def digits():
    return nbviz.zoo.digits_cnn().model, nbviz.datasets.digits()


@pytest.fixture(scope="module")
def linked(digits):
    model, data = digits
    x, y = data.images[:N], data.labels[:N]
    tsne = TSNEExplorer(np.random.default_rng(0).normal(size=(N, 5)), y, x, n_iter=50, perplexity=10.0)
    saliency = SaliencyExplorer(model, x, y, methods=["gradient"], max_inputs=N)
    layers = LayerExplorer(model, x, y, max_inputs=N)
    link = nbviz.link(tsne, saliency, layers)
    yield tsne, saliency, layers, link
    link.unlink()
    for e in (tsne, saliency, layers):
        e.close()


def test_one_point_from_python_shows_that_image_everywhere(linked, digits):
    tsne, saliency, layers, link = linked
    tsne.selected = [41]
    assert saliency.index == 41 and layers.input_index == 41
    assert layers.selection == [] and 41 in layers.strip
    saliency.wait(), layers.wait()
    assert np.array_equal(saliency.image, nbviz.render.to_rgb_uint8(digits[1].images[41:42])[0])
    expected = nbviz.activations(digits[0], digits[1].images[41:42], layers.layer)[layers.layer][0]
    torch.testing.assert_close(layers.feature_maps(), expected)
    # an item picked in one item view follows in the others and marks the point in the map
    layers.input_index = 5
    assert saliency.index == 5 and tsne.selected == [5]


def test_group_ranks_channels_like_numpy(linked, digits):
    tsne, saliency, layers, link = linked
    model, data = digits
    layers.layer = "features.3"
    group = [i for i in range(N) if int(data.labels[i]) in (0, 6)]
    tsne.selected = group
    assert layers.selection == group and layers.strip == group[:32]
    layers.wait()
    assert layers.contrast_layer == "features.3" and layers.contrast_size == len(group)
    # the hand computation: per-image channel means of the captured maps, numpy only
    maps = nbviz.activations(model, data.images[:N], "features.3")["features.3"].double().numpy()
    per_image = maps.mean(axis=(2, 3))
    inside = np.isin(np.arange(N), group)
    score = (per_image[inside].mean(0) - per_image[~inside].mean(0)) / per_image.std(0)
    order = np.argsort(-score, kind="stable")
    assert layers.contrast_channels == [int(c) for c in order[:12]]
    np.testing.assert_allclose(layers.contrast_scores, score[order[:12]], rtol=1e-4, atol=1e-5)
    full = layers.contrast()
    assert full.channels.shape == (32,) and full.selected == len(group)
    # a new selection on a cached layer needs no forward pass; a layer switch recomputes for that layer
    forwards = layers.forwards
    tsne.selected = group[:5]
    layers.wait()
    assert layers.contrast_size == 5 and layers.forwards == forwards
    layers.layer = "features.6"
    layers.wait()
    assert layers.contrast_layer == "features.6" and len(layers.contrast_channels) == 12
    # back to one point: the list goes away
    tsne.selected = [3]
    layers.wait()
    assert layers.contrast_channels == [] and layers.contrast_layer == "" and saliency.index == 3
    layers.layer = "features.0"
    layers.wait()


def test_tsne_selection_drives_an_occlusion_explorer(digits):
    model, data = copy.deepcopy(digits[0]), digits[1]  # a model no other test's explorer is busy with
    x = data.images[:N]
    snapshot = ModelSnapshot(model)
    tsne = TSNEExplorer.from_embedding(np.random.default_rng(2).normal(size=(N, 2)))
    occlusion = OcclusionExplorer(model, x, data.class_names, window=3, stride=1)
    link = nbviz.link(tsne, occlusion)  # counted through n_inputs, followed through index
    assert link.size == N
    tsne.selected = [17]
    assert occlusion.index == 17
    occlusion.wait()
    expected = nbviz.occlusion(model, x[17], window=3, stride=1)  # the compute on that image alone
    np.testing.assert_allclose(occlusion.heatmap, expected.drop_map, atol=1e-5)
    assert occlusion.explained == expected.target and occlusion.partial is False
    assert np.array_equal(occlusion.image, nbviz.render.to_rgb_uint8(x[17:18])[0])
    occlusion.index = 8  # an image picked in occlusion is marked in the map
    assert tsne.selected == [8]
    tsne.selected = [3, 4, 9]  # a group: occlusion keeps its image
    assert occlusion.index == 8
    fewer = OcclusionExplorer(model, x[:10])
    with pytest.raises(ValueError, match=rf"different numbers of items \(TSNEExplorer {N}, OcclusionExplorer 10\)"):
        nbviz.link(tsne, fewer)
    link.unlink()
    occlusion.wait(), fewer.wait()
    snapshot.assert_unchanged(model)
    occlusion.close(), fewer.close(), tsne.close()
    assert default_window(8, 8) == (2, 1) and default_window(32, 32) == (8, 4) and default_window(224, 200) == (50, 25)
    assert default_window(3, 3) == (2, 1) and default_window(1, 5) == (1, 1)


def test_channel_means_and_contrast_checks(digits):
    model, data = digits
    means = nbviz.layers.channel_means(model, data.images[:40], ["features.0", "classifier.1"])
    stats = nbviz.activation_stats(model, data.images[:40], ["features.0", "classifier.1"])
    for name in means:
        assert means[name].shape == (40, stats.mean[name].size)
        np.testing.assert_allclose(means[name].mean(0), stats.mean[name], rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="selected"):
        nbviz.layers.channel_contrast(means["features.0"], [])
    with pytest.raises(ValueError, match="selected"):
        nbviz.layers.channel_contrast(means["features.0"], range(40))
    with pytest.raises(ValueError, match="selected"):
        nbviz.layers.channel_contrast(means["features.0"], [0, 99])
    with pytest.raises(ValueError, match="means"):
        nbviz.layers.channel_contrast(np.zeros(4), [0])
    flat = nbviz.layers.channel_contrast(np.ones((5, 3)), [0, 1])  # no variation: every score 0
    assert flat.scores.tolist() == [0.0, 0.0, 0.0] and flat.channels.tolist() == [0, 1, 2]


def test_unlink_stops_updates(digits):
    model, data = digits
    x = data.images[:10]
    tsne = TSNEExplorer.from_embedding(np.random.default_rng(1).normal(size=(10, 2)))
    layers = LayerExplorer(model, x)
    link = nbviz.link(tsne, layers)
    tsne.selected = [4]
    assert layers.input_index == 4 and link.linked
    link.unlink()
    assert not link.linked and "unlinked" in repr(link)
    tsne.selected = [6]
    layers.input_index = 2
    assert layers.input_index == 2 and tsne.selected == [6]
    link.unlink()  # twice is harmless
    layers.close(), tsne.close()


def test_errors_name_what_is_wrong(digits):
    model, data = digits
    tsne = TSNEExplorer.from_embedding(np.zeros((10, 2)))
    few = LayerExplorer(model, data.images[:10])
    many = SaliencyExplorer(model, data.images[:20], methods=["gradient"])
    with pytest.raises(ValueError, match=r"different numbers of items \(TSNEExplorer 10, SaliencyExplorer 20\)"):
        nbviz.link(tsne, many)
    with pytest.raises(ValueError, match="at least two"):
        nbviz.link(tsne)
    with pytest.raises(TypeError, match=r"explorers\[1\]: expected an nbviz explorer, got str"):
        nbviz.link(tsne, "saliency")
    landscape_like = nbviz.FeatureVisExplorer.__name__
    bigger = LayerExplorer(model, data.images[:10], dataset=data.images[:30])
    with pytest.raises(ValueError, match="dataset has 30 items"):
        nbviz.link(tsne, bigger)
    with pytest.raises(traitlets.TraitError, match="selection"):
        few.selection = [0, 10]
    with pytest.raises(TypeError, match="dataset"):
        nbviz.explore(model, "digits")
    with pytest.raises(TypeError, match="model"):
        nbviz.explore("model", data)
    with pytest.raises(ValueError, match="at least 5"):
        nbviz.explore(model, data.images[:3])
    with pytest.raises(ValueError, match="labels"):
        nbviz.explore(model, data.images[:10], labels=[1, 2])
    assert landscape_like
    for e in (tsne, few, many, bigger):
        e.close()


def test_explore_on_a_torchvision_resnet_and_a_torch_dataset_leaves_the_model_unchanged():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None, num_classes=4)
    model.train()  # the guard must restore train mode too
    snapshot = ModelSnapshot(model)
    images = torch.rand(12, 3, 64, 64)
    dataset = torch.utils.data.TensorDataset(images, torch.arange(12) % 4)
    explored = nbviz.explore(model, dataset, class_names=["a", "b", "c", "d"], n_iter=60)
    assert explored.tsne.error == "" and explored.layers.layer == "layer3.1.relu#2"  # last with maps ≥ 4×4
    explored.tsne.selected = [7]
    explored.tsne.selected = [1, 2, 5]
    explored.wait()
    assert [e.error for e in explored.explorers] == ["", "", "", ""]
    assert explored.saliency.index == 7 and explored.layers.input_index == 7 and explored.occlusion.index == 7
    assert (explored.occlusion.window, explored.occlusion.stride) == (16, 8)  # a quarter of 64 px
    expected = nbviz.occlusion(model, images[7], window=16, stride=8)
    np.testing.assert_allclose(explored.occlusion.heatmap, expected.drop_map, atol=1e-5)
    assert explored.saliency.image.shape == (64, 64, 3) and explored.layers.input_image.shape == (64, 64, 3)
    assert explored.layers.contrast_size == 3 and len(explored.layers.contrast_channels) == 12
    assert explored.link.size == 12
    snapshot.assert_unchanged(model)
    explored.close()


def test_explore_forms_and_the_feature_layer(digits):
    model, data = digits
    x, y = data.images[:30], data.labels[:30]
    for form in (data, x, (x, y), torch.utils.data.TensorDataset(x, y)):
        if form is data:
            continue  # the whole digits set is covered by the browser test and the tour
        explored = nbviz.explore(model, form, n_iter=30, perplexity=5.0, run=False)
        assert explored.link.size == 30 and explored.tsne.error == ""
        assert explored.tsne._features[2] == "classifier.0"  # the penultimate layer: what the classifier reads
        explored.close()
    explored = nbviz.explore(model, (x, y), layer="features.6", class_names=data.class_names, n_iter=30, perplexity=5.0, run=False)
    assert explored.tsne._features[2] == "features.6" and explored.layers.labels[0] == data.class_names[int(y[0])]
    assert explored.layers.layer == "features.7"  # the deepest layer whose maps are still 4×4
    explored.close()
