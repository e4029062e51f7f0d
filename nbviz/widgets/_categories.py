"""Per-point colours for scatter explorers, sent as one byte per point.

Categories (labels, predictions, any strings) become uint8 codes into a small palette (the same
tab10 / tab20 / turbo choice as the static t-SNE plots); continuous values become 256 bins of viridis.
With more categories than distinct colours (a 1,000-class model), the ``top`` most frequent keep a
colour and the rest share one grey "other" entry, so no number of classes is refused.
The browser colours N points from N bytes plus the palette.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Coloring", "DEFAULT_TOP", "OTHER_RGB", "categories", "check_top", "coloring", "palette", "top_categories"]

# integer labels below this are class indices, named by their value (predictions of the same model then
# share the names); larger ids are factorised
MAX_CLASS_INDEX = 65_536
DEFAULT_TOP = 20  # categories that keep their own colour (tab20); the rest are "other"
OTHER_RGB = (170, 170, 170)  # the grey of the "other" entry


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
    if integer and array.size and array.min() >= 0 and array.max() < MAX_CLASS_INDEX:
        return array.astype(np.int32), [str(i) for i in range(int(array.max()) + 1)]
    unique, codes = np.unique(array.astype(str) if not integer else array, return_inverse=True)
    return codes.astype(np.int32).reshape(-1), [str(u) for u in unique]


def coloring(
    values: Any, n_points: int, class_names: Sequence[Any] | None = None, *, argument: str = "color_by", top: int = DEFAULT_TOP
) -> Coloring:
    """Colour codes for ``values``: categorical (integers, booleans, strings) or continuous (floats).

    ``values``: one value per point (N,); ``n_points``: N; ``class_names``: names that integer values
    index; ``argument``: the name errors use; ``top``: categories that keep a colour, the rest are
    "other" (see :func:`top_categories`)."""
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
    return top_categories(codes, names, top, argument=argument)


def check_top(top: Any, *, argument: str = "top_classes") -> int:
    """``top`` (how many categories keep a colour) as an int in 1 … 255; a clear error otherwise."""
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= 255:
        raise ValueError(f"{argument}: expected an integer in 1 … 255 (categories with their own colour), got {top!r}")
    return int(top)


def top_categories(codes: np.ndarray, names: Sequence[str], top: int = DEFAULT_TOP, *, argument: str = "color_by") -> Coloring:
    """A :class:`Coloring` of integer ``codes`` (N,) into ``names`` that never needs more than ``top`` + 1 colours.

    ``codes``: category index per point (into ``names``); ``names``: one name per category;
    ``top``: how many categories may keep their own colour (1 … 255). Up to ``top`` names, every
    category keeps its code and a colour. Beyond, the ``top`` most frequent categories present (ties:
    lower index first) keep a colour, listed in index order, and every other point gets the last code,
    named ``"other (M classes)"`` and coloured grey; categories without points are left out.
    """
    top = check_top(top)
    codes = np.asarray(codes).astype(np.int64).reshape(-1)
    if len(names) <= top:
        return Coloring(codes.astype(np.uint8), palette(max(len(names), 1)), list(names))
    counts = np.bincount(codes, minlength=len(names))
    present = np.flatnonzero(counts)
    if present.size <= top:
        kept = present
    else:
        by_count = present[np.argsort(-counts[present], kind="stable")]  # stable: ties keep index order
        kept = np.sort(by_count[:top])
    new_code = np.full(len(names), len(kept), dtype=np.int64)
    new_code[kept] = np.arange(len(kept))
    legend = [str(names[i]) for i in kept.tolist()]
    table = palette(max(len(kept), 1))[: len(kept)]
    rest = present.size - kept.size
    if rest:
        legend.append(f"other ({rest} {'class' if rest == 1 else 'classes'})")
        table = np.concatenate([table, np.array([OTHER_RGB], np.uint8)])
    return Coloring(new_code[codes].astype(np.uint8), table, legend)
