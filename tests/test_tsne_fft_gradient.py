"""nbviz's FFT repulsion against openTSNE's (the same method and grid) and against all pairs."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from nbviz.embedding._fft_gradient import FFTRepulsion, grid_boxes, kl_divergence_fft

_tsne = pytest.importorskip("openTSNE._tsne")
FFT_PARAMS = dict(n_interpolation_points=3, min_num_intervals=50, ints_in_interval=1)


def clustered_map(n: int, extent: float, seed: int = 0) -> np.ndarray:
    """``n`` points in 12 gaussian clusters spread over about ``extent`` units, an elongated t-SNE-like map."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-extent / 2, extent / 2, size=(12, 2)) * [1.0, 0.7]
    return centres[rng.integers(0, 12, size=n)] + rng.normal(scale=extent / 40, size=(n, 2)) + 3.0


def opentsne_repulsion(Y: np.ndarray, **params) -> tuple[float, np.ndarray]:
    gradient = np.zeros_like(Y)
    z = _tsne.estimate_negative_gradient_fft_2d(np.ascontiguousarray(Y), gradient, **{**FFT_PARAMS, **params}, dof=1)
    return z, -gradient


def all_pairs_repulsion(Y: np.ndarray) -> tuple[float, np.ndarray]:
    d = Y[:, None, :] - Y[None, :, :]
    w = 1.0 / (1.0 + (d * d).sum(-1))
    np.fill_diagonal(w, 0.0)
    z = w.sum()
    return z, ((w * w)[..., None] * d).sum(1) / z


def relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize("extent", [20.0, 80.0, 160.0, 420.0])
def test_double_precision_is_opentsnes_interpolation(extent):
    # same method and same grid: the only difference left is rounding
    Y = clustered_map(3_000, extent)
    z, forces = FFTRepulsion(single_precision=False)(Y)
    z_ref, forces_ref = opentsne_repulsion(Y)
    assert z == pytest.approx(z_ref, rel=1e-10)
    assert relative(forces, forces_ref) < 1e-9


@pytest.mark.parametrize("extent", [80.0, 420.0])
def test_single_precision_stays_far_below_the_interpolation_error(extent):
    Y = clustered_map(1_500, extent, seed=1)
    z, forces = FFTRepulsion()(Y)
    z_ref, forces_ref = opentsne_repulsion(Y)
    z_all, forces_all = all_pairs_repulsion(Y)
    interpolation_error = relative(forces_ref, forces_all)
    assert interpolation_error > 1e-4  # the bound below means something
    assert relative(forces, forces_ref) < interpolation_error / 20
    assert abs(z / z_ref - 1) < abs(z_ref / z_all - 1) / 20
    assert relative(forces, forces_all) < 1.05 * interpolation_error


def test_other_interpolation_settings_follow_opentsne():
    Y = clustered_map(2_000, 120.0, seed=2)
    for params in (dict(n_interpolation_points=4), dict(ints_in_interval=2.0), dict(min_num_intervals=30)):
        z, forces = FFTRepulsion(**{**FFT_PARAMS, **params}, single_precision=False)(Y)
        z_ref, forces_ref = opentsne_repulsion(Y, **params)
        assert z == pytest.approx(z_ref, rel=1e-10), params
        assert relative(forces, forces_ref) < 1e-9, params


def test_grid_sizes_are_opentsnes():
    assert grid_boxes(10.0, 50, 1.0) == 50  # the smallest grid
    assert grid_boxes(50.5, 50, 1.0) == 50
    assert grid_boxes(51.5, 50, 1.0) == 52  # 51 = 3·17 is rounded up
    assert grid_boxes(116.2, 50, 1.0) == 117  # 3²·13
    assert grid_boxes(713.0, 50, 1.0) == 720  # 715 = 5·11·13 has two of 11 and 13
    assert grid_boxes(5_000.0, 50, 1.0) == 1_000  # openTSNE's largest
    assert grid_boxes(230.0, 50, 2.0) == 117


def test_objective_matches_opentsnes_gradient_and_kl():
    from openTSNE.tsne import kl_divergence_fft as opentsne_fft

    rng = np.random.default_rng(3)
    Y = clustered_map(1_200, 140.0, seed=3)
    rows = np.repeat(np.arange(len(Y)), 10)
    cols = rng.integers(0, len(Y), size=rows.size)
    P = sp.csr_matrix((rng.uniform(size=rows.size), (rows, cols)), shape=(len(Y), len(Y)))
    P = P + P.T
    P.data /= P.data.sum()
    for exaggeration in (1.0, 12.0):
        Pe = P * exaggeration
        kl, gradient = kl_divergence_fft(Y, Pe, 1, FFT_PARAMS, should_eval_error=True)
        kl_ref, gradient_ref = opentsne_fft(Y, Pe, 1, FFT_PARAMS, should_eval_error=True)
        assert kl == pytest.approx(kl_ref, rel=1e-6)
        assert relative(gradient, gradient_ref) < 1e-3  # relative to the net gradient, which is small


def test_new_points_and_other_kernels_use_opentsnes_own_function(monkeypatch):
    Y = clustered_map(500, 80.0, seed=4)
    P = sp.identity(len(Y), format="csr") * (1.0 / len(Y))
    calls = []
    monkeypatch.setattr(FFTRepulsion, "__call__", lambda self, embedding: calls.append(1))
    with pytest.raises(TypeError):  # the patched repulsion returns None: this map goes through it
        kl_divergence_fft(Y, P, 1, FFT_PARAMS)
    assert calls == [1]
    kl_divergence_fft(Y, P, 0.5, FFT_PARAMS)  # another kernel: openTSNE's
    assert calls == [1]


@pytest.mark.parametrize(
    "kwargs, message",
    [(dict(n_interpolation_points=0), "n_interpolation_points"), (dict(min_num_intervals=0), "min_num_intervals"),
     (dict(ints_in_interval=0.0), "ints_in_interval"), (dict(workers=0), "workers")],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FFTRepulsion(**kwargs)


def test_threads_give_the_same_forces():
    """``workers`` (openTSNE's ``n_jobs``) spreads the four grids' transforms over threads, nothing else."""
    Y = clustered_map(3_000, 80.0)
    z1, forces1 = FFTRepulsion(**FFT_PARAMS)(Y)
    z2, forces2 = FFTRepulsion(**FFT_PARAMS, workers=2)(Y)
    z_all, forces_all = FFTRepulsion(**FFT_PARAMS, workers=-1)(Y)
    assert z1 == z2 == z_all
    np.testing.assert_array_equal(forces1, forces2)
    np.testing.assert_array_equal(forces1, forces_all)
