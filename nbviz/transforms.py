"""Geometric transforms of image batches (shift, rotate, scale), differentiable and device-agnostic.

Used to probe equivariance/invariance live: the same affine warp for every image of a batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["affine"]


def affine(
    images: torch.Tensor, *, angle: float = 0.0, shift: tuple[float, float] = (0.0, 0.0), scale: float = 1.0, fill: str = "border"
) -> torch.Tensor:
    """Rotate by ``angle`` degrees (counter-clockwise), zoom by ``scale`` and shift by ``shift`` =
    (dx, dy) in fractions of the width/height, about the image centre. N×C×H×W in, same shape out.

    ``fill`` is how pixels from outside the image are filled: ``"border"`` (edge colour) or ``"zeros"``.
    """
    if images.ndim != 4:
        raise ValueError(f"images: expected N×C×H×W, got shape {tuple(images.shape)}")
    if scale <= 0:
        raise ValueError(f"scale: expected a positive number, got {scale}")
    if fill not in ("border", "zeros"):
        raise ValueError(f"fill: expected 'border' or 'zeros', got {fill!r}")
    if angle == 0 and scale == 1 and shift == (0.0, 0.0):
        return images
    a = math.radians(angle)
    cos, sin = math.cos(a) / scale, math.sin(a) / scale
    dx, dy = shift
    theta = torch.tensor([[cos, sin, -2 * dx], [-sin, cos, -2 * dy]], dtype=images.dtype, device=images.device)
    grid = F.affine_grid(theta.expand(images.shape[0], 2, 3), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode=fill, align_corners=False)
