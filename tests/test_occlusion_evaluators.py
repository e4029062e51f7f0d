"""The occlusion evaluators (plain and incremental) against occluded copies built by hand, and the
run object's named steps against the public function."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nbviz._guard import model_guard
from nbviz.attribution._occlusion_evaluators import (
    Evaluator,
    IncrementalEvaluator,
    PlainEvaluator,
    make_evaluator,
)
from nbviz.attribution.occlusion import OcclusionRun, occlusion
from occlusion_models import DataDependent, Strided, TinyCNN, image, seeded

WINDOW = (6, 10)


def by_hand(model, x, baseline, ys, xs):
    """Each occluded copy pasted by hand, then one plain forward: the reference."""
    copies = x.repeat(len(ys), 1, 1, 1)
    for b, (y, x0) in enumerate(zip(ys.tolist(), xs.tolist())):
        copies[b, :, y : y + WINDOW[0], x0 : x0 + WINDOW[1]] = baseline[0, :, y : y + WINDOW[0], x0 : x0 + WINDOW[1]]
    with torch.no_grad():
        return model(copies)


@pytest.mark.parametrize("build", [TinyCNN, Strided])
@pytest.mark.parametrize("mode", ["plain", "exact"])
def test_evaluators_equal_occluded_copies_built_by_hand(build, mode):
    model, x = seeded(build), image(32)[None]
    baseline = torch.full_like(x, 0.25)
    ys, xs = torch.tensor([0, 5, 13, 26]), torch.tensor([0, 22, 7, 11])
    with model_guard(model) as guard, torch.no_grad():
        evaluator = make_evaluator(guard.model, x, baseline, WINDOW, mode, guard, full_fraction=0.5, box_limit=None)
        assert isinstance(evaluator, PlainEvaluator if mode == "plain" else IncrementalEvaluator)
        assert isinstance(evaluator, Evaluator)  # the protocol: mode, base_output, batch_size(), __call__
        out = evaluator(ys, xs)
        assert evaluator.mode == mode and evaluator.batch_size() >= 1  # measured by the first call
        np.testing.assert_allclose(evaluator.base_output, model(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, by_hand(model, x, baseline, ys, xs), rtol=1e-4, atol=1e-5)


def test_an_untraceable_model_gets_the_plain_evaluator():
    model, x = seeded(DataDependent), image(32)[None]
    with model_guard(model) as guard, torch.no_grad():
        evaluator = make_evaluator(guard.model, x, torch.zeros_like(x), WINDOW, "exact", guard, full_fraction=0.5, box_limit=None)
    assert isinstance(evaluator, PlainEvaluator) and evaluator.mode == "plain"


@pytest.mark.parametrize("mode", ["exact", "approximate"])
def test_the_run_steps_give_what_occlusion_gives(mode):
    model, x = seeded(Strided), image(32, seed=4)
    expected = occlusion(model, x, window=8, stride=2, mode=mode, progress=False)
    with model_guard(model) as guard, torch.no_grad():
        run = OcclusionRun(
            guard, x[None], window=(8, 8), stride=(2, 2), baseline="zero", target=None, mode=mode,
            batch_size="auto", order="coarse_to_fine", progress=None, on_partial=None,
        )
        run.start()
        assert run.shape == expected.probability.shape and run.base_score == expected.base_probability
        result = run.run()
    np.testing.assert_array_equal(result.probability, expected.probability)
    np.testing.assert_array_equal(result.computed, expected.computed)
    assert result.mode == expected.mode == mode


def test_levels_are_split_into_even_batches_of_at_most_the_batch_size():
    """Batches of at most the batch size, as even as can be: at 4, 11 positions run as 4 + 4 + 3, 9 as 3 + 3 + 3."""
    model, x = seeded(Strided), image(32, seed=4)
    with model_guard(model) as guard, torch.no_grad():
        run = OcclusionRun(
            guard, x[None], window=(8, 8), stride=(2, 2), baseline="zero", target=None, mode="exact",
            batch_size=4, order="raster", progress=None, on_partial=None,
        )
        run.start()
        sizes: list[int] = []
        evaluate = run.evaluate
        run.evaluate = lambda index, linear=None: (sizes.append(len(index)), evaluate(index, linear))  # type: ignore[method-assign]
        run.run_level(np.arange(11))
        assert sizes == [4, 4, 3] and run.computed[:11].all() and not run.computed[11:].any()
        sizes.clear()
        run.run_level(np.arange(11, 20))  # 9 positions: 3 + 3 + 3, not 4 + 4 + 1
        assert sizes == [3, 3, 3]



def test_the_incremental_peak_counts_whole_tensor_copies():
    """The bytes per patch that size a batch count every tensor a patch needs, whole-tensor copies included."""
    from nbviz.attribution._occlusion_evaluators import MEMORY_BUDGET

    model, x = seeded(TinyCNN), image(32)[None]
    with model_guard(model) as guard, torch.no_grad():
        evaluator = make_evaluator(guard.model, x, torch.zeros_like(x), WINDOW, "exact", guard, full_fraction=0.0, box_limit=None)
        assert isinstance(evaluator, IncrementalEvaluator)
        evaluator(torch.tensor([3]), torch.tensor([4]))
        engine = evaluator.engine
        largest = max(v.numel() * v.element_size() for v in engine.cache.values() if isinstance(v, torch.Tensor))
        assert engine.peak_bytes_per_patch >= largest  # full_fraction 0: every activation was computed whole
        assert evaluator.batch_size() == min(512, MEMORY_BUDGET // (3 * engine.peak_bytes_per_patch))
