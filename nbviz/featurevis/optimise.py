"""The optimisation loop shared by activation maximisation and inversion: Adam on an image
parameterisation, optional blur and centre bias, progress reports and streamed frames."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .._progress import Progress, report
from .params import ImageParam
from .regularisers import center_mask

__all__ = ["FrameCallback", "LossFn", "run_steps", "span"]

FrameCallback = Callable[[np.ndarray, int], "bool | None"]
"""``on_frame(images, step)``: intermediate N×C×H×W float32 images after ``step`` (0-based)."""

LossFn = Callable[[torch.Tensor], "tuple[torch.Tensor, torch.Tensor]"]
"""``loss_fn(images) -> (loss per image (N,), tracked value per image (N,))``."""


def span(progress: Progress | None, start: float, stop: float, prefix: str = "") -> Progress | None:
    """``progress`` rescaled to report into ``[start, stop]`` of the caller's range."""
    if progress is None:
        return None

    def part(fraction: float, message: str) -> bool | None:
        return progress(start + (stop - start) * fraction, f"{prefix}{message}")

    return part


def run_steps(
    param: ImageParam,
    loss_fn: LossFn,
    steps: int,
    lr: float,
    *,
    blur_every: int = 0,
    blur_sigma: float = 0.5,
    center_bias: bool = False,
    anneal: bool = False,
    progress: Progress | None = None,
    on_frame: FrameCallback | None = None,
    frame_every: int = 8,
    label: str = "optimising",
) -> np.ndarray:
    """Minimise ``sum(loss_fn(param.image())[0])`` for ``steps`` Adam steps; returns the tracked
    values per step, (steps, N). ``center_bias`` confines updates to a centred window growing from
    a third of the image to all of it (pixel parameterisation only); ``anneal`` decays the learning
    rate to 1% along a cosine."""
    optimiser = torch.optim.Adam(param.parameters(), lr=lr)
    height, width = param.image().shape[-2:]
    size = (int(height), int(width))
    history: list[torch.Tensor] = []
    report(progress, 0.0, label)
    for step in range(steps):
        if anneal:
            for group in optimiser.param_groups:
                group["lr"] = lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        optimiser.zero_grad(set_to_none=True)
        loss, tracked = loss_fn(param.image())
        loss.sum().backward()
        if center_bias:
            mask = center_mask(size, 1 / 3 + (2 / 3) * min(1.0, step / max(1, 0.75 * steps)))
            for p in param.parameters():
                assert p.grad is not None
                p.grad.mul_(mask)
        optimiser.step()
        if blur_every and (step + 1) % blur_every == 0:
            param.blur_(blur_sigma)
        history.append(tracked.detach().cpu())
        if on_frame is not None and (step % frame_every == 0 or step == steps - 1):
            with torch.no_grad():
                on_frame(param.image().detach().cpu().float().numpy(), step)
        report(progress, (step + 1) / steps, f"{label}: step {step + 1}/{steps}")
    return torch.stack(history).double().numpy() if history else np.zeros((0, 0))
