"""plane(reuse=PointCache): points of a new grid that lie on an old one are read, not recomputed
(evaluations counted with a forward hook), values equal a fresh computation, and the cache empties
when the weights or directions change."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from landscape_models import digits, tiny_cnn
from nbviz.landscape import plane
from nbviz.landscape.reuse import PointCache

CE = nn.CrossEntropyLoss()


@pytest.fixture(scope="module")
def data():
    return digits(120)


class Counter:
    """Counts forward calls of a model (one per data batch per evaluated point)."""

    def __init__(self, model: nn.Module) -> None:
        self.calls = 0
        model.register_forward_hook(lambda *_: self.count())

    def count(self) -> None:
        self.calls += 1


def test_resolution_change_reuses_shared_points(data):
    model = tiny_cnn()
    counter = Counter(model)
    cache = PointCache()
    plane(model, CE, data, resolution=5, span=1.0, reuse=cache, batch_size=1000)
    assert counter.calls == 25 and len(cache) == 25
    counter.calls = 0
    result = plane(model, CE, data, resolution=9, span=1.0, reuse=cache, batch_size=1000)
    assert counter.calls == 81 - 25  # every 2nd point of 9 is a point of 5
    assert cache.hits == 25 and len(cache) == 81
    fresh = plane(model, CE, data, resolution=9, span=1.0, batch_size=1000)
    np.testing.assert_allclose(result.loss, fresh.loss, rtol=1e-6)
    np.testing.assert_allclose(result.accuracy, fresh.accuracy, atol=1e-12)
    assert result.complete and result.samples == fresh.samples


def test_span_change_reuses_shared_points_and_skips_the_preview(data):
    model = tiny_cnn()
    counter = Counter(model)
    cache = PointCache()
    plane(model, CE, data, resolution=9, span=1.0, reuse=cache, batch_size=1000)
    counter.calls = 0
    plane(model, CE, data, resolution=9, span=2.0, reuse=cache, batch_size=1000)
    assert counter.calls == 81 - 25  # α, β ∈ {−1, −0.5, 0, 0.5, 1} are on both grids
    counter.calls, partials = 0, []
    again = plane(model, CE, data, resolution=9, span=2.0, reuse=cache, preview=50, batch_size=1000,
                  on_partial=lambda r, f: partials.append(r.preview))  # fmt: skip
    assert counter.calls == 0 and partials == [False] * len(partials)  # all known: no preview
    assert np.isfinite(again.loss).all() and again.accuracy is not None


def test_cache_empties_when_weights_or_directions_change(data):
    model = tiny_cnn()
    counter = Counter(model)
    cache = PointCache()
    plane(model, CE, data, resolution=5, reuse=cache, batch_size=1000)
    counter.calls = 0
    plane(model, CE, data, resolution=5, reuse=cache, seed=1, batch_size=1000)  # other directions
    assert counter.calls == 25
    with torch.no_grad():
        model.fc.bias.add_(0.1)  # other trained weights
    counter.calls = 0
    plane(model, CE, data, resolution=5, reuse=cache, seed=1, batch_size=1000)
    assert counter.calls == 25


def test_bad_reuse_argument(data):
    with pytest.raises(TypeError, match="reuse"):
        plane(tiny_cnn(), CE, data, resolution=3, reuse={})
    with pytest.raises(ValueError, match="max_points"):
        PointCache(0)
