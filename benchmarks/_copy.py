"""A throw-away copy of the checkout for experiments that change the package (mutation testing,
deliberate breaks): nbviz/, tests/ (without the browser and installed-package tests) and
pyproject.toml, so pytest run inside the copy imports the copy's nbviz (``pythonpath = ["."]``),
never the working tree's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_checkout(where: Path, pyproject_extra: str = "", drop_section: str | None = None) -> Path:
    """Copy the package and its unit tests to ``where``; append ``pyproject_extra`` to the copy's
    pyproject.toml after removing the ``[drop_section]`` table if given. Returns ``where``."""
    shutil.copytree(ROOT / "nbviz", where / "nbviz", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(ROOT / "tests", where / "tests", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "browser", "installed"))
    text = (ROOT / "pyproject.toml").read_text()
    if drop_section:
        import re

        text = re.sub(rf"(?ms)^\[{re.escape(drop_section)}\]\n.*?(?=^\[|\Z)", "", text)
    (where / "pyproject.toml").write_text(text.rstrip() + "\n" + (f"\n{pyproject_extra}" if pyproject_extra else ""))
    return where


def quiet_env() -> dict[str, str]:
    """One thread per process (the machine is shared), no bytecode files, no GUI backend."""
    return dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")


def run_pytest(where: Path, tests: list[str], *extra: str) -> subprocess.CompletedProcess:
    """pytest on ``tests`` inside the copy at ``where`` (its own nbviz first on sys.path)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", *extra, *tests]
    return subprocess.run(command, cwd=where, env=quiet_env(), capture_output=True, text=True)
