"""Small deterministic models and inputs shared by the attribution tests."""

from __future__ import annotations

import torch
from torch import nn

from models import randomize_batchnorm, resnet18, seeded_build

__all__ = ["SmallCNN", "images", "resnet18", "small_cnn"]


class SmallCNN(nn.Module):
    """conv-BN-ReLU ×2 with pooling, then a linear classifier; BatchNorm has non-trivial stats."""

    def __init__(self, classes: int = 5, channels: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(16, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def small_cnn(seed: int = 0, classes: int = 5) -> SmallCNN:
    """A seeded SmallCNN with randomised BatchNorm (see :func:`models.randomize_batchnorm`), eval mode."""
    return randomize_batchnorm(seeded_build(SmallCNN, classes, seed=seed))


def images(n: int, size: int, seed: int = 1, channels: int = 3) -> torch.Tensor:
    """N×C×size×size inputs, each min–max scaled to exactly [0, 1] (range 1)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, channels, size, size, generator=g)
    flat = x.reshape(n, -1)
    low, high = flat.min(1).values, flat.max(1).values
    return (x - low.view(-1, 1, 1, 1)) / (high - low).view(-1, 1, 1, 1)
