"""Attribution beyond images: N×C×L sequences (a Conv1d model) and N×D table rows (an MLP) get the
gradient family, equal to Captum's; CAM methods say they need maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nbviz.attribution import saliency

captum = pytest.importorskip("captum")


def conv1d() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv1d(2, 6, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(4), nn.Flatten(), nn.Linear(24, 3)).eval()


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(7, 16), nn.Tanh(), nn.Linear(16, 3)).eval()


CASES = {"sequence": (conv1d, (4, 2, 30)), "table": (mlp, (5, 7))}


@pytest.mark.parametrize("kind", list(CASES))
def test_gradient_and_integrated_gradients_equal_captum(kind):
    from captum.attr import IntegratedGradients, Saliency

    build, shape = CASES[kind]
    model = build()
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    ours = saliency(model, x, method="gradient", target=1)
    theirs = Saliency(model).attribute(x.clone().requires_grad_(True), target=1, abs=True).detach()
    expected = theirs if x.ndim == 2 else theirs.amax(1)
    assert ours.maps.shape == ((5, 7) if kind == "table" else (4, 30))
    np.testing.assert_allclose(ours.maps, expected.numpy(), rtol=1e-5, atol=1e-7)
    ig = saliency(model, x, method="integrated_gradients", target=1, n_steps=32)
    anchor = IntegratedGradients(model).attribute(x, target=1, n_steps=32, method="gausslegendre").detach()
    np.testing.assert_allclose(ig.raw, anchor.numpy(), rtol=1e-4, atol=1e-6)
    assert ig.maps.shape == ours.maps.shape
    assert ig.plot() is not None  # bars per step / feature


def test_a_single_sequence_or_row_gets_a_batch_axis():
    assert saliency(conv1d(), torch.randn(2, 30), method="gradient").maps.shape == (1, 30)
    assert saliency(mlp(), torch.randn(7), method="gradient").maps.shape == (1, 7)
    with pytest.raises(ValueError, match="x: expected shape N×C×L or C×L"):
        saliency(conv1d(), torch.randn(2, 2, 3, 30), method="gradient")


def test_cam_methods_say_they_need_maps():
    with pytest.raises(ValueError, match="spatial"):
        saliency(conv1d(), torch.randn(2, 2, 30), method="gradcam")
