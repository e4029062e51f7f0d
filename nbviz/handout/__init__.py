"""Offline handouts: one self-contained HTML page (every script inlined) that renders explorers
from ``file://`` with no kernel and no network.

``save_html(path, *widgets)`` writes a page for live widgets; ``export_notebook(src, out)`` executes a
notebook, precomputes every explorer in it and writes the notebook as such a page
(``python -m nbviz export NOTEBOOK.ipynb OUT.html``).
"""

from __future__ import annotations

from .notebook import export_notebook
from .page import page_html, precompute_all, save_html

__all__ = ["export_notebook", "page_html", "precompute_all", "save_html"]
