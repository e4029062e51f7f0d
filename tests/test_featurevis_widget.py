"""FeatureVisExplorer without a browser: live frames, restarts that stop stale runs, facets and
inversion shapes, bad arguments, and the model left unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

import nbviz
from guard_checks import ModelSnapshot
from nbviz.widgets.featurevis import FeatureVisExplorer


@pytest.fixture(scope="module")
def digits():
    return nbviz.zoo.digits_cnn().model, nbviz.datasets.digits()


def test_frames_arrive_live_and_final_images_differ_from_first(digits, monkeypatch):
    model, data = digits
    monkeypatch.setattr(FeatureVisExplorer, "frame_interval", 0.0)  # every frame_every steps, however fast
    snapshot = ModelSnapshot(model)
    e = FeatureVisExplorer(model, data.images[:120], layer="features.3", units=[0, 1, 2], steps=24, frame_every=4)
    seen = []
    e.observe(lambda change: seen.append((e.frame_step, change["new"])), names=["frames"])
    e.wait()
    assert e.error == ""
    assert e.frames.shape == (3, 8, 8, 3) and e.frames.dtype == np.uint8
    assert e.frame_step == 24 and e.frame_units == [0, 1, 2]
    assert len(e.activations) == 3 and e.result.images.shape == (3, 1, 8, 8)
    steps = [s for s, f in seen if f is not None]
    assert len(steps) >= 4 and steps[-1] == 24 and steps[0] < 24  # intermediate frames, then the final images
    first = next(f for _, f in seen if f is not None)
    assert np.abs(first.astype(int) - e.frames.astype(int)).max() > 10
    e.close()
    snapshot.assert_unchanged(model)


def test_slider_change_restarts_and_stale_run_stops(digits):
    model, data = digits
    e = FeatureVisExplorer(model, data.images[:60], layer="features.0", units=[0, 1], steps=2000)
    e.set_trait("l2", 0.5)  # a slider moved while the first run is under way
    e.steps = 16
    e.wait()
    assert e.error == ""
    assert [c["steps"] for c in e.completed] == [16], "stale runs must stop, not finish"
    assert e.completed[0]["l2"] == 0.5
    assert e.frame_step == 16
    e.close()


def test_facets_and_inversion_shapes(digits):
    model, data = digits
    snapshot = ModelSnapshot(model)
    e = FeatureVisExplorer(model, data, layer="features.3", units=[5], steps=16, mode="facets", k=3, n_members=4)
    e.wait()
    assert e.error == ""
    assert e.facet_images.shape == (3, 8, 8, 3) and e.facet_images.dtype == np.uint8
    assert e.member_images.shape == (3, 4, 8, 8, 3)
    assert len(e.members) == 3 and all(len(m) == 4 for m in e.members)
    assert set(sum(e.members, [])) <= set(int(i) for i in e.facets.top_indices)
    e.input_index, e.invert_layers = 7, ["features.0", "features.8"]
    e.mode = "invert"
    e.wait()
    assert e.error == ""
    assert e.inversion_original.shape == (8, 8, 3)
    assert e.inversions.shape == (2, 8, 8, 3) and e.inversion_layers == ["features.0", "features.8"]
    assert len(e.inversion_errors) == 2 and e.inversion_errors[0] < e.inversion_errors[1]
    e.close()
    snapshot.assert_unchanged(model)


def test_bad_arguments(digits):
    model, data = digits
    with pytest.raises(TypeError, match="model"):
        FeatureVisExplorer("not a model")
    with pytest.raises(TypeError, match="dataset"):
        FeatureVisExplorer(model, "images")
    with pytest.raises(traitlets.TraitError, match="layer"):
        FeatureVisExplorer(model, data.images[:10], layer="features.99")
    with pytest.raises(traitlets.TraitError, match="units"):
        FeatureVisExplorer(model, data.images[:10], layer="features.0", units=[16])
    e = FeatureVisExplorer(model, data.images[:10], layer="features.0", units=[0], steps=8).wait()
    with pytest.raises(traitlets.TraitError, match="steps"):
        e.steps = 0
    with pytest.raises(traitlets.TraitError, match="input_index"):
        e.input_index = 10
    e.layer = "classifier.1"  # 10 logits: units kept
    assert e.channels == 10 and e.units == [0]
    e.wait()
    e.close()
    no_data = FeatureVisExplorer(model, size=8, units=[0], steps=8, mode="facets").wait()
    assert "dataset" in no_data.error
    no_data.close()
