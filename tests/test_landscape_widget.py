"""LandscapeExplorer without a browser: traits, progressive grids, stale requests dropped, errors, guard."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets
from torch import nn

import nbviz.widgets.landscape as landscape_widget
from guard_checks import ForwardCalls, ModelSnapshot
from landscape_models import digits, tiny_cnn, train_checkpoints
from nbviz.widgets.landscape import LandscapeExplorer

CE = nn.CrossEntropyLoss()


@pytest.fixture(scope="module")
def trained():
    x, y = digits(200)
    model = tiny_cnn(0)
    checkpoints = train_checkpoints(model, x, y, steps=6)
    return model, checkpoints, (x, y)


def record_shows(explorer):
    """Wrap the explorer's push so each pushed grid is recorded as (preview, points computed, span)."""
    shows, original = [], explorer._show

    def show(result):
        shows.append((result.preview, int(result.computed.sum()), float(result.alphas[-1])))
        original(result)

    explorer._show = show
    return shows


def test_construct_and_traits(trained):
    model, _, data = trained
    e = LandscapeExplorer(model, CE, data, resolution=9, preview=None).wait()
    assert e.error == ""
    assert e.mode == "plane" and e.directions == "filter_normalized"
    assert e.direction_kinds == ["filter_normalized", "random"]
    assert e.loss.shape == (9, 9) and e.loss.dtype == np.float32 and np.isfinite(e.loss).all()
    assert e.accuracy.shape == (9, 9) and e.accuracy.dtype == np.float32
    assert e.alphas.shape == e.betas.shape == (9,) and e.alphas.dtype == np.float32
    assert e.alphas[0] == -1 and e.alphas[-1] == 1
    assert e.grid_complete and not e.grid_preview and e.grid_samples == 200 and e.grid_kind == "filter_normalized"
    assert e.path is None and e.line_loss is None  # the line waits until line mode is shown
    assert e.progress == 1.0


def test_modes_line_and_surface(trained):
    model, _, data = trained
    e = LandscapeExplorer(model, CE, data, resolution=5, preview=None, mode="surface").wait()
    assert e.loss.shape == (5, 5) and e.line_loss is None
    e.mode = "line"
    e.wait()
    assert e.line_alphas.shape == e.line_loss.shape == e.line_accuracy.shape == (41,)
    at_trained = int(np.argmin(np.abs(e.line_alphas - 1.0)))
    assert e.line_loss[at_trained] < e.line_loss[int(np.argmin(np.abs(e.line_alphas)))]  # trained beats random init
    assert e.line_result.plot() is not None and e.result.plot() is not None
    with pytest.raises(traitlets.TraitError):
        e.mode = "volume"


def test_line_mode_computes_no_plane_until_the_plane_is_shown(trained):
    model, _, data = trained
    e = LandscapeExplorer(model, CE, data, resolution=5, preview=None, mode="line").wait()
    assert e.line_loss is not None and e.loss is None
    e.span = 0.5  # remembered, not computed while the line is on show
    e.wait()
    assert e.loss is None
    e.mode = "plane"
    e.wait()
    assert e.loss.shape == (5, 5) and e.alphas[-1] == pytest.approx(0.5)


def test_preview_first_then_refinement_to_full(trained):
    model, _, data = trained
    e = LandscapeExplorer(model, CE, data, resolution=5, preview=None)  # small first grid
    e.wait()
    shows = record_shows(e)
    e._preview = 50
    e.resolution = 17
    e.wait()
    assert shows[0][:2] == (True, 81), "the 9×9 preview on the subset comes first"
    full = [n for preview, n, _ in shows if not preview]
    assert full[0] == 81 and full[-1] == 17 * 17 and full == sorted(full) and len(full) >= 3
    assert e.grid_complete and not e.grid_preview and e.grid_samples == 200
    assert np.isfinite(e.loss).all()


def test_partial_grids_have_nan_where_not_computed(trained):
    model, _, data = trained
    e = LandscapeExplorer(model, CE, data, resolution=5, preview=None).wait()
    partial = []
    e.observe(lambda change: partial.append(np.isnan(change["new"]).sum()), names=["loss"])
    e.resolution = 17
    e.wait()
    assert partial[0] == 17 * 17 - 81 and partial[-1] == 0


def test_rapid_span_changes_compute_only_the_newest(trained, monkeypatch):
    model, _, data = trained
    finished = []
    real_plane = landscape_widget.plane

    def counting_plane(*args, **kwargs):
        result = real_plane(*args, **kwargs)
        finished.append(kwargs["span"])
        return result

    monkeypatch.setattr(landscape_widget, "plane", counting_plane)
    e = LandscapeExplorer(model, CE, data, resolution=13, preview=None)
    shows = record_shows(e)
    spans = [0.5, 0.6, 0.7, 0.8, 0.9, 1.3]
    for s in spans:
        e.span = s
    e.wait()
    assert finished[-1] == 1.3 and len(finished) <= 2, f"stale grids ran to the end: {finished}"
    assert e.alphas[-1] == pytest.approx(1.3) and np.isfinite(e.loss).all()
    newest = [i for i, show in enumerate(shows) if show[2] == pytest.approx(1.3)]
    assert newest and all(show[2] == pytest.approx(1.3) for show in shows[newest[0]:]), "stale pushes after the newest"
    # an earlier setting again: shown from the cache, nothing recomputed
    before = len(finished)
    e.span = 1.0 if 1.0 in finished else 1.3
    e.wait()
    assert len(finished) == before


def test_pca_directions_overlay_the_training_path(trained):
    model, checkpoints, data = trained
    e = LandscapeExplorer(model, CE, data, checkpoints, resolution=5, preview=None).wait()
    assert e.error == ""
    assert e.direction_kinds == ["filter_normalized", "random", "pca"]
    assert e.directions == "pca" and e.grid_kind == "pca" and e.result.kind == "pca"
    assert e.path.shape == (len(checkpoints), 2) and e.path.dtype == np.float32
    assert e.span >= np.abs(e.path).max(), "the default span shows the whole path"
    assert len(e.explained_variance) == 2 and 0 < sum(e.explained_variance) <= 1 + 1e-6
    e.directions = "random"
    e.wait()
    assert e.path is None and e.grid_kind == "random"


def test_constructor_errors_name_the_argument(trained):
    model, _, data = trained
    with pytest.raises(ValueError, match="checkpoints"):
        LandscapeExplorer(model, CE, data, directions="pca")
    with pytest.raises(TypeError, match="loss_fn"):
        LandscapeExplorer(model, "cross_entropy", data)
    with pytest.raises(TypeError, match="data"):
        LandscapeExplorer(model, CE, data[0])
    with pytest.raises(ValueError, match="resolution"):
        LandscapeExplorer(model, CE, data, resolution=1)
    with pytest.raises(ValueError, match="span"):
        LandscapeExplorer(model, CE, data, span=-1.0)
    with pytest.raises(ValueError, match="checkpoints"):
        LandscapeExplorer(model, CE, data, checkpoints=[model.state_dict()] * 2)
    with pytest.raises(ValueError, match="mode"):
        LandscapeExplorer(model, CE, data, mode="volume")


def test_errors_during_compute_show_in_the_widget(trained):
    model, _, data = trained
    e = LandscapeExplorer(model, CE, data, resolution=5, preview=None).wait()
    e.directions = "pca"  # no checkpoints were given
    e.wait()
    assert "checkpoints" in e.error and e.progress == 1.0

    def per_sample(out, y):  # not a scalar
        return nn.functional.cross_entropy(out, y, reduction="none")

    bad = LandscapeExplorer(model, per_sample, data, resolution=5, preview=None).wait()
    assert "loss_fn" in bad.error and "scalar" in bad.error
    bad.span = 0.5  # a new request clears the old error
    bad.wait()
    assert "loss_fn" in bad.error


def test_model_unchanged_after_every_mode_and_after_an_error_mid_grid(trained):
    model, checkpoints, data = trained
    snapshot = ModelSnapshot(model)
    e = LandscapeExplorer(model, CE, data, checkpoints, resolution=5, preview=50).wait()
    e.mode = "line"
    e.wait()
    e.directions = "filter_normalized"
    e.wait()
    assert e.error == ""
    snapshot.assert_unchanged(model)

    calls = 0

    def fails_later(out, y):
        nonlocal calls
        calls += 1
        if calls > 20:
            raise RuntimeError("loss exploded")
        return CE(out, y)

    bad = LandscapeExplorer(model, fails_later, data, resolution=9, preview=None).wait()
    assert "loss exploded" in bad.error
    snapshot.assert_unchanged(model)


def test_one_shot_generator_data_is_kept_for_every_request(trained):
    model, _, (x, y) = trained
    batches = ((x[i : i + 50], y[i : i + 50]) for i in range(0, 200, 50))  # one-shot generator
    e = LandscapeExplorer(model, CE, batches, resolution=5, preview=None).wait()
    e.span = 0.5
    e.wait()
    assert e.error == "" and e.grid_samples == 200 and np.isfinite(e.loss).all()


def test_span_and_resolution_changes_reuse_computed_points(trained):
    """Points of the new grid that lie on an earlier one (same directions, same data) are not
    evaluated again: the samples nbviz's forwards see are counted (all the data once per point, in
    batches of the measured size)."""
    model, _, data = trained
    n = len(data[0])

    def points(calls: ForwardCalls) -> float:
        # the evaluator's two-sample check of its rewritten model is not an evaluated point
        return sum(int(inputs[0].shape[0]) for inputs in calls if int(inputs[0].shape[0]) > 2) / n

    with ForwardCalls(model, model.fc) as calls:  # the last layer: a plane runs a traced copy (landscape.graph)
        e = LandscapeExplorer(model, CE, data, resolution=11, span=1.0, preview=None).wait()
        assert points(calls) == 121
        calls.clear()
        e.resolution = 21  # every 2nd point of 21 is a point of 11
        e.wait()
        assert points(calls) == 21 * 21 - 121 and e.grid_complete
        calls.clear()
        e.span = 2.0  # α, β ∈ {−1, −0.9, …, 1} of the 21-grid at span 1 are every 2nd point
        e.wait()
        assert points(calls) == 21 * 21 - 121
        fresh = LandscapeExplorer(model, CE, data, resolution=21, span=2.0, preview=None).wait()
        np.testing.assert_allclose(e.loss, fresh.loss, rtol=1e-6)
