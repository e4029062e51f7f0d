"""Code inversion (Mahendran & Vedaldi 2015): find an input whose representation at a layer matches
that of a given input, with an α-norm and a total-variation regulariser."""

from __future__ import annotations

import zlib
from typing import Any

import torch
from torch import nn

from .._data import as_tensor
from .._guard import model_device, model_guard
from .._inputs import check_model
from .._progress import Progress, with_progress_bar
from .optimise import FrameCallback, run_steps
from .params import PixelImage
from .regularisers import alpha_norm, total_variation
from .results import Inversion
from .tap import LayerTap

__all__ = ["invert"]


def _number(name: str, value: Any, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ValueError(f"{name}: expected a number ≥ {minimum:g}, got {value!r}")
    return float(value)


@with_progress_bar("inversion")
def invert(
    model: nn.Module,
    layer: str | nn.Module | None,
    x0: Any,
    steps: int = 300,
    alpha: float = 6.0,
    l_alpha: float = 1e-5,
    l_tv: float = 1e-4,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    lr: float = 0.05,
    on_frame: FrameCallback | None = None,
    frame_every: int = 8,
) -> Inversion:
    """Reconstruct ``x0`` from its representation Φ(x0) at ``layer``.

    Minimises ‖Φ(x)−Φ(x0)‖²/‖Φ(x0)‖² + ``l_alpha``·mean|x|^``alpha`` + ``l_tv``·TV(x) with Adam
    (cosine-annealed learning rate) from small seeded noise. Each image is inverted independently.
    Regulariser weights assume inputs of order 1.

    Parameters
    ----------
    model : torch.nn.Module
        The model; never changed (it runs under the model guard with parameter gradients off).
    layer : str, torch.nn.Module or None
        The layer whose output Φ is matched; ``None``: the model's output.
    x0 : torch.Tensor or numpy.ndarray
        N×C×H×W images, or one C×H×W image.
    steps : int, default 300
        Adam steps.
    alpha : float, default 6.0
        Exponent of the α-norm regulariser.
    l_alpha : float, default 1e-5
        Weight of the α-norm regulariser.
    l_tv : float, default 1e-4
        Weight of the total-variation regulariser.
    seed : int, default 0
        Seed of the starting noise.
    progress : callable, False or None, default None
        ``progress(fraction, message)`` after each step; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.
    lr : float, default 0.05
        Adam's initial learning rate.
    on_frame : callable or None, default None
        ``on_frame(images, step)`` with the intermediate N×C×H×W float32 images, every ``frame_every``
        steps (for live previews); ``None``: no frames.
    frame_every : int, default 8
        Steps between two calls of ``on_frame``.

    Returns
    -------
    Inversion
        The reconstructions, the originals and the loss curve (steps, N).
    """
    check_model(model)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps: expected a positive integer, got {steps!r}")
    alpha = _number("alpha", alpha, 1.0)
    l_alpha, l_tv, lr = _number("l_alpha", l_alpha), _number("l_tv", l_tv), _number("lr", lr)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    x0 = as_tensor(x0, argument="x0").float()
    if x0.ndim == 3:
        x0 = x0[None]
    if x0.ndim != 4:
        raise ValueError(f"x0: expected N×C×H×W images or one C×H×W image, got shape {tuple(x0.shape)}")
    with model_guard(model) as guard:
        tap = LayerTap(guard, layer)
        device = model_device(model)
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
        with torch.no_grad():
            target = tap(x0.to(device=device, dtype=dtype), argument="x0").float().cpu().flatten(1)
        norm = target.pow(2).sum(1).clamp_min(1e-12)
        seeds = [zlib.crc32(f"{seed}|invert|{i}".encode()) for i in range(len(x0))]
        param = PixelImage(tuple(x0.shape[1:]), seeds, squash=False)

        def loss_fn(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            phi = tap(images.to(device=device, dtype=dtype)).float().cpu().flatten(1)
            error = (phi - target).pow(2).sum(1) / norm
            loss = error
            if l_alpha:
                loss = loss + l_alpha * alpha_norm(images, alpha)
            if l_tv:
                loss = loss + l_tv * total_variation(images)
            return loss, error

        history = run_steps(param, loss_fn, steps, lr, anneal=True, progress=progress, on_frame=on_frame,
                            frame_every=frame_every, label=f"inverting {tap.name}")
        images = param.image().detach().cpu().float().numpy()
    return Inversion(layer=tap.name, images=images, originals=x0.numpy(), loss=history)
