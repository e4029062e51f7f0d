"""Gradient-family saliency against Captum on torchvision resnet18 (weights=None) and a small
BatchNorm CNN. Tolerances: identical computations rtol=1e-5; sums in a different order (IG,
SmoothGrad) rtol=1e-4 with atol = 1e-5 × the largest magnitude."""

from __future__ import annotations

import pytest
import torch

from attribution_models import images, resnet18, small_cnn
from guard_checks import ForwardCalls
from nbviz.attribution import saliency
from nbviz.attribution.gradients import smoothgrad_noise
from reference_packages import require

captum_attr = require("captum.attr")


def close(ours, theirs, rtol=1e-4):
    theirs = torch.as_tensor(theirs).detach().float()
    torch.testing.assert_close(torch.as_tensor(ours), theirs, rtol=rtol, atol=1e-5 * float(theirs.abs().max()))


@pytest.fixture(scope="module", params=["resnet18", "small_cnn"])
def case(request):
    if request.param == "resnet18":
        return resnet18(), images(2, 64)
    return small_cnn(), images(3, 16)


def test_gradient_matches_captum_saliency(case):
    model, x = case
    ours = saliency(model, x, target=[1, 3, 0][: len(x)])
    signed = captum_attr.Saliency(model).attribute(x.clone(), target=[1, 3, 0][: len(x)], abs=False)
    close(ours.raw, signed, rtol=1e-5)
    abs_ = captum_attr.Saliency(model).attribute(x.clone(), target=[1, 3, 0][: len(x)], abs=True)
    close(ours.maps, abs_.amax(dim=1), rtol=1e-5)
    assert ours.maps.shape == (len(x), *x.shape[2:]) and ours.raw.dtype.name == "float32"


def test_gradient_x_input_matches_captum(case):
    model, x = case
    ours = saliency(model, x, method="gradient_x_input")
    theirs = captum_attr.InputXGradient(model).attribute(x.clone(), target=torch.as_tensor(ours.target))
    close(ours.raw, theirs, rtol=1e-5)
    close(ours.maps, theirs.sum(dim=1), rtol=1e-5)


def test_integrated_gradients_matches_captum(case):
    model, x = case
    baseline = torch.full_like(x[0], 0.5)
    ours = saliency(model, x, 2, "integrated_gradients", n_steps=16, baseline=baseline, batch_size=7)
    theirs, delta = captum_attr.IntegratedGradients(model).attribute(
        x.clone(), baselines=baseline.expand_as(x).clone(), target=2, n_steps=16, return_convergence_delta=True
    )
    close(ours.raw, theirs)
    close(ours.maps, theirs.sum(dim=1))
    scale = float(theirs.abs().sum(dim=(1, 2, 3)).max())
    torch.testing.assert_close(torch.as_tensor(ours.delta), delta.float(), rtol=0, atol=1e-4 * scale)


def test_trapezoid_rule_is_captums_rescaled_to_unit_weight():
    # Captum's "riemann_trapezoid" gives its n points weights 1/n (halved at the ends), summing
    # to (n − 1)/n; ours uses the trapezoid rule proper, 1/(n − 1). So ours × (n − 1)/n = Captum.
    model, x = small_cnn(), images(2, 16)
    ours = saliency(model, x, 1, "integrated_gradients", n_steps=10, rule="riemann_trapezoid")
    theirs = captum_attr.IntegratedGradients(model).attribute(x.clone(), target=1, n_steps=10, method="riemann_trapezoid")
    close(ours.raw * 9 / 10, theirs)
    with torch.no_grad():
        gap = model(x)[:, 1] - model(torch.zeros_like(x))[:, 1]
    close(ours.delta, ours.raw.reshape(2, -1).sum(1) - gap.numpy(), rtol=1e-5)


def test_integrated_gradients_completeness_on_a_linear_model():
    # closed form: for f(x) = w·x, IG = (x − b)·w exactly and delta = 0 with any rule
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 4)).eval()
    x = images(2, 8)
    ours = saliency(model, x, 1, "integrated_gradients", n_steps=3)
    w = model[1].weight[1].detach().reshape(3, 8, 8)
    close(ours.raw, x * w, rtol=1e-5)
    assert abs(ours.delta).max() < 1e-4


def test_guided_backprop_matches_captum(case):
    model, x = case
    ours = saliency(model, x, method="guided_backprop")
    theirs = captum_attr.GuidedBackprop(model).attribute(x.clone(), target=torch.as_tensor(ours.target))
    close(ours.raw, theirs, rtol=1e-5)
    close(ours.maps, theirs.abs().amax(dim=1), rtol=1e-5)
    plain = saliency(model, x)
    assert not torch.allclose(torch.as_tensor(ours.raw), torch.as_tensor(plain.raw))  # the override did something


def test_smoothgrad_matches_captum_noise_tunnel_with_the_same_noise(case):
    model, x = case  # every input spans exactly [0, 1], so noise_level is Captum's stdev
    ours = saliency(model, x, 0, "smoothgrad", n_samples=6, noise_level=0.2, seed=7, batch_size=4)
    torch.manual_seed(7)
    theirs = captum_attr.NoiseTunnel(captum_attr.Saliency(model)).attribute(
        x.clone(), nt_type="smoothgrad", nt_samples=6, stdevs=0.2, target=0, abs=False
    )
    close(ours.raw, theirs)
    close(ours.maps, theirs.abs().amax(dim=1))


def test_smoothgrad_does_not_depend_on_batching_and_seed_matters():
    model, x = small_cnn(), images(2, 16)
    a = saliency(model, x, method="smoothgrad", n_samples=5, batch_size=1)
    b = saliency(model, x, method="smoothgrad", n_samples=5, batch_size=10)
    c = saliency(model, x, method="smoothgrad", n_samples=5, seed=1)
    close(a.raw, b.raw, rtol=1e-5)
    assert not torch.allclose(torch.as_tensor(a.raw), torch.as_tensor(c.raw))


def test_smoothgrad_offset_draws_the_slice_of_the_whole_batch_noise():
    shape, n_samples, start = (3, 8, 8), 4, 2
    whole = smoothgrad_noise(7, shape)
    draws = [torch.randn(shape, generator=whole) for _ in range(5 * n_samples)]
    shard = smoothgrad_noise(7, shape, skip=start * n_samples)
    for expected in draws[start * n_samples :]:
        assert torch.equal(torch.randn(shape, generator=shard), expected)
    model, x = small_cnn(), images(5, 16)
    full = saliency(model, x, 0, "smoothgrad", n_samples=n_samples, seed=7)
    offset = saliency(model, x[start:], 0, "smoothgrad", n_samples=n_samples, seed=7, _offset=start)
    fresh = saliency(model, x[start:], 0, "smoothgrad", n_samples=n_samples, seed=7)
    close(offset.raw, full.raw[start:], rtol=1e-5)
    assert not torch.allclose(torch.as_tensor(fresh.raw), torch.as_tensor(full.raw[start:]))


def test_memory_budget_bounds_rows_per_pass():
    model, x = small_cnn(), images(2, 16)
    with ForwardCalls(model) as calls:
        tiny = saliency(model, x, method="integrated_gradients", n_steps=40, memory_budget_mb=0.2)
        rows = max(inputs[0].shape[0] for inputs in calls)
        calls.clear()
        big = saliency(model, x, method="integrated_gradients", n_steps=40)
        seen = [inputs[0].shape[0] for inputs in calls]
    assert rows < 80 and max(seen) == 80  # the small budget split the 2×40 rows; the default did not
    close(tiny.raw, big.raw)


def test_resnet18_224_with_200_ig_steps_is_split_into_budget_sized_passes():
    from nbviz._guard import model_guard
    from nbviz.attribution._probe import probe_model

    model = resnet18()
    with model_guard(model) as guard:
        probe, _ = probe_model(guard.model, torch.zeros(1, 3, 224, 224), guard)
    per_row = probe.backward_bytes_per_row()
    rows = 512 * 2**20 // per_row
    assert 1 <= rows < 200  # 200 steps never go through in one pass
    assert 20e6 < per_row < 200e6  # a plausible estimate (≈ 2× resnet18's activations at 224²)
