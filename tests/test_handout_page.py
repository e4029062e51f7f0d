"""Handout pages without a browser: one file, every script inline, widget state embedded, sizes."""

import base64
import gzip
import json
import re

import numpy as np
import pytest
import torch

import nbviz
from nbviz.handout import assets, page
from occlusion_models import TinyCNN

XSS = "</script><script>alert(1)</script>"


def explorer(**kwargs):
    torch.manual_seed(0)
    x = torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(0))
    return nbviz.OcclusionExplorer(TinyCNN().eval(), x, labels=["a", "b", "c", "d", XSS], **kwargs).wait()


def scripts(text):
    return re.findall(r"<script([^>]*)>(.*?)</script>", text, flags=re.S)


def embedded_state(text):
    (state,) = [body for attrs, body in scripts(text) if "widget-state+json" in attrs]
    return json.loads(state)["state"]


def test_one_file_with_every_script_inline_and_the_state_embedded(tmp_path):
    widget = explorer(window=6, stride=3)
    path = widget.save_html(tmp_path / "occlusion.html", precompute=False)
    assert path == tmp_path / "occlusion.html" and list(tmp_path.iterdir()) == [path]
    text = path.read_text(encoding="utf-8")
    tags = scripts(text)
    assert tags and all("src=" not in attrs for attrs, _ in tags)  # nothing loaded from beside the page or a CDN
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", text)
    # (assert on booleans: pytest would spend minutes explaining a failed `in` on a 4 MB string)
    assert re.search(r"^//# sourceMappingURL", text, flags=re.M) is None
    # the handout flag is set before require.js and the widget manager run
    order = [text.find(s) for s in ("globalThis.nbvizHandout = true", "RequireJS 2.", 'id="nbviz-embed-amd"', "DecompressionStream(")]
    assert 0 <= order[0] < order[1] < order[2] < order[3], order
    # the widget manager travels gzipped: it inflates to the vendored embed-amd.js
    (packed,) = [body for attrs, body in tags if 'id="nbviz-embed-amd"' in attrs]
    manager = gzip.decompress(base64.b64decode(packed)).decode("utf-8")
    vendored = (assets.VENDOR / "embed-amd.js").read_text(encoding="utf-8")
    same = manager == re.sub(r"(?m)^//# sourceMappingURL=.*$", "", vendored) and '"@jupyter-widgets/html-manager"' in manager
    assert same
    has_anywidget = 'data-module="anywidget"' in text and 'define(["@jupyter-widgets/base"]' in text
    assert has_anywidget
    # the widget's state, with defaults and its binary arrays as base64 buffers
    state = embedded_state(text)[widget.model_id]
    assert state["model_module"] == "anywidget" and state["state"]["window"] == 6
    assert state["state"]["_esm"] == (nbviz.widgets._base.STATIC / "occlusion.js").read_text(encoding="utf-8")
    buffers = {tuple(b["path"]): b for b in state["buffers"]}
    heat = buffers[("heatmap", "chunks", 0)]
    assert heat["encoding"] == "base64" and state["state"]["heatmap"]["shape"] == [32, 32]
    decoded = np.frombuffer(base64.b64decode(heat["data"]), dtype=np.float32).reshape(32, 32)
    np.testing.assert_array_equal(decoded, widget.heatmap)
    # the view points at the widget; a class name cannot end the script element early
    (view,) = [json.loads(body) for attrs, body in tags if "widget-view+json" in attrs]
    assert view["model_id"] == widget.model_id
    escaped = XSS not in text and "\\u003c/script>\\u003cscript>alert(1)" in text
    assert escaped
    size = path.stat().st_size
    assert 1_000_000 < size < 2_000_000, size  # the scripts are ~1.4 MB (the manager gzipped); the state is small


def test_inline_script_keeps_the_code_and_cannot_close_the_element():
    source = 'var s = "</script>"; var r = /<\\/SCRIPT>/;\n//# sourceMappingURL=x.js.map\n'
    out = assets.inline_script(source)
    assert "</script" not in out.lower() and "sourceMappingURL" not in out
    assert out.startswith('var s = "<\\/script>"')
    with pytest.raises(ValueError, match="<!--"):
        assets.inline_script("a <!-- b")


def test_precompute_runs_first_with_the_options(tmp_path, monkeypatch):
    widget = explorer()
    calls = []
    monkeypatch.setattr(widget, "precompute", lambda **options: calls.append(options))
    widget.save_html(tmp_path / "a.html")
    widget.save_html(tmp_path / "b.html", precompute={"windows": [4, 8]})
    widget.save_html(tmp_path / "c.html", precompute=False)
    assert calls == [{}, {"windows": [4, 8]}]


def test_the_page_waits_for_running_work(tmp_path):
    widget = explorer(window=6, stride=3)
    widget.stride = 1  # a new map starts on the worker thread
    path = widget.save_html(tmp_path / "p.html", precompute=False)
    state = embedded_state(path.read_text(encoding="utf-8"))[widget.model_id]["state"]
    assert state["partial"] is False and len(state["origins_y"]) == 27  # the finished stride-1 map


def test_several_widgets_on_one_page_including_containers(tmp_path):
    import ipywidgets

    first, second = explorer(window=4), explorer(window=8)
    box = ipywidgets.VBox([ipywidgets.HTML("<b>two maps</b>"), second])
    calls = []
    for w in (first, second):
        w.precompute = lambda w=w, **o: calls.append(w.model_id)
    path = nbviz.save_html(tmp_path / "two.html", first, box)
    assert sorted(calls) == sorted([first.model_id, second.model_id])  # explorers inside containers too
    text = path.read_text(encoding="utf-8")
    state = embedded_state(text)
    assert {first.model_id, second.model_id, box.model_id} <= set(state)
    assert len([attrs for attrs, _ in scripts(text) if "widget-view+json" in attrs]) == 2


def test_bad_arguments(tmp_path):
    widget = explorer()
    with pytest.raises(ValueError, match="path: expected a file name ending in .html"):
        widget.save_html(tmp_path / "page.txt")
    with pytest.raises(TypeError, match="path: expected a file path"):
        widget.save_html(42)
    with pytest.raises(TypeError, match="precompute: expected True, False or a dict"):
        widget.save_html(tmp_path / "p.html", precompute="yes")
    with pytest.raises(ValueError, match="widgets: expected at least one widget"):
        nbviz.save_html(tmp_path / "p.html")
    with pytest.raises(TypeError, match="widgets: expected ipywidgets widgets"):
        nbviz.save_html(tmp_path / "p.html", "not a widget")
    widget.close()
    with pytest.raises(ValueError, match="was closed"):
        page.save_html(tmp_path / "p.html", widget)


def test_explorers_are_found_by_protocol_and_containers_are_not_precomputed_twice():
    """The handout writer knows explorers by ``precompute`` and ``wait`` (nbviz.handout.explorers), not by
    class, so handout never imports widgets; a box with both methods (like ``nbviz.explore``'s) only
    forwards to the explorers it holds, which are found on their own."""
    import ipywidgets

    calls = []

    class Custom(ipywidgets.HTML):  # not an nbviz Explorer
        def precompute(self, **options):
            calls.append(("custom", options))

        def wait(self, timeout=None):
            calls.append(("custom wait", timeout))
            return self

    class Forwarding(ipywidgets.VBox):
        def precompute(self, **options):
            calls.append(("box", options))

        def wait(self, timeout=None):
            return self

    custom = Custom("x")
    found = page.precompute_all([Forwarding([custom])], {"windows": [4]}, timeout=5.0)
    assert found == [custom]
    assert calls == [("custom", {"windows": [4]}), ("custom wait", 5.0)]
