"""A notebook a handout must render offline and inert: hostile markdown, a third-party widget (its front
end is not inlined, so the page would fetch it from a CDN) next to an nbviz explorer, and untrusted
script outputs. Shared by the unit tests (tests/test_handout_offline.py) and the browser test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets
import nbformat
import torch
import traitlets

import nbviz
from nbviz.handout.page import widget_state

THIRD_PARTY = "evil-widgets"  # a module no handout inlines
HOSTILE_MARKDOWN = """# Lesson

<img src=x onerror="window.__pwned = 'img onerror'">
<script>window.__pwned = 'markdown script'</script>
<a id="js-link" href="javascript:window.__pwned = 'javascript url'">a javascript: link</a>
<iframe srcdoc="<script>parent.__pwned = 'iframe'</script>"></iframe>
<svg><script>window.__pwned = 'svg script'</script></svg>
<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned = 'mutation'">
<div style="background-image: url(https://tracker.example/pixel.png)">styled</div>
<img src="https://tracker.example/remote.png" alt="remote image">

![remote markdown image](https://tracker.example/md.png)

| kept | table |
|------|-------|
| **bold** | [a link](https://example.org) |
"""
UNTRUSTED_HTML = "<b>untrusted output</b><script>window.__pwned = 'html output'</script>"
UNTRUSTED_JS = "window.__pwned = 'javascript output';"


class ThirdPartyWidget(ipywidgets.DOMWidget):
    """Stands for any widget library nbviz does not inline (bqplot, ipyleaflet, …)."""

    _model_name = traitlets.Unicode("EvilModel").tag(sync=True)
    _model_module = traitlets.Unicode(THIRD_PARTY).tag(sync=True)
    _model_module_version = traitlets.Unicode("^1.0.0").tag(sync=True)
    _view_name = traitlets.Unicode("EvilView").tag(sync=True)
    _view_module = traitlets.Unicode(THIRD_PARTY).tag(sync=True)
    _view_module_version = traitlets.Unicode("^1.0.0").tag(sync=True)


def hostile_widgets() -> tuple[Any, Any, Any]:
    """(an nbviz explorer, a third-party widget, a box holding a third-party widget and a slider)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3)).eval()
    explorer = nbviz.PredictionExplorer(model, torch.rand(2, 1, 8, 8), class_names=["a", "b", "c"]).wait()
    box = ipywidgets.VBox([ThirdPartyWidget(), ipywidgets.IntSlider(3, description="kept")])
    return explorer, ThirdPartyWidget(), box


def _view(widget: Any) -> dict[str, Any]:
    view = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}
    return nbformat.v4.new_output("display_data", data={"text/plain": repr(widget), "application/vnd.jupyter.widget-view+json": view})


def hostile_notebook(path: Path) -> Path:
    """Write the notebook (as saved, with widget state; export it with ``execute=False``) to ``path``."""
    widgets = hostile_widgets()
    state, _ = widget_state(list(widgets))
    outputs = [_view(w) for w in widgets] + [
        nbformat.v4.new_output("display_data", data={"text/html": UNTRUSTED_HTML, "text/plain": "html"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": UNTRUSTED_JS, "text/plain": "js"}),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN), nbformat.v4.new_code_cell("explorer, widget, box", outputs=outputs)]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": state}
    nbformat.write(nb, path)
    for w in widgets:
        w.close()
    return path
