"""Similarity of two stacks of maps, per map: Spearman rank correlation and SSIM."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["spearman", "ssim"]


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their average rank."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2.0)[inverse.ravel()]


def spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of ``a[i]`` and ``b[i]`` for each i (N maps each); NaN where a
    map is constant."""
    out = np.empty(a.shape[0])
    for i in range(a.shape[0]):
        ra, rb = _ranks(a[i].ravel()), _ranks(b[i].ravel())
        ra, rb = ra - ra.mean(), rb - rb.mean()
        denom = np.sqrt((ra * ra).sum() * (rb * rb).sum())
        out[i] = (ra * rb).sum() / denom if denom > 0 else np.nan
    return out


def _unit(maps: np.ndarray) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(maps, dtype=np.float64))
    flat = t.reshape(t.shape[0], -1)
    low, high = flat.min(dim=1).values, flat.max(dim=1).values
    span = torch.where(high > low, high - low, torch.ones_like(high))
    return ((t - low[:, None, None]) / span[:, None, None])[:, None]


def ssim(a: np.ndarray, b: np.ndarray, *, window: int = 11, sigma: float = 1.5) -> np.ndarray:
    """Mean SSIM (Wang et al. 2004) of ``a[i]`` vs ``b[i]`` after scaling each map to [0, 1]:
    an 11×11 Gaussian window (σ = 1.5, shrunk to the map size for small maps), valid positions
    only, C1 = 0.01², C2 = 0.03²."""
    x, y = _unit(a), _unit(b)
    size = min(window, x.shape[-1], x.shape[-2])
    size -= 1 - size % 2
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    g = g / g.sum()
    kernel = (g[:, None] * g[None, :])[None, None]

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, kernel)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return s.mean(dim=(1, 2, 3)).numpy()
