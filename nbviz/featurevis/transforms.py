"""Random, differentiable, batched image transforms applied at every optimisation step
(transformation robustness: a pattern must survive small shifts, zooms and rotations).

All chosen transforms are folded into one affine warp per image (``affine_grid`` + ``grid_sample``,
reflection padding). Each image draws its own parameters from its own generator, so its
trajectory does not depend on the other images in the batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = ["TRANSFORMS", "RandomAffine", "check_transforms"]

TRANSFORMS = ("jitter", "scale", "rotate")
SCALE = (0.9, 1.1)
DEGREES = 10.0


def check_transforms(transforms: Sequence[str] | None) -> tuple[str, ...]:
    """The transform names, validated (``None`` or ``()`` means none)."""
    if transforms is None:
        return ()
    if isinstance(transforms, str):
        transforms = (transforms,)
    names = tuple(transforms)
    for name in names:
        if name not in TRANSFORMS:
            raise ValueError(f"transforms: expected names among {', '.join(repr(t) for t in TRANSFORMS)}, got {name!r}")
    return names


class RandomAffine:
    """Draws per-image jitter (± ``jitter`` pixels), scale and rotation and warps a batch accordingly."""

    def __init__(self, names: Sequence[str], seeds: Sequence[int], size: tuple[int, int], jitter: int | None = None) -> None:
        self.names = check_transforms(names)
        self.generators = [torch.Generator().manual_seed(int(s) + 7919) for s in seeds]
        self.size = size
        self.jitter = max(1, min(size) // 16) if jitter is None else jitter

    def _draw(self, g: torch.Generator) -> tuple[float, float, float, float]:
        u = torch.rand(4, generator=g).tolist()  # always four draws: the stream stays aligned whatever is enabled
        dy = dx = 0.0
        if "jitter" in self.names:
            dy, dx = (2 * u[0] - 1) * self.jitter, (2 * u[1] - 1) * self.jitter
        s = SCALE[0] + (SCALE[1] - SCALE[0]) * u[2] if "scale" in self.names else 1.0
        angle = math.radians((2 * u[3] - 1) * DEGREES) if "rotate" in self.names else 0.0
        return dy, dx, s, angle

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (N×C×H×W) warped, one random affine per image; unchanged without transforms."""
        if not self.names:
            return x
        h, w = self.size
        rows = []
        for g in self.generators:
            dy, dx, s, a = self._draw(g)
            cos, sin = math.cos(a) / s, math.sin(a) / s
            rows.append([[cos, -sin, 2 * dx / w], [sin, cos, 2 * dy / h]])
        theta = torch.tensor(rows, dtype=x.dtype, device=x.device)
        grid = torch.nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
        return torch.nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
