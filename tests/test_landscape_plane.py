"""plane(): values against hand evaluation and a closed-form quadratic, filter normalisation, ignore
rules, coarse-to-fine partials, previews, BatchNorm re-estimation and errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from landscape_models import at_point, digits, hand_loss, tiny_cnn
from nbviz.landscape import PlaneResult, plane
from nbviz.landscape.plane import grid_stages, refinement_levels

CE = nn.CrossEntropyLoss()


@pytest.fixture(scope="module")
def data():
    return digits(300)


def test_grid_equals_hand_evaluation_at_sampled_points(data):
    x, y = data
    model = tiny_cnn()
    result = plane(model, CE, data, resolution=7, span=0.8, seed=3)
    assert result.loss.shape == (7, 7) and result.accuracy.shape == (7, 7)
    np.testing.assert_allclose(result.alphas, np.linspace(-0.8, 0.8, 7))
    d1, d2 = result.directions
    for i, j in [(0, 0), (3, 3), (6, 1), (2, 5), (6, 6)]:
        loss, acc = hand_loss(at_point(model, d1, d2, result.alphas[j], result.betas[i]), CE, x, y)
        assert result.loss[i, j] == pytest.approx(loss, rel=1e-5, abs=1e-6), (i, j)
        assert result.accuracy[i, j] == pytest.approx(acc, abs=1e-12)
    assert result.loss[3, 3] == pytest.approx(hand_loss(model, CE, x, y)[0], rel=1e-6)  # θ* in the centre


def test_linear_mse_reproduces_the_closed_form_quadratic():
    """For y = Wx + b with MSE, L(θ*+αd1+βd2) = mean((r + αe1 + βe2)²): a quadratic with coefficients
    computed in float64 from the residual r and the direction responses e_k = D_k x + db_k."""
    torch.manual_seed(0)
    model = nn.Linear(5, 3)
    x, t = torch.randn(200, 5), torch.randn(200, 3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, t), batch_size=64)  # 64,64,64,8
    result = plane(model, nn.MSELoss(), loader, directions="random", ignore=(), resolution=9, span=2.0)
    assert result.accuracy is None
    d1, d2 = result.directions
    X, T = x.double().numpy(), t.double().numpy()
    W, b = model.weight.detach().double().numpy(), model.bias.detach().double().numpy()
    r = X @ W.T + b - T
    e1 = X @ d1["weight"].astype(np.float64).T + d1["bias"]
    e2 = X @ d2["weight"].astype(np.float64).T + d2["bias"]
    A, B = np.meshgrid(result.alphas, result.betas)  # rows follow β, columns follow α
    closed = (
        (r * r).mean() + 2 * A * (r * e1).mean() + 2 * B * (r * e2).mean()
        + A**2 * (e1 * e1).mean() + 2 * A * B * (e1 * e2).mean() + B**2 * (e2 * e2).mean()
    )
    np.testing.assert_allclose(result.loss, closed, rtol=1e-5)
    assert np.abs(d1["bias"]).sum() > 0  # ignore=() keeps biases in a random direction


def _reference_filter_normalize(d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Li et al.'s normalize_direction, filter by filter in a Python loop."""
    out = d.copy()
    for k in range(d.shape[0]):
        out[k] = d[k] * (np.linalg.norm(w[k]) / (np.linalg.norm(d[k]) + 1e-10))
    return out


def test_filter_normalisation_holds_per_filter_and_ignore_rules():
    model = tiny_cnn()
    theta = {n: p.detach().numpy() for n, p in model.named_parameters()}
    norm = plane(model, CE, digits(50), resolution=2, seed=5).directions
    raw = plane(model, CE, digits(50), directions="random", ignore=(), resolution=2, seed=5).directions
    for d_norm, d_raw in zip(norm, raw):
        for name, w in theta.items():
            if w.ndim >= 2:
                np.testing.assert_allclose(d_norm[name], _reference_filter_normalize(d_raw[name], w), rtol=1e-5)
                filt = np.linalg.norm(d_norm[name].reshape(w.shape[0], -1), axis=1)
                np.testing.assert_allclose(filt, np.linalg.norm(w.reshape(w.shape[0], -1), axis=1), rtol=1e-5)
            else:  # biases and BatchNorm parameters are ignored by default
                assert not d_norm[name].any(), name
    assert not np.allclose(norm[0]["conv1.weight"], norm[1]["conv1.weight"])
    # no ignore: 1-D parameters take θ* itself (Li et al.'s d ← w); "bias" only: BN weight kept, biases zero
    keep = plane(model, CE, digits(50), resolution=2, ignore=(), seed=5).directions[0]
    np.testing.assert_array_equal(keep["bn1.weight"], theta["bn1.weight"])
    np.testing.assert_array_equal(keep["conv1.bias"], theta["conv1.bias"])
    only_bias = plane(model, CE, digits(50), resolution=2, ignore=("bias",), seed=5).directions[0]
    assert only_bias["bn1.weight"].any() and not only_bias["bn1.bias"].any() and not only_bias["fc.bias"].any()
    by_name = plane(model, CE, digits(50), resolution=2, ignore=("fc",), seed=5).directions[0]
    assert not by_name["fc.weight"].any() and by_name["conv1.weight"].any()
    assert set(norm[0]) == {n for n, _ in model.named_parameters()}  # buffers are never directions


def test_coarse_to_fine_gives_a_complete_9x9_first(data):
    model = tiny_cnn()
    partials: list[tuple[PlaneResult, float]] = []
    final = plane(model, CE, data, resolution=17, on_partial=lambda r, f: partials.append((r, f)))
    first, fraction = partials[0]
    coarse = first.coarse()
    assert coarse.loss.shape == (9, 9) and np.isfinite(coarse.loss).all()
    assert first.computed.sum() == 81 and not first.complete
    assert fraction == pytest.approx(81 / 289)
    np.testing.assert_allclose(coarse.alphas, np.linspace(-1, 1, 9))  # every other point of 17
    # the coarse level is the same computation as a 9×9 plane with the same directions
    nine = plane(model, CE, data, resolution=9)
    np.testing.assert_allclose(coarse.loss, nine.loss, rtol=1e-6)
    np.testing.assert_allclose(final.loss[::2, ::2], nine.loss, rtol=1e-6)
    assert partials[-1][1] == pytest.approx(1.0) and partials[-1][0].complete
    assert np.isfinite(final.loss).all()
    fractions = [f for _, f in partials]
    assert fractions == sorted(fractions)


@pytest.mark.parametrize("resolution", [2, 5, 9, 10, 21, 23, 51])
def test_refinement_levels_are_nested_and_cover_the_grid(resolution):
    levels = refinement_levels(resolution)
    assert levels[0].size == min(9, resolution) and levels[0][0] == 0 and levels[0][-1] == resolution - 1
    for a, b in zip(levels, levels[1:]):
        assert set(a) < set(b)
    np.testing.assert_array_equal(levels[-1], np.arange(resolution))
    stages = grid_stages(resolution)
    allpoints = np.concatenate(stages)
    assert sorted(allpoints) == list(range(resolution * resolution))


def test_preview_on_a_seeded_subset_then_full_data(data):
    x, y = data
    model = tiny_cnn()
    partials: list[PlaneResult] = []
    final = plane(model, CE, data, resolution=9, preview=64, seed=2, on_partial=lambda r, f: partials.append(r))
    first = partials[0]
    assert first.preview and first.samples == 64
    idx = torch.randperm(300, generator=torch.Generator().manual_seed(2))[:64].sort().values
    on_subset = plane(model, CE, (x[idx], y[idx]), resolution=9, seed=2)
    np.testing.assert_allclose(first.loss, on_subset.loss, rtol=1e-5)
    assert not partials[1].preview and partials[1].samples == 300
    full = plane(model, CE, data, resolution=9, seed=2)
    np.testing.assert_allclose(final.loss, full.loss, rtol=1e-6)
    assert not final.preview and not np.allclose(first.loss, final.loss)
    only = plane(model, CE, data, resolution=9, preview=64, seed=2, preview_then_full=False)
    assert only.preview and only.complete
    np.testing.assert_allclose(only.loss, on_subset.loss, rtol=1e-6)


def _hand_recomputed_bn(model, state, batches):
    """Copy → new weights → reset BN stats → cumulative average over the batches in train mode → eval."""
    moved = copy.deepcopy(model)
    moved.load_state_dict(state, strict=False)
    for m in moved.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
            m.train()
    with torch.no_grad():
        for xb, _ in batches:
            moved(xb)
    return moved.eval()


def test_recompute_bn_matches_a_hand_re_estimation(data):
    x, y = data
    model = tiny_cnn()
    batches = [(x[:128], y[:128]), (x[128:256], y[128:256]), (x[256:], y[256:])]
    result = plane(model, CE, batches, resolution=3, recompute_bn=True, seed=4)
    default = plane(model, CE, batches, resolution=3, seed=4)
    d1, d2 = result.directions
    for i, j in [(0, 0), (1, 1), (2, 0)]:
        a, b = result.alphas[j], result.betas[i]
        state = at_point(model, d1, d2, a, b).state_dict()
        params = {k: v for k, v in state.items() if "running" not in k and "num_batches" not in k}
        moved = _hand_recomputed_bn(model, params, batches)
        assert result.loss[i, j] == pytest.approx(hand_loss(moved, CE, x, y)[0], rel=1e-5)
    assert not np.allclose(result.loss, default.loss)


def test_custom_directions_are_used_as_given_and_accept_a_full_state_dict(data):
    x, y = data
    model = tiny_cnn()
    gen = torch.Generator().manual_seed(9)
    d1 = {k: torch.randn(v.shape, generator=gen) * 0.05 for k, v in model.named_parameters()}
    d2 = {k: torch.zeros_like(v) for k, v in model.state_dict().items()}  # buffers present, all zero
    d2["fc.bias"] = torch.ones(10)
    result = plane(model, CE, data, directions=(d1, d2), resolution=3)
    assert result.kind == "custom"
    np.testing.assert_array_equal(result.directions[0]["conv1.weight"], d1["conv1.weight"].numpy())
    loss, _ = hand_loss(at_point(model, *result.directions, 1.0, -1.0), CE, x, y)
    assert result.loss[0, 2] == pytest.approx(loss, rel=1e-5)


def test_errors_are_clear(data):
    model = tiny_cnn()
    good = {k: torch.zeros_like(v) for k, v in model.named_parameters()}
    with pytest.raises(ValueError, match="pca.*checkpoints"):
        plane(model, CE, data, directions="pca")
    with pytest.raises(ValueError, match="resolution"):
        plane(model, CE, data, resolution=1)
    with pytest.raises(TypeError, match="resolution"):
        plane(model, CE, data, resolution=2.5)
    with pytest.raises(ValueError, match="span"):
        plane(model, CE, data, span=0)
    with pytest.raises(ValueError, match="directions"):
        plane(model, CE, data, directions="gaussian")
    missing = dict(good)
    missing.pop("fc.weight")
    with pytest.raises(ValueError, match=r"directions\[1\].*missing.*fc.weight"):
        plane(model, CE, data, directions=(good, missing))
    wrong = dict(good, **{"conv1.weight": torch.zeros(6, 1, 5, 5)})
    with pytest.raises(ValueError, match=r"directions\[0\]\['conv1.weight'\].*shape"):
        plane(model, CE, data, directions=(wrong, good))
    with pytest.raises(ValueError, match="not in the model.*conv9"):
        plane(model, CE, data, directions=(good, dict(good, **{"conv9.weight": torch.zeros(1)})))
    with pytest.raises(ValueError, match="buffers are not perturbed"):
        plane(model, CE, data, directions=(good, dict(good, **{"bn1.running_mean": torch.ones(6)})))
    with pytest.raises(TypeError, match="directions"):
        plane(model, CE, data, directions=(good,))
    with pytest.raises(ValueError, match="ignore.*conv3"):
        plane(model, CE, data, ignore=("conv3",))
    with pytest.raises(ValueError, match="checkpoints.*pca"):
        plane(model, CE, data, checkpoints=[model.state_dict()] * 3)
    with pytest.raises(ValueError, match="loss_fn.*scalar"):
        plane(model, nn.CrossEntropyLoss(reduction="none"), data, resolution=2)
    with pytest.raises(ValueError, match="preview"):
        plane(model, CE, data, preview=0)
    with pytest.raises(TypeError, match="data"):
        plane(model, CE, data[0])
