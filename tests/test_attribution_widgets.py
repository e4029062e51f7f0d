"""OcclusionExplorer and SaliencyExplorer without a browser: traits, progressive maps, caching,
stale requests, errors and the model guard."""

import threading

import numpy as np
import pytest
import torch
import traitlets
from torch import nn

import nbviz
import nbviz.widgets.occlusion as occlusion_widget
import nbviz.widgets.saliency as saliency_widget
from guard_checks import ModelSnapshot
from nbviz.prediction import predict
from occlusion_models import TinyCNN

XSS = "<img src=x onerror=alert(1)>"


def tiny() -> nn.Module:
    torch.manual_seed(0)
    return TinyCNN().eval()


def image(seed: int = 0, n: int | None = None) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(3, 32, 32, generator=g) if n is None else torch.rand(n, 3, 32, 32, generator=g)


# -- OcclusionExplorer --------------------------------------------------------------------------
def test_occlusion_map_matches_compute_and_leaves_the_model_alone():
    model = tiny().train()
    snapshot = ModelSnapshot(model)
    x = image()
    explorer = nbviz.OcclusionExplorer(model, x, labels=["a", "b", "c", "d", XSS], window=6, stride=3).wait()
    assert explorer.error == ""
    expected = nbviz.occlusion(model, x, window=6, stride=3)
    assert explorer.heatmap.dtype == np.float32 and explorer.heatmap.shape == (32, 32)
    np.testing.assert_allclose(explorer.heatmap, expected.drop_map, atol=1e-5)
    assert explorer.image.dtype == np.uint8 and explorer.image.shape == (32, 32, 3)
    assert explorer.result_shape == expected.probability.shape
    assert explorer.partial is False and explorer.computed == 1.0
    assert explorer.class_names[4] == XSS  # kept as a plain string; the front end sets textContent
    explorer.hover = [2, 3]
    explorer.mode = "approximate"
    explorer.baseline = "blur"
    explorer.wait()
    snapshot.assert_unchanged(model)


def test_occlusion_partials_are_published_then_the_final_map():
    explorer = nbviz.OcclusionExplorer(tiny(), image(), window=4, stride=2).wait()
    seen = []
    explorer.observe(lambda c: seen.append((explorer.partial, explorer.computed, c["new"].copy())), names=["heatmap"])
    explorer.window = 3
    explorer.wait()
    partials = [s for s in seen if s[0]]
    assert partials, "no partial map was published"
    assert all(0 < computed < 1 for _, computed, _ in partials)
    assert [computed for _, computed, _ in seen] == sorted(computed for _, computed, _ in seen)  # coarse to fine
    final = seen[-1]
    assert final[0] is False and final[1] == 1.0
    assert not np.array_equal(partials[0][2], final[2])
    np.testing.assert_allclose(final[2], nbviz.occlusion(explorer._model, explorer._x, window=3, stride=2).drop_map, atol=1e-5)


def test_rapid_slider_changes_compute_only_the_newest(monkeypatch):
    gate = threading.Event()
    windows = []
    real = occlusion_widget.occlusion

    def slow(model, x, target, **options):
        windows.append(options["window"])
        if len(windows) == 1:
            gate.wait(10)
        return real(model, x, target, **options)

    monkeypatch.setattr(occlusion_widget, "occlusion", slow)
    explorer = nbviz.OcclusionExplorer(tiny(), image(), window=4, stride=2)
    published = []
    explorer.observe(lambda c: published.append(explorer.map_window), names=["heatmap"])
    while not windows:  # the first map is running (blocked) when the slider moves
        threading.Event().wait(0.01)
    for w in range(5, 11):
        explorer.window = w
    gate.set()
    explorer.wait()
    assert windows == [4, 10], "intermediate slider values must be dropped"
    assert published and set(published) == {10}, "a stale (partial) map reached the widget"
    assert explorer.map_window == 10 and explorer.partial is False


def test_hover_shows_the_occluded_input_and_its_probabilities():
    model, x = tiny(), image(1)
    explorer = nbviz.OcclusionExplorer(model, x, window=8, stride=4).wait()
    explorer.hover = [1, 2]  # window at rows 4…11, columns 8…15
    explorer.wait()
    occluded = x.clone()
    occluded[:, 4:12, 8:16] = 0
    assert explorer.hover_image.shape == (32, 32, 3) and explorer.hover_image.dtype == np.uint8
    assert (explorer.hover_image[4:12, 8:16] == 0).all() and explorer.hover_image[0:4].any()
    np.testing.assert_allclose(explorer.hover_probabilities, predict(model, occluded[None]).probabilities[0], atol=1e-6)
    assert len(explorer.top(5, hovered=True)) == 5
    explorer.pinned = True
    explorer.hover = []
    explorer.wait()
    assert explorer.hover_image is None and explorer.hover_probabilities is None


def test_occlusion_bad_arguments_and_compute_errors():
    model = tiny()
    with pytest.raises(TypeError, match="model"):
        nbviz.OcclusionExplorer("not a model", image())
    with pytest.raises(ValueError, match="images"):
        nbviz.OcclusionExplorer(model, torch.rand(2, 2, 3, 32, 32))
    with pytest.raises(ValueError, match="images"):
        nbviz.OcclusionExplorer(model, torch.rand(2, 5, 32, 32))
    with pytest.raises(ValueError, match="index"):
        nbviz.OcclusionExplorer(model, image(n=2), index=2)
    with pytest.raises(ValueError, match="window"):
        nbviz.OcclusionExplorer(model, image(), window=40)
    with pytest.raises(ValueError, match="stride"):
        nbviz.OcclusionExplorer(model, image(), stride=0)
    with pytest.raises(ValueError, match="baseline"):
        nbviz.OcclusionExplorer(model, image(), baseline="grey")
    with pytest.raises(ValueError, match="mode"):
        nbviz.OcclusionExplorer(model, image(), mode="fast")
    with pytest.raises(ValueError, match="labels"):
        nbviz.OcclusionExplorer(model, image(), labels=["a", "b"])
    with pytest.raises(ValueError, match="target"):
        nbviz.OcclusionExplorer(model, image(), target=7)
    explorer = nbviz.OcclusionExplorer(model, image()).wait()
    explorer.window = 40  # from the front end: shown in the widget, not raised
    explorer.wait()
    assert "window" in explorer.error and explorer.progress == 1.0


def test_occlusion_index_switches_image_reruns_and_caches(monkeypatch):
    model = tiny().train()
    snapshot = ModelSnapshot(model)
    x = image(2, n=3)
    explorer = nbviz.OcclusionExplorer(model, x, window=6, stride=3).wait()
    assert explorer.n_inputs == 3 and explorer.index == 0
    for i in (2, 1):
        explorer.hover, explorer.pinned = [1, 1], True
        explorer.index = i
        assert explorer.hover == [] and explorer.pinned is False
        explorer.wait()
        expected = nbviz.occlusion(model, x[i], window=6, stride=3)  # the compute on that image alone
        np.testing.assert_allclose(explorer.heatmap, expected.drop_map, atol=1e-5)
        assert explorer.explained == expected.target and explorer.partial is False
        np.testing.assert_allclose(explorer.probabilities, predict(model, x[i : i + 1]).probabilities[0], atol=1e-6)
        assert np.array_equal(explorer.image, nbviz.render.to_rgb_uint8(x[i : i + 1])[0])
    # back to an image and settings seen before: from the cache, without the compute
    calls = []
    real = occlusion_widget.occlusion
    monkeypatch.setattr(occlusion_widget, "occlusion", lambda *a, **k: calls.append(k) or real(*a, **k))
    explorer.index = 2
    explorer.wait()
    assert calls == [] and explorer.heatmap is not None
    np.testing.assert_allclose(explorer.heatmap, nbviz.occlusion(model, x[2], window=6, stride=3).drop_map, atol=1e-5)
    explorer.window = 4  # new settings on this image: computed
    explorer.wait()
    assert [c["window"] for c in calls] == [4]
    with pytest.raises(traitlets.TraitError, match="index"):
        explorer.index = 3
    snapshot.assert_unchanged(model)


def test_occlusion_rapid_index_changes_publish_only_the_newest(monkeypatch):
    gate = threading.Event()
    seen = []
    real = occlusion_widget.occlusion

    def slow(model, x, target, **options):
        seen.append(x.clone())
        if len(seen) == 1:
            gate.wait(10)
        return real(model, x, target, **options)

    monkeypatch.setattr(occlusion_widget, "occlusion", slow)
    x = image(3, n=5)
    explorer = nbviz.OcclusionExplorer(tiny(), x, window=8, stride=4)
    while not seen:
        threading.Event().wait(0.01)
    published = []
    explorer.observe(lambda c: published.append(explorer.index) if c["new"] is not None else None, names=["heatmap"])
    for i in (1, 2, 3, 4):
        explorer.index = i
    gate.set()
    explorer.wait()
    assert len(seen) == 2 and torch.equal(seen[1], x[4:5]), "intermediate images must be dropped"
    assert set(published) == {4}
    np.testing.assert_allclose(explorer.heatmap, nbviz.occlusion(explorer._model, x[4], window=8, stride=4).drop_map, atol=1e-5)


# -- SaliencyExplorer ---------------------------------------------------------------------------
def count_saliency(monkeypatch) -> list:
    calls = []
    real = saliency_widget.saliency

    def counted(model, x, target, method, layer=None, **options):
        calls.append((method, target, layer))
        return real(model, x, target, method, layer, **options)

    monkeypatch.setattr(saliency_widget, "saliency", counted)
    return calls


def test_saliency_maps_match_compute_and_leave_the_model_alone():
    model = tiny().train()
    snapshot = ModelSnapshot(model)
    x = image(2, n=3)
    masks = torch.ones(3, 32, 32)
    explorer = nbviz.SaliencyExplorer(model, x, labels=[0, 1, 4], masks=masks, class_names=["a", "b", "c", "d", XSS]).wait()
    assert explorer.error == ""
    assert explorer.map_methods == ["gradient", "integrated_gradients", "gradcam"]
    assert explorer.maps.shape == (3, 32, 32) and explorer.maps.dtype == np.float32
    assert 0 <= explorer.maps.min() and explorer.maps.max() <= 1
    expected = nbviz.saliency(model, x[:1], None, "gradcam").normalized()[0]
    np.testing.assert_allclose(explorer.maps[2], expected, atol=1e-5)
    assert explorer.hits == [1, 1, 1]  # a mask covering everything always contains the maximum
    assert explorer.image.shape == (32, 32, 3) and explorer.image.dtype == np.uint8
    assert explorer.probabilities.shape == (5,) and explorer.explained == int(explorer.probabilities.argmax())
    assert "features.0" in explorer.layers and explorer.class_names[4] == XSS
    explorer.methods = list(nbviz.SALIENCY_METHODS)
    explorer.wait()
    assert explorer.error == "" and explorer.map_methods == list(nbviz.SALIENCY_METHODS)
    snapshot.assert_unchanged(model)


def test_saliency_recomputes_only_what_changed(monkeypatch):
    calls = count_saliency(monkeypatch)
    explorer = nbviz.SaliencyExplorer(tiny(), image(3, n=3), methods=["gradient", "gradcam"]).wait()
    assert len(calls) == 2
    explorer.layer = "features.4"  # only the CAM map depends on the layer
    explorer.wait()
    assert calls[-1] == ("gradcam", explorer.explained, "features.4") and len(calls) == 3
    explorer.index = 1
    explorer.wait()
    assert len(calls) == 5
    explorer.index = 0  # back to a seen input: all from the cache
    explorer.wait()
    assert len(calls) == 5 and explorer.cached == 5
    explorer.target = (explorer.explained + 1) % 5
    explorer.wait()
    assert len(calls) == 7 and explorer.explained == explorer.target
    explorer.methods = ["gradient"]  # dropping a method needs no compute
    explorer.wait()
    assert len(calls) == 7 and explorer.maps.shape == (1, 32, 32)
    no_mask = explorer.hits
    assert no_mask == [-1]


def test_saliency_rapid_input_changes_compute_only_the_newest(monkeypatch):
    gate = threading.Event()
    calls = count_saliency(monkeypatch)
    real = saliency_widget.saliency

    def slow(*args, **kwargs):
        if not gate.is_set() and len(calls) == 0:
            gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(saliency_widget, "saliency", slow)
    explorer = nbviz.SaliencyExplorer(tiny(), image(4, n=6), methods=["gradient"])
    for i in range(1, 6):
        explorer.index = i
    gate.set()
    explorer.wait()
    assert explorer.index == 5 and explorer.cached <= 2  # input 0 (running when superseded) and input 5
    np.testing.assert_allclose(explorer.maps[0], real(explorer._model, explorer._x[5:6], None, "gradient").normalized()[0], atol=1e-6)


def test_saliency_pointing_game_hit_and_miss():
    model, x = tiny(), image(5, n=1)
    peak = np.unravel_index(int(nbviz.saliency(model, x, None, "gradient").maps[0].argmax()), (32, 32))
    inside = torch.zeros(1, 32, 32)
    inside[0, peak[0], peak[1]] = 1
    assert nbviz.SaliencyExplorer(model, x, masks=inside, methods=["gradient"]).wait().hits == [1]
    assert nbviz.SaliencyExplorer(model, x, masks=1 - inside, methods=["gradient"]).wait().hits == [0]


def test_saliency_bad_arguments():
    model = tiny()
    with pytest.raises(ValueError, match="inputs"):
        nbviz.SaliencyExplorer(model, torch.rand(2, 5, 32, 32))
    with pytest.raises(ValueError, match="methods"):
        nbviz.SaliencyExplorer(model, image(n=2), methods=["gradient", "magic"])
    with pytest.raises(ValueError, match="masks"):
        nbviz.SaliencyExplorer(model, image(n=2), masks=torch.ones(2, 16, 16))
    with pytest.raises(ValueError, match="labels"):
        nbviz.SaliencyExplorer(model, image(n=2), labels=[1])
    with pytest.raises(ValueError, match="class_names"):
        nbviz.SaliencyExplorer(model, image(n=2), class_names=["a"])
    explorer = nbviz.SaliencyExplorer(model, image(n=2), methods=["gradient"]).wait()
    for name, value in (("index", 2), ("target", 9), ("layer", "nope"), ("methods", ["magic"])):
        with pytest.raises(Exception, match=name):
            setattr(explorer, name, value)


def test_saliency_layer_picker_rows_allow_only_spatial_layers():
    """The shared picker gets the whole module tree; exactly the CAM-able layers (leaf modules with
    an N×C×h×w output, h, w > 1) are selectable, and they can be picked."""
    model = tiny()
    explorer = nbviz.SaliencyExplorer(model, image(3, n=2), methods=["gradcam"]).wait()
    rows = explorer.layer_rows
    assert [r["name"] for r in rows if r["selectable"]] == explorer.layers
    assert any(not r["selectable"] for r in rows)  # e.g. the classifier head
    for r in rows:
        if r["selectable"]:
            shape = r["output_shape"]
            assert len(shape) == 4 and shape[2] > 1 and shape[3] > 1
    explorer.layer = explorer.layers[0]
    explorer.wait()
    assert explorer.error == ""
