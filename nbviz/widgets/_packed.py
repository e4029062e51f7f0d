"""Many small arrays of one dtype sent as one binary trait: a flat buffer plus an index of entries.

Handouts store, e.g., every layer's feature maps for several inputs; each has its own shape, so they
travel packed one after another (``js/src/lib/packed.ts`` unpacks an entry as an NDArray view).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._arrays import to_numpy

__all__ = ["pack_arrays"]


def pack_arrays(arrays: Sequence[Any]) -> tuple[np.ndarray | None, list[dict[str, Any]]]:
    """Concatenate ``arrays`` (one dtype) into a flat array; per array ``{"offset", "shape"}`` (offset
    in elements). No arrays → ``(None, [])``."""
    parts = [to_numpy(a) for a in arrays]
    if not parts:
        return None, []
    dtypes = {p.dtype for p in parts}
    if len(dtypes) != 1:
        raise TypeError(f"arrays: expected one dtype, got {', '.join(sorted(map(str, dtypes)))}")
    index, offset = [], 0
    for p in parts:
        index.append({"offset": offset, "shape": list(p.shape)})
        offset += p.size
    return np.concatenate([p.ravel() for p in parts]), index
