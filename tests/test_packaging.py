"""Packaging stays in step with the front end: the build hook names exactly the files js/build.mjs writes,
and the front end keeps anywidget's contract for hosts other than JupyterLab (VS Code, Colab, marimo)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "js" / "src"


def _builder() -> dict:
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]


def test_build_hook_names_every_bundle():
    # an entry is src/<name>.ts or a folder src/<name>/index.ts (js/build.mjs bundles both to static/<name>.js)
    entries = [p.stem for p in SOURCES.glob("*.ts")] + [p.parent.name for p in SOURCES.glob("*/index.ts")]
    bundles = {f"nbviz/static/{name}.js" for name in entries} | {"nbviz/static/style.css"}
    assert len(entries) >= 8  # every explorer's front end was found
    vendored = {f"nbviz/static/vendor/{name}" for name in re.findall(r':\s*"([\w.-]+\.js)"', (ROOT / "js" / "build.mjs").read_text())}
    assert vendored == {"nbviz/static/vendor/require.js", "nbviz/static/vendor/embed-amd.js"}
    hook = _builder()
    assert set(hook["ensured-targets"]) == bundles | vendored
    assert hook["skip-if-exists"] == hook["ensured-targets"]


def test_front_end_needs_nothing_from_jupyterlab():
    """Every ``var(--jp-…)`` has a fallback; no JupyterLab/Lumino imports or globals."""
    for path in [*SOURCES.rglob("*.ts"), *SOURCES.rglob("*.css")]:
        text = path.read_text()
        bare = re.findall(r"var\(\s*--jp-[\w-]+\s*\)", text)
        assert not bare, f"{path.name}: {bare} (give each a fallback: var(--jp-x, value))"
        assert not re.search(r"@jupyterlab/|@lumino/|\bjupyterapp\b|\bIPython\b|\bJupyter\.", text), path.name


def test_shipped_notebooks_include_the_marimo_tour():
    from nbviz._notebooks import shipped_notebooks

    names = {p.name for p in shipped_notebooks().iterdir()}
    assert {"00_tour.ipynb", "marimo_tour.py"} <= names
    marimo = pytest.importorskip("marimo")
    import runpy

    app = runpy.run_path(str(shipped_notebooks() / "marimo_tour.py"))["app"]  # defines the app; runs no cell
    assert isinstance(app, marimo.App)
