"""Regularisers that keep optimised images natural-looking. Each returns one value per image (N,),
as a mean over pixels so that weights do not depend on the image size."""

from __future__ import annotations

import math

import torch

__all__ = ["alpha_norm", "center_mask", "gaussian_blur", "l2", "total_variation"]


def l2(x: torch.Tensor, centre: float = 0.0) -> torch.Tensor:
    """Mean squared distance of each image's pixels from ``centre``: (N,)."""
    return (x - centre).pow(2).flatten(1).mean(1)


def alpha_norm(x: torch.Tensor, alpha: float) -> torch.Tensor:
    """Mean of ``|x|^alpha`` per image (Mahendran & Vedaldi's α-norm, divided by the pixel count): (N,)."""
    return x.abs().pow(alpha).flatten(1).mean(1)


def total_variation(x: torch.Tensor, beta: float = 2.0) -> torch.Tensor:
    """Mean over pixels of ``((x[i+1,j]-x[i,j])² + (x[i,j+1]-x[i,j])²)^(β/2)`` per image: (N,)."""
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    squared = dy * dy + dx * dx
    values = squared if beta == 2.0 else (squared + 1e-8).pow(beta / 2)
    return values.flatten(1).mean(1)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """``x`` (N×C×H×W) blurred per channel with a separable Gaussian of ``sigma`` pixels (reflect
    padding); unchanged when the image is too small for the kernel."""
    radius = max(1, int(math.ceil(2 * sigma)))
    if radius >= min(x.shape[-1], x.shape[-2]):
        return x
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    out = torch.nn.functional.pad(x, (radius, radius, radius, radius), mode="reflect")
    out = torch.nn.functional.conv2d(out, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return torch.nn.functional.conv2d(out, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def center_mask(size: tuple[int, int], fraction: float) -> torch.Tensor:
    """H×W mask, 1 inside a centred window covering ``fraction`` of each side, 0 outside
    (Nguyen et al.'s centre bias: the optimised region grows from the centre outwards)."""
    h, w = size
    mask = torch.zeros(h, w)
    sh, sw = max(1, round(h * fraction)), max(1, round(w * fraction))
    top, left = (h - sh) // 2, (w - sw) // 2
    mask[top : top + sh, left : left + sw] = 1.0
    return mask
