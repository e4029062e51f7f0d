import numpy as np
import pytest
import torch

from nbviz.widgets import _arrays
from nbviz.widgets._arrays import deserialize_array, serialize_array, to_numpy


@pytest.mark.parametrize(
    "value, dtype",
    [
        (np.arange(12, dtype=np.float64).reshape(3, 4), "float32"),
        (np.arange(6, dtype=np.int64), "int32"),
        (np.array([True, False]), "uint8"),
        (torch.arange(8, dtype=torch.float32).reshape(2, 2, 2), "float32"),
        (np.zeros((2, 3, 4, 3), np.uint8), "uint8"),
    ],
)
def test_round_trip(value, dtype):
    wire = serialize_array(value)
    assert wire["dtype"] == dtype and wire["shape"] == list(np.shape(value))
    assert all(isinstance(c, memoryview) for c in wire["chunks"])
    back = deserialize_array(wire)
    np.testing.assert_array_equal(back, np.asarray(value).astype(dtype))


def test_large_arrays_are_chunked(monkeypatch):
    monkeypatch.setattr(_arrays, "CHUNK_BYTES", 1000)
    value = np.random.default_rng(0).random((100, 7)).astype(np.float32)  # 2,800 bytes
    wire = serialize_array(value)
    assert [len(c) for c in wire["chunks"]] == [1000, 1000, 800]
    np.testing.assert_array_equal(deserialize_array(wire), value)


def test_default_chunk_is_8_mb():
    wire = serialize_array(np.zeros(3 * 1024 * 1024, np.float32))  # 12 MB
    assert [len(c) for c in wire["chunks"]] == [8 * 1024 * 1024, 4 * 1024 * 1024]


def test_none_and_empty():
    assert serialize_array(None) is None
    wire = serialize_array(np.zeros((0, 2), np.float32))
    assert wire["shape"] == [0, 2]
    assert deserialize_array(wire).shape == (0, 2)


def test_unsendable_dtype_is_a_clear_error():
    with pytest.raises(TypeError, match="complex128"):
        to_numpy(np.zeros(2, np.complex128))


def test_widget_state_carries_binary_buffers():
    """Through ipywidgets' own buffer extraction: arrays leave as buffers, not JSON numbers."""
    from ipywidgets.widgets.widget import _remove_buffers

    state = {"images": serialize_array(np.ones((2, 2), np.float32))}
    clean, paths, buffers = _remove_buffers(state)
    assert paths == [["images", "chunks", 0]] and len(buffers) == 1
    assert bytes(buffers[0]) == np.ones((2, 2), np.float32).tobytes()
