"""The model guard promise for every landscape entry point, including a KeyboardInterrupt mid-grid."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from guard_checks import ModelSnapshot, assert_guarded
from landscape_models import digits, tiny_cnn
from nbviz.landscape import line, plane, trajectory

CE = nn.CrossEntropyLoss()


@pytest.fixture
def model():
    m = tiny_cnn(0)
    m.train()  # flags must come back as they were
    m.bn2.weight.requires_grad_(False)
    m.fc.weight.grad = torch.ones_like(m.fc.weight)
    return m


DATA = digits(120)
CHECKPOINTS = [{k: v + 0.01 * i for k, v in tiny_cnn(0).named_parameters()} for i in range(1, 5)]


@pytest.mark.parametrize(
    "call",
    [
        lambda m, p: plane(m, CE, DATA, resolution=3, progress=p),
        lambda m, p: plane(m, CE, DATA, resolution=3, recompute_bn=True, progress=p),
        lambda m, p: plane(m, CE, DATA, resolution=3, preview=30, progress=p),
        lambda m, p: plane(m, CE, DATA, directions="pca", checkpoints=CHECKPOINTS, resolution=3, progress=p),
        lambda m, p: line(m, CE, DATA, alphas=[0.0, 1.0], progress=p),
    ],
    ids=["plane", "recompute_bn", "preview", "pca", "line"],
)
def test_guarded_after_normal_exception_and_interrupt(model, call):
    assert_guarded(model, lambda progress: call(model, progress))


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
@pytest.mark.parametrize("recompute_bn", [False, True])
def test_interrupt_mid_grid_restores_everything(model, error, recompute_bn):
    snapshot = ModelSnapshot(model)
    calls = []

    def progress(fraction, message):
        calls.append(fraction)
        if len(calls) == 40:
            raise error()

    partials = []
    with pytest.raises(error):
        plane(model, CE, DATA, resolution=11, progress=progress, recompute_bn=recompute_bn,
              on_partial=lambda r, f: partials.append(f))
    assert 0 < calls[-1] < 1 and calls == sorted(calls)
    snapshot.assert_unchanged(model)


def test_cancel_from_progress_raises_cancelled(model):
    from nbviz._progress import Cancelled

    snapshot = ModelSnapshot(model)
    with pytest.raises(Cancelled):
        plane(model, CE, DATA, resolution=5, progress=lambda f, m: f < 0.3)
    snapshot.assert_unchanged(model)


def test_trajectory_is_guarded(model):
    snapshot = ModelSnapshot(model)
    trajectory(model, CHECKPOINTS)
    snapshot.assert_unchanged(model)
    with pytest.raises(ValueError):
        trajectory(model, CHECKPOINTS[:1])
    snapshot.assert_unchanged(model)
