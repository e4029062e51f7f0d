"""Smoke test of an nbviz installation with its extras: run in CI against the wheel installed in a fresh
virtual environment (``NBVIZ_TEST_INSTALLED=1``, from outside the checkout), and in the main suite against
the editable install. Import, the shipped files, every explorer headless, ``nbviz export`` and ``nbviz demo``."""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
import torch

import nbviz
from run_cli import free_port, run_nbviz, start_nbviz, stop

REPO = Path(__file__).resolve().parents[2]
INSTALLED = os.environ.get("NBVIZ_TEST_INSTALLED") == "1"
PACKAGE = Path(nbviz.__file__).resolve().parent


@pytest.mark.skipif(not INSTALLED, reason="checks an installed nbviz (NBVIZ_TEST_INSTALLED=1)")
def test_nbviz_comes_from_the_installed_package():
    assert PACKAGE.is_relative_to(Path(sys.prefix).resolve()), f"nbviz imported from {PACKAGE}, outside {sys.prefix}"
    assert not any(Path(p or ".").resolve() == REPO for p in sys.path), "the checkout is on sys.path"


def test_version_is_the_package_version(tmp_path):
    assert nbviz.__version__ == importlib.metadata.version("nbviz")
    result = run_nbviz("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"nbviz {nbviz.__version__}", result


def test_package_carries_front_end_and_notebooks():
    from nbviz._notebooks import shipped_notebooks

    static = PACKAGE / "static"
    for name in ("style.css", "tsne.js", "layers.js", "watch.js", "vendor/require.js", "vendor/embed-amd.js"):
        assert (static / name).stat().st_size > 1000, name
    notebooks = shipped_notebooks()
    assert {"00_tour.ipynb", "marimo_tour.py"} <= {p.name for p in notebooks.iterdir()}
    if INSTALLED:
        assert notebooks == PACKAGE / "notebooks"


def test_every_explorer_works_headless():
    digits = nbviz.datasets.digits()
    model = nbviz.zoo.digits_cnn().model
    x, y = digits.images[:64], digits.labels[:64]
    explorers = [
        nbviz.PredictionExplorer(model, x[:8], y[:8], digits.class_names),
        nbviz.LayerExplorer(model, x[:4], dataset=x),
        nbviz.SaliencyExplorer(model, x[:2], y[:2], methods=["gradient"]),
        nbviz.OcclusionExplorer(model, x[:2], window=2, stride=2),
        nbviz.TSNEExplorer((model, (x, y), "classifier.0"), n_iter=100),
        nbviz.LandscapeExplorer(model, torch.nn.functional.cross_entropy, (x, y), resolution=5, preview=None),
        nbviz.FeatureVisExplorer(model, x, layer="features.0", units=[0], steps=16),
    ]
    for explorer in explorers:
        assert explorer.wait(300).error == "", (type(explorer).__name__, explorer.error)
        explorer.close()


def test_export_writes_a_handout(tmp_path):
    cells = ["import nbviz\nd = nbviz.datasets.digits()\nm = nbviz.zoo.digits_cnn().model\n"
             "nbviz.OcclusionExplorer(m, d.images[:2], window=2, stride=2)"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), tmp_path / "small.ipynb")
    result = run_nbviz("export", "small.ipynb", "small.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "small.html").read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" in page and "OcclusionExplorer" in page


def _get(url: str) -> int:
    return urllib.request.urlopen(url, timeout=5).status


def test_demo_serves_the_tour(tmp_path):
    """``nbviz demo`` copies the shipped tour to --dir and JupyterLab serves it there (its URL answers)."""
    pytest.importorskip("jupyterlab")
    port, tour = free_port(), tmp_path / "tour"
    jupyter = {"JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    process = start_nbviz("demo", "--dir", str(tour), "--port", str(port), cwd=tmp_path, log=tmp_path / "demo.log", **jupyter)
    try:
        deadline, token = time.monotonic() + 300, None
        while token is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
            log = (tmp_path / "demo.log").read_text()
            if f":{port}/lab" in log and "token=" in log:
                token = log.split("token=", 1)[1].split()[0]
        assert token, (tmp_path / "demo.log").read_text()
        assert f"the tour notebooks are in {tour}" in log
        assert (tour / "00_tour.ipynb").is_file() and (tour / "marimo_tour.py").is_file()
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/lab/tree/00_tour.ipynb?token={token}") == 200
        contents = json.load(urllib.request.urlopen(f"{base}/api/contents/00_tour.ipynb?token={token}", timeout=5))
        assert contents["type"] == "notebook" and "nbviz.explore(" in json.dumps(contents["content"])
    finally:
        stop(process)
