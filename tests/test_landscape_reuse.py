"""plane(reuse=PointCache): points of a new grid that lie on an old one are read, not recomputed
(nbviz's evaluations counted with guard_checks.ForwardCalls on the last layer: a plane runs a traced,
rewritten copy of the model (nbviz.landscape.graph) whose root is not the model's, but whose fc is the
model's own module), values equal a fresh computation, and the cache empties when the weights or
directions change."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from guard_checks import ForwardCalls
from landscape_models import digits, tiny_cnn
from nbviz.landscape import plane
from nbviz.landscape.reuse import PointCache

CE = nn.CrossEntropyLoss()


def evaluated(calls: ForwardCalls) -> int:
    """Full-data forwards (one per evaluated point at batch_size=1000), not the evaluator's two-sample
    check of its rewritten model against the model itself."""
    return sum(1 for inputs in calls if int(inputs[0].shape[0]) > 2)


@pytest.fixture(scope="module")
def data():
    return digits(120)


def test_resolution_change_reuses_shared_points(data):
    model = tiny_cnn()
    with ForwardCalls(model, model.fc) as calls:  # one fc forward per data batch per evaluated point (module docstring)
        cache = PointCache()
        plane(model, CE, data, resolution=5, span=1.0, reuse=cache, batch_size=1000)
        assert evaluated(calls) == 25 and len(cache) == 25
        calls.clear()
        result = plane(model, CE, data, resolution=9, span=1.0, reuse=cache, batch_size=1000)
        assert evaluated(calls) == 81 - 25  # every 2nd point of 9 is a point of 5
        assert cache.hits == 25 and len(cache) == 81
        fresh = plane(model, CE, data, resolution=9, span=1.0, batch_size=1000)
        np.testing.assert_allclose(result.loss, fresh.loss, rtol=1e-6)
        np.testing.assert_allclose(result.accuracy, fresh.accuracy, atol=1e-12)
        assert result.complete and result.samples == fresh.samples


def test_span_change_reuses_shared_points_and_skips_the_preview(data):
    model = tiny_cnn()
    with ForwardCalls(model, model.fc) as calls:  # one fc forward per data batch per evaluated point (module docstring)
        cache = PointCache()
        plane(model, CE, data, resolution=9, span=1.0, reuse=cache, batch_size=1000)
        calls.clear()
        plane(model, CE, data, resolution=9, span=2.0, reuse=cache, batch_size=1000)
        assert evaluated(calls) == 81 - 25  # α, β ∈ {−1, −0.5, 0, 0.5, 1} are on both grids
        calls.clear()
        partials: list[bool] = []
        again = plane(model, CE, data, resolution=9, span=2.0, reuse=cache, preview=50, batch_size=1000,
                      on_partial=lambda r, f: partials.append(r.preview))
        assert evaluated(calls) == 0 and partials == [False] * len(partials)  # all known: no preview
        assert np.isfinite(again.loss).all() and again.accuracy is not None


def test_cache_empties_when_weights_or_directions_change(data):
    model = tiny_cnn()
    with ForwardCalls(model, model.fc) as calls:  # one fc forward per data batch per evaluated point (module docstring)
        cache = PointCache()
        plane(model, CE, data, resolution=5, reuse=cache, batch_size=1000)
        calls.clear()
        plane(model, CE, data, resolution=5, reuse=cache, seed=1, batch_size=1000)  # other directions
        assert evaluated(calls) == 25
        with torch.no_grad():
            model.fc.bias.add_(0.1)  # other trained weights
        calls.clear()
        plane(model, CE, data, resolution=5, reuse=cache, seed=1, batch_size=1000)
        assert evaluated(calls) == 25


def test_bad_reuse_argument(data):
    with pytest.raises(TypeError, match="reuse"):
        plane(tiny_cnn(), CE, data, resolution=3, reuse={})
    with pytest.raises(ValueError, match="max_points"):
        PointCache(0)
