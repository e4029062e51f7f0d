"""Where the built front end lives: ``nbviz/static/`` (written by ``js/build.mjs``, shipped in the wheel).

A leaf module (it imports nothing from nbviz), so both the explorers (their ES modules and style sheet)
and the handout writer (the vendored scripts it inlines) can use it without importing each other.
"""

from __future__ import annotations

import pathlib

__all__ = ["STATIC", "VENDOR", "bundle_path"]

#: the built front end: one ES module per explorer, ``style.css``, ``vendor/``
STATIC = pathlib.Path(__file__).resolve().parent / "static"
#: third-party scripts a handout inlines (require.js, the static widget manager)
VENDOR = STATIC / "vendor"


def bundle_path(name: str) -> pathlib.Path:
    """``STATIC / name``, or a ``FileNotFoundError`` that says how to build the front end."""
    path = STATIC / name
    if not path.exists():
        raise FileNotFoundError(
            f"nbviz's front end is not built ({path} is missing). Install nbviz with pip "
            "(`pip install -e .` builds it) or run `npm ci && npm run build` in js/."
        )
    return path
