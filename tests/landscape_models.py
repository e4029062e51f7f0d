"""Small models, data and hand references shared by the loss-landscape tests."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from models import randomize_batchnorm, seeded_build, sklearn_digits


class TinyCNN(nn.Module):
    """conv-BN-ReLU, conv-BN-ReLU, pool, linear: 8×8 single-channel inputs, 10 classes."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(x.flatten(1))


def tiny_cnn(seed: int = 0) -> TinyCNN:
    """A TinyCNN with non-trivial BatchNorm parameters and running statistics, in eval mode."""
    return randomize_batchnorm(seeded_build(TinyCNN, seed=seed))


class FoldingNet(nn.Module):
    """Conv-BN pairs of every kind BatchNorm folding meets: a bias-free conv (folds), a residual block
    with a 1×1 downsample conv-BN (both fold), a conv whose output a BN and a skip both read (must not
    fold), a conv with bias and a BN without affine parameters (folds). 8×8 single-channel inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.down = nn.Sequential(nn.Conv2d(6, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))
        self.conv3 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(8)
        self.skip = nn.Conv2d(8, 8, 1)
        self.conv4 = nn.Conv2d(8, 8, 3, padding=1)
        self.bn4 = nn.BatchNorm2d(8)  # replaced by one without affine parameters in folding_net
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)) + self.down(x))
        y = self.conv3(x)
        x = torch.relu(self.bn3(y) + self.skip(y))
        x = torch.relu(self.bn4(self.conv4(x)))
        return self.fc(x.flatten(1))


def folding_net(seed: int = 0) -> FoldingNet:
    """A FoldingNet with non-trivial BatchNorm parameters and running statistics, in eval mode."""
    model = randomize_batchnorm(seeded_build(FoldingNet, seed=seed))
    model.bn4 = nn.BatchNorm2d(8, affine=False).eval()
    with torch.no_grad():
        model.bn4.running_mean.uniform_(-0.3, 0.3)
        model.bn4.running_var.uniform_(0.5, 2.0)
    return model


def digits(n: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n`` scikit-learn digits as (N×1×8×8 float in [0, 1], N labels)."""
    return sklearn_digits(n)


def at_point(model: nn.Module, d1: dict, d2: dict, alpha: float, beta: float) -> nn.Module:
    """A copy of ``model`` with parameters θ* + α·d1 + β·d2 (numpy directions), buffers untouched."""
    moved = copy.deepcopy(model)
    with torch.no_grad():
        for name, p in moved.named_parameters():
            p.add_(torch.from_numpy(d1[name]), alpha=alpha).add_(torch.from_numpy(d2[name]), alpha=beta)
    return moved.eval()


def hand_loss(model: nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Loss and accuracy of ``model`` on the whole data in one plain forward pass."""
    with torch.no_grad():
        out = model(x)
        return float(loss_fn(out, y)), float((out.argmax(1) == y).double().mean())


def train_checkpoints(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 12) -> list[dict]:
    """Train ``model`` in place with SGD, returning a state dict after every step (the last is θ*)."""
    torch.manual_seed(1)
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    model.train()
    states = []
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        states.append({k: v.detach().clone() for k, v in model.state_dict().items()})
    model.eval()
    return states


def flat(direction: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    return np.concatenate([direction[n].ravel() for n in names])
