"""One pass over a dataset in batches, with progress reports and cancellation."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from .._data import Data, count_items, iter_inputs
from .._progress import Progress, report
from .forward import prepare_input

__all__ = ["scan"]


def scan(
    model: nn.Module,
    data: Data,
    batch_size: int,
    progress: Progress | None,
    message: str,
    *,
    span: tuple[float, float] = (0.0, 1.0),
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield ``(offset, batch)``: each input batch (prepared for ``model``) and the dataset index of
    its first sample. Reports progress within ``span`` after each batch; empty data raises."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size: expected a positive integer, got {batch_size!r}")
    total = count_items(data)
    start, stop = span
    report(progress, start, message)
    done = 0
    for raw in iter_inputs(data, batch_size):
        batch = prepare_input(model, raw, argument="data")
        if batch.ndim == 0 or batch.shape[0] == 0:
            continue
        yield done, batch
        done += int(batch.shape[0])
        fraction = done / total if total else 0.0
        report(progress, start + (stop - start) * fraction, f"{message}: {done}" + (f"/{total}" if total else "") + " samples")
    if done == 0:
        raise ValueError("data: holds no samples")
