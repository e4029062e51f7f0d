"""Per-point colours for scatter explorers, sent as one byte per point.

Categories (labels, predictions, any strings) become uint8 codes into a small palette (the same
tab10 / tab20 / turbo choice as the static t-SNE plots); continuous values become 256 bins of viridis.
The browser colours N points from N bytes plus the palette.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["Coloring", "categories", "coloring", "palette"]

MAX_CATEGORIES = 256


@dataclass
class Coloring:
    """``codes`` (N,) uint8 into ``palette`` (K, 3) uint8; ``names`` are the K legend entries, or
    ``[low, high]`` of the value range when ``continuous``."""

    codes: np.ndarray
    palette: np.ndarray
    names: list[str]
    continuous: bool = False


def palette(n: int) -> np.ndarray:
    """``n`` distinct colours (n, 3) uint8: tab10 up to 10, tab20 up to 20, then turbo."""
    from matplotlib import colormaps

    if n <= 10:
        rgb = colormaps["tab10"](np.arange(n))
    elif n <= 20:
        rgb = colormaps["tab20"](np.arange(n))
    else:
        rgb = colormaps["turbo"](np.linspace(0, 1, n))
    return np.round(np.asarray(rgb)[:, :3] * 255).astype(np.uint8).reshape(n, 3)


def _numpy(values: Any) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def categories(
    values: Any, n_points: int, class_names: Sequence[Any] | None = None, *, argument: str = "labels"
) -> tuple[np.ndarray, list[str]]:
    """Integer codes (N,) int32 and one name per code for categorical ``values`` of length ``n_points``.

    Integer values index ``class_names`` when given (each must be in range); non-negative integers
    without names are named by their value; anything else (strings, negative ids) is factorised.
    """
    array = _numpy(values)
    if array.ndim != 1:
        raise ValueError(f"{argument}: expected one value per point (1-D), got shape {tuple(array.shape)}")
    if array.shape[0] != n_points:
        raise ValueError(f"{argument}: has {array.shape[0]} entries but there are {n_points} points")
    integer = np.issubdtype(array.dtype, np.integer) or array.dtype == bool
    if class_names is not None:
        names = [str(c) for c in class_names]
        if not integer:
            raise ValueError(f"{argument}: with class_names, expected integer class indices, got dtype {array.dtype}")
        if array.size and (array.min() < 0 or array.max() >= len(names)):
            raise ValueError(
                f"{argument}: values must index class_names (0 … {len(names) - 1}), got {array.min()} … {array.max()}"
            )
        return array.astype(np.int32), names
    if integer and array.size and array.min() >= 0 and array.max() < MAX_CATEGORIES:
        return array.astype(np.int32), [str(i) for i in range(int(array.max()) + 1)]
    unique, codes = np.unique(array.astype(str) if not integer else array, return_inverse=True)
    return codes.astype(np.int32).reshape(-1), [str(u) for u in unique]


def coloring(values: Any, n_points: int, class_names: Sequence[Any] | None = None, *, argument: str = "color_by") -> Coloring:
    """Colour codes for ``values``: categorical (integers, booleans, strings) or continuous (floats)."""
    array = _numpy(values)
    if array.ndim == 1 and np.issubdtype(array.dtype, np.floating) and class_names is None:
        if array.shape[0] != n_points:
            raise ValueError(f"{argument}: has {array.shape[0]} entries but there are {n_points} points")
        finite = np.isfinite(array)
        lo, hi = (float(array[finite].min()), float(array[finite].max())) if finite.any() else (0.0, 0.0)
        scaled = (np.where(finite, array, lo) - lo) / (hi - lo) if hi > lo else np.zeros(array.shape)
        from matplotlib import colormaps

        table = np.round(colormaps["viridis"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
        return Coloring(np.round(scaled * 255).astype(np.uint8), table, [f"{lo:.4g}", f"{hi:.4g}"], True)
    codes, names = categories(array, n_points, class_names, argument=argument)
    if len(names) > MAX_CATEGORIES:
        raise ValueError(f"{argument}: at most {MAX_CATEGORIES} categories can be coloured, got {len(names)}")
    return Coloring(codes.astype(np.uint8), palette(max(len(names), 1)), names)
