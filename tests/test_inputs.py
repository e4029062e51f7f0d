"""One input-checking path (nbviz/_inputs.py): every entry point converts or rejects the same inputs
the same way, with an error that names the argument (issue 16, part 5)."""

from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

import nbviz
from attribution_models import SmallCNN, images, small_cnn
from nbviz._inputs import check_labels, first_conv, model_input
from nbviz.prediction import predict

CLASSES = 5  # small_cnn's outputs


def _saliency(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    return nbviz.saliency(model, x, method="gradient").maps


def _occlusion(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    return nbviz.occlusion(model, x[0], window=4, stride=4).drop_map


def _predict(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    return predict(model, x).probabilities


ENTRY_POINTS: dict[str, Callable[[nn.Module, torch.Tensor], np.ndarray]] = {
    "saliency": _saliency,
    "occlusion": _occlusion,
    "predict": _predict,
}


@pytest.fixture(scope="module")
def model() -> nn.Module:
    return small_cnn()


@pytest.fixture(scope="module")
def x() -> torch.Tensor:
    return images(2, 16)


# -- dtype: matched to the model's parameters ----------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float64, torch.float16])
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_float_input_is_cast_to_the_model_dtype(model, x, entry, dtype):
    given = x.to(dtype)
    expected = ENTRY_POINTS[entry](model, given.float())  # what the cast gives, exactly
    np.testing.assert_array_equal(ENTRY_POINTS[entry](model, given), expected)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_float64_model_gets_float64_input(x, entry):
    model = small_cnn().double()
    assert model_input(x, model).dtype == torch.float64
    np.testing.assert_array_equal(ENTRY_POINTS[entry](model, x), ENTRY_POINTS[entry](model, x.double()))


# -- channels: checked against the first convolution -----------------------------------------------------
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_wrong_channel_count_names_argument_and_first_layer(model, x, entry):
    with pytest.raises(ValueError, match=r"x: expected 3 channel\(s\), as the model's first layer 'features.0' takes, got 1"):
        ENTRY_POINTS[entry](model, x[:, :1])


def test_channels_unchecked_when_the_first_layer_is_not_a_known_convolution():
    assert first_conv(nn.Sequential(nn.Flatten(), nn.Linear(12, 2))) is None
    assert first_conv(nn.Sequential(nn.LazyConv2d(4, 3), nn.ReLU())) is None
    late = nn.Sequential(nn.BatchNorm2d(1), nn.Conv2d(3, 4, 3))  # first layer with weights is not a conv
    assert first_conv(late) is None


# -- meta-device model ------------------------------------------------------------------------------------
META_CALLS: dict[str, Callable[[nn.Module, torch.Tensor], object]] = {
    **ENTRY_POINTS,
    "PredictionExplorer": lambda m, x: nbviz.PredictionExplorer(m, x),
    "SaliencyExplorer": lambda m, x: nbviz.SaliencyExplorer(m, x),
    "OcclusionExplorer": lambda m, x: nbviz.OcclusionExplorer(m, x),
    "activations": lambda m, x: nbviz.activations(m, x, ["features.0"]),
    "activation_stats": lambda m, x: nbviz.activation_stats(m, x),
    "top_activating": lambda m, x: nbviz.top_activating(m, x, "features.4", channel=0, k=1),
    "extract_features": lambda m, x: nbviz.extract_features(m, x, "pool"),
    "pointing_game": lambda m, x: nbviz.pointing_game("gradient", m, x, torch.ones(len(x), 16, 16)),
    "featurevis.maximize": lambda m, x: nbviz.featurevis.maximize(m, "features.0", units=[0]),
    "featurevis.invert": lambda m, x: nbviz.featurevis.invert(m, "features.0", x[0]),
    "landscape.plane": lambda m, x: nbviz.landscape.plane(m, nn.functional.cross_entropy, (x, torch.zeros(len(x), dtype=torch.long))),
    "landscape.line": lambda m, x: nbviz.landscape.line(m, nn.functional.cross_entropy, (x, torch.zeros(len(x), dtype=torch.long))),
}


@pytest.mark.parametrize("call", META_CALLS.values(), ids=META_CALLS)
def test_meta_device_model_is_rejected(x, call):
    meta = SmallCNN(CLASSES).to("meta")
    with pytest.raises(ValueError, match=r"model: .*not materialised \('features.0.weight' is on the meta device\)"):
        call(meta, x)


# -- inference-mode input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["gradient", "gradient_x_input", "guided_backprop", "guided_gradcam"])
def test_inference_mode_input_gets_gradients(model, x, method):
    """The methods that take gradients of the inputs themselves (the others feed copies)."""
    with torch.inference_mode():
        frozen = x.clone()
    assert frozen.is_inference()
    expected = nbviz.saliency(model, x, method=method).maps
    np.testing.assert_array_equal(nbviz.saliency(model, frozen, method=method).maps, expected)


# -- empty batch ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, argument",
    [(lambda m, x: predict(m, x), "x"), (lambda m, x: nbviz.PredictionExplorer(m, x), "images")],
    ids=["predict", "PredictionExplorer"],
)
def test_empty_batch_is_rejected(model, x, call, argument):
    with pytest.raises(ValueError, match=rf"{argument}: expected at least one input, got an empty batch of shape \(0, 3, 16, 16\)"):
        call(model, x[:0])


# -- NaN / inf --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_non_finite_input_is_rejected(model, x, entry, bad):
    broken = x.clone()
    broken[0, 1, 5, 7] = bad
    with pytest.raises(ValueError, match=r"x: contains NaN or inf in 1 input\(s\): 0"):
        ENTRY_POINTS[entry](model, broken)


# -- t-SNE on identical points ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [lambda X: nbviz.tsne(X, perplexity=5), lambda X: nbviz.TSNESession(X), lambda X: nbviz.TSNEExplorer(X)],
    ids=["tsne", "TSNESession", "TSNEExplorer"],
)
def test_tsne_of_identical_points_is_rejected(call):
    with pytest.raises(ValueError, match="X: expected points that differ, got 40 identical points"):
        call(np.ones((40, 6)))


def test_tsne_of_points_that_differ_a_little_still_runs():
    X = np.ones((40, 6))
    X[0, 0] = 2.0  # one point apart: a meaningful (if dull) map
    assert np.isfinite(nbviz.tsne(X, perplexity=5, n_iter=60, early_iter=30).embedding).all()


# -- labels and class names of the explorers --------------------------------------------------------------
EXPLORERS = {
    "PredictionExplorer": lambda m, x, **kw: nbviz.PredictionExplorer(m, x, **kw),
    "SaliencyExplorer": lambda m, x, **kw: nbviz.SaliencyExplorer(m, x, methods=["gradient"], **kw),
}


@pytest.mark.parametrize("names", [["a", "b"], [str(i) for i in range(CLASSES + 1)]], ids=["short", "long"])
@pytest.mark.parametrize("explorer", EXPLORERS)
def test_class_names_of_the_wrong_length_are_rejected(model, x, explorer, names):
    with pytest.raises(ValueError, match=rf"class_names: expected {CLASSES} names \(the model has {CLASSES} classes\), got {len(names)}"):
        EXPLORERS[explorer](model, x, class_names=names)


@pytest.mark.parametrize("labels", [[0, CLASSES], torch.tensor([-1, 0])], ids=["too-high", "negative-tensor"])
@pytest.mark.parametrize("explorer", EXPLORERS)
def test_out_of_range_labels_are_rejected(model, x, explorer, labels):
    with pytest.raises(ValueError, match=rf"labels: expected classes in 0…{CLASSES - 1} \(the model has {CLASSES} classes\)"):
        EXPLORERS[explorer](model, x, labels=labels)


@pytest.mark.parametrize("explorer", EXPLORERS)
def test_valid_labels_and_names_are_kept(model, x, explorer):
    shown = EXPLORERS[explorer](model, x, labels=torch.tensor([4, 0]), class_names=list("abcde")).wait()
    assert shown.error == "" and shown.labels == [4, 0] and shown.class_names == list("abcde")
    shown.close()


def test_check_labels_accepts_whole_floats_and_rejects_fractions():
    assert check_labels(np.array([1.0, 2.0]), 2, CLASSES) == [1, 2]
    with pytest.raises(ValueError, match="labels: expected one int class per input"):
        check_labels([0.5, 1.0], 2, CLASSES)
    with pytest.raises(ValueError, match="labels: expected 2 labels for 2 inputs, got 3"):
        check_labels([0, 1, 2], 2, CLASSES)


def test_float64_batches_from_data_are_matched_to_the_model_in_features_and_landscape():
    """Data given as batches (tensors, Datasets, pairs) goes through the same input check."""
    from nbviz.embedding import extract_features
    from nbviz.landscape import plane

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    x = torch.rand(20, 1, 8, 8, dtype=torch.float64)
    y = torch.randint(0, 3, (20,))
    np.testing.assert_allclose(extract_features(model, x, "3"), extract_features(model, x.float(), "3"), rtol=1e-6)
    ce = nn.CrossEntropyLoss()
    a = plane(model, ce, (x, y), resolution=3, preview=None)
    b = plane(model, ce, (x.float(), y), resolution=3, preview=None)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-6)
    bad = x.clone()
    bad[3, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="data: contains NaN"):
        extract_features(model, bad, "3")
    with pytest.raises(ValueError, match="data: contains NaN"):
        plane(model, ce, (bad, y), resolution=3, preview=None)
