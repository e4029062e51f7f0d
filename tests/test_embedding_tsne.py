"""nbviz.embedding.tsne against openTSNE run with the same settings and seed (and scikit-learn)."""

from __future__ import annotations

import numpy as np
import openTSNE
import pytest
from sklearn.datasets import load_digits
from sklearn.manifold import trustworthiness as sklearn_trustworthiness

from nbviz._progress import Cancelled
from nbviz.embedding import TSNEResult, TSNESession, tsne
from nbviz.embedding._kl import kl_divergence


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_digits().data


@pytest.fixture(scope="module")
def small(digits) -> np.ndarray:
    return digits[:400]


@pytest.fixture(scope="module")
def full_runs(digits):
    """Ours and plain openTSNE on all 1,797 digits with the default 250 + 500 iterations, both on the exact
    kNN graph (nbviz's default up to 150,000 points; openTSNE's own default is Annoy above 1,000)."""
    ours = tsne(digits, perplexity=30, n_iter=750, early_iter=250, exaggeration=12, seed=0, stop="fixed")
    reference = openTSNE.TSNE(
        perplexity=30, n_iter=500, early_exaggeration_iter=250, early_exaggeration=12, random_state=0, neighbors="exact"
    ).fit(digits)
    return ours, reference


def test_final_kl_matches_opentsne(full_runs):
    ours, reference = full_runs
    # openTSNE's Barnes-Hut KL is itself an estimate (see _kl.py): compare with the exact KL of its map
    reference_kl = kl_divergence(reference.affinities.P, np.asarray(reference), exact=True)
    assert abs(ours.final_kl - reference_kl) <= 0.02 * reference_kl


def test_trustworthiness_matches_opentsne(full_runs, digits):
    ours, reference = full_runs
    t_ours = sklearn_trustworthiness(digits, ours.embedding, n_neighbors=10)
    t_ref = sklearn_trustworthiness(digits, np.asarray(reference), n_neighbors=10)
    assert t_ref > 0.95
    assert abs(t_ours - t_ref) <= 0.01


def test_result_layout(full_runs, digits):
    ours, _ = full_runs
    assert isinstance(ours, TSNEResult)
    assert ours.embedding.shape == (len(digits), 2) and ours.embedding.dtype == np.float32
    assert ours.snapshots.shape == (75, len(digits), 2) and ours.snapshots.dtype == np.float32
    np.testing.assert_array_equal(ours.iterations, np.arange(10, 751, 10))
    assert ours.kl.shape == (75,) and np.isfinite(ours.kl).all()
    np.testing.assert_array_equal(ours.snapshots[-1], ours.embedding)
    assert ours.kl[-1] < ours.kl[30], "KL falls once exaggeration ends"
    assert ours.params["negative_gradient_method"] == "bh" and ours.params["engine"] == "openTSNE"
    assert not ours.params["stopped"]
    np.testing.assert_array_equal(ours.frame(125), ours.snapshots[11])


def test_frames_match_opentsne_callbacks(small):
    """Each frame equals what an openTSNE callback sees at that iteration (same positions, same KL)."""
    seen: dict[int, tuple[float, np.ndarray]] = {}

    def record(iteration, error, embedding):
        seen[len(seen)] = (error, np.array(embedding))

    openTSNE.TSNE(
        perplexity=20, n_iter=40, early_exaggeration_iter=30, random_state=3, callbacks=record, callbacks_every_iters=10
    ).fit(small)
    ours = tsne(small, perplexity=20, n_iter=70, early_iter=30, seed=3, snapshot_every=10)
    assert len(seen) == 7  # 3 in the early phase, 4 after; our last frame is the final embedding instead
    P = TSNESession(small, 3).affinities(20)  # the same exact kNN graph openTSNE builds below 1,000 points
    for i in range(6):
        np.testing.assert_allclose(ours.snapshots[i], seen[i][1], rtol=1e-5, atol=1e-6)
        # ours is the exact KL there; openTSNE's is its Barnes-Hut estimate (see test_embedding_kl)
        assert ours.kl[i] == pytest.approx(kl_divergence(P, seen[i][1]), rel=1e-6)


def test_kl_evaluated_only_on_frames(small, monkeypatch):
    import openTSNE.tsne as engine

    from nbviz.embedding import _kl

    gradients, evaluations = [], []
    original, original_kl = engine.kl_divergence_bh, _kl.kl_divergence

    def counting(*args, **kwargs):
        gradients.append(1)
        return original(*args, **kwargs)

    def counting_kl(*args, **kwargs):
        evaluations.append(1)
        return original_kl(*args, **kwargs)

    monkeypatch.setattr(engine, "kl_divergence_bh", counting)
    monkeypatch.setattr(_kl, "kl_divergence", counting_kl)
    tsne(small, perplexity=10, n_iter=100, early_iter=50, snapshot_every=10, stop="fixed")
    # 10 frames plus the one error openTSNE evaluates at the end of each of the 2 phases
    assert len(evaluations) == 12
    assert len(gradients) == 102


def test_callback_false_stops_and_returns_frames(small):
    calls = []

    def callback(iteration, kl, positions):
        calls.append(iteration)
        assert positions.shape == (len(small), 2)
        return iteration < 40

    result = tsne(small, perplexity=10, n_iter=200, early_iter=50, snapshot_every=10, callback=callback)
    assert calls == [10, 20, 30, 40]
    assert result.params["stopped"]
    np.testing.assert_array_equal(result.iterations, [10, 20, 30, 40])
    np.testing.assert_array_equal(result.embedding, result.snapshots[-1])


def test_progress_false_cancels(small):
    fractions = []

    def progress(fraction, message):
        fractions.append(fraction)
        return fraction < 0.3

    with pytest.raises(Cancelled):
        tsne(small, perplexity=10, n_iter=100, early_iter=50, snapshot_every=10, progress=progress)
    assert fractions[-1] >= 0.3 and fractions[-1] < 0.5


def test_fft_engine_runs(small):
    result = tsne(small, perplexity=10, n_iter=60, early_iter=30, negative_gradient_method="fft")
    reference = openTSNE.TSNE(
        perplexity=10, n_iter=30, early_exaggeration_iter=30, random_state=0, negative_gradient_method="fft"
    ).fit(small)
    assert result.params["negative_gradient_method"] == "fft"
    assert result.final_kl == pytest.approx(reference.kl_divergence, rel=0.02)


def test_sklearn_engine_gives_one_frame(small):
    from sklearn.manifold import TSNE

    result = tsne(small, perplexity=10, n_iter=300, engine="sklearn", seed=1)
    reference = TSNE(perplexity=10, max_iter=300, random_state=1, init="pca").fit(small)
    assert result.snapshots.shape == (1, len(small), 2)
    assert result.params["engine"] == "sklearn"
    assert result.final_kl == pytest.approx(reference.kl_divergence_, rel=1e-6)
    with pytest.raises(ValueError, match="early_iter"):
        tsne(small, engine="sklearn", early_iter=100)


def test_plot_returns_figure(small):
    from matplotlib.figure import Figure

    result = tsne(small, perplexity=10, n_iter=40, early_iter=20)
    labels = load_digits().target[: len(small)]
    assert isinstance(result.plot(labels=labels), Figure)
    with pytest.raises(ValueError, match="labels: has 10 entries but there are 400 points"):
        result.plot(labels=labels[:10])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(perplexity=133), ValueError, r"perplexity: must be below \(N - 1\) / 3 = 133"),
        (dict(perplexity=0.5), ValueError, "perplexity: must be at least 1"),
        (dict(engine="umap"), ValueError, "engine"),
        (dict(n_iter=10, early_iter=20), ValueError, "early_iter: must not exceed n_iter"),
        (dict(snapshot_every=0), ValueError, "snapshot_every"),
        (dict(init="magic"), ValueError, "init"),
        (dict(learning_rate=-1), ValueError, "learning_rate"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    X = np.random.default_rng(0).normal(size=(400, 5))
    with pytest.raises(error, match=match):
        tsne(X, **kwargs)


def test_bad_points():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="at least 5 points, got 4"):
        tsne(rng.normal(size=(4, 3)), perplexity=1)
    X = rng.normal(size=(50, 3))
    X[7, 1] = np.nan
    X[31, 0] = np.inf
    with pytest.raises(ValueError, match=r"NaN or inf in 2 row\(s\): 7, 31"):
        tsne(X, perplexity=5)
    with pytest.raises(ValueError, match="2-D array"):
        tsne(rng.normal(size=(50, 3, 2)), perplexity=5)
    with pytest.raises(ValueError, match="2-D array"):
        tsne(rng.normal(size=50), perplexity=5)
