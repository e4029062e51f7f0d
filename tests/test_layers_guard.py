"""The model-guard promise for every nbviz.layers entry point: after a normal call, an exception and
a KeyboardInterrupt inside, the model's state, flags and hooks are exactly as before."""

from __future__ import annotations

import pytest
import torch

import nbviz.layers.filter_images as filters_module
from guard_checks import ModelSnapshot, assert_guarded
from layers_models import GuardNet, images, seeded
from nbviz._progress import Cancelled
from nbviz.layers import activation_stats, activations, filters, layer_tree, receptive_field, top_activating


def _model() -> GuardNet:
    model = seeded(GuardNet).train()  # train mode: the guard must switch to eval and back
    model.conv.weight.grad = torch.ones_like(model.conv.weight)
    return model


def _arm(model: GuardNet, call) -> None:
    """Normal call, then the model's forward raising RuntimeError and KeyboardInterrupt."""
    snapshot = ModelSnapshot(model)
    call()
    snapshot.assert_unchanged(model)
    for error in (RuntimeError("boom"), KeyboardInterrupt()):
        model.boom.error = error
        try:
            with pytest.raises((ValueError, KeyboardInterrupt)):
                call()
        finally:
            model.boom.error = None
        snapshot.assert_unchanged(model)


def test_activations_and_layer_tree():
    model = _model()
    x = images(4, 8)
    _arm(model, lambda: activations(model, x, ["bn", "relu", "fc"]))
    _arm(model, lambda: layer_tree(model, x))


def test_eval_mode_inside_does_not_touch_batchnorm_running_stats():
    model = _model()
    before = model.bn.running_mean.clone()
    got = activations(model, images(4, 8), "bn")["bn"]
    with torch.no_grad():
        bn = model.bn
        expected = torch.nn.functional.batch_norm(model.conv(images(4, 8)), bn.running_mean, bn.running_var, bn.weight, bn.bias, False)
    assert torch.allclose(got, expected) and torch.equal(model.bn.running_mean, before) and model.training


@pytest.mark.parametrize(
    "call",
    [
        lambda m, progress: activation_stats(m, images(20, 8), batch_size=8, progress=progress),
        lambda m, progress: top_activating(m, images(20, 8), "relu", 1, k=3, batch_size=8, progress=progress),
        lambda m, progress: receptive_field(m, "boom", (3, 8, 8), [(2, 2)], progress=progress),
    ],
    ids=["activation_stats", "top_activating", "receptive_field"],
)
def test_progress_entry_points(call):
    model = _model()
    assert_guarded(model, lambda progress: call(model, progress))
    _arm(model, lambda: call(model, None))
    snapshot = ModelSnapshot(model)
    with pytest.raises(Cancelled):
        call(model, lambda fraction, message: False)
    snapshot.assert_unchanged(model)


def test_top_activating_interrupted_while_probing_receptive_fields():
    model = _model()
    snapshot = ModelSnapshot(model)
    for error in (RuntimeError("late"), KeyboardInterrupt()):

        def progress(fraction, message, error=error):
            if message == "receptive fields":
                raise error

        with pytest.raises((RuntimeError, KeyboardInterrupt)):
            top_activating(model, images(20, 8), "relu", 1, k=3, batch_size=8, progress=progress)
        snapshot.assert_unchanged(model)


def test_filters(monkeypatch):
    model = _model()
    snapshot = ModelSnapshot(model)
    filters(model, "conv")
    snapshot.assert_unchanged(model)
    for error in (RuntimeError("boom"), KeyboardInterrupt()):

        def fail(weights, error=error):
            raise error

        monkeypatch.setattr(filters_module, "_scale", fail)
        with pytest.raises((RuntimeError, KeyboardInterrupt)):
            filters(model, "conv")
        snapshot.assert_unchanged(model)
