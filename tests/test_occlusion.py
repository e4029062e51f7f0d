"""occlusion(): same numbers as Captum's Occlusion, progressive results, errors and the guard."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import Occlusion

from guard_checks import assert_guarded
from nbviz.attribution._occlusion_grid import as_pair, make_baseline
from nbviz.attribution.occlusion import OcclusionResult, occlusion
from occlusion_models import TinyCNN, image, seeded


@pytest.fixture(scope="module")
def model():
    return seeded(TinyCNN)


def captum_drop_map(model, x, target, window, stride, baseline):
    """Captum's Occlusion attribution of the softmax probability of ``target``: the reference."""
    base, _ = make_baseline(baseline, x[None], as_pair(window, "window"))
    w, s = as_pair(window, "window"), as_pair(stride, "stride")
    with torch.no_grad():
        attr = Occlusion(lambda t: torch.softmax(model(t), 1)).attribute(
            x[None], sliding_window_shapes=(x.shape[0], *w), strides=(x.shape[0], *s),
            baselines=base, target=target, perturbations_per_eval=7,
        )
    return attr[0, 0].numpy()


@pytest.mark.parametrize("mode", ["exact", "plain"])
@pytest.mark.parametrize(
    "window, stride, baseline",
    [(8, 4, "zero"), (8, 5, "mean"), ((6, 10), (3, 4), "blur"), (5, 3, 0.5)],
)
def test_same_numbers_as_captum(model, mode, window, stride, baseline):
    x = image(32)
    result = occlusion(model, x, window=window, stride=stride, baseline=baseline, mode=mode)
    reference = captum_drop_map(model, x, result.target, window, stride, baseline)
    # Captum averages (p_clean - p_occluded) over the windows covering each pixel, as we do
    np.testing.assert_allclose(result.drop_map, reference, atol=1e-6, rtol=0)
    assert result.mode == mode and result.final and result.computed.all()


def test_tensor_baseline_and_int_target(model):
    x = image(32, seed=1)
    baseline = torch.linspace(-1, 1, 32).expand(3, 32, 32)
    result = occlusion(model, x, target=3, window=6, stride=4, baseline=baseline)
    np.testing.assert_allclose(result.drop_map, captum_drop_map(model, x, 3, 6, 4, baseline), atol=1e-6, rtol=0)
    assert result.target == 3


def test_result_fields(model):
    x = image(32)
    result = occlusion(model, x[None], window=8, stride=4)
    with torch.no_grad():
        probs = torch.softmax(model(x[None]), 1)[0].numpy()
    assert result.probability.shape == (7, 7) and result.drop_map.shape == (32, 32)
    assert result.target == int(probs.argmax())
    np.testing.assert_allclose(result.probabilities, probs, atol=1e-6)
    np.testing.assert_allclose(result.drop, result.base_probability - result.probability, atol=1e-7)
    assert [c for c, _ in result.top(3)] == list(np.argsort(-probs)[:3])
    np.testing.assert_array_equal(result.origins_y, np.arange(7) * 4)
    # a window that occludes the whole image gives exactly the baseline image's probability
    whole = occlusion(model, x, window=32, stride=1, baseline="zero", mode="exact")
    with torch.no_grad():
        p0 = torch.softmax(model(torch.zeros(1, 3, 32, 32)), 1)[0, whole.target]
    assert whole.probability.shape == (1, 1) and abs(float(whole.probability[0, 0]) - float(p0)) < 1e-6
    fig = result.plot(x)
    assert len(fig.axes) >= 3


def test_callable_target(model):
    x = image(32)
    result = occlusion(model, x, target=lambda out: out[:, 2] - out[:, 0], window=8, stride=8, mode="exact")
    with torch.no_grad():
        occluded = x.clone()
        occluded[:, 8:16, 16:24] = 0
        expected = model(occluded[None])[0]
    assert result.target is None
    assert abs(float(result.probability[1, 2]) - float(expected[2] - expected[0])) < 1e-5


def test_progressive_partials_arrive_coarse_first(model):
    x = image(48)
    partials = []
    final = occlusion(
        model, x, window=6, stride=2, on_partial=lambda r, f: partials.append((r, f)), batch_size=9
    )  # 22×22 grid
    fractions = [f for _, f in partials]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(partials) == 3
    first, _ = partials[0]
    rows, cols = np.nonzero(first.computed)
    assert (rows % 4 == 0).all() and (cols % 4 == 0).all() and first.computed.sum() == 36
    assert not first.final and np.isfinite(first.probability).all() and np.isfinite(first.drop_map).all()
    np.testing.assert_array_equal(first.probability[1:4, 1:4], first.probability[0, 0])  # block fill
    second, _ = partials[1]
    rows, cols = np.nonzero(second.computed)
    assert (rows % 2 == 0).all() and (cols % 2 == 0).all() and second.computed.sum() == 121
    raster = occlusion(model, x, window=6, stride=2, order="raster")
    np.testing.assert_allclose(final.probability, raster.probability, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(partials[-1][0].probability, final.probability)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"window": 40}, ValueError, "window"),
        ({"window": (8, 33)}, ValueError, "window"),
        ({"window": 0}, ValueError, "window"),
        ({"stride": 2.5}, TypeError, "stride"),
        ({"baseline": "grey"}, ValueError, "baseline"),
        ({"baseline": torch.zeros(2, 5, 5)}, ValueError, "baseline"),
        ({"baseline": [0.0]}, TypeError, "baseline"),
        ({"target": 5}, ValueError, "target"),
        ({"target": -1}, ValueError, "target"),
        ({"target": "cat"}, TypeError, "target"),
        ({"mode": "fast"}, ValueError, "mode"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"order": "random"}, ValueError, "order"),
    ],
)
def test_errors(model, kwargs, error, match):
    with pytest.raises(error, match=match):
        occlusion(model, image(32), **kwargs)


@pytest.mark.parametrize("shape", [(32, 32), (1, 1, 3, 32, 32)])  # N×C×H×W, N > 1: many images (test_execution_ray)
def test_wrong_input_shape(model, shape):
    with pytest.raises(ValueError, match="x: expected one image"):
        occlusion(model, torch.zeros(shape))


def test_not_a_model():
    with pytest.raises(TypeError, match="model"):
        occlusion(lambda t: t, image(32))


@pytest.mark.parametrize("mode", ["exact", "approximate", "plain"])
def test_guard(mode):
    model = seeded(TinyCNN)
    model.train()  # the guard must put it back in train mode
    model.features[0].weight.requires_grad_(False)
    x = image(32)
    assert_guarded(model, lambda progress: occlusion(model, x, window=8, stride=8, mode=mode, progress=progress))


def test_cancel_via_progress(model):
    from nbviz._progress import Cancelled

    with pytest.raises(Cancelled):
        occlusion(model, image(32), progress=lambda f, m: f < 0.3)


def test_result_is_a_dataclass_of_arrays(model):
    result = occlusion(model, image(32), window=16, stride=16)
    assert isinstance(result, OcclusionResult)
    for name in ("probability", "drop", "drop_map", "probabilities", "computed"):
        assert isinstance(getattr(result, name), np.ndarray)
