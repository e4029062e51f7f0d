"""TSNEExplorer's new points and stop note: ``add_points`` places points with the session's
``transform`` on the map on screen without moving it, again after a perplexity change; ``clear_points``;
errors naming the argument; ``converged_at`` / ``last_iteration`` of the map on screen."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nbviz
from nbviz.widgets.tsne import TSNEExplorer

N, M = 400, 12  # map points and held-out points (digits), a run well under a few seconds


@pytest.fixture(scope="module")
def digits():
    return nbviz.datasets.digits()


@pytest.fixture(scope="module")
def data(digits):
    X = digits.images[: N + M].reshape(N + M, -1).numpy()
    return X[:N], X[N:], digits.labels[: N + M].numpy()


@pytest.fixture(scope="module")
def explorer(data, digits):
    X, _, labels = data
    e = TSNEExplorer(X, labels[:N], class_names=digits.class_names, perplexity=15, max_perplexity=30, n_iter=1000)
    e.wait()
    yield e
    e.close()


def test_stop_note_follows_the_map_on_screen(explorer):
    e = explorer
    assert not e.error
    assert e.result.converged_at is not None, "1,000 iterations on 400 digits should converge before the limit"
    assert e.converged_at == e.result.converged_at == e.last_iteration == int(e.result.iterations[-1])
    assert e.last_iteration < 1000


def test_stop_note_at_the_iteration_limit(data):
    e = TSNEExplorer(data[0], perplexity=10, max_perplexity=10, n_iter=60)
    try:
        e.wait()
        assert e.result.converged_at is None and e.converged_at is None
        assert e.last_iteration == 60
    finally:
        e.close()


def test_add_points_places_them_with_the_session_transform(explorer, data, digits):
    e = explorer
    _, X_new, labels = data
    before = np.array(e.positions)
    e.add_points(X_new, labels=labels[N:], images=digits.images[N : N + M], name="held out")
    e.wait()
    assert not e.error
    expected = e.session.transform(X_new, e.result)
    assert e.new_positions.shape == (M, 2) and e.new_positions.dtype == np.float32
    np.testing.assert_allclose(e.new_positions, expected, rtol=1e-5, atol=1e-4)
    assert np.array_equal(e.positions, before), "the map's own points must not move"
    assert np.array_equal(e.result.embedding, before)
    assert e.new_name == "held out" and e.new_labels == [digits.class_names[int(v)] for v in labels[N:]]
    assert e.new_thumbnails.shape == (M, 8, 8)
    # each placed point lands among map points of its own class more often than chance (1/10)
    d = ((e.new_positions[:, None, :] - before[None, :, :]) ** 2).sum(-1)
    near = np.argsort(d, axis=1)[:, :10]
    agreement = float((labels[:N][near] == labels[N:, None]).mean())
    assert agreement > 0.6, agreement


def test_selection_of_new_points(explorer):
    e = explorer
    e.new_selected = [0, 3]
    assert e.new_selected == [0, 3]
    with pytest.raises(Exception, match="new_selected"):
        e.new_selected = [M]
    e.new_selected = []


def test_perplexity_change_places_them_again(explorer, data):
    e = explorer
    _, X_new, _ = data
    old_map, old_new = np.array(e.positions), np.array(e.new_positions)
    e.perplexity = 25
    e.wait()
    e.wait()  # the placement is queued when the run finishes
    assert not e.error
    assert e.result.params["perplexity"] == 25 and e.result.params["init"] == "warm"
    assert e.converged_at == e.result.converged_at and e.last_iteration == int(e.result.iterations[-1])
    assert not np.array_equal(e.positions, old_map)
    assert e.new_positions is not None and not np.array_equal(e.new_positions, old_new)
    np.testing.assert_allclose(e.new_positions, e.session.transform(X_new, e.result), rtol=1e-5, atol=1e-4)


def test_clear_points(explorer, data):
    e = explorer
    e.clear_points()
    assert e.new_positions is None and e.new_labels == [] and e.new_name == "" and e.new_selected == []
    e.add_points(data[1][:3])
    e.wait()
    assert e.new_positions.shape == (3, 2) and e.new_labels == ["", "", ""] and e.new_name == "new"
    e.clear_points()


def test_errors_name_the_argument(explorer, data):
    e = explorer
    with pytest.raises(ValueError, match=r"X_new: expected points with 64 features"):
        e.add_points(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="X_new"):
        e.add_points(np.zeros(64))
    with pytest.raises(ValueError, match="labels: expected 3 values"):
        e.add_points(data[1][:3], labels=[1, 2])
    with pytest.raises(ValueError, match="name"):
        e.add_points(data[1][:3], name="")
    static = TSNEExplorer.from_embedding(np.random.default_rng(0).normal(size=(20, 2)))
    try:
        with pytest.raises(ValueError, match="X_new"):
            static.add_points(np.zeros((2, 2)))
    finally:
        static.close()


def test_model_form_takes_the_new_inputs_features(digits):
    model = nbviz.zoo.digits_cnn().model
    e = TSNEExplorer((model, digits.images[:200], "features.5"), perplexity=10, max_perplexity=10, n_iter=200)
    try:
        e.wait()
        new_images = digits.images[200:206]
        e.add_points(new_images, labels=digits.labels[200:206])
        e.wait()
        assert not e.error
        features = nbviz.extract_features(model, new_images, "features.5", progress=False)
        np.testing.assert_allclose(e.new_positions, e.session.transform(features, e.result), rtol=1e-5, atol=1e-4)
        assert e.new_thumbnails.shape == (6, 8, 8), "the inputs are pictures: their thumbnails are shown"
        with pytest.raises(ValueError, match="X_new: expected inputs the model takes"):
            e.add_points(np.zeros((2, 3)))
        # new weights: refresh() rebuilds the map, and the new points' features follow the weights now
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(1.5)
        e.refresh()
        e.wait()
        e.wait()
        assert not e.error
        features = nbviz.extract_features(model, new_images, "features.5", progress=False)
        np.testing.assert_allclose(e.new_positions, e.session.transform(features, e.result), rtol=1e-5, atol=1e-4)
    finally:
        e.close()
