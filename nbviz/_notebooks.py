"""The tour notebooks nbviz ships, and copies of them in a folder the user can write to.

A wheel carries them inside the package (``nbviz/notebooks/``, hatch ``force-include``); a clone or an
editable install reads them from ``<repo>/notebooks/``. ``nbviz demo`` never opens the shipped files
themselves: it copies them out first, and a copy the user has edited is kept, not overwritten.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CopyReport", "copy_notebooks", "shipped_notebooks"]

_PACKAGE = Path(__file__).resolve().parent
_LOCATIONS = (_PACKAGE / "notebooks", _PACKAGE.parent / "notebooks")  # installed wheel, then a checkout
_PATTERNS = ("*.ipynb", "marimo_*.py")
# what nbviz last wrote into a copy folder: name → sha256; a file that no longer matches was edited by the user
_MANIFEST = ".nbviz-shipped.json"


def shipped_notebooks() -> Path:
    """The folder holding the tour notebooks of this nbviz (inside the package, or ``<repo>/notebooks``)."""
    for folder in _LOCATIONS:
        if (folder / "00_tour.ipynb").is_file():
            return folder
    raise FileNotFoundError(f"nbviz's tour notebooks are missing (looked in {', '.join(map(str, _LOCATIONS))}); reinstall nbviz")


@dataclass(frozen=True)
class CopyReport:
    """What :func:`copy_notebooks` did: files written (new or updated) and user-edited files it kept."""

    folder: Path
    written: tuple[str, ...]
    kept: tuple[str, ...]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_notebooks(folder: Path, source: Path | None = None) -> CopyReport:
    """Copy the shipped notebooks into ``folder`` (created if needed) and return what happened.

    A file is written when it is missing or still exactly what nbviz wrote last time (so an upgrade
    brings the new tour); a file the user changed since is kept as it is."""
    source = shipped_notebooks() if source is None else source
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path = folder / _MANIFEST
    manifest: dict[str, str] = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    written, kept = [], []
    for shipped in sorted(p for pattern in _PATTERNS for p in source.glob(pattern)):
        target = folder / shipped.name
        if target.exists():
            current = _digest(target)
            if current == _digest(shipped):
                manifest[shipped.name] = current
                continue
            if manifest.get(shipped.name) != current:
                kept.append(shipped.name)
                continue
        shutil.copyfile(shipped, target)
        manifest[shipped.name] = _digest(target)
        written.append(shipped.name)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return CopyReport(folder, tuple(written), tuple(kept))
