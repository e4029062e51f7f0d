"""Issue 13, item 6: say when a saliency method cannot mean anything.

- Guided backprop / guided Grad-CAM on models without ``nn.ReLU`` modules equal the plain
  gradient (× Grad-CAM) bitwise: the result and the SaliencyExplorer say so.
- A map whose effect on the output is below floating-point resolution is "all zero": blank,
  not stretched to full contrast.

References: gradients by hand with ``torch.autograd.grad``, and a float64 rerun of the same model.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import nbviz
from nbviz.attribution.meaning import NOISE_ULPS


def _net(act: type[nn.Module] | None, seed: int = 0, head_scale: float = 1.0) -> nn.Module:
    torch.manual_seed(seed)
    layers = [nn.Conv2d(3, 8, 3, padding=1), act() if act else nn.Identity(), nn.Conv2d(8, 8, 3, padding=1),
              act() if act else nn.Identity(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, 5)]
    model = nn.Sequential(*layers).eval()
    with torch.no_grad():
        model[-1].weight.mul_(head_scale)
        model[-1].bias.mul_(head_scale)
    return model


class FunctionalRelu(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv, self.fc = nn.Conv2d(3, 8, 3, padding=1), nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(F.relu(self.conv(x)).mean(dim=(2, 3)))


def _hand_gradient(model: nn.Module, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x).gather(1, target[:, None]).sum(), x)
    return grad


@pytest.mark.parametrize("act", [nn.GELU, nn.SiLU, nn.ReLU6])
def test_guided_backprop_without_relu_modules_is_the_gradient_and_says_so(act):
    model = _net(act)
    x = torch.rand(3, 3, 12, 12)
    guided = nbviz.saliency(model, x, method="guided_backprop")
    plain = _hand_gradient(model, x, torch.as_tensor(guided.target))
    np.testing.assert_array_equal(guided.raw, plain.numpy())  # bitwise: nothing was guided
    assert len(guided.notes) == 1 and "no nn.ReLU module ran" in guided.notes[0]
    assert f"{act.__name__} ×2" in guided.notes[0] and "plain gradient" in guided.notes[0]
    gg = nbviz.saliency(model, x, method="guided_gradcam")
    assert any("guided_gradcam: no nn.ReLU" in n and "× Grad-CAM" in n for n in gg.notes)


def test_functional_relu_is_named_as_the_likely_cause():
    model, x = FunctionalRelu().eval(), torch.rand(2, 3, 10, 10)
    guided = nbviz.saliency(model, x, method="guided_backprop")
    np.testing.assert_array_equal(guided.raw, _hand_gradient(model, x, torch.as_tensor(guided.target)).numpy())
    assert "relu as a function" in guided.notes[0]


def test_relu_models_are_guided_without_a_note_and_mixed_ones_are_partly_guided():
    model, x = _net(nn.ReLU), torch.rand(2, 3, 12, 12)
    guided = nbviz.saliency(model, x, method="guided_backprop")
    assert guided.notes == []
    assert not np.array_equal(guided.raw, _hand_gradient(model, x, torch.as_tensor(guided.target)).numpy())
    mixed = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.Hardswish(), nn.Flatten(), nn.Linear(8 * 8 * 8, 4)).eval()
    note = nbviz.saliency(mixed, x, method="guided_backprop").notes
    assert len(note) == 1 and "only the 1 nn.ReLU module(s) are guided" in note[0] and "Hardswish ×1" in note[0]


def test_a_map_of_numerical_noise_is_all_zero_not_stretched():
    model = _net(nn.Tanh, head_scale=1e-15)  # logits ~1e-16: no input moves the probabilities
    x = torch.rand(2, 3, 12, 12)
    result = nbviz.saliency(model, x, method="gradient")
    grad = _hand_gradient(model, x, torch.as_tensor(result.target))
    assert 0 < grad.abs().max() < 1e-14  # tiny but not zero: the old normalisation stretched it to [0, 1]
    with torch.no_grad():
        logits = model(x)
    # hand check of the rule: Σ|g|·max|x| is far below NOISE_ULPS·eps·max(1, max|logit|)
    assert float(grad.abs().sum() * x.abs().max()) < NOISE_ULPS * torch.finfo(torch.float32).eps * max(1.0, float(logits.abs().max()))
    assert result.all_zero.tolist() == [True, True]
    assert np.all(result.normalized() == 0)
    assert any("all zero for every input" in n for n in result.notes)
    for method in ("integrated_gradients", "gradcam", "smoothgrad", "gradient_x_input"):
        r = nbviz.saliency(model, x, method=method, **({"n_samples": 3} if method == "smoothgrad" else {}))
        assert r.all_zero.tolist() == [True, True] and np.all(r.normalized() == 0), method


def test_real_maps_are_not_called_noise():
    model, x = _net(nn.ReLU), torch.rand(2, 3, 12, 12)
    for method in ("gradient", "integrated_gradients", "gradcam", "guided_backprop"):
        r = nbviz.saliency(model, x, method=method)
        assert r.all_zero.tolist() == [False, False] and r.notes == [], method
        assert np.isclose(r.normalized().max(), 1.0), method
    # inputs in the millions read by weights of 1e-6: the same function, gradients 1e-6 as large, and
    # still real, because the input's scale puts them in score units
    scaled = _net(nn.ReLU)
    with torch.no_grad():
        scaled[0].weight.mul_(1e-6)
    big = x * 1e6
    r = nbviz.saliency(scaled, big, method="gradient")
    reference = nbviz.saliency(model, x, method="gradient")
    assert r.maps.max() < 1e-6 and r.all_zero.tolist() == [False, False]
    np.testing.assert_allclose(r.normalized(), reference.normalized(), atol=1e-3)


def test_float64_agrees_the_tiny_gradients_are_exact_yet_meaningless():
    """The rule is about what the model can report, not rounding: float64 reproduces the float32
    gradient of the tiny-logit model, and it is still all zero in both precisions."""
    model = _net(nn.Tanh, head_scale=1e-15)
    x = torch.rand(1, 3, 12, 12)
    r32 = nbviz.saliency(model, x, method="gradient", target=0)
    r64 = nbviz.saliency(model.double(), x.double(), method="gradient", target=0)
    np.testing.assert_allclose(r32.raw, r64.raw, rtol=1e-4, atol=0)
    assert r32.all_zero.tolist() == [True] and r64.all_zero.tolist() == [True]


def test_saliency_explorer_shows_the_notes():
    model = _net(nn.GELU)
    explorer = nbviz.SaliencyExplorer(model, torch.rand(2, 3, 12, 12), methods=["gradient", "guided_backprop"])
    explorer.wait()
    assert explorer.error == "" and explorer.map_methods == ["gradient", "guided_backprop"]
    assert explorer.map_notes[0] == "" and "no nn.ReLU module ran" in explorer.map_notes[1]
    explorer.close()
    tiny = nbviz.SaliencyExplorer(_net(nn.Tanh, head_scale=1e-15), torch.rand(2, 3, 12, 12), methods=["gradient"])
    tiny.wait()
    assert "all zero" in tiny.map_notes[0] and np.all(tiny.maps == 0)  # blank, not full contrast
    tiny.close()
