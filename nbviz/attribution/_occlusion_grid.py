"""Geometry and baselines of occlusion: window positions, coarse-to-fine order, patch boxes and
the average-over-covering-windows upsampling that Captum's ``Occlusion`` uses."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "as_pair", "origins", "levels", "patch_boxes", "occluded_batch", "occluded_boxes", "upsample", "make_baseline",
    "anchors", "interpolate_from_anchors", "interpolate_from_even",
]


def as_pair(value: Any, argument: str) -> tuple[int, int]:
    """A positive int or an ``(h, w)`` pair of positive ints."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{argument}: expected a positive int or an (h, w) pair of ints, got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{argument}: must be at least 1, got {value!r}")
    return int(pair[0]), int(pair[1])


def origins(size: int, window: int, stride: int) -> np.ndarray:
    """Window start positions along one axis, as Captum places them: ``ceil((size - window) /
    stride) + 1`` starts, the last window clipped at the edge so every pixel is covered."""
    return np.arange(math.ceil((size - window) / stride) + 1) * stride


def levels(shape: tuple[int, int], coarse_to_fine: bool) -> list[tuple[int, np.ndarray]]:
    """``(step, flat grid indices)`` in the order they are computed: with ``coarse_to_fine``, every
    4th row and column first (when the grid is big enough), then every 2nd, then the rest."""
    rows, cols = np.divmod(np.arange(shape[0] * shape[1]), shape[1])
    if not coarse_to_fine:
        return [(1, np.arange(rows.size))]
    done = np.zeros(rows.size, dtype=bool)
    out = []
    for step in (4, 2, 1):
        if step > 1 and max(shape) <= 2 * step:
            continue
        pick = (rows % step == 0) & (cols % step == 0) & ~done
        if pick.any():
            out.append((step, np.flatnonzero(pick)))
            done |= pick
    return out


def patch_boxes(
    ys: torch.Tensor, xs: torch.Tensor, window: tuple[int, int], size: tuple[int, int]
) -> tuple[torch.Tensor, tuple[int, int]]:
    """Box corners (B×2) of one common size holding each window; windows clipped at the edge get a
    box shifted inwards."""
    bh, bw = min(window[0], size[0]), min(window[1], size[1])
    starts = torch.stack([ys.clamp(max=size[0] - bh), xs.clamp(max=size[1] - bw)], 1)
    return starts, (bh, bw)


def _window_mask(
    ys: torch.Tensor, xs: torch.Tensor, window: tuple[int, int], rows: torch.Tensor, cols: torch.Tensor
) -> torch.Tensor:
    """B×1×h×w mask: which of the given rows (B×h) and columns (B×w) lie inside each window."""
    in_r = (rows >= ys[:, None]) & (rows < ys[:, None] + window[0])
    in_c = (cols >= xs[:, None]) & (cols < xs[:, None] + window[1])
    return (in_r[:, :, None] & in_c[:, None, :])[:, None]


def occluded_batch(
    x: torch.Tensor, baseline: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, window: tuple[int, int]
) -> torch.Tensor:
    """B full copies of ``x`` (1×C×H×W) with each window replaced by ``baseline``."""
    h, w = x.shape[-2:]
    rows = torch.arange(h, device=x.device).expand(len(ys), h)
    cols = torch.arange(w, device=x.device).expand(len(xs), w)
    return torch.where(_window_mask(ys, xs, window, rows, cols), baseline, x)


def occluded_boxes(
    x: torch.Tensor, baseline: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, window: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Only the changed boxes: ``(values B×C×h×w, starts B×2)`` for the incremental engine."""
    starts, (bh, bw) = patch_boxes(ys, xs, window, (int(x.shape[-2]), int(x.shape[-1])))
    rows = starts[:, :1] + torch.arange(bh, device=x.device)
    cols = starts[:, 1:] + torch.arange(bw, device=x.device)
    mask = _window_mask(ys, xs, window, rows, cols)
    r, c = rows[:, None, :, None], cols[:, None, None, :]
    channel = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    values = torch.where(mask, baseline[0][channel, r, c], x[0][channel, r, c])
    return values, starts


def upsample(grid: np.ndarray, ys: np.ndarray, xs: np.ndarray, window: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """Input-sized map: each pixel averages the values of the windows covering it (0 if none)."""
    # rows and columns separate: sum over windows = R^T G C with indicator matrices R, C
    r = (np.arange(size[0])[None, :] >= ys[:, None]) & (np.arange(size[0])[None, :] < ys[:, None] + window[0])
    c = (np.arange(size[1])[None, :] >= xs[:, None]) & (np.arange(size[1])[None, :] < xs[:, None] + window[1])
    r, c = r.astype(np.float64), c.astype(np.float64)
    total = r.T @ np.nan_to_num(grid.astype(np.float64)) @ c
    count = r.T @ np.ones(grid.shape) @ c
    out = np.divide(total, count, out=np.zeros(size), where=count > 0)
    return out.astype(np.float32)


def _gaussian_blur(x: torch.Tensor, sigma: tuple[float, float]) -> torch.Tensor:
    out = x
    for axis, s in ((2, sigma[0]), (3, sigma[1])):
        radius = max(1, int(math.ceil(3 * s)))
        t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
        kernel = torch.exp(-0.5 * (t / s) ** 2)
        kernel = (kernel / kernel.sum()).repeat(x.shape[1], 1)
        shape = (x.shape[1], 1, -1, 1) if axis == 2 else (x.shape[1], 1, 1, -1)
        pad = (0, 0, radius, radius) if axis == 2 else (radius, radius, 0, 0)
        mode = "reflect" if x.shape[axis] > radius else "replicate"
        out = F.conv2d(F.pad(out, pad, mode=mode), kernel.view(shape), groups=x.shape[1])
    return out


def make_baseline(baseline: Any, x: torch.Tensor, window: tuple[int, int]) -> tuple[torch.Tensor, str]:
    """The replacement image (1×C×H×W) and a short description of it.

    ``"zero"``: zeros; ``"mean"``: the image's per-channel mean; ``"blur"``: the image blurred with
    a Gaussian of σ = window / 4 per axis; a number: that constant; a tensor broadcastable to C×H×W.
    """
    if isinstance(baseline, str):
        if baseline == "zero":
            return torch.zeros_like(x), "zero"
        if baseline == "mean":
            return x.mean(dim=(2, 3), keepdim=True).expand_as(x).clone(), "mean"
        if baseline == "blur":
            return _gaussian_blur(x, (max(window[0] / 4, 0.5), max(window[1] / 4, 0.5))), "blur"
        raise ValueError(f"baseline: expected 'zero', 'mean', 'blur', a number or a tensor, got {baseline!r}")
    if isinstance(baseline, (int, float)) and not isinstance(baseline, bool):
        return torch.full_like(x, float(baseline)), f"constant {float(baseline):g}"
    if isinstance(baseline, (torch.Tensor, np.ndarray)):
        b = torch.as_tensor(baseline, dtype=x.dtype, device=x.device)
        if b.dim() == 4 and b.shape[0] == 1:
            b = b[0]
        try:
            return torch.broadcast_to(b, x.shape[1:]).unsqueeze(0).clone(), "tensor"
        except RuntimeError:
            raise ValueError(
                f"baseline: a tensor baseline must broadcast to the image shape {tuple(x.shape[1:])}, got {tuple(b.shape)}"
            ) from None
    raise TypeError(f"baseline: expected 'zero', 'mean', 'blur', a number or a tensor, got {type(baseline).__name__}")


def interpolate_from_even(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear estimate of a grid from its even-row, even-column entries, and the spread (max −
    min) of the four even neighbours of each position (how much the map changes around it); past the
    last even index the estimate repeats it."""
    rows, cols = np.arange(0, values.shape[0], 2), np.arange(0, values.shape[1], 2)
    return interpolate_from_anchors(values, rows, cols)


def anchors(size: int, step: int) -> np.ndarray:
    """Indices ``0, step, 2·step, …`` along an axis of length ``size``, plus the last index, so
    interpolation between them never has to extrapolate."""
    return np.unique(np.r_[np.arange(0, size, step), size - 1])


def interpolate_from_anchors(values: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear estimate of a grid from its entries at the anchor ``rows`` × ``cols`` (sorted,
    covering both ends), and per position the spread (max − min) of the four surrounding anchor
    values."""

    def axis(n: int, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        i = np.arange(n)
        lo = np.clip(np.searchsorted(idx, i, side="right") - 1, 0, len(idx) - 1)
        hi = np.minimum(lo + 1, len(idx) - 1)
        gap = idx[hi] - idx[lo]
        weight = np.divide(i - idx[lo], gap, out=np.zeros(n), where=gap > 0)
        return idx[lo], idx[hi], weight

    (rl, rh, rw), (cl, ch, cw) = axis(values.shape[0], rows), axis(values.shape[1], cols)
    a, b = values[np.ix_(rl, cl)], values[np.ix_(rl, ch)]
    c, d = values[np.ix_(rh, cl)], values[np.ix_(rh, ch)]
    rw, cw = rw[:, None], cw[None, :]
    estimate = (1 - rw) * ((1 - cw) * a + cw * b) + rw * ((1 - cw) * c + cw * d)
    stack = np.stack([a, b, c, d])
    return estimate, stack.max(0) - stack.min(0)
