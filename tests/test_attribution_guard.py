"""Guard invariant for every attribution entry point: after a normal call, an exception and a
KeyboardInterrupt raised from the progress callback, the model is bitwise unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from attribution_models import images, small_cnn
from guard_checks import assert_guarded
from nbviz.attribution import SALIENCY_METHODS, pointing_game, randomization_check, saliency


@pytest.fixture()
def model():
    m = small_cnn()
    m.train()  # the guard must put training mode back
    m.features[1].weight.requires_grad_(False)
    m.classifier.weight.grad = torch.ones_like(m.classifier.weight)
    return m


OPTIONS = {"smoothgrad": {"n_samples": 3}, "integrated_gradients": {"n_steps": 4}}


@pytest.mark.parametrize("method", SALIENCY_METHODS)
def test_saliency_leaves_the_model_unchanged(model, method):
    x = images(2, 16)
    assert_guarded(model, lambda progress: saliency(model, x, method=method, batch_size=3, progress=progress, **OPTIONS.get(method, {})))


def test_pointing_game_leaves_the_model_unchanged(model):
    x, masks = images(3, 16), np.ones((3, 16, 16))
    assert_guarded(model, lambda progress: pointing_game("gradcam", model, x, masks, chunk_size=2, progress=progress))


def test_randomization_check_leaves_the_model_unchanged(model):
    x = images(1, 16)
    assert_guarded(model, lambda progress: randomization_check(model, x, "gradient", progress=progress))


def test_progress_reaches_one_and_cancel_stops(model):
    from nbviz._progress import Cancelled

    seen = []
    saliency(model, images(2, 16), method="integrated_gradients", n_steps=8, batch_size=4, progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 4
    with pytest.raises(Cancelled):
        saliency(model, images(2, 16), method="smoothgrad", progress=lambda f, m: f < 0.5)
