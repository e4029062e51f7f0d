"""Token sequences (N×T×D, as transformer blocks return them) laid out as image grids."""

from __future__ import annotations

import math

import torch

__all__ = ["tokens_to_grid"]


def tokens_to_grid(t: torch.Tensor, *, argument: str = "reshape_tokens", name: str = "") -> torch.Tensor:
    """N×T×D tokens → N×D×h×w with h = w = √T; a leading class token is dropped when T − 1 is square
    and T is not. Other ranks come back unchanged."""
    if t.ndim != 3:
        return t
    n, count, dim = t.shape
    side = math.isqrt(count)
    if side * side != count:
        side = math.isqrt(count - 1)
        if count < 2 or side * side != count - 1:
            where = f" of {name!r}" if name else ""
            raise ValueError(
                f"{argument}: the {count} tokens{where} form no square grid (with or without one class token)"
            )
        t = t[:, 1:, :]
    return t.transpose(1, 2).reshape(n, dim, side, side)
