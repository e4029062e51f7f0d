"""BatchNorm folding and in-place activations on planes (nbviz.landscape.folding, .graph): which pairs fold and which must not, folded
planes equal the model at every point (hand evaluation on perturbed copies, and the unfolded
evaluator), and neither the user's model nor re-estimated statistics are affected."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

import nbviz.landscape.evaluate as evaluate
from landscape_models import at_point, digits, folding_net, hand_loss
from nbviz.landscape import plane
from nbviz.landscape.folding import fold_batchnorms
from nbviz.landscape.graph import BufferedLinear, activations_in_place, linears_into_buffers, plane_graph
from nbviz.landscape.points import PlanePoints

CE = nn.CrossEntropyLoss()


def plane_points(model: nn.Module, seed: int = 0, moved: tuple[str, ...] = ()) -> PlanePoints:
    """θ* and two Gaussian directions that are zero on BatchNorm parameters except those in ``moved``."""
    g = torch.Generator().manual_seed(seed)
    theta = {n: p.detach() for n, p in model.named_parameters()}
    still = {f"{m}.{p}" for m in batchnorms(model) for p in ("weight", "bias")} - set(moved)

    def direction() -> dict[str, torch.Tensor]:
        return {n: torch.zeros_like(p) if n in still else torch.randn(p.shape, generator=g) * 0.1 for n, p in theta.items()}

    return PlanePoints(theta, direction(), direction(), np.linspace(-1, 1, 3))


def batchnorms(model: nn.Module) -> list[str]:
    return sorted(n for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d))


def test_folds_every_batchnorm_that_alone_reads_its_conv():
    model = folding_net()
    gm, _ = plane_graph(model, plane_points(model))
    assert batchnorms(gm) == ["bn3"]  # conv3's output is also read by the skip
    assert batchnorms(model) == ["bn1", "bn2", "bn3", "bn4", "down.1"]  # the model keeps its modules


@pytest.mark.parametrize("point", [0, 4, 8, 2])
def test_folded_point_equals_the_model_at_that_point(point):
    model = folding_net()
    points = plane_points(model, moved=("bn1.bias", "down.1.bias"))  # a moved BN bias still folds (linear)
    gm, folded = plane_graph(model, points)
    x, _ = digits(64)
    reference = copy.deepcopy(model)
    with torch.no_grad():
        for n, p in reference.named_parameters():
            p.copy_(points(point)[n])
        expected = reference(x)
        got = torch.func.functional_call(gm, folded(point), (x,))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_a_direction_moving_gamma_keeps_that_batchnorm():
    model = folding_net()
    gm, _ = plane_graph(model, plane_points(model, moved=("bn2.weight",)))
    assert batchnorms(gm) == ["bn2", "bn3"]


def test_a_batchnorm_in_train_mode_is_not_folded():
    model = folding_net()
    model.bn1.train()
    gm, _ = plane_graph(model, plane_points(model))
    assert batchnorms(gm) == ["bn1", "bn3"]


def test_nothing_to_fold_or_untraceable_gives_none():
    mlp = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    assert fold_batchnorms(torch.fx.symbolic_trace(mlp), plane_points(mlp)) is None

    class Branchy(nn.Module):  # data-dependent control flow: torch.fx cannot trace it
        def __init__(self) -> None:
            super().__init__()
            self.conv, self.bn = nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.bn(self.conv(x))
            return y if y.sum() > 0 else -y

    branchy = Branchy().eval()
    assert plane_graph(branchy, plane_points(branchy)) is None


def test_folded_plane_equals_hand_evaluation_and_the_unfolded_plane(monkeypatch):
    x, y = digits(200)
    model = folding_net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    calls = []
    real = evaluate.plane_graph
    monkeypatch.setattr(evaluate, "plane_graph", lambda *a: calls.append(1) or real(*a))
    folded = plane(model, CE, (x, y), resolution=5, span=0.7, seed=2, ignore=("bias",))  # moves every γ but bn1's...
    assert calls
    d1, d2 = folded.directions
    for i, j in [(0, 0), (2, 2), (4, 1), (3, 4)]:
        loss, acc = hand_loss(at_point(model, d1, d2, folded.alphas[j], folded.betas[i]), CE, x, y)
        assert folded.loss[i, j] == pytest.approx(loss, rel=1e-5, abs=1e-6), (i, j)
        assert folded.accuracy[i, j] == pytest.approx(acc, abs=1e-12)
    default = plane(model, CE, (x, y), resolution=5, span=0.7, seed=2)  # BN directions zero: all but bn3 fold
    monkeypatch.setattr(evaluate, "plane_graph", lambda *a: None)
    unfolded = plane(model, CE, (x, y), resolution=5, span=0.7, seed=2)
    np.testing.assert_allclose(default.loss, unfolded.loss, rtol=1e-5)
    np.testing.assert_array_equal(default.accuracy, unfolded.accuracy)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_recompute_bn_does_not_fold(monkeypatch):
    x, y = digits(100)
    calls = []
    monkeypatch.setattr(evaluate, "plane_graph", lambda *a: calls.append(1))
    plane(folding_net(), CE, (x, y), resolution=3, recompute_bn=True)
    assert not calls
    plane(folding_net(), CE, (x, y), resolution=3)
    assert calls


class Activations(nn.Module):
    """ReLUs in place or not: after a Linear read once (yes), on a view of the input (no), after a
    Linear also read by a skip (no), a functional ReLU after an addition (yes)."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(6, 6), nn.Linear(6, 6), nn.Linear(6, 6)
        self.act1, self.act2, self.act3 = nn.ReLU(), nn.ReLU(), nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = self.act1(x.view(-1, 6))  # a view of the caller's input: must not be written
        h = self.act2(self.a(v))  # in place
        g = self.b(h)
        k = self.act3(g) + g  # g is read twice: not in place
        return torch.relu(self.c(k) + k)  # in place


def test_activations_run_in_place_only_on_fresh_tensors_read_once():
    torch.manual_seed(0)
    model = Activations().eval()
    gm = torch.fx.symbolic_trace(model)
    assert activations_in_place(gm) == 2
    in_place = sorted(type(m).__name__ for m in gm.modules() if getattr(m, "inplace", False))
    assert in_place == ["ReLU"]
    assert not any(getattr(m, "inplace", False) for m in model.modules())  # the model keeps its modules
    x = torch.randn(5, 6)
    kept = x.clone()
    with torch.no_grad():
        torch.testing.assert_close(gm(x), model(x), rtol=0, atol=0)
    assert torch.equal(x, kept)


def test_an_mlp_plane_runs_in_place_and_equals_the_model(monkeypatch):
    torch.manual_seed(0)
    x, y = torch.randn(300, 8), torch.randint(0, 3, (300,))
    mlp = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)).eval()
    rewritten = plane(mlp, CE, (x, y), resolution=3, seed=1)
    monkeypatch.setattr(evaluate, "plane_graph", lambda *a: None)
    plain = plane(mlp, CE, (x, y), resolution=3, seed=1)
    np.testing.assert_allclose(rewritten.loss, plain.loss, rtol=1e-6)
    gm, _ = plane_graph(mlp, plane_points(mlp))
    assert sum(getattr(m, "inplace", False) for m in gm.modules()) == 2


def test_buffered_linear_equals_linear_and_reuses_its_output():
    torch.manual_seed(0)
    linear, buffered = nn.Linear(7, 5), BufferedLinear()
    x = torch.randn(12, 7)
    with torch.inference_mode():
        first = buffered(x, linear.weight, linear.bias)
        assert torch.equal(first, linear(x))
        again = buffered(x * 2, linear.weight, linear.bias)
        assert again.data_ptr() == first.data_ptr() and torch.equal(again, linear(x * 2))
        assert torch.equal(buffered(x, linear.weight, None), x @ linear.weight.T)
        three = torch.randn(2, 3, 7)  # not 2-D: plain F.linear
        assert torch.equal(buffered(three, linear.weight, linear.bias), linear(three))
    with torch.no_grad():  # outside inference mode nothing is buffered
        assert buffered(x, linear.weight, linear.bias).data_ptr() != first.data_ptr()


def test_only_linears_inside_the_forward_write_into_buffers():
    mlp = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 3)).eval()
    gm = torch.fx.symbolic_trace(mlp)
    assert linears_into_buffers(gm) == 2  # the last Linear is the output: the caller keeps it
    x = torch.randn(9, 4)
    with torch.inference_mode():
        torch.testing.assert_close(gm(x), mlp(x), rtol=0, atol=0)
        out = gm(x)
        assert not any(out.data_ptr() == b.data_ptr() for m in gm.modules() if isinstance(m, BufferedLinear)
                       for b in m.outputs.values())


def test_the_agreement_check_runs_the_buffered_path(monkeypatch):
    """A buffered Linear that goes wrong (only on its buffered path, in inference mode) is caught by the
    rewritten copy's agreement check, which runs inside the plane's inference mode: the plane falls back
    to the model itself and stays right (run outside inference mode, the check would pass the wrong copy)."""
    torch.manual_seed(0)
    x, y = torch.randn(300, 8), torch.randint(0, 3, (300,))
    mlp = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)).eval()
    monkeypatch.setattr(evaluate, "plane_graph", lambda *a: None)
    plain = plane(mlp, CE, (x, y), resolution=3, seed=1)
    monkeypatch.undo()
    real_addmm = torch.addmm

    def wrong_addmm(bias, a, b, **kwargs):
        return real_addmm(bias + 1.0, a, b, **kwargs)

    monkeypatch.setattr(torch, "addmm", wrong_addmm)
    checked = plane(mlp, CE, (x, y), resolution=3, seed=1)
    np.testing.assert_allclose(checked.loss, plain.loss, rtol=1e-6)
