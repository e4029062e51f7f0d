"""Every feature-visualisation entry point leaves the model exactly as it found it: after a normal
call, an exception and a KeyboardInterrupt raised from the progress callback (or frame callback)."""

from __future__ import annotations

import pytest
import torch

from featurevis_models import digits_images
from guard_checks import ModelSnapshot, assert_guarded
from nbviz import zoo
from nbviz.featurevis import invert, maximize, multifaceted


def trained_in_train_mode():
    """A zoo model in train mode, with a .grad set and one frozen parameter: all must come back."""
    model = zoo.digits_cnn().model
    fresh = zoo.DigitsCNN()
    fresh.load_state_dict(model.state_dict())
    fresh.train()
    fresh.features[0].weight.grad = torch.ones_like(fresh.features[0].weight)
    fresh.classifier[1].bias.requires_grad_(False)
    return fresh


CALLS = {
    "maximize": lambda m, p: maximize(m, "features.3", [0, (1, 2, 2)], steps=3, size=8, progress=p),
    "maximize_logit": lambda m, p: maximize(m, None, 3, steps=3, size=8, param="pixel", progress=p),
    "invert": lambda m, p: invert(m, "features.4", digits_images()[:2], steps=3, progress=p),
    "multifaceted": lambda m, p: multifaceted(m, "features.3", 1, digits_images()[:80], k=2, n_top=12, steps=3, progress=p),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_guarded(name):
    model = trained_in_train_mode()
    assert_guarded(model, lambda p: CALLS[name](model, p))


@pytest.mark.parametrize("error", [RuntimeError("frame"), KeyboardInterrupt()])
def test_guarded_when_frame_callback_raises(error):
    model = trained_in_train_mode()
    snapshot = ModelSnapshot(model)

    def on_frame(images, step):
        raise error

    with pytest.raises(type(error)):
        maximize(model, "features.3", 0, steps=3, size=8, on_frame=on_frame)
    snapshot.assert_unchanged(model)
    with pytest.raises(type(error)):
        invert(model, "features.0", digits_images()[:1], steps=3, on_frame=on_frame)
    snapshot.assert_unchanged(model)


def test_cancelled_by_progress_false():
    from nbviz._progress import Cancelled

    model = trained_in_train_mode()
    snapshot = ModelSnapshot(model)
    with pytest.raises(Cancelled):
        maximize(model, "features.3", 0, steps=50, size=8, progress=lambda f, m: f < 0.1)
    snapshot.assert_unchanged(model)
