"""Activation maximisation on the zoo models, checked against activations captured independently
(``nbviz.layers.activations``, no gradients) and against direct model calls."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from featurevis_models import digits_images, digits_model, shapes_images, shapes_model
from nbviz.featurevis import maximize
from nbviz.layers import activations


def channel_means(model, images, layer):
    return activations(model, images, layer)[layer].mean(dim=(2, 3))


def test_am_beats_every_digit_image():
    model, layer, units = digits_model(), "features.3", [0, 1, 5]
    result = maximize(model, layer, units, steps=120, param="pixel", size=8, lr=0.1)
    dataset_best = channel_means(model, digits_images(), layer)[:, units].max(0).values
    # independent re-evaluation of the returned images
    own = channel_means(model, torch.from_numpy(result.images), layer)[torch.arange(3), torch.tensor(units)]
    np.testing.assert_allclose(own.numpy(), result.activations, rtol=1e-4, atol=1e-5)
    assert (own > dataset_best).all(), (own, dataset_best)
    assert result.images.shape == (3, 1, 8, 8) and result.images.dtype == np.float32
    assert result.images.min() >= 0 and result.images.max() <= 1


def test_am_beats_every_shapes_image_fft():
    model, layer = shapes_model(), "features.3"
    result = maximize(model, layer, [3, 10], steps=48, param="fft", size=32)
    dataset_best = channel_means(model, shapes_images(), layer)[:, [3, 10]].max(0).values.numpy()
    assert (result.activations > dataset_best).all(), (result.activations, dataset_best)


def test_activation_rises_over_steps():
    result = maximize(digits_model(), "features.6", [2, 7], steps=40, size=8)
    assert result.history.shape == (40, 2)
    early, late = result.history[:5].mean(0), result.history[-5:].mean(0)
    assert (late > early + 0.1).all(), (early, late)


def test_logit_and_neuron_objectives_match_direct_model_calls():
    model = digits_model()
    logit = maximize(model, None, [3], steps=30, size=8, param="pixel")
    with torch.no_grad():
        direct = model(torch.from_numpy(logit.images))[0, 3].item()
    assert logit.layer == "output"
    assert logit.activations[0] == pytest.approx(direct, rel=1e-5)
    assert logit.history[-1, 0] > logit.history[0, 0]
    neuron = maximize(model, "features.0", [(4, 3, 5)], steps=20, size=8, param="pixel", transforms=())
    direct = activations(model, torch.from_numpy(neuron.images), "features.0")["features.0"][0, 4, 3, 5].item()
    assert neuron.activations[0] == pytest.approx(direct, rel=1e-5)


def test_batched_equals_one_by_one():
    """Per-image noise and transforms come from (seed, unit), and Adam is element-wise, so batching
    changes only float rounding in the convolutions."""
    model, units = shapes_model(), [1, 4, 9]
    together = maximize(model, "features.3", units, steps=12, size=16, seed=3)
    for i, unit in enumerate(units):
        alone = maximize(model, "features.3", unit, steps=12, size=16, seed=3)
        np.testing.assert_allclose(alone.images[0], together.images[i], atol=1e-4)
        np.testing.assert_allclose(alone.history[:, 0], together.history[:, i], rtol=1e-3, atol=1e-4)


def test_same_seed_same_result_and_other_seed_differs():
    model = digits_model()
    a = maximize(model, "features.3", 2, steps=5, size=8, seed=1)
    b = maximize(model, "features.3", 2, steps=5, size=8, seed=1)
    c = maximize(model, "features.3", 2, steps=5, size=8, seed=2)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.allclose(a.images, c.images)


def test_progress_and_frames():
    calls, frames = [], []
    maximize(digits_model(), "features.3", [0, 1], steps=10, size=8,
             progress=lambda f, m: calls.append(f), on_frame=lambda imgs, step: frames.append((imgs.shape, step)),
             frame_every=4)
    assert calls[-1] == 1.0 and calls == sorted(calls)
    assert [s for _, s in frames] == [0, 4, 8, 9]
    assert all(shape == (2, 1, 8, 8) for shape, _ in frames)


def test_blur_and_regularisers_smooth_the_image():
    model = shapes_model()
    plain = maximize(model, "features.3", 5, steps=30, size=32, param="pixel", transforms=())
    smooth = maximize(model, "features.3", 5, steps=30, size=32, param="pixel", transforms=(), tv=2.0, blur_every=4, blur_sigma=1.0)

    def tv(x):
        return np.abs(np.diff(x, axis=-1)).mean() + np.abs(np.diff(x, axis=-2)).mean()

    assert tv(smooth.images) < 0.7 * tv(plain.images)


def test_plot_returns_figure():
    from matplotlib.figure import Figure

    result = maximize(digits_model(), "features.3", [0, 1], steps=2, size=8)
    assert isinstance(result.plot(), Figure)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(layer="features.3", units=99), ValueError, "units: 'features.3' has 32 channels"),
        (dict(layer="featurs.3", units=0), ValueError, "layer: no layer named 'featurs.3'"),
        (dict(layer="features.3", units="a"), TypeError, "units"),
        (dict(layer="features.3", units=[(1, 20, 20)]), ValueError, "units: neuron"),
        (dict(layer="features.3", units=0, param="dct"), ValueError, "param"),
        (dict(layer="features.3", units=0, transforms=("flip",)), ValueError, "transforms"),
        (dict(layer="features.3", units=0, steps=0), ValueError, "steps"),
        (dict(layer="features.3", units=0, tv=-1), ValueError, "tv"),
        (dict(layer="features.3", units=0, center_bias=True), ValueError, "center_bias"),
        (dict(layer=None, units=0, size=32), ValueError, "size: the model failed"),
        (dict(layer="features.3", units=0, size=0), ValueError, "size"),
    ],
)
def test_clear_errors(kwargs, error, match):
    kwargs.setdefault("size", 8)
    with pytest.raises(error, match=match):
        maximize(digits_model(), **kwargs)
