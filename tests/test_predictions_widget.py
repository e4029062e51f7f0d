import threading

import numpy as np
import pytest
import torch
from torch import nn

import nbviz
from guard_checks import ModelSnapshot
from nbviz.prediction import predict
from nbviz.transforms import affine


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 3))

    def forward(self, x):
        return self.net(x)


def test_explorer_shows_predictions_and_leaves_model_alone():
    model = Tiny().train()
    snapshot = ModelSnapshot(model)
    x = torch.rand(5, 1, 8, 8)
    explorer = nbviz.PredictionExplorer(model, x, labels=[0, 1, 2, 0, 1], class_names=["a", "b", "<img src=x>"]).wait()
    assert explorer.error == ""
    assert explorer.images.shape == (5, 8, 8, 3) and explorer.images.dtype == np.uint8
    np.testing.assert_allclose(explorer.probabilities, predict(model, x).probabilities, atol=1e-6)
    snapshot.assert_unchanged(model)


def test_slider_change_recomputes_on_the_transformed_images():
    model = Tiny()
    x = torch.rand(4, 1, 8, 8)
    explorer = nbviz.PredictionExplorer(model, x).wait()
    explorer.angle = 90.0
    explorer.wait()
    expected = predict(model, affine(x, angle=90.0)).probabilities
    np.testing.assert_allclose(explorer.probabilities, expected, atol=1e-6)
    assert explorer.class_names == ["0", "1", "2"]


def test_rapid_changes_compute_only_the_newest():
    model = Tiny()
    calls = []
    gate = threading.Event()
    original = model.forward

    def slow_forward(x):
        calls.append(1)
        gate.wait(5)
        return original(x)

    model.forward = slow_forward
    explorer = nbviz.PredictionExplorer(model, torch.rand(2, 1, 8, 8))
    for angle in range(10, 100, 10):
        explorer.angle = float(angle)
    gate.set()
    explorer.wait()
    assert len(calls) <= 2, "intermediate slider values were dropped"
    np.testing.assert_allclose(explorer.probabilities, predict(model, affine(explorer._inputs, angle=90.0)).probabilities, atol=1e-6)


def test_errors_show_in_the_widget():
    model = nn.Sequential(nn.Flatten(), nn.Linear(10, 2))  # wrong input size for 8×8 images
    explorer = nbviz.PredictionExplorer(model, torch.rand(2, 1, 8, 8)).wait()
    assert explorer.error and explorer.progress == 1.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="images"):
        nbviz.PredictionExplorer(Tiny(), torch.rand(2, 8, 8))
    with pytest.raises(ValueError, match="labels"):
        nbviz.PredictionExplorer(Tiny(), torch.rand(2, 1, 8, 8), labels=[1])


def test_affine_identity_and_errors():
    x = torch.rand(2, 3, 6, 6)
    assert affine(x) is x
    torch.testing.assert_close(affine(x, angle=360.0), x, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="scale"):
        affine(x, scale=0)


# -- handouts -----------------------------------------------------------------------------------
def test_precompute_stores_each_slider_ladder_equal_to_predict_on_the_transformed_images():
    model = Tiny().train()
    snapshot = ModelSnapshot(model)
    x = torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    explorer = nbviz.PredictionExplorer(model, x, labels=[0, 1, 2, 0, 1]).wait()
    explorer.angle = 10.0  # the page opens on the setting it was saved with, even off the ladder
    explorer.wait()
    explorer.precompute()
    ladders = explorer.handout_ladders
    assert ladders["angle"] == [float(a) for a in range(-180, 181, 15)]
    assert ladders["shift_x"] == ladders["shift_y"] == [round(v / 10, 1) for v in range(-5, 6)]
    assert ladders["zoom"] == [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]
    params = explorer.handout_params
    assert params[0] == [10.0, 0.0, 0.0, 1.0] and len(params) == len({tuple(p) for p in params}) == 1 + 1 + 24 + 10 + 10 + 5
    for name, i in (("angle", 0), ("shift_x", 1), ("shift_y", 2), ("zoom", 3)):  # one transform at a time
        at_rest = {tuple(p) for p in params[1:] if all(p[j] == [0, 0, 0, 1][j] for j in range(4) if j != i)}
        assert {p[i] for p in at_rest} == set(ladders[name])
    assert explorer.handout_images.shape == (len(params), 5, 8, 8, 3) and explorer.handout_images.dtype == np.uint8
    assert explorer.handout_probabilities.shape == (len(params), 5, 3)
    for s in (0, 7, 30, len(params) - 1):  # the reference: predict on affine-transformed images
        angle, sx, sy, zoom = params[s]
        moved = affine(x, angle=angle, shift=(sx, sy), scale=zoom)
        expected = predict(model, moved)
        np.testing.assert_allclose(explorer.handout_probabilities[s], expected.probabilities, atol=1e-6)
        assert np.array_equal(explorer.handout_images[s], nbviz.render.to_rgb_uint8(moved))
        assert explorer.handout_accuracy[s] == float((expected.predicted == np.array([0, 1, 2, 0, 1])).mean())
    np.testing.assert_allclose(explorer.handout_probabilities[0], explorer.probabilities, atol=1e-6)
    snapshot.assert_unchanged(model)

    explorer.precompute(ladders={"angle": [90, -90]}, windows=[3])  # options for other explorers are ignored
    assert explorer.handout_ladders == {"angle": [-90.0, 0.0, 90.0], "shift_x": [0.0], "shift_y": [0.0], "zoom": [1.0]}
    assert explorer.handout_params == [[10.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0], [-90.0, 0.0, 0.0, 1.0], [90.0, 0.0, 0.0, 1.0]]
    for bad, error in (({"spin": [1]}, ValueError), ({"zoom": [0]}, ValueError), ({"angle": []}, ValueError),
                       ({"angle": ["a"]}, ValueError), ([15], TypeError)):
        with pytest.raises(error, match="ladders"):
            explorer.precompute(ladders=bad)


def test_precompute_keeps_large_images_within_the_handout_budget():
    import nbviz.widgets.predictions as predictions

    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    explorer = nbviz.PredictionExplorer(model, torch.rand(16, 3, 224, 224)).wait()
    explorer.precompute()  # 50 states of 16 images: shrunk to fit, full ladders kept
    assert explorer.handout_images.nbytes <= predictions.HANDOUT_BYTES and len(explorer.handout_params) == 50
    assert explorer.handout_images.shape[2:] == (56, 56, 3)
    explorer = nbviz.PredictionExplorer(model, torch.rand(64, 3, 96, 96), max_images=64).wait()
    explorer.precompute()  # 64 images: 48 px, then thinner ladders (ends and rest kept)
    assert explorer.handout_images.nbytes <= predictions.HANDOUT_BYTES and explorer.handout_images.shape[2] == 48
    angles = explorer.handout_ladders["angle"]
    assert 3 <= len(angles) < 25 and {-180.0, 0.0, 180.0} <= set(angles)
