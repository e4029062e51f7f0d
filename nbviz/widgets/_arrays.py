"""The one array serializer: numpy/torch arrays cross to the browser as binary buffers.

An array becomes ``{"dtype", "shape", "chunks"}`` where ``chunks`` are memoryviews of at most
:data:`CHUNK_BYTES` each (ipywidgets sends them as binary message buffers, never JSON numbers).
float64 travels as float32 and int64 as int32, as in jupyter-scatter; ``js/src/lib/arrays.ts`` decodes.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import traitlets

__all__ = ["CHUNK_BYTES", "Array", "to_numpy", "serialize_array", "deserialize_array"]

CHUNK_BYTES = 8 * 1024 * 1024
_CASTS = {np.dtype("float64"): np.float32, np.dtype("int64"): np.int32, np.dtype("uint64"): np.uint32, np.dtype("bool"): np.uint8}
_SENDABLE = {"float32", "float16", "int32", "int16", "int8", "uint32", "uint16", "uint8"}


def to_numpy(value: Any) -> np.ndarray:
    """A C-contiguous numpy array in a dtype JavaScript can view, from numpy or torch data."""
    if hasattr(value, "detach"):  # a torch tensor, without importing torch here
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    array = array.astype(_CASTS.get(array.dtype, array.dtype), copy=False)
    if str(array.dtype) not in _SENDABLE:
        raise TypeError(f"array: dtype {array.dtype} cannot be sent to the browser (use float32 or an integer type)")
    return np.ascontiguousarray(array)


def serialize_array(value: Any, widget: Any = None) -> dict[str, Any] | None:
    """``{"dtype", "shape", "chunks": [memoryview, ...]}`` for an array; ``None`` stays ``None``."""
    if value is None:
        return None
    array = to_numpy(value)
    buffer = cast(Any, array)  # an ndarray is a buffer; numpy's stubs do not say so
    raw = memoryview(buffer).cast("B") if array.size else memoryview(b"")
    chunks = [raw[i : i + CHUNK_BYTES] for i in range(0, len(raw), CHUNK_BYTES)] or [raw]
    return {"dtype": str(array.dtype), "shape": list(array.shape), "chunks": chunks}


def deserialize_array(value: dict[str, Any] | None, widget: Any = None) -> np.ndarray | None:
    """The inverse of :func:`serialize_array` (used when state comes back from the front end)."""
    if value is None:
        return None
    data = b"".join(bytes(chunk) for chunk in value["chunks"])
    return np.frombuffer(data, dtype=value["dtype"]).reshape(value["shape"]).copy()


class Array(traitlets.Any):
    """A synced trait holding a numpy array (or ``None``), sent as binary buffers."""

    info_text = "a numpy array"

    def __init__(self, default_value: Any = None, **kwargs: Any) -> None:
        super().__init__(default_value, allow_none=True, **kwargs)
        self.tag(sync=True, to_json=serialize_array, from_json=deserialize_array)

    def validate(self, obj: Any, value: Any) -> np.ndarray | None:
        return None if value is None else to_numpy(value)
