"""When an attribution cannot mean anything, say so.

Two cases, both decided from what the computation saw, not guessed from the architecture's name:

- **Guided backpropagation without ReLUs.** Its rule (Springenberg et al. 2015) is defined for ReLU:
  pass back only positive gradients through each ReLU. nbviz, like Captum, applies it to ``nn.ReLU``
  modules. Where none ran in the forward pass (GELU/SiLU networks such as ConvNeXt, EfficientNet, ViT,
  Swin; ``nn.ReLU6``; ``F.relu`` called inside ``forward``), guided backprop and guided Grad-CAM equal
  the plain gradient (× Grad-CAM) bitwise. There is no published guided rule for GELU or SiLU, so nbviz
  does not invent one; it notes the fact in :attr:`Attribution.notes` instead, and also when only part
  of the network's activations are ReLU modules.
- **Numerical noise.** A map is "all zero" when its first-order effect on the output is below the
  output's floating-point resolution: Σ|attribution in score units| ≤ ``NOISE_ULPS`` · eps(dtype) ·
  max(1, max|output|) for that input. Gradient-like maps (d score / d input) are put in score units
  by the input's scale, max|x|: moving every input value by its full scale would change the score by
  less than a few units in the last place. The scale is at least 1 because class scores are logits:
  softmax probabilities cannot resolve logit changes below eps (dp = p(1 − p) dz), so a model whose
  logits are all ~1e-14 (a randomly initialised EfficientNet) reports the same probabilities for every
  input, and its 1e-16 gradients, though computed exactly (float64 agrees), explain nothing the model
  reports. Such maps are shown blank instead of being stretched to full contrast.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

__all__ = ["ACTIVATIONS", "NOISE_ULPS", "ActivationCount", "guided_note", "noise_note", "noise_rows"]

NOISE_ULPS = 16  # how many units in the last place of the output a map's effect must exceed
# activation modules guided backprop leaves alone (nn.ReLU6 and nn.Hardtanh are not nn.ReLU)
ACTIVATIONS: tuple[type[nn.Module], ...] = (
    nn.GELU, nn.SiLU, nn.Mish, nn.Hardswish, nn.Hardsigmoid, nn.ReLU6, nn.Hardtanh, nn.ELU, nn.SELU, nn.CELU,
    nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.Softplus, nn.Tanh, nn.Sigmoid,
)
# methods whose raw values are already in score units (a sum over them approximates a change of the score)
_SCORE_UNITS = ("gradient_x_input", "integrated_gradients", "gradcam", "gradcam++")
# methods whose raw values are d score / d input (score units once multiplied by the input's scale);
# guided Grad-CAM (a gradient × a CAM, score² units) is not judged: an exactly zero map is blank anyway
_PER_INPUT = ("gradient", "smoothgrad", "guided_backprop")


@dataclass
class ActivationCount:
    """What ran in a guided pass: ``relu``, how many ``nn.ReLU`` modules (guided), and ``other``, how
    many other activation modules per type name (left with their plain gradient); each module once."""

    relu: int = 0
    other: Counter = field(default_factory=Counter)
    _seen: set = field(default_factory=set, repr=False)

    def saw(self, module: nn.Module) -> None:
        """Count ``module`` (an activation that just ran) once, however often it is called."""
        if id(module) in self._seen:
            return
        self._seen.add(id(module))
        if isinstance(module, nn.ReLU):
            self.relu += 1
        else:
            self.other[type(module).__name__] += 1


def guided_note(method: str, count: ActivationCount) -> str | None:
    """The note for a guided ``method`` given what ran (``count``), or ``None`` when every activation
    module that ran was an ``nn.ReLU``."""
    others = ", ".join(f"{name} ×{n}" for name, n in sorted(count.other.items()))
    plain = "the plain gradient × Grad-CAM" if method == "guided_gradcam" else "the plain gradient"
    if count.relu == 0:
        seen = f" (it uses {others})" if others else " (it may call relu as a function, which cannot be hooked)"
        return (
            f"{method}: no nn.ReLU module ran in the forward pass{seen}, so this map equals {plain}: "
            "guided backpropagation is defined for ReLUs only"
        )
    if others:
        return (
            f"{method}: only the {count.relu} nn.ReLU module(s) are guided; the other activations ({others}) pass "
            "their plain gradient, so the map is only partly guided"
        )
    return None


def noise_rows(method: str, raw: np.ndarray, x: torch.Tensor, reference: torch.Tensor | None) -> np.ndarray | None:
    """Per input, ``True`` where ``method``'s ``raw`` values (N×…) are numerical noise (see the module docstring).

    ``method``: the saliency method; ``raw``: its N×… raw values; ``x``: the N inputs;
    ``reference``: max|output| per input (N,), or ``None`` when unknown.
    Returns ``None`` for a method this rule does not know (no claim is made)."""
    if reference is None or method not in _SCORE_UNITS + _PER_INPUT:
        return None
    n = int(x.shape[0])
    size = np.abs(raw.reshape(n, -1).astype(np.float64)).sum(axis=1)
    if method in _PER_INPUT:
        scale = x.detach().reshape(n, -1).abs().amax(dim=1).double().cpu().numpy()
        size = size * np.where(scale > 0, scale, 1.0)
    eps = float(torch.finfo(x.dtype).eps) if torch.is_floating_point(x) else float(np.finfo(np.float32).eps)
    floor = NOISE_ULPS * eps * np.maximum(reference.detach().double().cpu().numpy().reshape(n), 1.0)
    return size <= floor


def noise_note(method: str, all_zero: np.ndarray | None, reference: torch.Tensor | None) -> str | None:
    """The note for maps judged numerical noise (``all_zero``), naming the largest output (``reference``)."""
    if all_zero is None or not all_zero.any() or reference is None:
        return None
    which = "every input" if all_zero.all() else f"{int(all_zero.sum())} of {all_zero.size} inputs"
    largest = float(reference.detach().double().cpu().numpy().reshape(-1)[all_zero].max())
    return (
        f"{method}: all zero for {which} — the map's first-order effect on the output is below floating-point "
        f"resolution (largest output {largest:.2g}), so it is shown blank rather than stretched"
    )
