"""Models and data shared by the tests, in one module (as Captum's ``testing/helpers/basic_models.py``).

The per-area modules (``attribution_models``, ``featurevis_models``, ``landscape_models``,
``layers_models``, ``occlusion_models``) keep the models only their area uses and import the shared
parts from here, so old imports keep working. Everything is seeded; nothing downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import nn

M = TypeVar("M", bound=nn.Module)


def seeded_build(build: Callable[..., M], *args: Any, seed: int = 0) -> M:
    """``build(*args)`` right after ``torch.manual_seed(seed)`` (same weights every time)."""
    torch.manual_seed(seed)
    return build(*args)


def randomize_batchnorm(model: M, *, mean: float = 0.3) -> M:
    """Give every BatchNorm2d non-trivial statistics and affine parameters, so they matter: running
    mean in ±``mean``, running variance in [0.5, 2], weight in [0.5, 1.5], bias in ±0.2 (drawn in
    that order from torch's global generator). Returns ``model`` in eval mode."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-mean, mean)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return model.eval()


def sklearn_digits(n: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` scikit-learn digits as (N×1×8×8 float in [0, 1], N int64 labels)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images[:n], dtype=torch.float32).unsqueeze(1) / 16.0
    return x, torch.tensor(d.target[:n])


def resnet18(seed: int = 0) -> nn.Module:
    """An untrained torchvision resnet18 (seeded), eval mode."""
    import torchvision

    return seeded_build(lambda: torchvision.models.resnet18(weights=None), seed=seed).eval()


def tiny_vit(seed: int = 0) -> nn.Module:
    """A two-block ViT for 32×32 inputs (patches 8×8, width 32), seeded, train mode as built."""
    from torchvision.models import VisionTransformer

    return seeded_build(
        lambda: VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=64),
        seed=seed,
    )
