"""How a layer's output is laid out: where its channels (units) are, and where its positions are.

Every view that reads a layer's output asks this one resolver: feature maps, statistics, top
activations, feature-visualisation units, feature pooling and CAM. The channel axis comes from
:func:`~nbviz.layers.channels.channel_axes` (module types where known, the layout of the layer's
precedent otherwise); the layout follows from it and the output's rank:

==============  ===========  =========================================================
kind            shape        typical layers
==============  ===========  =========================================================
``image``       N×C×H×W      convolutions, pooling, batch norm (ResNet, VGG, EfficientNet)
``image_last``  N×H×W×C      Swin blocks, ConvNeXt's channels-last norms and MLPs
``tokens``      N×T×D        transformer blocks (ViT); T = prefix + h·w patch tokens
``sequence``    N×C×L        Conv1d, BatchNorm1d, 1-D pooling
``vector``      N×D          linear layers, pooled features, logits
==============  ===========  =========================================================

Token layers are shown as their patch grid: the leading class (and register) tokens, ``T − h·w``
where ``h·w`` is the largest square up to ``T`` with at most :data:`MAX_PREFIX` tokens left over,
are set aside. A user who knows better passes ``layouts={"layer": "tokens"}`` (or any kind) to
override the resolver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

__all__ = ["KINDS", "Layout", "MAX_PREFIX", "layout_of"]

Kind = Literal["image", "image_last", "tokens", "sequence", "vector", "other"]
KINDS: tuple[str, ...] = ("image", "image_last", "tokens", "sequence", "vector")
MAX_PREFIX = 8  # class + register tokens (DeiT has 2, ViTs with registers 1 + 4)


@dataclass(frozen=True)
class Layout:
    """The layout of one layer's output of ``shape`` (batch axis included)."""

    kind: Kind
    shape: tuple[int, ...]

    @property
    def channel_axis(self) -> int | None:
        """The axis of channels / hidden units (``None`` for outputs of another rank)."""
        return {"image": 1, "image_last": 3, "tokens": 2, "sequence": 1, "vector": 1}.get(self.kind)

    @property
    def channels(self) -> int | None:
        """How many channels (units) the layer has."""
        axis = self.channel_axis
        return None if axis is None else self.shape[axis]

    @property
    def prefix(self) -> int:
        """Leading tokens set aside (class and register tokens); 0 for other kinds."""
        if self.kind != "tokens":
            return 0
        count = self.shape[1]
        return count - _square_below(count) if count - _square_below(count) <= MAX_PREFIX else 0

    @property
    def grid(self) -> tuple[int, int] | None:
        """The spatial grid the layer's maps have (``None`` when it has none)."""
        if self.kind == "image":
            return self.shape[2], self.shape[3]
        if self.kind == "image_last":
            return self.shape[1], self.shape[2]
        if self.kind == "tokens":
            side = math.isqrt(self.shape[1] - self.prefix)
            return (side, side) if side * side == self.shape[1] - self.prefix and side > 0 else None
        return None

    @property
    def spatial(self) -> bool:
        """Whether the layer has maps with more than one position (what CAM and map views need)."""
        grid = self.grid
        return grid is not None and grid[0] * grid[1] > 1

    def maps(self, t: torch.Tensor) -> torch.Tensor:
        """``t`` (this layout) as channels-first maps N×C×h×w; tokens lose their prefix."""
        if self.kind == "image":
            return t
        if self.kind == "image_last":
            return t.permute(0, 3, 1, 2)
        grid = self.grid
        if self.kind == "tokens" and grid is not None:
            return t[:, self.prefix :, :].transpose(1, 2).reshape(t.shape[0], t.shape[2], *grid)
        raise ValueError(f"a {self.kind} output of shape {tuple(t.shape)} has no spatial maps")

    def pooled(self, t: torch.Tensor, how: Literal["avg", "max"] = "avg") -> torch.Tensor:
        """``t`` reduced to N×C over its positions (spatial positions, tokens or sequence steps)."""
        if self.kind in ("vector", "other") or t.ndim <= 2:
            return t.flatten(1)
        axis = self.channel_axis
        assert axis is not None  # every kind but "vector" and "other" has a channel axis
        positions = [d for d in range(1, t.ndim) if d != axis]
        moved = t.permute(0, *positions, axis).reshape(t.shape[0], -1, t.shape[axis])
        return moved.mean(1) if how == "avg" else moved.amax(1)

    def unit_values(self, t: torch.Tensor) -> torch.Tensor:
        """``t`` with the channel axis moved to 1: N×C×(positions…), so unit k is ``[:, k]``."""
        axis = self.channel_axis
        return t if axis in (None, 1) else t.movedim(axis, 1)


def _square_below(count: int) -> int:
    side = math.isqrt(count)
    return side * side


def layout_of(shape: tuple[int, ...], channel_axis: int | None, override: str | None = None) -> Layout:
    """The :class:`Layout` of an output of ``shape`` whose channels are on ``channel_axis``
    (``override``: one of :data:`KINDS`, the user's word for this layer)."""
    shape = tuple(int(s) for s in shape)
    if override is not None:
        if override not in KINDS:
            raise ValueError(f"layouts: expected one of {', '.join(repr(k) for k in KINDS)}, got {override!r}")
        rank = {"image": 4, "image_last": 4, "tokens": 3, "sequence": 3, "vector": 2}[override]
        if len(shape) != rank:
            raise ValueError(f"layouts: {override!r} needs a {rank}-D output, got shape {shape}")
        return Layout(override, shape)  # type: ignore[arg-type]
    if len(shape) == 2:
        return Layout("vector", shape)
    if len(shape) == 4:
        return Layout("image_last" if channel_axis == 3 else "image", shape)
    if len(shape) == 3:
        return Layout("tokens" if channel_axis == 2 else "sequence", shape)
    return Layout("other", shape)
