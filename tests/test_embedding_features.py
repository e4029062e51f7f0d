"""extract_features against a hand-registered hook / manual slicing; pca against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from guard_checks import ForwardCalls, ModelSnapshot, assert_guarded
from nbviz.embedding import extract_features, pca


def tiny_cnn() -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Conv2d(6, 8, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(32, 10),
    )
    with torch.no_grad():  # non-trivial BatchNorm statistics
        model[1].running_mean.uniform_(-0.5, 0.5)
        model[1].running_var.uniform_(0.5, 2.0)
    model.train()  # extract_features must switch to eval and back
    return model


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    digits = load_digits()
    return torch.tensor(digits.images[:300], dtype=torch.float32).unsqueeze(1) / 16


def hand_features(model: nn.Module, images: torch.Tensor, layer: nn.Module) -> torch.Tensor:
    out = []
    handle = layer.register_forward_hook(lambda m, i, o: out.append(o.detach().clone()))
    model.eval()
    with torch.no_grad():
        model(images)
    handle.remove()
    model.train()
    return out[0]


@pytest.mark.parametrize(
    ("pool", "reduce"), [("flatten", lambda t: t.flatten(1)), ("avg", lambda t: t.mean((2, 3))), ("max", lambda t: t.amax((2, 3)))]
)
def test_matches_hand_hook(images, pool, reduce):
    model = tiny_cnn()
    expected = reduce(hand_features(model, images, model[4])).numpy()
    features = extract_features(model, images, "4", batch_size=64, pool=pool)
    assert features.dtype == np.float32 and features.shape == expected.shape
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)


def test_matches_manual_slicing(images):
    """The output of layer 5 is model[:6](x) in eval mode."""
    model = tiny_cnn()
    model.eval()
    with torch.no_grad():
        expected = model[:6](images).flatten(1).numpy()
    model.train()
    np.testing.assert_allclose(extract_features(model, images, model[5]), expected, rtol=1e-5, atol=1e-6)


def test_data_forms_agree_and_labels_are_ignored(images):
    model = tiny_cnn()
    labels = torch.arange(len(images)) % 10
    reference = extract_features(model, images, "8")
    for data in (
        images.numpy(),
        (images, labels),
        TensorDataset(images, labels),
        DataLoader(TensorDataset(images, labels), batch_size=50),
    ):
        np.testing.assert_allclose(extract_features(model, data, "8", batch_size=37), reference, rtol=1e-6, atol=1e-7)


def test_forward_stops_after_layer(images):
    model = tiny_cnn()
    model[8].register_forward_hook(lambda m, i, o: None)  # the user's own hook stays
    with ForwardCalls(model, model[8]) as later:
        extract_features(model, images[:10], "2")
    assert later == []
    assert len(model[8]._forward_hooks) == 1


def test_guarded(images):
    model = tiny_cnn()
    snapshot = ModelSnapshot(model)
    assert_guarded(model, lambda progress: extract_features(model, images, "4", batch_size=100, progress=progress))
    snapshot.assert_unchanged(model)
    assert model.training


def test_guarded_after_layer_error(images):
    model = tiny_cnn()
    snapshot = ModelSnapshot(model)
    with pytest.raises(ValueError, match="data: expected 1 channel"):  # a clear error, inside the guarded block
        extract_features(model, images.repeat(1, 2, 1, 1), "4")
    snapshot.assert_unchanged(model)


def test_progress_fractions(images):
    seen = []
    extract_features(tiny_cnn(), images, "8", batch_size=100, progress=lambda f, m: seen.append(f))
    assert seen == [0.0, 1 / 3, 2 / 3, 1.0]


def test_errors(images):
    model = tiny_cnn()
    with pytest.raises(ValueError, match="pool: expected one of"):
        extract_features(model, images, "4", pool="median")
    with pytest.raises(ValueError, match="layer: no layer named 'conv9'"):
        extract_features(model, images, "conv9")
    with pytest.raises(ValueError, match="batch_size"):
        extract_features(model, images, "4", batch_size=0)

    class Skips(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.Linear(4, 2), nn.Linear(4, 2)

        def forward(self, x):
            return self.used(x)

    with pytest.raises(ValueError, match="'unused' did not run"):
        extract_features(Skips(), torch.zeros(5, 4), "unused")


def test_pca_matches_sklearn_up_to_sign():
    X = load_digits().data
    ours = pca(X, 10)
    reference = PCA(n_components=10, svd_solver="full").fit_transform(X)
    assert ours.shape == (len(X), 10) and ours.dtype == np.float32
    signs = np.sign((ours * reference).sum(0))
    np.testing.assert_allclose(ours, reference * signs, rtol=1e-4, atol=1e-3)
    # deterministic signs: each component's largest loading is positive, whatever the row order
    again = pca(X[::-1], 10)[::-1]
    np.testing.assert_allclose(again, ours, rtol=1e-4, atol=1e-3)


def test_pca_errors():
    X = np.random.default_rng(0).normal(size=(20, 5))
    with pytest.raises(ValueError, match=r"k: expected an integer between 1 and min\(N, D\) = 5"):
        pca(X, 6)
    with pytest.raises(ValueError, match="2-D array"):
        pca(X[0], 1)
