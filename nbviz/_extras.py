"""Optional dependencies: which extra a command needs, whether it is installed, and the one command that installs it.

The extras and their version bounds are declared once, in ``pyproject.toml``; the install command is read
from this nbviz's installed metadata, so what a user is told to run is what the package declares.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
import sys
from pathlib import Path

__all__ = ["EXTRAS", "install_command", "missing"]

# extra → the modules that commands needing it import (their distributions are the extra's requirements)
EXTRAS: dict[str, tuple[str, ...]] = {
    "lab": ("jupyterlab",),
    "notebook": ("notebook",),
    "marimo": ("marimo",),
    "export": ("nbconvert", "nbclient", "nbformat", "ipykernel"),
}

_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([\w.-]+)["']""")


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (empty when the extra is installed)."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def requirements(extra: str) -> list[str]:
    """The requirement strings ``extra`` declares (e.g. ``["jupyterlab>=4.0"]``), from nbviz's metadata.

    Without metadata (nbviz imported from a source tree that was never installed) they are the bare
    module names."""
    try:
        declared = importlib.metadata.requires("nbviz") or []
    except importlib.metadata.PackageNotFoundError:
        return list(EXTRAS[extra])
    found = []
    for line in declared:
        requirement, _, marker = line.partition(";")
        match = _EXTRA_MARKER.search(marker)
        if match and match.group(1) == extra:
            found.append(requirement.strip().replace(" ", ""))
    return found or list(EXTRAS[extra])


def _python() -> str:
    """How to call this interpreter from a shell: ``python`` when that is the one on PATH, else its full path."""
    on_path = shutil.which("python")
    if on_path and Path(on_path).absolute() == Path(sys.executable).absolute():
        return "python"
    return sys.executable


def install_command(extra: str) -> str:
    """The shell command that installs ``extra``'s requirements into this Python environment."""
    packages = " ".join(f'"{r}"' for r in requirements(extra))
    return f"{_python()} -m pip install {packages}"
