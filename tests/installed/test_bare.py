"""nbviz installed without extras (CI's fresh environment before the extras go in): ``nbviz demo`` and
``nbviz export`` name the one command that installs what is missing, before doing any work, with no traceback.

Skipped where JupyterLab or nbconvert is importable; tests/test_cli.py covers the same paths there with stubs."""

from __future__ import annotations

import importlib.util

import pytest

from run_cli import run_nbviz

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) for m in ("jupyterlab", "nbconvert")),
    reason="JupyterLab or nbconvert is installed here",
)


def test_demo_names_the_lab_extra_before_training(tmp_path):
    cache, tour = tmp_path / "cache", tmp_path / "tour"
    result = run_nbviz("demo", "--dir", str(tour), cwd=tmp_path, NBVIZ_CACHE=str(cache))
    assert result.returncode == 1, result
    assert '-m pip install "jupyterlab>=' in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert not cache.exists() and not tour.exists(), "checked before copying the tour or training models"


def test_export_names_the_export_extra(tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    result = run_nbviz("export", "a.ipynb", "a.html", cwd=tmp_path)
    assert result.returncode == 1, result
    assert '-m pip install' in result.stderr and '"nbconvert>=' in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
