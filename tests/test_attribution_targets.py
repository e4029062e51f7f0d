"""Target forms and the errors of ``saliency``; references: a hand-computed argmax/gather and
single-target calls."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from attribution_models import images, small_cnn
from nbviz.attribution import SALIENCY_METHODS, resolve_target, saliency

OUTPUT = torch.tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 1.0]])


@pytest.mark.parametrize(
    "target, classes",
    [
        (None, [1, 0]),
        (2, [2, 2]),
        (np.int64(1), [1, 1]),
        ([0, 2], [0, 2]),
        ((2, 1), [2, 1]),
        (np.array([1, 1]), [1, 1]),
        (torch.tensor([2, 0]), [2, 0]),
    ],
)
def test_class_targets(target, classes):
    resolved = resolve_target(target, OUTPUT)
    assert resolved.as_array().tolist() == classes
    expected = OUTPUT[torch.arange(2), torch.tensor(classes)]
    torch.testing.assert_close(resolved.scores(OUTPUT), expected)
    # rows owned by inputs (noise samples, IG steps): row r explains input owners[r]
    owners = torch.tensor([1, 1, 0])
    torch.testing.assert_close(resolved.scores(OUTPUT[owners], owners), expected[owners])


def test_callable_target():
    resolved = resolve_target(lambda out: out.softmax(1)[:, 2], OUTPUT)
    assert resolved.as_array() is None
    torch.testing.assert_close(resolved.scores(OUTPUT), OUTPUT.softmax(1)[:, 2])


@pytest.mark.parametrize(
    "target, error, match",
    [
        (3, ValueError, "class 3 is out of range for a model with 3 outputs"),
        (-1, ValueError, "class -1 is out of range"),
        ([0, 1, 2], ValueError, "got 3 targets for 2 inputs"),
        ([0.0, 1.0], TypeError, "one int per input"),
        (torch.zeros(2, 1, dtype=torch.long), TypeError, "1-D integer"),
        ("cat", TypeError, "expected None, an int"),
        (True, TypeError, "got bool"),
        (lambda out: out, ValueError, r"must return a tensor of shape \(2,\)"),
    ],
)
def test_target_errors(target, error, match):
    with pytest.raises(error, match=match):
        resolve_target(target, OUTPUT)


def test_class_targets_need_a_2d_output():
    with pytest.raises(ValueError, match="pass a callable target"):
        resolve_target(None, torch.zeros(2, 3, 4))


@pytest.fixture(scope="module")
def model_x():
    return small_cnn(), images(3, 16)


# smoothgrad draws one noise stream for the whole batch (as Captum does), so an input's noise
# depends on its position; its per-input targets are covered by the Captum test.
@pytest.mark.parametrize("method", [m for m in SALIENCY_METHODS if m != "smoothgrad"])
def test_per_input_targets_equal_single_calls(model_x, method):
    model, x = model_x
    options = {"n_steps": 8} if method == "integrated_gradients" else {}
    both = saliency(model, x, [4, 1, 2], method, **options)
    assert both.target.tolist() == [4, 1, 2]
    for i, t in enumerate([4, 1, 2]):
        one = saliency(model, x[i], t, method, **options)  # a C×H×W input gets a batch axis
        np.testing.assert_allclose(both.maps[i], one.maps[0], rtol=1e-5, atol=1e-6 * np.abs(one.maps).max())


def test_callable_target_equals_int_target_and_default_is_prediction(model_x):
    model, x = model_x
    by_int = saliency(model, x, 2, "integrated_gradients", n_steps=8)
    by_fn = saliency(model, x, lambda out: out[:, 2], "integrated_gradients", n_steps=8)
    np.testing.assert_allclose(by_fn.raw, by_int.raw, rtol=1e-6)
    np.testing.assert_allclose(by_fn.delta, by_int.delta, rtol=1e-6, atol=1e-7)
    assert by_fn.target is None
    with torch.no_grad():
        predicted = model(x).argmax(1)
    assert saliency(model, x, method="gradcam").target.tolist() == predicted.tolist()


def test_numpy_input_is_accepted(model_x):
    model, x = model_x
    np.testing.assert_array_equal(saliency(model, x.numpy()).maps, saliency(model, x).maps)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"method": "saliency"}, ValueError, "method: expected one of gradient, gradient_x_input, smoothgrad"),
        ({"method": "gradient", "layer": "features"}, ValueError, "layer: only the CAM methods"),
        ({"method": "smoothgrad", "n_steps": 3}, TypeError, "smoothgrad: unknown option.*n_steps.*accepts: n_samples, noise_level, seed"),
        ({"method": "gradient", "n_samples": 3}, TypeError, "accepts: none"),
        ({"method": "smoothgrad", "n_samples": 0}, ValueError, "n_samples: expected a positive int"),
        ({"method": "integrated_gradients", "rule": "simpson"}, ValueError, "rule: expected one of gausslegendre"),
        ({"method": "integrated_gradients", "baseline": torch.zeros(3, 8, 8)}, ValueError, "baseline: expected shape"),
        ({"method": "integrated_gradients", "baseline": "black"}, TypeError, "baseline: expected None"),
        ({"batch_size": 0}, ValueError, "batch_size: expected 'auto' or a positive int"),
        ({"memory_budget_mb": -1}, ValueError, "memory_budget_mb"),
        ({"target": 7}, ValueError, "target: class 7 is out of range"),
    ],
)
def test_saliency_errors(model_x, kwargs, error, match):
    model, x = model_x
    with pytest.raises(error, match=match):
        saliency(model, x, **kwargs)


@pytest.mark.parametrize("bad, error", [(torch.zeros(16, 16), ValueError), (torch.zeros(1, 1, 3, 16, 16), ValueError), ([1, 2], TypeError)])
def test_wrong_input_shape(model_x, bad, error):
    with pytest.raises(error, match="x: expected"):
        saliency(model_x[0], bad)


def test_plot_returns_a_figure(model_x):
    model, x = model_x
    fig = saliency(model, x, method="gradcam").plot(x)
    assert type(fig).__name__ == "Figure" and len(fig.axes) == 3
