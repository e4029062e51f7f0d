"""Small models for the occlusion tests: each exercises a family of ops the incremental engine
computes on boxes (or must hand over to full computation)."""

from __future__ import annotations

import torch
from torch import nn

from models import randomize_batchnorm, seeded_build


class TinyCNN(nn.Module):
    """conv-BN-ReLU, max pool, stride-2 conv, global pool, linear: 3×32×32 → 5 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class VGGLike(nn.Module):
    """Plain 3×3 convs and 2×2 max pools, then flatten + linear layers (no global pool)."""

    def __init__(self, size: int = 32) -> None:
        super().__init__()
        layers, channels = [], 3
        for width in (8, 16, 16):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
            layers += [nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * (size // 8) ** 2, 32), nn.ReLU(), nn.Dropout(), nn.Linear(32, 7))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class Strided(nn.Module):
    """Stride-2 convs, a ceil-mode max pool, dilation, 'same' padding, avg pool, a residual add,
    elementwise arithmetic with constants and functional activations."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 5, stride=2, padding=2)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.dilated = nn.Conv2d(8, 8, 3, padding=2, dilation=2)
        self.same = nn.Conv2d(8, 8, 4, padding="same")
        self.down = nn.Conv2d(8, 12, 1, stride=2)
        self.avg = nn.AvgPool2d(3, stride=1, padding=1)
        self.scale = nn.Parameter(torch.linspace(0.5, 1.5, 12).view(1, 12, 1, 1))
        self.fc = nn.Linear(12, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.stem(x)))
        x = x + torch.nn.functional.gelu(self.same(self.dilated(x)))
        x = self.avg(self.down(x)) * self.scale - 0.1
        return self.fc(x.mean(dim=(2, 3)))


class DataDependent(nn.Module):
    """Control flow on tensor values: torch.fx cannot trace it."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        if y.sum() > 0:
            y = y * 2
        return self.fc(y.mean(dim=(2, 3)))


def seeded(cls, *args, seed: int = 0) -> nn.Module:
    """An eval-mode instance built with a fixed seed; BatchNorm statistics randomised so they matter."""
    return randomize_batchnorm(seeded_build(cls, *args, seed=seed), mean=0.5)


def image(size: int = 32, seed: int = 0) -> torch.Tensor:
    """A smooth 3×size×size test image (low-frequency noise upsampled)."""
    g = torch.Generator().manual_seed(seed)
    low = torch.randn(1, 3, max(size // 8, 2), max(size // 8, 2), generator=g)
    return torch.nn.functional.interpolate(low, size=(size, size), mode="bilinear", align_corners=False)[0]
