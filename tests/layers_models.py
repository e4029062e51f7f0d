"""Small models and data for the nbviz.layers tests (no downloads; fixed seeds)."""

from __future__ import annotations

import torch
from torch import nn

from models import seeded_build, sklearn_digits, tiny_vit

__all__ = [
    "Boom", "GuardNet", "Named", "Pair", "Structured", "TwiceCalled", "VggLike", "digits_cnn", "digits_data",
    "hooked_outputs", "images", "seeded", "tiny_vit",
]


def seeded(build, seed: int = 0):
    """``build()`` after ``torch.manual_seed(seed)``."""
    return seeded_build(build, seed=seed)


class VggLike(nn.Module):
    """VGG layout: ``features`` then ``classifier``, in-place ReLUs."""

    def __init__(self, channels: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 8, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 8 * 8, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class TwiceCalled(nn.Module):
    """One activation module used twice, and an in-place edit of a conv output in forward."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.act = nn.ReLU()
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.conv1(x))
        h = self.conv2(h)
        h.mul_(2.0)  # an in-place edit of conv2's output after its hook ran
        h = self.act(h - 0.1)
        return self.head(h.mean(dim=(2, 3)))


class Pair(nn.Module):
    def forward(self, x: torch.Tensor):
        return x * 2, x + 1


class Named(nn.Module):
    def forward(self, x: torch.Tensor):
        return {"meta": None, "main": x - 1, "aux": x.sum()}


class Structured(nn.Module):
    """Modules returning a tuple and a dict."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.pair = Pair()
        self.named = Named()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.pair(self.conv(x))
        d = self.named(a + b)
        return d["main"].mean(dim=(1, 2, 3))


class Boom(nn.Module):
    """Raises ``error`` when armed (to check the guard after failures inside a forward)."""

    def __init__(self) -> None:
        super().__init__()
        self.error: BaseException | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.error is not None:
            raise self.error
        return x


class GuardNet(nn.Module):
    """BatchNorm (running stats), Dropout, a frozen parameter, and a Boom module at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)
        self.drop = nn.Dropout(0.5)
        self.boom = Boom()
        self.fc = nn.Linear(4, 3)
        self.fc.bias.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.boom(self.drop(self.relu(self.bn(self.conv(x)))))
        return self.fc(h.mean(dim=(2, 3)))


def images(n: int = 4, size: int = 32, channels: int = 3, seed: int = 1) -> torch.Tensor:
    return torch.randn(n, channels, size, size, generator=torch.Generator().manual_seed(seed))


def hooked_outputs(model: nn.Module, x: torch.Tensor, modules: list[nn.Module]) -> list[list[torch.Tensor]]:
    """Independent reference: plain ``register_forward_hook`` cloning every call's output."""
    seen: list[list[torch.Tensor]] = [[] for _ in modules]
    handles = [
        m.register_forward_hook(lambda mod, inp, out, i=i: seen[i].append((out[0] if isinstance(out, tuple) else out).detach().clone()))
        for i, m in enumerate(modules)
    ]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
    return seen


def digits_data(n: int = 300) -> torch.Tensor:
    """The first ``n`` scikit-learn digits as N×1×8×8 floats in [0, 1]."""
    return sklearn_digits(n)[0]


def digits_cnn() -> nn.Sequential:
    """A small random CNN for 8×8 digits whose channel 0 in ``"3"`` is dead by construction."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(8 * 4 * 4, 10),
    )
    with torch.no_grad():
        net[2].weight[0] = 0.0
        net[2].bias[0] = -1.0
    return net.eval()
