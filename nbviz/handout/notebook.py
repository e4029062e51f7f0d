"""Export a notebook as a handout: execute it headless, precompute every explorer, write one HTML file.

The notebook runs in a fresh kernel (nbclient, which records the widgets' state as they change). Two cells
are injected and removed again before rendering: a first one turns on matplotlib's inline backend (so
figures become images), a last one calls ``precompute()`` on every live explorer in that kernel.
nbconvert's lab HTML template then renders the cells (text, tables, matplotlib figures) with the nbviz
loader (:func:`nbviz.handout.assets.loader_html`) instead of CDN scripts. Widgets whose front end
is not inlined become notes (:mod:`nbviz.handout.offline_state`) and markdown is sanitised
(:mod:`nbviz.handout.exporter`), so the page fetches nothing and runs only nbviz's and ipywidgets' code.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

from .assets import loader_html
from .explorers import live_explorers
from .offline_state import offline_state

__all__ = ["export_notebook", "precompute_live_explorers"]

TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"
# matplotlib Figures (every nbviz result's .plot()) display as PNG only once the inline backend is on
_SETUP_CELL = "%matplotlib inline"
_PRECOMPUTE_CELL = "import nbviz.handout.notebook as _nbviz_handout\n_nbviz_handout.precompute_live_explorers()"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def precompute_live_explorers() -> int:
    """In a kernel: ``precompute()`` every open nbviz explorer, then send every widget's full state again;
    returns how many explorers there were.

    The resend matters for headless execution: nbclient records only messages that belong to a running
    cell, and explorers publish results from their worker thread, possibly after their cell finished."""
    from ipywidgets.widgets.widget import _instances

    explorers = live_explorers()
    for explorer in explorers:
        explorer.precompute()
        explorer.wait(None)  # the export's per-cell timeout bounds this
    for widget in list(_instances.values()):
        widget.send_state()
    return len(explorers)


def _kernel_env() -> dict[str, str]:
    """The kernel's environment: ours, with this nbviz importable even when it is not installed (a clone)."""
    import site

    env = dict(os.environ)
    root = str(pathlib.Path(__file__).resolve().parents[2])
    if root not in {str(pathlib.Path(p).resolve()) for p in site.getsitepackages()}:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _execute(nb: Any, workdir: pathlib.Path, timeout: float, kernel_name: str) -> None:
    import nbformat
    from nbclient import NotebookClient

    tags = {"tags": ["nbviz-handout"]}
    nb.cells.insert(0, nbformat.v4.new_code_cell(_SETUP_CELL, metadata=tags))
    nb.cells.append(nbformat.v4.new_code_cell(_PRECOMPUTE_CELL, metadata=tags))
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute(env=_kernel_env())
    finally:
        nb.cells.pop()
        nb.cells.pop(0)


def export_notebook(
    notebook: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    execute: bool = True,
    timeout: float = 600.0,
    kernel_name: str = "python3",
) -> pathlib.Path:
    """Write ``notebook`` (.ipynb) as one self-contained, offline HTML handout at ``out``.

    Parameters
    ----------
    notebook : str or os.PathLike
        The notebook to export.
    out : str or os.PathLike
        The HTML file to write.
    execute : bool, default True
        Run the notebook in a fresh kernel (in its own folder) and precompute every explorer; ``False``
        uses the outputs and widget state saved in the notebook.
    timeout : float, default 600.0
        Seconds each cell may run.
    kernel_name : str, default "python3"
        The Jupyter kernel that executes it.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    try:
        import nbformat

        from .exporter import HandoutExporter, is_trusted
    except ImportError as error:
        raise ImportError(f"exporting a notebook needs nbformat, nbclient, nbconvert and nh3 ({error}); "
                          "`pip install 'nbviz[export]'`") from error
    source, target = pathlib.Path(notebook), pathlib.Path(out)
    if source.suffix != ".ipynb" or not source.is_file():
        raise ValueError(f"notebook: expected an existing .ipynb file, got {str(source)!r}")
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"out: expected a file name ending in .html, got {str(target)!r}")
    nb = nbformat.read(source, as_version=4)
    trusted = execute or is_trusted(nb)  # before execution changes the outputs the signature covers
    if execute:
        _execute(nb, source.resolve().parent, timeout, kernel_name)
    widgets = nb.metadata.get("widgets", {})
    if _WIDGET_STATE in widgets:
        widgets[_WIDGET_STATE] = offline_state(widgets[_WIDGET_STATE])  # third-party widgets → notes
    else:
        nb.metadata.pop("widgets", None)  # nothing to render: no loader needed, but the page still works
    exporter = HandoutExporter(template_name="nbviz_handout", extra_template_basedirs=[str(TEMPLATES)],
                               embed_images=True, sanitize_html=not trusted)
    resources = {"metadata": {"name": source.stem, "path": str(source.resolve().parent)}, "nbviz_loader": loader_html()}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target
