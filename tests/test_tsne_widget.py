"""TSNEExplorer without a browser: construction, streamed frames, kNN reuse, stale runs, selection, errors, guard."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import nbviz
from guard_checks import ModelSnapshot
from nbviz._progress import Cancelled
from nbviz.widgets.tsne import TSNEExplorer

N = 500  # a slice of digits keeps every run well under a second or two


@pytest.fixture(scope="module")
def digits():
    return nbviz.datasets.digits()


@pytest.fixture(scope="module")
def X(digits):
    return digits.images[:N].reshape(N, -1).numpy()


@pytest.fixture(scope="module")
def labels(digits):
    return digits.labels[:N].numpy()


@pytest.fixture(scope="module")
def explorer(X, labels, digits):
    e = TSNEExplorer(X, labels, images=digits.images[:N], class_names=digits.class_names, perplexity=15, max_perplexity=20, n_iter=120)
    frames = []
    e.observe(lambda change: frames.append(np.array(change["new"])), names=["positions"])
    e.frames_seen = frames  # collected while the first run streams
    e.wait()
    yield e
    e.close()


def test_construct_from_X_runs_and_streams_frames(explorer):
    e = explorer
    assert not e.error
    assert len(e.frames_seen) >= 2, "frames should stream while the optimisation runs"
    assert e.positions.shape == (N, 2) and e.positions.dtype == np.float32
    assert np.array_equal(e.positions, e.result.embedding)
    assert e.iterations.dtype == np.int32 and e.iterations[-1] == 120
    assert e.kl.shape == e.iterations.shape and e.kl.dtype == np.float32
    assert e.snapshots.shape == (len(e.iterations), N, 2)
    assert e.early_iter == 40 and e.result.params["init"] == "pca"
    assert 0.9 < e.trustworthiness <= 1 and 0 < e.knn_preservation <= 1
    assert e.thumbnails.shape == (N, 8, 8) and e.thumbnails.dtype == np.uint8
    assert e.color_codes.dtype == np.uint8 and e.palette.shape == (10, 3) and e.legend == [str(i) for i in range(10)]
    state = e.get_state()
    assert state["positions"]["dtype"] == "float32" and isinstance(state["positions"]["chunks"][0], memoryview)


def test_knn_graph_built_once_for_max_perplexity(explorer, monkeypatch):
    import openTSNE.affinity

    e = explorer
    assert e.session.max_perplexity == 20 and e.session.n_neighbors == 60
    index = e.session._affinities.knn_index
    built = []
    original = openTSNE.affinity.PerplexityBasedNN

    class Counting(original):
        def __init__(self, *args, **kwargs):
            built.append(kwargs.get("perplexity"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(openTSNE.affinity, "PerplexityBasedNN", Counting)
    e.perplexity = 8
    e.wait()
    assert not e.error
    assert built == [], "a smaller perplexity must re-weight the stored kNN graph, not search again"
    assert e.session._affinities.knn_index is index
    assert e.result.params["perplexity"] == 8 and e.result.params["init"] == "warm"
    # the first new frame is the map after one step at the new perplexity, then every snapshot_every
    assert list(e.iterations[:3]) == [2, 10, 20]
    assert not np.array_equal(e.snapshots[0], e.snapshots[-1])


def test_scrubbing_shows_an_earlier_snapshot(explorer):
    e = explorer
    e.frame = 2
    assert not e.live
    np.testing.assert_array_equal(e.positions, e.snapshots[2])
    e.live = True
    np.testing.assert_array_equal(e.positions, e.snapshots[-1])
    assert e.frame == len(e.snapshots) - 1


def test_rapid_perplexity_changes_leave_only_the_newest_run(X, labels):
    e = TSNEExplorer(X, labels, max_perplexity=20, n_iter=60)
    e.wait()
    calls = []
    original = e.session.run

    def recording_run(perplexity, callback=None, **kwargs):
        record = {"perplexity": perplexity, "frames": 0, "outcome": None}
        calls.append(record)

        def counting(iteration, kl, positions):
            record["frames"] += 1
            return callback(iteration, kl, positions)

        try:
            result = original(perplexity, callback=counting, **kwargs)
        except Cancelled:
            record["outcome"] = "cancelled"
            raise
        record["outcome"] = "stopped" if result.params["stopped"] else "done"
        return result

    e.session.run = recording_run
    e.n_iter = 1500  # a long run (150 frames) …
    deadline = time.monotonic() + 20
    while not (calls and calls[0]["frames"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    with e.hold_trait_notifications():
        e.n_iter = 100
    for p in (6, 7, 9):  # … interrupted by a quick drag of the slider
        e.perplexity = p
    e.wait()
    assert not e.error
    first, last = calls[0], calls[-1]
    assert first["outcome"] in ("stopped", "cancelled") and first["frames"] < 20, first
    assert last["perplexity"] == 9 and last["outcome"] == "done"
    assert all(c["outcome"] in ("stopped", "cancelled") for c in calls[1:-1]), calls
    assert e.result.params["perplexity"] == 9
    e.close()


def test_selected_from_python_and_validated(explorer):
    explorer.selected = [1, 5, 7]
    assert explorer.get_state()["selected"] == [1, 5, 7]
    with pytest.raises(ValueError, match="selected"):
        explorer.selected = [N + 3]
    explorer.selected = []


def test_rerun_with_another_seed_starts_from_random(X):
    e = TSNEExplorer(X, max_perplexity=10, perplexity=10, n_iter=60)
    e.wait()
    first = e.result.embedding.copy()
    e.rerun()
    e.wait()
    assert e.seed == 1 and e.init == "random"
    assert e.result.params["init"] == "random" and e.result.params["seed"] == 1
    assert not np.allclose(first, e.result.embedding)
    e.close()


def test_small_multiples_from_one_knn_graph(X):
    e = TSNEExplorer(X, perplexity=10, max_perplexity=30, n_iter=60, run=False)
    e.wait()
    assert e.result is None and e.positions.shape == (N, 2)  # the PCA start, nothing optimised
    index = e.session._affinities.knn_index
    e.show_small_multiples([2, 5, 30], n_iter=60)
    e.wait()
    assert not e.error
    assert e.multiples.shape == (3, N, 2) and e.multiples.dtype == np.float32
    assert e.multiple_perplexities == [2, 5, 30] and len(e.multiple_kl) == 3
    assert e.session._affinities.knn_index is index
    assert e.perplexities == [2, 5, 30, 50, 100]
    e.close()


def test_model_data_layer_form_keeps_the_model_unchanged(digits):
    trained = nbviz.zoo.digits_cnn()
    model = trained.model
    model.train()  # the guard must restore this flag too
    snapshot = ModelSnapshot(model)
    data = nbviz.datasets.digits().split(300)[0]
    e = TSNEExplorer((model, data, "features.5"), max_perplexity=15, perplexity=15, n_iter=60, color_by="prediction")
    e.wait()
    assert not e.error
    snapshot.assert_unchanged(model)
    assert model.training
    assert e.session.X.shape == (300, 32 * 4 * 4)
    assert e.color_options == ["label", "prediction", ] and e.color_by == "prediction"
    assert e.predictions.shape == (300,) and e.labels.shape == (300,)
    assert (e.predictions == e.labels).mean() > 0.8
    assert e.thumbnails.shape == (300, 8, 8) and e.class_names == [str(i) for i in range(10)]
    e.color_by = "label"
    np.testing.assert_array_equal(e.color_codes, e.labels)
    e.close()


def test_from_embedding_draws_without_optimising():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(2000, 2))
    values = rng.random(2000)
    e = TSNEExplorer.from_embedding(Y, labels=rng.integers(0, 3, 2000), color_by=values)
    assert not e.can_run and e.session is None
    assert e.positions.shape == (2000, 2) and e.positions.dtype == np.float32
    assert e.color_options == ["label", "values"] and e.color_by == "values" and e.continuous
    assert e.palette.shape == (256, 3)
    e.selected = [0, 1999]
    e.close()


def test_n_points_counts_what_the_map_shows(explorer, digits):
    assert explorer.n_points == N and isinstance(explorer.n_points, int)
    e = TSNEExplorer.from_embedding(np.random.default_rng(0).normal(size=(37, 2)))
    assert e.n_points == 37
    e.close()
    model = nbviz.zoo.digits_cnn().model
    e = TSNEExplorer((model, digits.images[:60], "features.5"), run=False, max_perplexity=5, perplexity=5)
    assert e.n_points == 60  # known before the features are extracted
    e.wait()
    e.close()


@pytest.mark.parametrize("n", [8, 15])
def test_small_n_works_with_defaults(X, n):
    from sklearn.manifold import trustworthiness as sk_trustworthiness

    e = TSNEExplorer(X[:n], n_iter=60)
    e.wait()
    assert not e.error
    k = (n - 1) // 2  # the largest k below N / 2: 3 for 8 points, 7 for 15
    assert e.metrics_k == k
    assert e.perplexity == e.max_perplexity == np.floor((n - 1) / 3 - 1e-9)
    assert e.perplexities == ([2.0] if n == 8 else [2.0, 4.0])
    Y = e.result.embedding
    assert e.trustworthiness == pytest.approx(sk_trustworthiness(X[:n], Y, n_neighbors=k), abs=1e-9)
    near = lambda P: np.argsort(((P[:, None] - P[None]) ** 2).sum(-1) + np.diag([np.inf] * n), axis=1)[:, :k]  # noqa: E731
    kept = np.mean([len(set(a) & set(b)) / k for a, b in zip(near(X[:n]), near(Y))])
    assert e.knn_preservation == pytest.approx(kept)
    e.show_small_multiples(n_iter=60)
    e.wait()
    assert not e.error and e.multiples.shape == (len(e.perplexities), n, 2)
    with pytest.raises(ValueError, match=rf"metrics_k: must be below N / 2 = {n / 2:g} for N = {n} points.*≤ {k}"):
        e.metrics_k = k + 1
    e.close()


def test_explicit_metrics_k_errors_name_the_limit(X, digits):
    with pytest.raises(ValueError, match=r"metrics_k: must be below N / 2 = 4 for N = 8 points.*≤ 3"):
        TSNEExplorer(X[:8], metrics_k=10, run=False)
    with pytest.raises(ValueError, match="metrics_k: expected a positive integer"):
        TSNEExplorer(X[:8], metrics_k=0, run=False)
    e = TSNEExplorer(X[:40], metrics_k=4, n_iter=30)
    e.wait()
    assert e.metrics_k == 4 and not e.error and e.trustworthiness is not None
    e.close()
    model = nbviz.zoo.digits_cnn().model
    e = TSNEExplorer((model, digits.images[:8], "features.5"), n_iter=30)
    e.wait()
    assert not e.error and e.metrics_k == 3 and e.perplexity == 2.0 and e.trustworthiness is not None
    e.close()


def test_labels_are_kept_as_text(X):
    evil = "<img src=x onerror=alert(1)>"
    labels = np.array([evil if i % 2 else "plain" for i in range(N)])
    e = TSNEExplorer(X, labels, run=False, max_perplexity=10, perplexity=10)
    assert evil in e.class_names and e.legend == e.class_names
    e.wait()
    e.close()


def test_clear_errors(X, labels, digits):
    with pytest.raises(ValueError, match=r"perplexity: must be below \(N - 1\) / 3"):
        TSNEExplorer(X[:30], perplexity=30)
    with pytest.raises(ValueError, match="labels: has 10 entries but there are 500 points"):
        TSNEExplorer(X, labels[:10], run=False)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="X: contains NaN or inf in 1 row"):
        TSNEExplorer(bad)
    with pytest.raises(ValueError, match="images: has 3 images"):
        TSNEExplorer(X, images=digits.images[:3], run=False)
    with pytest.raises(ValueError, match="color_by"):
        TSNEExplorer(X, color_by="prediction", run=False)
    with pytest.raises(ValueError, match="X"):
        TSNEExplorer(None)
    model = nbviz.zoo.digits_cnn().model
    with pytest.raises(ValueError, match="layer"):
        TSNEExplorer((model, digits.images[:50], "no.such.layer"))
    with pytest.raises(TypeError, match="X: in .model, data, layer"):
        TSNEExplorer(("not a model", digits.images[:50], "features.0"))
    e = TSNEExplorer(X, run=False, max_perplexity=10, perplexity=10)
    with pytest.raises(ValueError, match="perplexity"):
        e.perplexity = 400
    with pytest.raises(ValueError, match="n_iter"):
        e.n_iter = 0
    e.wait()
    e.close()


def test_errors_during_compute_show_in_the_widget(digits):
    class Broken(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(64, 4)

        def forward(self, x):
            return self.layer(x)  # 1×8×8 images do not fit a Linear(64): fails inside compute

    e = TSNEExplorer((Broken(), digits.images[:50], "layer"), max_perplexity=5, perplexity=5)
    e.wait()
    assert e.error.startswith("RuntimeError")
    e.close()


# -- image map and snap to grid ------------------------------------------------------------------
def test_grid_view_snaps_the_finished_run(explorer):
    from nbviz.embedding import snap_to_grid

    e = explorer
    e.view = "grid"
    e.wait()
    assert not e.error
    assert e.grid_positions.shape == (N, 2) and e.grid_positions.dtype == np.float32
    expected = snap_to_grid(e.result.embedding)
    np.testing.assert_array_equal(e.grid_positions, expected.positions)
    assert e.grid.shape == expected.shape and e.grid_note == ""
    cells = {tuple(c) for c in e.grid_positions.astype(int)}
    assert len(cells) == N, "every point has its own cell"
    # the same embedding is not snapped twice; images view keeps the grid
    before = e.grid
    e.view = "images"
    e.view = "grid"
    e.wait()
    assert e.grid is before
    e.view = "points"


def test_grid_of_many_points_is_a_subsample_with_a_note():
    from nbviz.widgets import _tsne_grid as tsne_module

    rng = np.random.default_rng(0)
    Y = rng.normal(size=(400, 2))
    old = tsne_module.GRID_MAX_POINTS
    tsne_module.GRID_MAX_POINTS = 150
    try:
        e = TSNEExplorer.from_embedding(Y, view="grid")
        e.wait()
    finally:
        tsne_module.GRID_MAX_POINTS = old
    assert not e.error
    shown = np.isfinite(e.grid_positions[:, 0])
    assert shown.sum() == 150 and np.array_equal(np.flatnonzero(shown), e.grid_points)
    assert "150 of 400" in e.grid_note
    e.close()


def test_view_is_validated(X):
    e = TSNEExplorer.from_embedding(np.random.default_rng(0).normal(size=(30, 2)))
    with pytest.raises(ValueError, match="view: 'images' needs thumbnails"):
        e.view = "images"
    with pytest.raises(ValueError, match="view: expected one of"):
        e.view = "tiles"
    e.close()


# -- handouts ----------------------------------------------------------------------------------------
def test_precompute_stores_every_frame_compactly_and_the_small_multiples(X, labels, digits):
    from nbviz.widgets.tsne import quantise_frames

    e = TSNEExplorer(X, labels, images=digits.images[:N], perplexity=10, max_perplexity=20, n_iter=100)
    e.frame = 3  # a person scrubbed back: precompute goes back to following the run
    e.precompute(perplexities=[5, 15], multiples_iter=60)
    assert not e.error and e.live
    snaps = e.snapshots
    S = len(e.iterations)
    assert e.handout_frames.shape == (S, N, 2) and e.handout_frames.dtype == np.uint16
    assert e.handout_extent.shape == (S, 2, 2) and e.handout_extent.dtype == np.float32
    lo, hi = e.handout_extent[:, :1, :].astype(np.float64), e.handout_extent[:, 1:, :].astype(np.float64)
    restored = lo + e.handout_frames / 65535.0 * (hi - lo)
    for s in (0, S // 2, S - 1):  # every frame to 1/65535 of its own extent, tiny first frames too
        extent = snaps[s].max(0) - snaps[s].min(0)
        assert np.abs(restored[s] - snaps[s]).max(0).max() <= (extent / 65535 + 1e-6 * extent).max()
    assert np.ptp(snaps[0]) < np.ptp(snaps[-1]) / 10, "the first frame is much smaller: per-frame extents matter"
    assert e.multiple_perplexities == [5.0, 15.0] and e.multiples.shape == (2, N, 2)
    assert e.grid_positions.shape == (N, 2) and np.isfinite(e.grid_positions).all()
    state = e.get_state()
    assert state["handout_frames"]["dtype"] == "uint16"
    # quantise_frames checks its input
    with pytest.raises(ValueError, match="frames"):
        quantise_frames(np.zeros((3, 4)))
    e.close()


def test_precompute_keeps_existing_multiples_and_works_from_an_embedding():
    Y = np.random.default_rng(0).normal(size=(50, 2))
    e = TSNEExplorer.from_embedding(Y)
    e.precompute(grid=False)
    assert e.handout_frames.shape == (1, 50, 2) and e.multiples is None and e.grid_positions is None
    e.close()


def test_thumbnails_stay_within_their_budget(monkeypatch):
    from nbviz.widgets import _tsne_points as tsne_module

    monkeypatch.setattr(tsne_module, "THUMBNAIL_BYTES", 50 * 3 * 10 * 10)
    thumbs = tsne_module._thumbnails(np.random.default_rng(0).uniform(size=(50, 3, 32, 32)), 50)
    assert thumbs.nbytes <= 50 * 3 * 10 * 10 and thumbs.shape[0] == 50 and thumbs.shape[-1] == 3
    assert tsne_module._thumbnails(np.zeros((50, 1, 8, 8)), 50).shape == (50, 8, 8)
