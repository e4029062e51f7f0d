"""The whole-tensor tail of incremental occlusion in chunks: the same outputs as one pass (against
occluded copies built by hand), and the chunk size chosen by timing (a scripted clock)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nbviz._batch_size import BatchSizeChooser
from nbviz._guard import model_guard
from nbviz.attribution import (
    _incremental_chunks as chunks,
    _occlusion_evaluators as evaluators,
    _occlusion_grid as grid,
)
from nbviz.attribution.incremental import IncrementalEngine
from nbviz.attribution.occlusion import occlusion
from occlusion_models import Strided, TinyCNN, VGGLike, image, seeded

WINDOW = (6, 6)


class Scripted:
    """A fixed chunk size that notes every recorded chunk (the :class:`~nbviz.attribution._incremental_chunks.Chunks` protocol)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.recorded: list[tuple[int, int]] = []

    def record(self, size: int, seconds: float, samples: int) -> None:
        assert seconds >= 0
        self.recorded.append((size, samples))


def by_hand(model, x, ys, xs):
    """Zero-occluded copies pasted by hand, one plain forward (the reference)."""
    copies = x.repeat(len(ys), 1, 1, 1)
    for b, (y, x0) in enumerate(zip(ys.tolist(), xs.tolist())):
        copies[b, :, y : y + WINDOW[0], x0 : x0 + WINDOW[1]] = 0
    with torch.no_grad():
        return model(copies)


@pytest.mark.parametrize("build", [TinyCNN, Strided, VGGLike])
def test_a_chunked_tail_gives_the_outputs_of_one_pass(build):
    model, x = seeded(build), image(32, seed=2)[None]
    ys, xs = torch.tensor([0, 3, 26, 9, 14, 20, 1, 26, 7, 11]), torch.tensor([0, 26, 26, 4, 14, 2, 17, 0, 22, 9])
    with model_guard(model) as guard:
        engine = IncrementalEngine(guard.model, x, full_fraction=0.3)
        values, starts = grid.occluded_boxes(x, torch.zeros_like(x), ys, xs, WINDOW)
        whole = engine.run(values, starts)
        assert engine.tail_start is not None and engine.tail_bytes_per_patch > 0  # a tail to chunk
        scripted = Scripted(3)
        chunked = engine.run(values, starts, tail=scripted)
    # 10 patches at most 3 a chunk, as even as can be: 3 + 3 + 2 + 2; each more than half of 3 is recorded
    assert scripted.recorded == [(3, 3), (3, 3), (3, 2), (3, 2)]
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(chunked, by_hand(model, x, ys, xs), rtol=1e-4, atol=1e-5)


def test_a_chunked_tail_keeps_the_linear_change_tapped_before_it():
    model, x = seeded(Strided), image(32, seed=3)[None]
    ys, xs = torch.tensor([2, 8, 20, 13, 5]), torch.tensor([4, 19, 1, 13, 26])
    with model_guard(model) as guard:
        engine = IncrementalEngine(guard.model, x, full_fraction=0.3)
        values, starts = grid.occluded_boxes(x, torch.zeros_like(x), ys, xs, WINDOW)
        engine.run(values, starts)
        cut = engine.cuts()[0]
        engine.linearize(cut, lambda out: out[:, 0])
        out, change = engine.run(values, starts, tap=cut)
        chunked_out, chunked_change = engine.run(values, starts, tap=cut, tail=Scripted(2))
        stopped = engine.run(values, starts, stop=cut, tail=Scripted(2))
    np.testing.assert_allclose(chunked_out, out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(chunked_change, change, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stopped, change, rtol=1e-5, atol=1e-6)


class FakeClock:
    """Seconds advance only while the tail runs: ``cost(n)`` for a chunk of n patches."""

    def __init__(self, cost) -> None:
        self.now, self.cost = 0.0, cost

    def __call__(self) -> float:
        return self.now


def scripted_tail(monkeypatch, cost) -> FakeClock:
    """Chunk passes advance a fake trial clock by ``cost(n)``; everything else takes no time."""
    clock = FakeClock(cost)
    original = IncrementalEngine._pass

    def timed(self, first, states, remaining, batch, how):
        out = original(self, first, states, remaining, batch, how)
        if how.tail is None and first == self.tail_start:  # a chunk of the tail
            clock.now += cost(batch)
        return out

    monkeypatch.setattr(IncrementalEngine, "_pass", timed)
    monkeypatch.setattr(chunks, "trial_clock", clock)
    return clock


@pytest.mark.parametrize("fastest", [16, 64])
def test_the_tail_chunk_is_the_fastest_timed(monkeypatch, fastest):
    """Per-window cost lowest at ``fastest`` windows a chunk, rising by 30 % per doubling away from it:
    the chooser settles there, and the map equals a run without chunks."""
    choosers: list[BatchSizeChooser] = []
    make = evaluators.IncrementalEvaluator.tail_chooser

    def spy(self, batch):
        chooser = make(self, batch)
        choosers.append(chooser)
        return chooser

    monkeypatch.setattr(evaluators.IncrementalEvaluator, "tail_chooser", spy)
    scripted_tail(monkeypatch, lambda n: n * 1e-3 * (1 + 0.3 * abs(math.log2(n / fastest))))
    model, x = seeded(TinyCNN), image(48, seed=5)
    result = occlusion(model, x, window=4, stride=1, mode="exact", progress=False)  # 45×45 = 2,025 windows
    reference = occlusion(model, x, window=4, stride=1, mode="exact", progress=False, batch_size=512)
    tail = choosers[-1]
    assert tail is not None and tail.settled and tail.best == fastest
    assert tail.candidates[-1] == 512  # up to all windows of a call
    np.testing.assert_allclose(result.probability, reference.probability, rtol=1e-5, atol=1e-6)


def test_the_first_chunk_size_keeps_whole_tensors_under_the_mmap_threshold(monkeypatch):
    """The chunk timed first is the largest whose biggest whole tensor fits ``REUSED_ALLOCATION`` (and a
    candidate beside the powers of two); a forced batch size runs without chunks."""
    sizes: list[int] = []
    scripted_tail(monkeypatch, lambda n: (sizes.append(n), n * 1e-3)[1])
    model, x = seeded(VGGLike), image(32, seed=1)
    with model_guard(model) as guard, torch.no_grad():
        evaluator = evaluators.make_evaluator(
            guard.model, x[None], torch.zeros_like(x)[None], WINDOW, "exact", guard, full_fraction=0.5, box_limit=None,
        )
        assert isinstance(evaluator, evaluators.IncrementalEvaluator)
        evaluator(torch.tensor([13]), torch.tensor([13]))  # one central window measures the tail
        per_patch = evaluator.engine.tail_bytes_per_patch
        monkeypatch.setattr(evaluators, "REUSED_ALLOCATION", 100 * per_patch)
        assert evaluator.batch_size() > 100
        tail = evaluator.tail
        assert tail is not None and 100 in tail.candidates and tail.size == 100
        evaluator(torch.arange(150) % 27, torch.arange(150) // 27 * 4)
    assert sizes == [75, 75]  # 150 windows in chunks of at most 100, split evenly
    sizes.clear()
    occlusion(model, x, window=6, stride=2, mode="exact", progress=False, batch_size=64)
    assert sizes == []  # forced: nothing chunked, nothing timed
