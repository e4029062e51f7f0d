"""Activation maximisation: start from noise (or given images) and follow the gradient of a unit's
activation with respect to the input. Several units are optimised together in one batch."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .._guard import model_device, model_guard
from .._inputs import check_model
from .._progress import Progress, with_progress_bar
from ..execution import resolve_executor
from .objectives import Unit, check_units, parse_units, unit_values
from .optimise import FrameCallback, run_steps
from .params import PARAMS, make_param
from .regularisers import l2 as l2_penalty, total_variation
from .results import FeatureVis
from .tap import LayerTap
from .transforms import TRANSFORMS, RandomAffine, check_transforms

__all__ = ["AMSettings", "maximize", "input_shape", "unit_seed"]


@dataclass(frozen=True)
class AMSettings:
    """How to optimise: see :func:`maximize` for the meaning of each field."""

    steps: int = 256
    param: str = "fft"
    transforms: tuple[str, ...] = TRANSFORMS
    l2: float = 0.0
    tv: float = 0.0
    blur_every: int = 0
    blur_sigma: float = 0.5
    lr: float = 0.05
    center_bias: bool = False

    def check(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"steps: expected a positive integer, got {self.steps!r}")
        if self.param not in PARAMS:
            raise ValueError(f"param: expected one of {', '.join(repr(p) for p in PARAMS)}, got {self.param!r}")
        check_transforms(self.transforms)
        for name in ("l2", "tv", "blur_sigma", "lr"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name}: expected a number ≥ 0, got {value!r}")
        if isinstance(self.blur_every, bool) or not isinstance(self.blur_every, int) or self.blur_every < 0:
            raise ValueError(f"blur_every: expected an integer ≥ 0 (0 = never), got {self.blur_every!r}")
        if self.center_bias and self.param != "pixel":
            raise ValueError("center_bias: only available with param='pixel'")


def unit_seed(seed: int, unit: Unit, extra: int = 0) -> int:
    """The noise/transform seed of one image: depends on the seed and the unit, not on the batch."""
    return zlib.crc32(f"{seed}|{unit}|{extra}".encode())


def input_shape(model: nn.Module, size: int | tuple[int, int] | None, channels: int | None) -> tuple[int, int, int]:
    """(C, H, W) of the images to optimise: ``channels`` or the first conv's input channels;
    ``size`` or the model's ``image_size`` attribute or 32."""
    if channels is None:
        conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
        if conv is None:
            raise ValueError("channels: the model has no Conv2d to infer the input channels from; pass channels=")
        channels = conv.in_channels
    if isinstance(channels, bool) or not isinstance(channels, int) or channels < 1:
        raise ValueError(f"channels: expected a positive integer, got {channels!r}")
    if size is None:
        size = getattr(model, "image_size", None) or 32
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size, size)
    if not (isinstance(size, tuple) and len(size) == 2 and all(isinstance(s, int) and not isinstance(s, bool) and s >= 2 for s in size)):
        raise ValueError(f"size: expected an int ≥ 2 or an (H, W) pair, got {size!r}")
    return (channels, size[0], size[1])


def optimise_units(
    model: nn.Module,
    layer: str | nn.Module | None,
    units: list[Unit],
    seeds: Sequence[int],
    settings: AMSettings,
    shape: tuple[int, int, int],
    *,
    init: torch.Tensor | None = None,
    progress: Progress | None = None,
    on_frame: FrameCallback | None = None,
    frame_every: int = 8,
) -> FeatureVis:
    """Maximise ``units[i]`` on image ``i`` (noise from ``seeds[i]``, starting at ``init[i]`` if given),
    all in one batch, under the model guard (input gradients only)."""
    check_model(model)
    settings.check()
    with model_guard(model) as guard:
        tap = LayerTap(guard, layer)
        device = model_device(model)
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
        with torch.no_grad():
            probe = tap(torch.zeros((1, *shape), device=device, dtype=dtype), argument="size")
        check_units(units, tuple(probe.shape), tap.name)
        param = make_param(settings.param, shape, seeds, squash=True, init=None if init is None else init.float().cpu())
        warp = RandomAffine(settings.transforms, seeds, shape[1:])

        def loss_fn(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            values = unit_values(tap(warp(images).to(device=device, dtype=dtype)), units).float().cpu()
            loss = -values
            if settings.l2:
                loss = loss + settings.l2 * l2_penalty(images, centre=0.5)
            if settings.tv:
                loss = loss + settings.tv * total_variation(images)
            return loss, values

        history = run_steps(
            param, loss_fn, settings.steps, settings.lr,
            blur_every=settings.blur_every, blur_sigma=settings.blur_sigma, center_bias=settings.center_bias,
            progress=progress, on_frame=on_frame, frame_every=frame_every, label=f"maximising {tap.name}",
        )
        with torch.no_grad():
            images = param.image().detach()
            final = unit_values(tap(images.to(device=device, dtype=dtype)), units)
    return FeatureVis(
        layer=tap.name,
        units=list(units),
        images=images.cpu().float().numpy(),
        activations=final.detach().cpu().double().numpy(),
        history=history,
    )


@with_progress_bar("activation maximisation")
def maximize(
    model: nn.Module,
    layer: str | nn.Module | None,
    units: Any,
    steps: int = 256,
    param: str = "fft",
    transforms: Sequence[str] | None = TRANSFORMS,
    l2: float = 0.0,
    tv: float = 0.0,
    blur_every: int = 0,
    blur_sigma: float = 0.5,
    size: int | tuple[int, int] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    channels: int | None = None,
    lr: float = 0.05,
    center_bias: bool = False,
    on_frame: FrameCallback | None = None,
    frame_every: int = 8,
    executor: str | None = None,
) -> FeatureVis:
    """Images that maximise ``units`` of ``layer``, all optimised in one batch; returns a
    :class:`FeatureVis` with ``images`` (N, C, H, W) in [0, 1], one per unit.

    ``units``: a channel (int; the mean of its map for conv layers, the value for vector outputs such
    as logits), or a list of channels and/or neurons ``(c, y, x)``. ``layer=None`` means the model's
    output. ``param``: ``"fft"`` (decorrelated Fourier, lucid-style) or ``"pixel"``; ``transforms``:
    random ``"jitter"``/``"scale"``/``"rotate"`` each step; ``l2`` pulls pixels to grey, ``tv``
    penalises total variation, ``blur_every`` blurs every that many steps by ``blur_sigma`` pixels.
    ``size``/``channels`` default to the model's ``image_size`` (else 32) and its first conv's input
    channels. Each image's noise and transforms depend only on ``seed`` and its unit, so batching does
    not change the result. ``progress(fraction, message)`` is called every step (False stops);
    ``on_frame(images, step)`` receives the current images every ``frame_every`` steps.
    ``executor``: ``"local"``, ``"ray"`` or ``None`` (the kernel's choice, :func:`nbviz.use_ray`); on Ray
    the units are split over the cluster's workers (without ``on_frame``, which needs one batch here).

    Parameters
    ----------
    model : torch.nn.Module
        The model; run under the model guard (input gradients only), never changed.
    layer : str, torch.nn.Module or None
        The layer whose units are maximised, as a module or its name; ``None``: the model's output.
    units : int, Unit, or sequence of ints and neuron tuples ``(c, y, x)``
        The units, one image each: a channel (the mean of its map for conv layers, the value for vector
        outputs) or a neuron.
    steps : int, default 256
        Adam steps.
    param : {"fft", "pixel"}, default "fft"
        The image parameterisation: decorrelated Fourier (lucid-style) or raw pixels.
    transforms : sequence of {"jitter", "scale", "rotate"} or None, default ("jitter", "scale", "rotate")
        Random transforms applied to the images at each step; ``None`` or ``()``: none.
    l2 : float, default 0.0
        Weight of the L2 penalty pulling pixels to grey (0.5).
    tv : float, default 0.0
        Weight of the total-variation penalty.
    blur_every : int, default 0
        Blur the images every that many steps; 0: never.
    blur_sigma : float, default 0.5
        The blur's Gaussian sigma, in pixels.
    size : int, (int, int) or None, default None
        Image height and width (an int: square); ``None``: the model's ``image_size`` attribute, else 32.
    seed : int, default 0
        Seed of each image's noise and transforms (together with its unit).
    progress : callable, False or None, default None
        ``progress(fraction, message)`` after each step; return ``False`` to stop. ``None``: a progress bar
        once the call runs longer than a second; ``False``: none.
    channels : int or None, default None
        Image channels; ``None``: the input channels of the model's first ``Conv2d``.
    lr : float, default 0.05
        Adam's learning rate.
    center_bias : bool, default False
        Confine the updates to a centred window growing from a third of the image to all of it
        (``param="pixel"`` only).
    on_frame : callable or None, default None
        ``on_frame(images, step)`` with the current (N, C, H, W) images every ``frame_every`` steps and after
        the last.
    frame_every : int, default 8
        Steps between ``on_frame`` calls.
    executor : {"local", "ray"} or None, default None
        Where the optimisation runs; ``None``: the kernel's choice (:func:`nbviz.use_ray`,
        :func:`nbviz.use_local`). Several units without ``on_frame`` are split over Ray's workers.

    Returns
    -------
    FeatureVis
        ``images`` (N, C, H, W) in [0, 1], one per unit, with their final ``activations`` and the
        per-step ``history``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    if isinstance(frame_every, bool) or not isinstance(frame_every, int) or frame_every < 1:
        raise ValueError(f"frame_every: expected a positive integer, got {frame_every!r}")
    parsed = parse_units(units)
    if resolve_executor(executor) == "ray" and len(parsed) > 1 and on_frame is None:
        from ..execution.ray_units import maximize_many

        kwargs = dict(steps=steps, param=param, transforms=transforms, l2=l2, tv=tv, blur_every=blur_every,
                      blur_sigma=blur_sigma, size=size, seed=seed, channels=channels, lr=lr, center_bias=center_bias)
        return maximize_many(maximize, model, layer, parsed, kwargs, progress)  # type: ignore[no-any-return]
    settings = AMSettings(steps, param, check_transforms(transforms), l2, tv, blur_every, blur_sigma, lr, center_bias)
    settings.check()
    shape = input_shape(model, size, channels)
    seeds = [unit_seed(seed, u) for u in parsed]
    return optimise_units(model, layer, parsed, seeds, settings, shape, progress=progress, on_frame=on_frame, frame_every=frame_every)
