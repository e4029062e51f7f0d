"""The training loop of the watcher's tests and benchmark: the zoo's shapes-CNN recipe (``nbviz.zoo``:
seed, channels-last Adam with a one-cycle schedule, a fixed shuffled order), on a chosen number of
generated shapes and epochs, with an optional watcher in the loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from nbviz import datasets, zoo

__all__ = ["digits_data", "shapes_data", "train_shapes"]


def shapes_data(n: int, n_train: int) -> tuple[datasets.ImageDataset, datasets.ImageDataset]:
    """The first ``n_train`` of ``n`` generated shapes (seed 0) for training, the rest held out."""
    return datasets.shapes(n=n, seed=0).split(n_train)


def digits_data(n_train: int = 1400) -> tuple[datasets.ImageDataset, datasets.ImageDataset]:
    """The digits as the zoo splits them for ``digits_cnn``."""
    return datasets.digits().split(n_train)


def train_shapes(
    epochs: int = 3,
    n: int = 1600,
    n_train: int = 1280,
    seed: int = 0,
    watcher: Callable[[nn.Module, Any], Any] | None = None,
    model_factory: Callable[[], nn.Module] = zoo.ShapesCNN,
    data: tuple[datasets.ImageDataset, datasets.ImageDataset] | None = None,
    lr: float = 5e-3,
    batch_size: int = 64,
) -> tuple[nn.Module, float, Any]:
    """Train a fresh model as the zoo trains ``shapes_cnn`` (batch 64, Adam, one-cycle, lr 5e-3,
    channels-last); ``watcher(model, held_out)`` (if given) is created before the loop and its
    ``step(loss=...)`` called after each optimiser step. ``data`` (train, held out) replaces the shapes,
    e.g. :func:`digits_data` with ``model_factory=zoo.DigitsCNN, lr=3e-3, batch_size=32`` for the zoo's digits recipe.
    Returns (model, training seconds, watcher)."""
    train, test = data if data is not None else shapes_data(n, n_train)
    torch.manual_seed(seed)
    model = model_factory().to(memory_format=torch.channels_last)
    images = train.images.contiguous(memory_format=torch.channels_last)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    batches = epochs * -(-len(train) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=batches)
    watching = None if watcher is None else watcher(model, test)
    model.train()
    start = time.perf_counter()
    for _ in range(epochs):
        for batch in torch.randperm(len(train)).split(batch_size):
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(images[batch]), train.labels[batch])
            loss.backward()
            optimiser.step()
            schedule.step()
            if watching is not None:
                watching.step(loss=loss.item())
    return model, time.perf_counter() - start, watching
