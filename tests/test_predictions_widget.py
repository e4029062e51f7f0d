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
