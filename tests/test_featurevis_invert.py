"""Code inversion: the first conv layer keeps (almost) everything, so x0 comes back; deeper layers lose more."""

from __future__ import annotations

import numpy as np
import pytest

from featurevis_models import digits_images, digits_model, shapes_images, shapes_model
from nbviz.featurevis import invert


@pytest.mark.parametrize("which", ["digits", "shapes"])
def test_first_conv_reconstructs_x0(which):
    model, images = (digits_model(), digits_images()) if which == "digits" else (shapes_model(), shapes_images())
    result = invert(model, "features.0", images[:2], steps=150)
    assert result.images.shape == tuple(images[:2].shape)
    # independent measure: relative error in input space, computed here with numpy
    x, x0 = result.images.reshape(2, -1), images[:2].numpy().reshape(2, -1)
    relative = np.linalg.norm(x - x0, axis=1) / np.linalg.norm(x0, axis=1)
    np.testing.assert_allclose(relative, result.relative_error, rtol=1e-5)
    assert (relative < 0.1).all(), relative
    assert (result.loss[-1] < 0.01 * result.loss[0]).all()


def test_deep_layer_keeps_less_than_shallow():
    model, x0 = digits_model(), digits_images()[:2]
    shallow = invert(model, "features.0", x0, steps=80)
    deep = invert(model, "classifier.1", x0, steps=80)
    assert deep.relative_error.mean() > 2 * shallow.relative_error.mean()


def test_single_image_and_frames():
    frames = []
    result = invert(digits_model(), "features.0", digits_images()[0], steps=9, on_frame=lambda im, s: frames.append(s), frame_every=4)
    assert result.images.shape == (1, 1, 8, 8) and result.loss.shape == (9, 1)
    assert frames == [0, 4, 8]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x0=np.zeros(5)), "x0: expected N×C×H×W"),
        (dict(steps=-1), "steps"),
        (dict(alpha=0.5), "alpha"),
        (dict(l_tv=-1.0), "l_tv"),
        (dict(layer="nope"), "layer: no layer named 'nope'"),
        (dict(x0=np.zeros((1, 3, 8, 8), dtype=np.float32)), "x0: the model failed"),
    ],
)
def test_clear_errors(kwargs, match):
    args = dict(layer="features.0", x0=digits_images()[:1], steps=2) | kwargs
    with pytest.raises(ValueError, match=match):
        invert(digits_model(), **args)
