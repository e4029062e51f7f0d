"""plane() agrees with loss-landscapes (the reference package) on the same plane, at measured and forced batch sizes."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from landscape_models import digits, tiny_cnn
from nbviz.landscape import plane
from reference_packages import require

loss_landscapes = require("loss_landscapes")
require("loss_landscapes.metrics")


def moved(model: nn.Module, *steps: tuple[dict, float]) -> nn.Module:
    """A copy of ``model`` with every parameter moved by the sum of ``scale × direction``."""
    out = copy.deepcopy(model)
    with torch.no_grad():
        for name, p in out.named_parameters():
            for direction, scale in steps:
                p.add_(direction[name], alpha=scale)
    return out.eval()


@pytest.mark.parametrize("batch_size", [None, 64])
def test_plane_matches_loss_landscapes_planar_interpolation(batch_size):
    """loss-landscapes evaluates ``start + i·dir_one + k·dir_two``; in its even rows ``k = j + 1`` (it
    steps along dir_two before evaluating), in its odd rows ``k = j``. Both are compared."""
    model, (x, y), loss_fn = tiny_cnn(), digits(300), nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(5)
    d1 = {n: 0.3 * torch.randn(p.shape, generator=g) for n, p in model.named_parameters()}
    d2 = {n: 0.3 * torch.randn(p.shape, generator=g) for n, p in model.named_parameters()}
    span, steps = 1.0, 7
    h = 2 * span / (steps - 1)
    ours = plane(model, loss_fn, (x, y), directions=[d1, d2], span=span, resolution=steps,
                 batch_size=batch_size, progress=False)
    start = moved(model, (d1, -span), (d2, -span))
    reference = loss_landscapes.planar_interpolation(
        start, moved(start, (d1, steps * h)), moved(start, (d2, steps * h)),
        loss_landscapes.metrics.Loss(loss_fn, x, y), steps=steps, deepcopy_model=True,
    )  # reference[i, j]: α index i; ours.loss[k, i]: rows follow β
    for i in range(steps):
        if i % 2:
            np.testing.assert_allclose(reference[i], ours.loss[:, i], rtol=2e-5)
        else:
            np.testing.assert_allclose(reference[i, :-1], ours.loss[1:, i], rtol=2e-5)
    assert np.ptp(ours.loss) > 0.1  # a plane with real relief, not a flat one that anything matches
