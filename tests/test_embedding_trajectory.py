"""Every openTSNE path of nbviz's t-SNE follows openTSNE's own optimiser frame by frame: a fresh run
with the FFT gradient, a warm start after a perplexity change, and small multiples from one kNN
graph. (The fresh Barnes-Hut run is checked in test_embedding_tsne.py; the scikit-learn engine has one
frame, checked against scikit-learn there.)

The reference runs openTSNE with *its* default momenta and learning rate, read from openTSNE, so any
change to nbviz's optimiser settings (phases, exaggeration, momentum, learning rate) shows up as
frames that drift apart within a few dozen iterations. Final KL and trustworthiness are too blunt
for that: with the final momentum at 0.6 instead of 0.8 they move by less than their tolerances.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import openTSNE
import pytest
from sklearn.datasets import load_digits

from nbviz.embedding import TSNESession, _fft_gradient, tsne

DEFAULTS = openTSNE.TSNE()  # openTSNE's own optimiser settings: the reference, not nbviz's constants


@pytest.fixture(scope="module")
def small() -> np.ndarray:
    return load_digits().data[:300]


def opentsne_frames(start, affinities, phases, method="bh", seed=0, every=10) -> list[np.ndarray]:
    """openTSNE's positions every ``every`` iterations through ``phases`` [(n_iter, exaggeration,
    momentum)], from ``start`` on the affinity matrix ``affinities`` (a copy: openTSNE exaggerates
    it in place)."""
    frames: list[np.ndarray] = []
    matrix = SimpleNamespace(P=affinities.copy())
    embedding = openTSNE.TSNEEmbedding(np.array(start, dtype=np.float64), matrix, negative_gradient_method=method, random_state=seed)
    for n_iter, exaggeration, momentum in phases:
        embedding = embedding.optimize(
            n_iter, exaggeration=exaggeration, momentum=momentum, learning_rate="auto", inplace=True,
            callbacks=lambda it, err, pos: frames.append(np.array(pos)) and False, callbacks_every_iters=every,
        )
    return frames


def assert_same_frames(ours, reference, count):
    assert len(reference) >= count
    for i in range(count):
        np.testing.assert_allclose(ours.snapshots[i], reference[i], rtol=1e-4, atol=1e-5, err_msg=f"frame {i}")


def test_fft_run_follows_opentsne(small, monkeypatch):
    seen: list[np.ndarray] = []
    openTSNE.TSNE(
        perplexity=20, n_iter=40, early_exaggeration_iter=30, random_state=3, negative_gradient_method="fft",
        callbacks=lambda it, err, pos: seen.append(np.array(pos)) and False, callbacks_every_iters=10,
    ).fit(small)
    run = dict(perplexity=20, n_iter=70, early_iter=30, seed=3, snapshot_every=10, negative_gradient_method="fft")
    # nbviz's FFT repulsion convolving in double precision is openTSNE's to 1e-13: the same frames
    monkeypatch.setattr(_fft_gradient, "SINGLE_PRECISION", False)
    ours = tsne(small, **run)
    assert ours.params["negative_gradient_method"] == "fft"
    assert_same_frames(ours, seen, 6)
    # in single precision (the default) its rounding (1e-5 of the repulsion) grows along the path but stays small
    monkeypatch.setattr(_fft_gradient, "SINGLE_PRECISION", True)
    single = tsne(small, **run)
    for i in range(6):
        scale = float(np.abs(seen[i]).max())
        np.testing.assert_allclose(single.snapshots[i], seen[i], atol=2e-2 * scale, err_msg=f"frame {i}")
        assert np.linalg.norm(single.snapshots[i] - seen[i]) < 1e-2 * np.linalg.norm(seen[i])


def test_warm_start_follows_opentsne(small):
    session = TSNESession(small, seed=2)
    session.run(20, n_iter=60, early_iter=30, snapshot_every=30)
    start = session.embedding.copy()
    ours = session.run(10, n_iter=60, snapshot_every=10)  # warm: from the current positions, no exaggeration
    assert ours.params["init"] == "warm" and ours.params["early_iter"] == 0
    reference = opentsne_frames(start, session.affinities(10), [(60, 1, DEFAULTS.final_momentum)], seed=2)
    # a warm start adds a frame after its first step (iteration 2), then frames every 10 as before
    assert list(ours.iterations[:3]) == [2, 10, 20]
    first_steps = opentsne_frames(start, session.affinities(10), [(2, 1, DEFAULTS.final_momentum)], seed=2, every=2)
    np.testing.assert_allclose(ours.snapshots[0], first_steps[0], rtol=1e-4, atol=1e-5, err_msg="frame at iteration 2")
    assert_same_frames(SimpleNamespace(snapshots=ours.snapshots[1:]), reference, 5)


def test_small_multiples_follow_opentsne(small):
    session = TSNESession(small, seed=1)
    multiples = session.small_multiples((5, 15), n_iter=60, early_iter=30, snapshot_every=10)
    start = openTSNE.initialization.pca(small, 2, random_state=1)
    for perplexity, ours in zip((5, 15), multiples.results):
        phases = [(30, DEFAULTS.early_exaggeration, DEFAULTS.initial_momentum), (30, 1, DEFAULTS.final_momentum)]
        reference = opentsne_frames(start, session.affinities(perplexity), phases, seed=1)
        assert_same_frames(ours, reference, 5)
