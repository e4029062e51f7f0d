"""Which axis of a layer's output holds its channels.

Convolutions, poolings and batch/instance/group norms are channels-first (axis 1); linear layers,
layer norms, attention and embeddings are channels-last (the last axis; for 2-D outputs both agree).
Shape-preserving layers (activations, dropout, …) inherit the layout of the latest earlier leaf
call with the same output shape; a container takes that of its latest leaf call with its shape.
Without a precedent, 3-D outputs are read as tokens (channels last) and others as channels-first.
"""

from __future__ import annotations

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd
from torch.nn.modules.instancenorm import _InstanceNorm
from torch.nn.modules.pooling import (
    _AdaptiveAvgPoolNd,
    _AdaptiveMaxPoolNd,
    _AvgPoolNd,
    _MaxPoolNd,
)

from .layout import Layout, layout_of
from .tree import LayerInfo

__all__ = ["channel_axes", "channel_axes_in_completion_order", "layouts", "leaf_channel_axis"]

_FIRST = (_ConvNd, _BatchNorm, _InstanceNorm, _MaxPoolNd, _AvgPoolNd, _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, nn.GroupNorm, nn.LocalResponseNorm)
_LAST = (nn.Linear, nn.Bilinear, nn.LayerNorm, nn.MultiheadAttention, nn.Embedding)


def _default(shape: tuple[int, ...]) -> int:
    return len(shape) - 1 if len(shape) == 3 else 1


def leaf_channel_axis(module: nn.Module, shape: tuple[int, ...], latest: dict[tuple[int, ...], int]) -> int:
    """The channel axis of a leaf call's output of ``shape`` (rank ≥ 2); ``latest`` maps shapes to the
    axis of the latest earlier leaf output of that shape (the precedent of shape-preserving layers)."""
    if len(shape) == 2 or isinstance(module, _FIRST) or _channels_first_norm(module, shape):
        return 1
    if isinstance(module, _LAST):
        return len(shape) - 1
    permuted = _permute_axis(module, len(shape))
    if permuted is not None:
        return permuted
    return latest.get(shape, _default(shape))


def _channels_first_norm(module: nn.Module, shape: tuple[int, ...]) -> bool:
    """A LayerNorm over the channels of N×C×H×W maps (torchvision's ``LayerNorm2d`` in ConvNeXt)."""
    normalized = tuple(getattr(module, "normalized_shape", ()))
    return isinstance(module, nn.LayerNorm) and len(shape) == 4 and normalized == (shape[1],) and shape[3] != shape[1]


def _permute_axis(module: nn.Module, rank: int) -> int | None:
    """Where a layout-changing permutation module (torchvision's ``Permute``, as in ConvNeXt and Swin)
    puts channels: NCHW → NHWC moves them last, NHWC → NCHW first."""
    dims = getattr(module, "dims", None)
    if type(module).__name__ != "Permute" or dims is None or rank != 4:
        return None
    return {(0, 2, 3, 1): 3, (0, 3, 1, 2): 1}.get(tuple(dims))


def channel_axes_in_completion_order(calls: list[tuple[nn.Module, tuple[int, ...], bool]]) -> list[int | None]:
    """Channel axes of ``(module, output shape, is_leaf)`` calls listed as they *finish* (a probe's
    order: leaves before the containers around them); a container takes the axis of the latest
    finished leaf output with its shape."""
    latest: dict[tuple[int, ...], int] = {}
    axes: list[int | None] = []
    for module, shape, leaf in calls:
        if len(shape) < 2:
            axes.append(None)
            continue
        axis = leaf_channel_axis(module, shape, latest) if leaf else latest.get(shape, _default(shape))
        if leaf:
            latest[shape] = axis
        axes.append(axis)
    return axes


def channel_axes(model: nn.Module, tree: list[LayerInfo]) -> dict[str, int | None]:
    """``{call name: channel axis}`` for every call in ``tree`` (``None`` when the first output
    tensor has fewer than 2 dimensions)."""
    modules = dict(model.named_modules())
    axes: dict[str, int | None] = {}
    latest: dict[tuple[int, ...], int] = {}  # output shape → axis of the latest leaf call with it
    leaf_axis: dict[int, int] = {}
    for info in tree:
        shape = info.output_shape
        if not info.is_leaf or shape is None or len(shape) < 2:
            continue
        axis = leaf_channel_axis(modules[info.module], shape, latest)
        latest[shape] = axis
        leaf_axis[info.index] = axis
    for info in tree:
        shape = info.output_shape
        if shape is None or len(shape) < 2:
            axes[info.name] = None
        elif info.is_leaf:
            axes[info.name] = leaf_axis[info.index]
        else:
            inside = [i for i in _descendants(tree, info.index) if i in leaf_axis and tree[i].output_shape == shape]
            axes[info.name] = leaf_axis[max(inside)] if inside else _default(shape)
    return axes


def _descendants(tree: list[LayerInfo], index: int) -> list[int]:
    found: list[int] = []
    frontier = {index}
    for info in tree[index + 1 :]:
        if info.parent in frontier:
            frontier.add(info.index)
            found.append(info.index)
        elif info.depth <= tree[index].depth:
            break
    return found


def layouts(model: nn.Module, tree: list[LayerInfo]) -> dict[str, Layout]:
    """``{call name: Layout}`` for every call in ``tree`` with a tensor output (see :mod:`.layout`)."""
    axes = channel_axes(model, tree)
    return {info.name: layout_of(info.output_shape, axes[info.name]) for info in tree if info.output_shape is not None}
