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
    """Rescale values to [0, 1], per leading item or over everything.

    Constant inputs give 0 (0.5 when ``symmetric``).

    Parameters
    ----------
    x : array_like or torch.Tensor
        Values of any shape; a tensor is detached and moved to the CPU.
    scale : {"each", "shared"}, default "each"
        ``"each"``: every item along the axes before ``axis_start`` gets its own range;
        ``"shared"``: one range over the whole array.
    symmetric : bool, default False
        Map zero to 0.5 and ±max(abs(x)) to 0 and 1 (for signed maps), instead of min and max to 0 and 1.
    axis_start : int, default 1
        The first axis of an item: ``1`` rescales each ``x[i]`` on its own.

    Returns
    -------
    numpy.ndarray
        float32, the shape of ``x``, values in [0, 1].
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
    """Normalise to [0, 1] (see :func:`normalize`) and quantise to uint8.

    Parameters
    ----------
    x : array_like or torch.Tensor
        Values of any shape.
    scale : {"each", "shared"}, default "each"
        Range per leading item or over everything (as in :func:`normalize`).
    symmetric : bool, default False
        Map zero to 128 (for signed maps).

    Returns
    -------
    numpy.ndarray
        uint8, the shape of ``x``.
    """
    return np.round(normalize(x, scale=scale, symmetric=symmetric) * 255).astype(np.uint8)


def to_rgb_uint8(images: Any, *, scale: Scale | None = None) -> np.ndarray:
    """Images as N×C×H×W (C = 1 or 3) → N×H×W×3 uint8 RGB.

    Parameters
    ----------
    images : array_like or torch.Tensor
        N×C×H×W or one C×H×W image, with C = 1 (grey, repeated to RGB) or 3.
    scale : {"each", "shared"} or None, default None
        ``None`` assumes values in [0, 1] (clipped); otherwise rescaled as in :func:`normalize`.

    Returns
    -------
    numpy.ndarray
        N×H×W×3 uint8.

    Raises
    ------
    ValueError
        If ``images`` is not N×C×H×W with C = 1 or 3.
    """
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
    """Maps through a matplotlib colormap: …×H×W values → …×H×W×3 uint8 RGB.

    Parameters
    ----------
    values : array_like or torch.Tensor
        Maps of any shape; they are quantised by :func:`to_uint8` first.
    cmap : str, default "viridis"
        A matplotlib colormap name.
    scale : {"each", "shared"}, default "each"
        Range per leading item or over everything (as in :func:`normalize`).
    symmetric : bool, default False
        Map zero to the colormap's middle (for signed maps with a diverging colormap).

    Returns
    -------
    numpy.ndarray
        uint8, the shape of ``values`` plus a last axis of 3.
    """
    return _lut(cmap)[to_uint8(values, scale=scale, symmetric=symmetric)]


def tile(images: np.ndarray, columns: int | None = None, pad: int = 1, fill: int = 255) -> np.ndarray:
    """Lay images out as one grid image, row by row.

    Parameters
    ----------
    images : numpy.ndarray
        N×H×W×3 (or N×H×W) images.
    columns : int or None, default None
        Images per row; ``None``: ⌈√N⌉ (near square).
    pad : int, default 1
        Pixels between neighbouring images.
    fill : int, default 255
        Value of the padding pixels.

    Returns
    -------
    numpy.ndarray
        (rows·(H + pad) − pad)×(columns·(W + pad) − pad)×3, the dtype of ``images``.
    """
    n, h, w = images.shape[:3]
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    out = np.full((rows * (h + pad) - pad, columns * (w + pad) - pad, *images.shape[3:]), fill, images.dtype)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + pad) : r * (h + pad) + h, c * (w + pad) : c * (w + pad) + w] = images[i]
    return out
