"""Check built nbviz wheels: ``python .ci/check_wheel.py WHEEL [OTHER_WHEEL]``.

Every wheel must carry the built front end, the vendored handout scripts, the tour notebooks and the
licence, and nothing from a developer's working tree (caches, checkpoints). Given two wheels (one from the
checkout, one built from the sdist without Node.js), they must hold the same files with the same contents.
Prints each wheel's size and file count; exits non-zero with the reasons on any failure.
"""

from __future__ import annotations

import hashlib
import re
import sys
import zipfile
from pathlib import Path

REQUIRED = [
    r"nbviz/__init__\.py", r"nbviz/__main__\.py", r"nbviz/static/style\.css", r"nbviz/static/tsne\.js",
    r"nbviz/static/layers\.js", r"nbviz/static/vendor/require\.js", r"nbviz/static/vendor/embed-amd\.js",
    r"nbviz/notebooks/00_tour\.ipynb", r"nbviz/notebooks/marimo_tour\.py",
    r"nbviz/handout/templates/.+", r"nbviz-[^/]+\.dist-info/licenses/LICENSE",
]  # fmt: skip
FORBIDDEN = re.compile(r"__pycache__|\.pyc$|\.ipynb_checkpoints|__marimo__|node_modules|(^|/)tests?/")


def contents(wheel: Path) -> dict[str, str]:
    """Member name → sha256 of its bytes (RECORD left out: it lists the same hashes)."""
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if not name.endswith("/RECORD")
        }


def problems(wheel: Path, members: dict[str, str]) -> list[str]:
    """What is missing from or should not be in ``wheel``."""
    found = [f"{wheel.name}: missing {pattern}" for pattern in REQUIRED if not any(re.fullmatch(pattern, m) for m in members)]
    found += [f"{wheel.name}: should not ship {m}" for m in members if FORBIDDEN.search(m)]
    return found


def main(paths: list[str]) -> int:
    wheels = [Path(p) for p in paths]
    listed = {wheel: contents(wheel) for wheel in wheels}
    errors: list[str] = []
    for wheel, members in listed.items():
        print(f"{wheel.name}: {len(members)} files, {wheel.stat().st_size / 1e6:.2f} MB")
        errors += problems(wheel, members)
    if len(wheels) == 2:
        first, second = listed.values()
        for name in sorted(first.keys() ^ second.keys()):
            errors.append(f"only in {'the first' if name in first else 'the second'} wheel: {name}")
        errors += [f"differs between the wheels: {n}" for n in sorted(first.keys() & second.keys()) if first[n] != second[n]]
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
