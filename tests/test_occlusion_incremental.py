"""Incremental inference: exact mode equals plain occlusion, unknown models fall back, and the
approximate mode stays close to exact (SSIM)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from nbviz._fastest import FastestOf
from nbviz.attribution._similarity import ssim
from nbviz.attribution.incremental import TIMED_BATCH, IncrementalEngine, UnsupportedModel
from nbviz.attribution.occlusion import occlusion
from occlusion_models import DataDependent, Strided, TinyCNN, VGGLike, image, seeded


def resnet18():
    import torchvision

    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None, num_classes=10).eval()


MODELS = {
    "tiny": (lambda: seeded(TinyCNN), 32),
    "vgg_like": (lambda: seeded(VGGLike, 48), 48),
    "strided": (lambda: seeded(Strided), 40),
}


pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("window, stride, baseline", [(8, 4, "zero"), ((5, 9), (3, 6), "blur")])
def test_exact_equals_plain(name, window, stride, baseline):
    build, size = MODELS[name]
    model, x = build(), image(size, seed=2)
    exact = occlusion(model, x, window=window, stride=stride, baseline=baseline, mode="exact")
    plain = occlusion(model, x, window=window, stride=stride, baseline=baseline, mode="plain")
    assert exact.mode == "exact" and plain.mode == "plain"
    np.testing.assert_allclose(exact.probability, plain.probability, atol=1e-5, rtol=0)
    scale = float(np.abs(plain.drop).max())
    assert scale > 1e-6  # the maps are not trivially zero, and the drops agree relative to their size
    np.testing.assert_allclose(exact.drop, plain.drop, atol=max(2e-7, 1e-2 * scale), rtol=0)


def test_resnet18_96px_exact_equals_plain():
    model, x = resnet18(), image(96, seed=3)
    exact = occlusion(model, x, window=16, stride=12, mode="exact")  # 8×8 windows, borders clipped
    plain = occlusion(model, x, window=16, stride=12, mode="plain")
    np.testing.assert_allclose(exact.probability, plain.probability, atol=1e-5, rtol=0)
    np.testing.assert_allclose(exact.drop, plain.drop, atol=1e-2 * float(np.abs(plain.drop).max()), rtol=0)


def test_engine_outputs_equal_model_on_patched_copies():
    """The engine itself, against the model on hand-made patched copies (border boxes included)."""
    model, x = seeded(Strided), image(40)[None]
    engine = IncrementalEngine(model, x)
    starts = torch.tensor([[0, 0], [0, 33], [33, 0], [17, 21], [33, 33], [5, 30]])
    values = torch.randn(len(starts), 3, 7, 7)
    copies = x.repeat(len(starts), 1, 1, 1)
    for b, (r, c) in enumerate(starts.tolist()):
        copies[b, :, r : r + 7, c : c + 7] = values[b]
    with torch.no_grad():
        np.testing.assert_allclose(engine.run(values, starts), model(copies), atol=1e-5, rtol=0)
        np.testing.assert_allclose(engine.base_output, model(x), atol=1e-5, rtol=0)
    kinds = {kind for kind, _ in engine.plan.values()}
    assert {"window", "pointwise", "full"} <= kinds  # boxes really travel through the graph


def test_untraceable_model_falls_back_to_plain(caplog):
    model, x = seeded(DataDependent), image(32)
    with pytest.raises(UnsupportedModel):
        IncrementalEngine(model, x[None])
    with caplog.at_level(logging.INFO, logger="nbviz.attribution.occlusion"):
        result = occlusion(model, x, window=8, stride=4, mode="exact")
    assert result.mode == "plain" and "falling back to plain" in caplog.text
    plain = occlusion(model, x, window=8, stride=4, mode="plain")
    np.testing.assert_allclose(result.probability, plain.probability, atol=0, rtol=0)


@pytest.mark.parametrize("name", ["strided", "vgg_like"])
def test_approximate_close_to_exact(name):
    build, size = MODELS[name]
    model, x = build(), image(size, seed=4)
    exact = occlusion(model, x, window=8, stride=2, mode="exact")
    approx = occlusion(model, x, window=8, stride=2, mode="approximate")
    assert approx.mode == "approximate" and approx.final
    share = approx.computed.mean()
    assert share < 0.6  # it really skips positions
    np.testing.assert_allclose(approx.probability[approx.computed], exact.probability[approx.computed], atol=1e-5)
    quality = float(ssim(approx.drop_map[None], exact.drop_map[None])[0])
    assert quality >= 0.9, quality


def test_cuts_skip_nodes_inside_a_residual_block():
    model, x = seeded(Strided), image(40)
    engine = IncrementalEngine(model, x[None])
    names = [n.name for n in engine.cuts()]
    assert "pool" in names and "add" in names  # before and after the residual block
    assert not {"dilated", "same", "gelu"} & set(names)  # the skip connection is still live there


@pytest.mark.parametrize("name", ["tiny", "strided"])
def test_linearised_change_is_the_directional_derivative(name):
    """run(stop=cut) returns ⟨∂score/∂cut, Δcut⟩; for a tiny patch change ε·v that is ε·⟨∂score/∂x, v⟩
    (chain rule), checked against autograd on the input in float64."""
    build, size = MODELS[name]
    model, x = build().double(), image(size, seed=1).double()[None]
    engine = IncrementalEngine(model, x)
    cut = engine.cuts()[len(engine.cuts()) // 2]
    engine.linearize(cut, lambda out: torch.softmax(out, 1)[:, 2])
    starts = torch.tensor([[3, 5], [10, 0], [0, size - 6]])
    v = torch.randn(len(starts), 3, 6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    eps = 1e-6
    base = torch.stack([x[0, :, r : r + 6, c : c + 6] for r, c in starts.tolist()])
    change = engine.run(base + eps * v, starts, stop=cut) / eps
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.softmax(model(xg), 1)[0, 2], xg)
    expected = torch.stack([(grad[0, :, r : r + 6, c : c + 6] * v[b]).sum() for b, (r, c) in enumerate(starts.tolist())])
    np.testing.assert_allclose(change.numpy(), expected.numpy(), rtol=1e-4, atol=1e-9)
    out, tapped = engine.run(base + eps * v, starts, tap=cut)
    np.testing.assert_allclose(tapped.numpy() / eps, change.numpy(), rtol=1e-9)


def test_approximate_linearises_where_it_fits():
    """Strided is close to linear past its cut: under a third of the windows suffice."""
    build, size = MODELS["strided"]
    model, x = build(), image(size, seed=4)
    exact = occlusion(model, x, window=8, stride=2, mode="exact")
    approx = occlusion(model, x, window=8, stride=2, mode="approximate")
    assert approx.computed.mean() < 0.3
    assert float(ssim(approx.drop_map[None], exact.drop_map[None])[0]) >= 0.95


def test_approximate_falls_back_when_the_linearisation_misfits(monkeypatch, caplog):
    import importlib

    monkeypatch.setattr(importlib.import_module("nbviz.attribution.occlusion"), "APPROXIMATE_MISFIT", -1.0)
    build, size = MODELS["strided"]
    model, x = build(), image(size, seed=4)
    exact = occlusion(model, x, window=8, stride=2, mode="exact")
    with caplog.at_level(logging.INFO, logger="nbviz.attribution.occlusion"):
        approx = occlusion(model, x, window=8, stride=2, mode="approximate")
    assert "misfits the anchors" in caplog.text
    assert 0.4 < approx.computed.mean() < 0.7  # the interpolation rule's share
    np.testing.assert_allclose(approx.probability[approx.computed], exact.probability[approx.computed], atol=1e-5)


@pytest.mark.parametrize("offsets", ["aligned", "shifted", "overhanging"])
def test_box_reads_equal_slices_of_the_materialised_layer(offsets):
    """A read of a region of a boxed layer (the cache with each patch's box pasted in) equals the same
    region sliced from the whole materialised layer: every box at one offset inside its region, boxes
    at different offsets (shifted inwards at a border), and boxes reaching past their region."""
    from nbviz.attribution._incremental_states import Boxed

    model, x = seeded(Strided), image(40)[None]
    engine = IncrementalEngine(model, x)
    node = next(n for n in engine.nodes if n in engine.dependent and engine.cache[n].dim() == 4 and n.op != "placeholder")
    channels, height, width = engine.cache[node].shape[1:]
    g = torch.Generator().manual_seed(0)
    box_starts = torch.tensor([[4, 6], [10, 3], [1, 2], [height - 7, width - 7]])
    values = torch.randn(len(box_starts), channels, 5, 5, generator=g)
    shift = {"aligned": [[1, 2]] * 4, "shifted": [[1, 2], [0, 0], [0, 0], [3, 1]], "overhanging": [[-2, 1], [1, -3], [0, 0], [2, 2]]}
    starts = (box_starts - torch.tensor(shift[offsets])).clamp(min=0)
    starts = starts.minimum(torch.tensor([height - 8, width - 7]))
    state = Boxed(values, box_starts)
    region = engine._read(node, state, starts, (8, 7), None, node)
    whole = engine._materialise(node, state, len(box_starts))
    for b, (r, c) in enumerate(starts.tolist()):
        torch.testing.assert_close(region[b], whole[b, :, r : r + 8, c : c + 7], rtol=0, atol=0)


def test_whole_tensor_convolutions_by_winograd_equal_the_model():
    """Each whole-tensor 3×3 convolution's first batch runs torch's convolution and its second Winograd's
    (:class:`~nbviz._fastest.FastestOf` times each in turn): both passes equal the model on patched copies."""
    model, x = resnet18(), image(64, seed=4)[None]
    g = torch.Generator().manual_seed(0)
    for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):  # folded biases ≠ 0
        bn.running_mean.normal_(0, 0.1, generator=g)
        bn.bias.data.normal_(0, 0.1, generator=g)
    engine = IncrementalEngine(model, x)
    for _ in range(2):
        starts = torch.randint(0, 64 - 8, (TIMED_BATCH, 2), generator=g)  # smaller batches are not timed
        values = torch.randn(len(starts), 3, 8, 8, generator=g)
        copies = x.repeat(len(starts), 1, 1, 1)
        for b, (r, c) in enumerate(starts.tolist()):
            copies[b, :, r : r + 8, c : c + 8] = values[b]
        with torch.no_grad():
            np.testing.assert_allclose(engine.run(values, starts), model(copies), atol=1e-5, rtol=0)
    winograd = [run for run in engine._whole_windows.values() if isinstance(run, FastestOf)]  # torch's and Winograd's
    assert len(winograd) >= 4  # layer3's and layer4's stride-1 convolutions
    assert all(np.isfinite(run.per_item).all() for run in winograd)  # each ran both ways
