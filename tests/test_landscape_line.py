"""line(): endpoints equal the start and trained losses, interpolation by hand, a closed-form quadratic."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from landscape_models import digits, hand_loss, tiny_cnn
from nbviz.landscape import line
from nbviz.landscape.line import random_init

CE = nn.CrossEntropyLoss()


@pytest.fixture(scope="module")
def data():
    return digits(200)


def test_endpoints_equal_the_losses_of_start_and_trained(data):
    x, y = data
    model, other = tiny_cnn(0), tiny_cnn(7)  # different weights and BatchNorm statistics
    for start in (other, other.state_dict()):
        result = line(model, CE, data, start=start, alphas=[0.0, 0.5, 1.0])
        assert result.loss[0] == pytest.approx(hand_loss(other, CE, x, y)[0], rel=1e-5)
        assert result.loss[2] == pytest.approx(hand_loss(model, CE, x, y)[0], rel=1e-5)
        assert result.accuracy[0] == pytest.approx(hand_loss(other, CE, x, y)[1])


def test_interior_points_interpolate_parameters_and_buffers(data):
    x, y = data
    model, other = tiny_cnn(0), tiny_cnn(7)
    result = line(model, CE, data, start=other, alphas=np.array([-0.5, 0.3, 1.5]))
    a, b = other.state_dict(), model.state_dict()
    for k, alpha in enumerate(result.alphas):
        mixed = tiny_cnn(0)
        mixed.load_state_dict({n: (1 - alpha) * a[n] + alpha * b[n] if b[n].is_floating_point() else b[n] for n in b})
        assert result.loss[k] == pytest.approx(hand_loss(mixed, CE, x, y)[0], rel=1e-5)


def test_random_start_is_a_seeded_fresh_init_and_leaves_global_rng_alone(data):
    x, y = data
    model = tiny_cnn(0)
    state = torch.random.get_rng_state()
    result = line(model, CE, data, seed=11, alphas=[0.0, 1.0])
    assert torch.equal(torch.random.get_rng_state(), state)
    fresh = random_init(model, seed=11)
    assert result.loss[0] == pytest.approx(hand_loss(fresh, CE, x, y)[0], rel=1e-5)
    assert not torch.equal(fresh.conv1.weight, model.conv1.weight)
    assert torch.equal(fresh.bn1.running_var, torch.ones(6))  # a fresh init resets BN statistics too
    assert torch.equal(random_init(model, seed=11).fc.weight, fresh.fc.weight)
    assert not torch.equal(random_init(model, seed=12).fc.weight, fresh.fc.weight)
    # the default line runs from −0.5 to 1.5 in 41 steps
    default = line(model, CE, data, seed=11)
    np.testing.assert_allclose(default.alphas, np.linspace(-0.5, 1.5, 41))
    assert default.loss[30] == pytest.approx(result.loss[1], rel=1e-6)  # α = 1
    assert default.loss[10] == pytest.approx(result.loss[0], rel=1e-6)  # α = 0


def test_linear_mse_line_is_the_closed_form_quadratic():
    torch.manual_seed(0)
    model, start = nn.Linear(4, 2), nn.Linear(4, 2)
    x, t = torch.randn(90, 4), torch.randn(90, 2)
    alphas = np.linspace(-1, 2, 13)
    result = line(model, nn.MSELoss(), [(x[:50], t[:50]), (x[50:], t[50:])], start=start, alphas=alphas)
    assert result.accuracy is None
    X, T = x.double().numpy(), t.double().numpy()

    def out(m):
        return X @ m.weight.detach().double().numpy().T + m.bias.detach().double().numpy()

    r0, r1 = out(start) - T, out(model) - T  # residual is linear in α: r0 + α(r1 − r0)
    e = r1 - r0
    closed = (r0 * r0).mean() + 2 * alphas * (r0 * e).mean() + alphas**2 * (e * e).mean()
    np.testing.assert_allclose(result.loss, closed, rtol=1e-5)


def test_line_errors(data):
    model = tiny_cnn(0)
    with pytest.raises(ValueError, match="alphas"):
        line(model, CE, data, alphas=np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"start\['fc.weight'\].*shape"):
        line(model, CE, data, start=dict(model.state_dict(), **{"fc.weight": torch.zeros(3, 3)}))
    with pytest.raises(ValueError, match="start.*missing"):
        line(model, CE, data, start={"fc.weight": model.fc.weight})
    with pytest.raises(TypeError, match="start"):
        line(model, CE, data, start=[1, 2])


def test_extrapolated_batchnorm_variances_stay_non_negative(data):
    model, other = tiny_cnn(0), tiny_cnn(7)
    with torch.no_grad():
        model.bn1.running_var.fill_(0.01)  # α > 1 extrapolates 0.01 + (α − 1)(0.01 − var_start) < 0
    result = line(model, CE, data, start=other, alphas=[1.0, 1.5])
    assert np.isfinite(result.loss).all()
