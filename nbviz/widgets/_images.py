"""Helpers shared by the image explorers (occlusion, saliency, layers, feature vis, t-SNE):
argument checks for images and masks (on top of :mod:`nbviz._inputs`, which also checks models,
labels and class names), display pixels and thumbnails, and the spatial layers a CAM can use."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from .. import render
from .._data import Examples, as_tensor, examples
from .._inputs import input_rank, model_input

__all__ = [
    "THUMBNAIL_BYTES",
    "THUMBNAIL_MAX",
    "as_examples",
    "as_images",
    "as_masks",
    "display_rgb",
    "fitting_names",
    "pictures_or_none",
    "spatial_layers",
    "thumbnails",
]

THUMBNAIL_MAX = 32  # thumbnails larger than this are subsampled
THUMBNAIL_BYTES = 8_000_000  # and all of them together stay under this (one sprite sheet, one message)


def as_images(x: Any, model: nn.Module, *, argument: str, single: bool = False) -> torch.Tensor:
    """An N×C×H×W float tensor (C = 1 or 3) on the CPU, checked and converted for ``model`` by
    :func:`nbviz._inputs.model_input`; with ``single`` one image (C×H×W or 1×C×H×W) → 1×C×H×W."""
    t = as_tensor(x, argument=argument).detach().cpu()
    _refuse_non_images(t, model, argument)
    if t.ndim == 3:
        t = t.unsqueeze(0)
    expected = "one image C×H×W (or 1×C×H×W)" if single else "images N×C×H×W"
    if t.ndim != 4 or t.shape[1] not in (1, 3) or (single and t.shape[0] != 1):  # empty: model_input says so
        raise ValueError(f"{argument}: expected {expected} with C = 1 or 3, got shape {tuple(t.shape)}")
    return model_input(t, model, argument=argument)


def _refuse_non_images(t: torch.Tensor, model: nn.Module, argument: str) -> None:
    """Image explorers say so when the model takes sequences or table rows, instead of reading them
    as images (a Conv1d batch N×C×L looks like one C×H×W image)."""
    rank = input_rank(model)
    kind = "sequences N×C×L" if rank == 3 else "table rows N×D" if rank is None and t.ndim <= 2 else None
    if kind is not None:
        raise ValueError(
            f"{argument}: this explorer shows images N×C×H×W, and the model takes {kind}; "
            "use nbviz.saliency(model, x) for its attributions and nbviz.TSNEExplorer or nbviz.LandscapeExplorer to explore it"
        )


def as_examples(x: Any, model: nn.Module, *, argument: str, limit: int | None = None) -> Examples:
    """The images of any data container (tensor, ``(images, labels)`` pair, Dataset, DataLoader; see
    :func:`nbviz._data.examples`) checked by :func:`as_images`, with the labels, class names and masks
    found beside them. ``model``: what the images are for; ``argument``: the name errors use;
    ``limit``: read at most this many images."""
    found = examples(x, limit=limit, argument=argument)
    found.inputs = as_images(found.inputs, model, argument=argument)
    return found


def fitting_names(names: Any, n_classes: int) -> list[str] | None:
    """Class ``names`` found in a dataset if there is one per model output (``n_classes``), else ``None``
    (names the user did not pass are not an error when they do not fit)."""
    return None if names is None or len(names) != n_classes else [str(n) for n in names]


def as_masks(masks: Any, images: torch.Tensor) -> np.ndarray | None:
    """Boolean N×H×W object masks matching ``images``, or ``None``."""
    if masks is None:
        return None
    m = masks.detach().cpu().numpy() if isinstance(masks, torch.Tensor) else np.asarray(masks)
    if m.ndim == 4 and m.shape[1] == 1:
        m = m[:, 0]
    expected = (images.shape[0], *images.shape[2:])
    if m.shape != expected:
        raise ValueError(f"masks: expected one H×W mask per input, shape {expected}, got {m.shape}")
    return m != 0


def display_rgb(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """Pixels to show: N×C×H×W images → N×H×W×3 uint8.

    The one place the display rule lives (occlusion, saliency, layer and feature-visualisation
    explorers): values inside [0, 1] are shown as they are; if any value lies outside, each image
    is stretched to [0, 1] on its own (min → 0, max → 1) instead of clipped, so normalised inputs
    and optimised pictures stay visible. The first three channels are shown (the first one when
    there are fewer than three).

    Parameters
    ----------
    images : torch.Tensor or numpy.ndarray
        N×C×H×W values (any float or integer dtype; compared in float32, as displayed).

    Returns
    -------
    numpy.ndarray
        N×H×W×3 uint8.
    """
    a = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    a = a.astype(np.float32, copy=False)
    if a.ndim == 4:
        a = a[:, :3] if a.shape[1] >= 3 else a[:, :1]
    outside = a.size > 0 and bool(a.min() < 0.0 or a.max() > 1.0)
    return render.to_rgb_uint8(a, scale="each" if outside else None)


def pictures_or_none(inputs: Any) -> Any:
    """``inputs`` if they are N×C×H×W pictures (C = 1 or 3) to show as thumbnails, else ``None``.

    Parameters
    ----------
    inputs : array-like
        Any inputs found in a data container.

    Returns
    -------
    array-like or None
    """
    shape = tuple(getattr(inputs, "shape", ()))
    return inputs if len(shape) == 4 and shape[1] in (1, 3) else None


def thumbnails(images: Any, n: int, *, max_side: int = THUMBNAIL_MAX, max_bytes: int = THUMBNAIL_BYTES) -> np.ndarray:
    """Small uint8 copies of ``images`` for hover and image maps, subsampled by a whole step.

    Parameters
    ----------
    images : array-like or torch.Tensor
        N×C×H×W (C = 1 or 3) or N×H×W values in [0, 1].
    n : int
        The number of points the images belong to (one image each).
    max_side : int, default 32
        Longest side of a thumbnail at most (larger images are subsampled).
    max_bytes : int, default 8,000,000
        All thumbnails together at most this many bytes (subsampled further for many points).

    Returns
    -------
    numpy.ndarray
        uint8 N×h×w (grey) or N×h×w×3.
    """
    array = images.detach().cpu().numpy() if hasattr(images, "detach") else np.asarray(images)
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4 or array.shape[1] not in (1, 3):
        raise ValueError(f"images: expected N×C×H×W (C = 1 or 3) or N×H×W, got shape {tuple(array.shape)}")
    if array.shape[0] != n:
        raise ValueError(f"images: has {array.shape[0]} images but there are {n} points")

    def size(k: int) -> int:
        return n * array.shape[1] * -(-array.shape[2] // k) * -(-array.shape[3] // k)

    step = int(np.ceil(max(array.shape[2:]) / max_side))
    while size(step) > max_bytes and step < max(array.shape[2:]):
        step += 1
    array = array[:, :, ::step, ::step]
    rgb = render.to_rgb_uint8(array.astype(np.float32))
    return np.ascontiguousarray(rgb[..., 0]) if array.shape[1] == 1 else rgb


def spatial_layers(model: nn.Module, example: torch.Tensor) -> list[str]:
    """Names of leaf layers with maps of more than one position (candidates for a CAM), in call order:
    N×C×h×w, channels-last N×h×w×C and tokens on a patch grid (see :mod:`nbviz.layers.layout`)."""
    from ..layers import layer_tree
    from ..layers.channels import layouts

    tree = layer_tree(model, example[:1])
    found = layouts(model, tree)
    names: list[str] = []
    for info in tree:
        if info.is_leaf and info.name in found and found[info.name].spatial and info.module not in names:
            names.append(info.module)
    return names
