"""trajectory() and plane(directions="pca") against scikit-learn's PCA; plots of every result."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from landscape_models import digits, flat, tiny_cnn, train_checkpoints
from nbviz.landscape import line, plane, trajectory

CE = nn.CrossEntropyLoss()


@pytest.fixture(scope="module")
def trained():
    x, y = digits(200)
    model = tiny_cnn(0)
    checkpoints = train_checkpoints(model, x, y, steps=12)
    return model, checkpoints, (x, y)


def test_pca_matches_scikit_learn(trained):
    from sklearn.decomposition import PCA

    model, checkpoints, _ = trained
    result = trajectory(model, checkpoints)
    names = [n for n, _ in model.named_parameters() if n.endswith("weight") and not n.startswith("bn")]
    final = {n: p.detach().numpy() for n, p in model.named_parameters()}
    X = np.stack([np.concatenate([c[n].numpy().ravel() - final[n].ravel() for n in names]) for c in checkpoints])
    pca = PCA(n_components=2, svd_solver="full").fit(X.astype(np.float64))
    np.testing.assert_allclose(result.explained_variance_ratio, pca.explained_variance_ratio_, rtol=1e-4)
    for k in range(2):
        ours = flat(result.directions[k], names)
        sign = np.sign(ours @ pca.components_[k])
        np.testing.assert_allclose(ours, sign * pca.components_[k], atol=1e-5)
        np.testing.assert_allclose(result.coords[:, k], X @ ours, rtol=1e-4, atol=1e-6)
        assert ours[np.abs(ours).argmax()] > 0  # sign convention
    for name in ("conv1.bias", "bn1.weight", "bn2.bias", "fc.bias"):
        assert not result.directions[0][name].any()
    assert np.allclose(result.coords[-1], 0.0)  # the last checkpoint is θ*


def test_coordinates_are_in_plane_units():
    """Checkpoints that lie in a plane through θ* are reconstructed exactly as θ* + c1·d1 + c2·d2."""
    model = tiny_cnn(0)
    gen = torch.Generator().manual_seed(0)
    theta = dict(model.named_parameters())
    u = {n: torch.randn(p.shape, generator=gen) for n, p in theta.items()}
    v = {n: torch.randn(p.shape, generator=gen) for n, p in theta.items()}
    ab = [(1.0, 0.5), (0.3, -2.0), (-1.0, 0.7), (2.0, 2.0)]
    checkpoints = [{n: p.detach() + a * u[n] + b * v[n] for n, p in theta.items()} for a, b in ab]
    result = trajectory(model, checkpoints, ignore=())
    for (c1, c2), ckpt in zip(result.coords, checkpoints):
        for n, p in theta.items():
            rebuilt = p.detach().numpy() + c1 * result.directions[0][n] + c2 * result.directions[1][n]
            np.testing.assert_allclose(rebuilt, ckpt[n].numpy(), atol=2e-5)
    assert result.explained_variance_ratio.sum() == pytest.approx(1.0, abs=1e-6)


def test_plane_with_pca_directions_uses_the_trajectory_directions(trained):
    model, checkpoints, data = trained
    path = trajectory(model, checkpoints)
    result = plane(model, CE, data, directions="pca", checkpoints=checkpoints, resolution=3, span=0.5)
    assert result.kind == "pca"
    for k in range(2):
        for name, d in path.directions[k].items():
            np.testing.assert_array_equal(result.directions[k][name], d)
    fig = result.plot(trajectory=path, log=True)
    assert fig.axes and len(fig.axes[0].lines) >= 3


def test_trajectory_errors(trained):
    model, checkpoints, _ = trained
    with pytest.raises(ValueError, match="at least 3"):
        trajectory(model, checkpoints[:2])
    with pytest.raises(ValueError, match="identical"):
        trajectory(model, [model.state_dict()] * 4)
    with pytest.raises(ValueError, match=r"checkpoints\[1\].*missing"):
        trajectory(model, [checkpoints[0], {"fc.weight": model.fc.weight}, checkpoints[2]])
    with pytest.raises(TypeError, match="checkpoints"):
        trajectory(model, checkpoints[0])


def test_results_plot_to_matplotlib_figures(trained):
    from matplotlib.figure import Figure

    model, checkpoints, data = trained
    assert isinstance(line(model, CE, data, alphas=[0.0, 0.5, 1.0]).plot(), Figure)
    assert isinstance(trajectory(model, checkpoints).plot(), Figure)
    assert isinstance(plane(model, CE, data, resolution=3).plot(), Figure)
    partial = []
    plane(model, CE, data, resolution=10, on_partial=lambda r, f: partial.append(r))
    assert isinstance(partial[0].plot(), Figure)  # an incomplete grid plots its complete sub-grid
