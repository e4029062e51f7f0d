"""New t-SNE points through nbviz.link: selecting a point placed by ``add_points`` shows its picture in
the linked saliency, occlusion and layer explorers (each result checked against the compute run on
that picture alone), an added item picked in an item view selects the new point in the map, and the
user's model is left as it was."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import nbviz
from guard_checks import ModelSnapshot
from nbviz.widgets.layers import LayerExplorer
from nbviz.widgets.occlusion import OcclusionExplorer
from nbviz.widgets.saliency import SaliencyExplorer
from nbviz.widgets.tsne import TSNEExplorer

N, M = 40, 6  # map points and new (held-out) points


@pytest.fixture(scope="module")
def setup():
    model = copy.deepcopy(nbviz.zoo.digits_cnn().model)  # no other test's explorer is busy with it
    data = nbviz.datasets.digits()
    x, y = data.images[: N + M], data.labels[: N + M]
    snapshot = ModelSnapshot(model)
    tsne = TSNEExplorer(x[:N].reshape(N, -1).numpy(), y[:N], x[:N], n_iter=60, perplexity=10.0)
    saliency = SaliencyExplorer(model, x[:N], y[:N], methods=["gradient"], max_inputs=N)
    occlusion = OcclusionExplorer(model, x[:N], data.class_names, window=3, stride=1)
    layers = LayerExplorer(model, x[:N], y[:N], class_names=data.class_names, max_inputs=N)
    link = nbviz.link(tsne, saliency, occlusion, layers)
    tsne.wait()
    tsne.add_points(x[N:].reshape(M, -1).numpy(), labels=y[N:], images=x[N:], name="held out")
    tsne.wait()
    yield model, data, snapshot, tsne, saliency, occlusion, layers, link
    link.unlink()
    for e in (tsne, saliency, occlusion, layers):
        e.close()


def test_a_selected_new_point_shows_its_picture_in_every_linked_view(setup):
    model, data, snapshot, tsne, saliency, occlusion, layers, link = setup
    x, y = data.images, data.labels
    assert tsne.new_positions.shape == (M, 2)
    tsne.new_selected = [2]
    assert saliency.index == N + 2 and occlusion.index == N + 2 and layers.input_index == N + 2
    assert saliency.n_inputs == N + M and occlusion.n_inputs == N + M and layers.n_inputs == N + M
    for e in (saliency, occlusion, layers):
        e.wait()
        assert not e.error, e.error
    picture = x[N + 2 : N + 3]
    pixels = nbviz.render.to_rgb_uint8(picture)[0]
    assert np.array_equal(saliency.image, pixels) and np.array_equal(occlusion.image, pixels)
    # each view's result is the compute's on that picture alone
    expected = nbviz.saliency(model, picture, int(saliency.explained), "gradient").normalized()[0]
    np.testing.assert_allclose(saliency.maps[0], expected, atol=1e-5)
    np.testing.assert_allclose(saliency.probabilities, nbviz.predict(model, picture).probabilities[0], atol=1e-6)
    assert saliency.labels[N + 2] == int(y[N + 2])  # its true class, given to add_points
    drop = nbviz.occlusion(model, picture, window=3, stride=1)
    np.testing.assert_allclose(occlusion.heatmap, drop.drop_map, atol=1e-5)
    maps = nbviz.activations(model, picture, layers.layer)[layers.layer][0]
    torch.testing.assert_close(layers.feature_maps(), maps)
    assert layers.labels[N + 2] == data.class_names[int(y[N + 2])]
    # a second new point: the pictures were added once, so no view grows again
    tsne.new_selected = [5]
    assert saliency.index == N + 5 and layers.input_index == N + 5 and saliency.n_inputs == N + M
    # a group of new points leaves the item views as they are
    tsne.new_selected = [0, 1]
    assert saliency.index == N + 5 and occlusion.index == N + 5
    for e in (saliency, occlusion, layers):
        e.wait()
    snapshot.assert_unchanged(model)


def test_an_added_item_picked_in_a_view_selects_the_new_point_in_the_map(setup):
    _, _, _, tsne, saliency, occlusion, layers, _ = setup
    tsne.new_selected = [1]  # make sure the pictures were added
    layers.input_index = N + 4
    assert tsne.new_selected == [4] and saliency.index == N + 4 and occlusion.index == N + 4
    occlusion.index = 7  # one of the map's own items again: the map marks it
    assert tsne.selected == [7] and layers.input_index == 7 and saliency.index == 7
    tsne.selected = [9]
    assert saliency.index == 9 and occlusion.index == 9 and layers.input_index == 9
    for e in (saliency, occlusion, layers):
        e.wait()


def test_new_points_after_clear_and_replace(setup):
    _, data, _, tsne, saliency, _, layers, _ = setup
    x = data.images
    tsne.new_selected = [0]
    before = saliency.n_inputs
    tsne.add_points(x[N : N + 2].reshape(2, -1).numpy(), images=x[N : N + 2], name="again")  # a new set
    tsne.wait()
    tsne.new_selected = [1]
    assert saliency.n_inputs == before + 2 and saliency.index == before + 1 and layers.input_index == before + 1
    np.testing.assert_array_equal(saliency.image, nbviz.render.to_rgb_uint8(x[N + 1 : N + 2])[0])
    for e in (saliency, layers):
        e.wait()
    # a later link still counts the dataset's items, not the added pictures
    again = nbviz.link(tsne, saliency)
    assert again.size == N
    again.unlink()


def test_add_inputs_names_the_argument(setup):
    _, _, _, _, saliency, occlusion, layers, _ = setup
    for e in (saliency, occlusion, layers):
        with pytest.raises(ValueError, match=r"inputs: expected one or more inputs shaped like the explorer's own \(1, 8, 8\)"):
            e.add_inputs(np.zeros((2, 3, 8, 8), np.float32))
        with pytest.raises(TypeError, match="inputs: expected a torch.Tensor or numpy array"):
            e.add_inputs([[0.0]])
    with pytest.raises(ValueError, match="labels"):
        saliency.add_inputs(np.zeros((1, 1, 8, 8), np.float32), labels=[99])
