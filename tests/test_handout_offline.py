"""Handouts stay offline and inert, without a browser (issue 16, part 3): the markdown sanitiser, the
filtering of widgets whose front end is not inlined, and both page writers (save_html, notebook export)."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from handout_hostile import THIRD_PARTY, hostile_notebook, hostile_widgets
from nbviz.handout import export_notebook, page
from nbviz.handout.offline_state import OMITTED_CLASS, offline_modules, offline_state
from nbviz.handout.sanitize import sanitize_html

ACTIVE = re.compile(r"<script|<iframe|<object|<embed|<form|<svg|<math|<style|<link|\son\w+\s*=|javascript:|tracker\.example", re.I)

HOSTILE = [
    '<img src=x onerror="alert(1)">',
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="  JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<svg onload=alert(1)><circle/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<div style="background-image: url(https://tracker.example/p.png)">x</div>',
    '<img src="https://tracker.example/p.png">',
    '<img src="//tracker.example/p.png">',
    '<link rel="stylesheet" href="https://tracker.example/a.css">',
    "<style>body { background: url(https://tracker.example/p.png) }</style>",
    '<form action="https://tracker.example"><input name="q"><button>go</button></form>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<body onload="alert(1)">',
    '<details open ontoggle="alert(1)"><summary>s</summary></details>',
]


@pytest.mark.parametrize("fragment", HOSTILE)
def test_sanitiser_removes_everything_active_or_remote(fragment):
    assert not ACTIVE.search(sanitize_html(fragment)), sanitize_html(fragment)


@pytest.mark.parametrize(
    "fragment",
    [
        '<h1 id="Title">Title<a class="anchor-link" href="#Title" rel="noopener noreferrer">¶</a></h1>',
        '<table><thead><tr><th style="text-align:left">a</th></tr></thead><tbody><tr><td><strong>1</strong></td></tr></tbody></table>',
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="embedded attachment">',
        '<img src="figures/local.png" alt="beside the page">',
        '<div class="highlight"><pre><span class="n">x</span> <span class="o">=</span> <span class="mi">1</span></pre></div>',
        '<p><a href="https://example.org" rel="noopener noreferrer">a link</a> and <code>$x^2$</code></p>',
        "<details><summary>more</summary><p>hidden text</p></details>",
        '<span style="color:red">red</span>',
    ],
)
def test_sanitiser_keeps_formatting(fragment):
    assert sanitize_html(fragment) == fragment


def _model(module, name="M", **state):
    return {"model_name": name, "model_module": module, "model_module_version": "1.0.0", "state": {"_view_module": module, **state}}


def test_offline_state_turns_models_that_would_be_fetched_into_notes():
    state = {
        "version_major": 2, "version_minor": 0,
        "state": {
            "a": _model("anywidget", "AnyModel"),
            "b": _model("@jupyter-widgets/controls", "VBoxModel", children=["IPY_MODEL_c"]),
            "c": _model(THIRD_PARTY, "EvilModel"),
            "d": _model("@jupyter-widgets/base", "LayoutModel", _view_module=THIRD_PARTY),  # a view from elsewhere
        },
    }
    before = json.dumps(state)
    out = offline_state(state)
    assert json.dumps(state) == before, "the input is not changed"
    assert out["state"]["a"] == state["state"]["a"] and out["state"]["b"] == state["state"]["b"]
    for model_id in ("c", "d"):
        note = out["state"][model_id]
        assert note["model_module"] == "@jupyter-widgets/controls" and note["model_name"] == "HTMLModel"
        assert note["state"]["_dom_classes"] == [OMITTED_CLASS] and THIRD_PARTY in note["state"]["value"]
    assert out["version_major"] == 2


def _page_state(text):
    (body,) = re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S)
    return json.loads(body)["state"]


def _modules(models):
    return {m["model_module"] for m in models.values()} | {m["state"].get("_view_module") for m in models.values()} - {None}


def test_save_html_leaves_out_a_third_party_widget_with_a_note(tmp_path):
    widgets = hostile_widgets()
    try:
        text = page.save_html(tmp_path / "w.html", *widgets, precompute=False).read_text(encoding="utf-8")
    finally:
        for w in widgets:
            w.close()
    models = _page_state(text)
    assert _modules(models) <= offline_modules()
    assert sum(OMITTED_CLASS in m["state"].get("_dom_classes", []) for m in models.values()) == 2


def test_export_of_a_hostile_notebook_is_offline_and_inert(tmp_path):
    text = export_notebook(hostile_notebook(tmp_path / "h.ipynb"), tmp_path / "h.html", execute=False).read_text(encoding="utf-8")
    assert "__pwned" not in text and "tracker.example" not in text
    assert "kept" in text and "<strong>bold</strong>" in text and "untrusted output" in text
    assert _modules(_page_state(text)) <= offline_modules()
    assert re.search(r"<script[^>]+src=", text) is None


def test_export_trusts_outputs_as_jupyter_does(tmp_path, monkeypatch):
    """Outputs of a signed (trusted) notebook are kept as they are, as JupyterLab shows them; markdown
    is sanitised all the same."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))
    path = hostile_notebook(tmp_path / "h.ipynb")
    nb = nbformat.read(path, as_version=4)
    nbformat.sign.NotebookNotary().sign(nb)
    text = export_notebook(path, tmp_path / "h.html", execute=False).read_text(encoding="utf-8")
    assert "window.__pwned = 'html output'" in text  # the trusted HTML output, verbatim
    assert "markdown script" not in text and "img onerror" not in text
