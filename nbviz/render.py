"""Arrays → display-ready uint8 pixels: normalisation, colormaps, overlays, tiles.

The one place nbviz turns numbers into pixels on the Python side, used by explorers (which send the
uint8 result to the browser) and by static plots.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

import numpy as np

__all__ = ["normalize", "to_rgb_uint8", "colorize", "to_uint8", "tile"]

Scale = Literal["each", "shared"]


def _numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float32)


def normalize(x: Any, *, scale: Scale = "each", symmetric: bool = False, axis_start: int = 1) -> np.ndarray:
    """Rescale to [0, 1]: per leading item (``scale="each"``) or over everything (``"shared"``).

    ``symmetric`` maps zero to 0.5 (for signed maps). Constant inputs give 0 (or 0.5 if symmetric).
    """
    a = _numpy(x)
    axes = tuple(range(axis_start, a.ndim)) if scale == "each" and a.ndim > axis_start else None
    if symmetric:
        m = np.abs(a).max(axis=axes, keepdims=axes is not None)
        return np.where(m > 0, 0.5 + 0.5 * a / np.where(m > 0, m, 1), 0.5).astype(np.float32)
    lo = a.min(axis=axes, keepdims=axes is not None)
    hi = a.max(axis=axes, keepdims=axes is not None)
    span = hi - lo
    return np.where(span > 0, (a - lo) / np.where(span > 0, span, 1), 0.0).astype(np.float32)


def to_uint8(x: Any, *, scale: Scale = "each", symmetric: bool = False) -> np.ndarray:
    """Normalise to [0, 1] (see :func:`normalize`) and quantise to uint8, same shape."""
    return np.round(normalize(x, scale=scale, symmetric=symmetric) * 255).astype(np.uint8)


def to_rgb_uint8(images: Any, *, scale: Scale | None = None) -> np.ndarray:
    """N×C×H×W images (C = 1 or 3) → N×H×W×3 uint8. ``scale=None`` assumes values in [0, 1]."""
    a = _numpy(images)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4 or a.shape[1] not in (1, 3):
        raise ValueError(f"images: expected N×C×H×W with C = 1 or 3, got shape {tuple(a.shape)}")
    a = normalize(a, scale=scale) if scale is not None else np.clip(a, 0.0, 1.0)
    a = np.repeat(a, 3, axis=1) if a.shape[1] == 1 else a
    return np.round(a.transpose(0, 2, 3, 1) * 255).astype(np.uint8)


@lru_cache(maxsize=16)
def _lut(name: str) -> np.ndarray:
    import matplotlib

    return np.round(matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def colorize(values: Any, cmap: str = "viridis", *, scale: Scale = "each", symmetric: bool = False) -> np.ndarray:
    """Maps (…×H×W) → …×H×W×3 uint8 through a matplotlib colormap after :func:`to_uint8`."""
    return _lut(cmap)[to_uint8(values, scale=scale, symmetric=symmetric)]


def tile(images: np.ndarray, columns: int | None = None, pad: int = 1, fill: int = 255) -> np.ndarray:
    """N×H×W×3 uint8 → one grid image, ``columns`` wide (default: near square)."""
    n, h, w = images.shape[:3]
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    out = np.full((rows * (h + pad) - pad, columns * (w + pad) - pad, *images.shape[3:]), fill, images.dtype)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = images[i]
    return out
