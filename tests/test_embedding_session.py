"""TSNESession: kNN reuse and re-weighting (vs openTSNE from scratch), warm starts, cancellation."""

from __future__ import annotations

import numpy as np
import pytest
from openTSNE.affinity import PerplexityBasedNN
from sklearn.datasets import load_digits

from nbviz._progress import Cancelled
from nbviz.embedding import SmallMultiples, TSNESession


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_digits().data


@pytest.fixture(scope="module")
def small(digits) -> np.ndarray:
    return digits[:400]


def test_reweighting_equals_from_scratch_affinities(digits):
    # digits have integer pixels, so distances tie; a tiny jitter makes the kNN sets unique
    X = digits + np.random.default_rng(0).normal(scale=1e-3, size=digits.shape)
    session = TSNESession(X, neighbors="exact")
    session.affinities(50)
    index = session._affinities.knn_index
    for perplexity in (30, 12.5, 5):
        P = session.affinities(perplexity)
        assert session._affinities.knn_index is index, "the kNN graph was rebuilt"
        assert session.n_neighbors == 150
        scratch = PerplexityBasedNN(X, perplexity=perplexity, method="exact").P
        assert P.shape == scratch.shape
        difference = abs(P - scratch)
        assert difference.max() <= 1e-12 * scratch.max()
        assert P.sum() == pytest.approx(1.0)


def test_going_back_to_the_previous_perplexity_reuses_its_affinities(small):
    X = small + np.random.default_rng(0).normal(scale=1e-3, size=small.shape)  # unique kNN sets (digits tie)
    session = TSNESession(X, neighbors="exact")
    P30 = session.affinities(30)
    session.run(30, n_iter=60, early_iter=30, stop="fixed")  # exaggeration scales P in place and back
    P10 = session.affinities(10)
    assert session.affinities(30) is P30 and session._affinities.perplexity == 30
    assert session.affinities(10) is P10
    for perplexity, P in ((30, P30), (10, P10)):
        scratch = PerplexityBasedNN(X, perplexity=perplexity, method="exact").P
        assert abs(P - scratch).max() <= 1e-12 * scratch.max()
    session.affinities(20)  # only the perplexity shown before is kept
    assert session.affinities(30) is not P30


def test_larger_perplexity_rebuilds_graph(small):
    session = TSNESession(small)
    session.affinities(10)
    assert session.n_neighbors == 30 and session.max_perplexity == 10
    session.affinities(20)
    assert session.n_neighbors == 60 and session.max_perplexity == 20
    session.affinities(10)
    assert session.n_neighbors == 60 and session.max_perplexity == 20


def test_max_perplexity_builds_the_graph_once_for_the_slider(small):
    X = small + np.random.default_rng(0).normal(scale=1e-3, size=small.shape)  # unique kNN sets (digits tie)
    session = TSNESession(X, neighbors="exact", max_perplexity=40)
    P = session.affinities(10)
    index = session._affinities.knn_index
    assert session.n_neighbors == 120 and session.max_perplexity == 40
    scratch = PerplexityBasedNN(X, perplexity=10, method="exact").P  # 30 neighbours, from scratch
    assert abs(P - scratch).max() <= 1e-12 * scratch.max()
    # a map optimised on the stored graph is the map of a session built for that perplexity alone
    start = np.random.default_rng(1).normal(scale=1e-4, size=(len(X), 2))
    settings = dict(n_iter=60, early_iter=20, init=start, stop="fixed")
    ours = session.run(10, **settings).embedding
    alone = TSNESession(X, neighbors="exact").run(10, **settings).embedding
    np.testing.assert_allclose(ours, alone, rtol=0, atol=1e-6 * np.abs(alone).max())
    session.affinities(35)
    assert session._affinities.knn_index is index, "a perplexity below the maximum rebuilt the graph"
    session.affinities(45)
    assert session.n_neighbors == 135 and session.max_perplexity == 45  # above it: rebuilt, as without one
    with pytest.raises(ValueError, match="max_perplexity: must be below"):
        TSNESession(X, max_perplexity=200)


def test_warm_start_moves_points_continuously(small):
    session = TSNESession(small)
    first = session.run(20, n_iter=200, early_iter=100)
    assert first.params["init"] == "pca"
    second = session.run(10, n_iter=50, snapshot_every=5)
    assert second.params["init"] == "warm" and second.params["early_iter"] == 0
    spread = np.linalg.norm(first.embedding - first.embedding.mean(0), axis=1).mean()
    jump = np.linalg.norm(second.snapshots[0] - first.embedding, axis=1).mean()
    assert jump < 0.1 * spread, "the first warm frame continues from the previous positions"
    cold = session.run(10, n_iter=50, warm_start=False, snapshot_every=5)
    assert cold.params["init"] == "pca"
    cold_jump = np.linalg.norm(cold.snapshots[0] - first.embedding, axis=1).mean()
    assert cold_jump > 0.5 * spread


def test_warm_start_sends_a_first_frame_after_one_step_without_changing_the_run(small, monkeypatch):
    import nbviz.embedding.session as session_module

    def warm_run(first_frame: int) -> tuple[list[int], np.ndarray, np.ndarray]:
        monkeypatch.setattr(session_module, "FIRST_WARM_FRAME", first_frame)
        session = TSNESession(small)
        start = session.run(20, n_iter=80, early_iter=40, stop="fixed").embedding
        seen: list[int] = []
        result = session.run(10, n_iter=30, stop="fixed", callback=lambda i, kl, y: seen.append(i))
        return seen, result.embedding, start

    seen, early, start = warm_run(2)
    assert seen == [2, 10, 20, 30] and session_module.FIRST_WARM_FRAME == 2
    seen_plain, plain, start_plain = warm_run(0)
    assert seen_plain == [10, 20, 30]
    np.testing.assert_array_equal(start, start_plain)  # the same map before the change
    # openTSNE keeps momentum and gains across the split: the run ends where the unsplit one does
    np.testing.assert_allclose(early, plain, rtol=0, atol=1e-9 * np.abs(plain).max())


def test_a_newer_request_stops_a_run_within_one_iteration(small, monkeypatch):
    import openTSNE.tsne

    session = TSNESession(small)
    session.run(20, n_iter=80, early_iter=40, stop="fixed")
    wanted, evaluations = [True], [0]
    original = openTSNE.tsne.kl_divergence_bh

    def counting(*args, **kwargs):
        evaluations[0] += 1
        if evaluations[0] == 5:  # between frames 2 and 10: a newer request arrives
            wanted[0] = False
        return original(*args, **kwargs)

    monkeypatch.setattr(openTSNE.tsne, "kl_divergence_bh", counting)
    frames: list[int] = []
    with pytest.raises(Cancelled):
        session.run(10, n_iter=100, stop="fixed", snapshot_every=10, callback=lambda i, kl, y: frames.append(i),
                    progress=lambda fraction, message: wanted[0])
    assert evaluations[0] == 5 and frames == [2], "stopped before the next iteration, not at the frame at 10"
    assert session.result is not None and session.result.params["perplexity"] == 20  # the stopped run is not the result


def test_new_seed_starts_fresh_and_matches_one_shot(small):
    from nbviz.embedding import tsne

    session = TSNESession(small, init="random")
    session.run(10, n_iter=100, early_iter=50)
    again = session.run(10, n_iter=100, early_iter=50, seed=5)
    assert again.params["init"] == "random" and again.params["seed"] == 5
    one_shot = tsne(small, perplexity=10, n_iter=100, early_iter=50, init="random", seed=5)
    np.testing.assert_allclose(again.embedding, one_shot.embedding, atol=1e-4)


def test_cancel_keeps_affinities_intact_and_positions_drawn(small):
    session = TSNESession(small)
    P = session.affinities(10).copy()

    def stop_at_30(fraction, message):
        return not fraction >= 30 / 100

    with pytest.raises(Cancelled):
        session.run(10, n_iter=100, early_iter=50, progress=stop_at_30)  # cancelled while exaggerated
    assert abs(session.affinities(10) - P).max() <= 1e-12 * P.max()  # exaggeration undone (x12 /12 rounding only)
    assert session.embedding is not None and not session._settled

    def interrupt(iteration, kl, positions):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        session.run(10, n_iter=100, early_iter=50, callback=interrupt)
    assert abs(session.affinities(10) - P).max() <= 1e-12 * P.max()  # exaggeration undone (x12 /12 rounding only)
    # the positions were cancelled before exaggeration finished, so the next run starts fresh
    assert session.run(10, n_iter=60, early_iter=50).params["init"] == "pca"


def test_small_multiples_share_one_graph(small):
    session = TSNESession(small)
    multiples = session.small_multiples((2, 5, 30), n_iter=60, early_iter=30)
    assert isinstance(multiples, SmallMultiples)
    assert session.n_neighbors == 90 and session.max_perplexity == 30
    assert multiples.embeddings.shape == (3, len(small), 2)
    assert [r.params["perplexity"] for r in multiples.results] == [2, 5, 30]
    assert all(r.params["init"] == "pca" for r in multiples.results)
    # higher perplexity spreads attraction over more neighbours: the embeddings differ
    assert not np.allclose(multiples.embeddings[0], multiples.embeddings[2])
    from matplotlib.figure import Figure

    assert isinstance(multiples.plot(labels=load_digits().target[: len(small)]), Figure)
    with pytest.raises(ValueError, match="perplexities: must be below"):
        session.small_multiples((5, 200))


def test_small_multiples_progress_and_cancel(small):
    session = TSNESession(small)
    seen = []

    def progress(fraction, message):
        seen.append(fraction)
        return fraction < 0.5

    with pytest.raises(Cancelled):
        session.small_multiples((2, 5), n_iter=40, early_iter=20, snapshot_every=10, progress=progress)
    assert seen == sorted(seen) and 0.5 <= seen[-1] < 0.6


def test_session_errors(small):
    with pytest.raises(ValueError, match="seed"):
        TSNESession(small, seed=-1)
    with pytest.raises(ValueError, match="init"):
        TSNESession(small, init=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="negative_gradient_method"):
        TSNESession(small, negative_gradient_method="exact")
    with pytest.raises(ValueError, match=r"perplexity: must be below \(N - 1\) / 3"):
        TSNESession(small).run(200)
