"""Sphinx configuration of the API reference: ``sphinx-build -W -b html docs docs/_build/html``.

Built from the numpydoc docstrings with numpydoc's validation on (every parameter documented, with a
type, and a Returns section), so with ``-W`` a parameter added without its documentation fails the
build. The topic notebooks are copied in from ``notebooks/`` and rendered by myst-nb as saved, never
executed: the build runs offline in seconds.
"""

from __future__ import annotations

import inspect
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # this checkout's nbviz, whatever the editable install points at
sys.path.insert(0, str(ROOT / "tests"))

import nbviz  # noqa: E402
from test_docstrings import PENDING, public_callables, public_methods  # noqa: E402  (one list of the public surface)

project = "nbviz"
author = "the nbviz authors"
release = version = nbviz.__version__
copyright = "the nbviz authors, BSD-3-Clause"

extensions = ["sphinx.ext.autodoc", "numpydoc", "myst_nb"]
exclude_patterns = ["_build", "screenshots", "notebooks/.ipynb_checkpoints"]
html_theme = "alabaster"
html_static_path: list[str] = []

autodoc_typehints = "signature"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# PR01: a parameter not documented; PR02: documented but not a parameter; PR04: no type;
# RT01: no Returns section; GL08: no docstring
numpydoc_validation_checks = {"PR01", "PR02", "PR04", "RT01", "GL08"}


def _defined_name(obj: object) -> str:
    if getattr(obj, "__qualname__", None) is None:  # a name that failed to import: the docs build reports it
        return "?"
    return f"{inspect.getmodule(obj).__name__}.{obj.__qualname__}"  # type: ignore[union-attr,attr-defined]


# names whose docstrings other work in progress is rewriting (tests/test_docstrings.py: PENDING)
# (numpydoc names an object as documented, ``nbviz.saliency``, or where it is defined: both are excluded)
_public = dict(public_callables()) | dict(public_methods(include_pending=True))
numpydoc_validation_exclude = {
    f"^{pattern}(\\..*)?$"  # and its methods
    for name in PENDING
    if name in _public  # (a stale entry fails tests/test_docstrings.py, not the build)
    for pattern in (name.replace(".", r"\."), _defined_name(_public[name]).replace(".", r"\."))
}

# guides written as Markdown next to this file (e.g. scale-out.md) get a toctree of their own, generated so that
# a new guide needs no edit here and an empty list writes no toctree at all (index.rst includes _guides.inc)
_guides = sorted(path.stem for path in DOCS.glob("*.md"))
_toctree = "".join(f"   {name}\n" for name in _guides)
(DOCS / "_guides.inc").write_text(
    f".. toctree::\n   :maxdepth: 1\n   :caption: Guides\n\n{_toctree}" if _guides else "", encoding="utf-8"
)

# the notebooks as saved (outputs included), never executed
nb_execution_mode = "off"
nb_render_markdown_format = "myst"
# widget views (their state is not in a saved notebook); heading levels are the notebooks' own
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]
_notebooks = DOCS / "notebooks"
_notebooks.mkdir(exist_ok=True)
_sources = {path.name: path for path in (ROOT / "notebooks").glob("[0-9]*.ipynb")}  # the numbered topic notebooks
for _stale in _notebooks.glob("*.ipynb"):
    if _stale.name not in _sources:
        _stale.unlink()
for _name, _source in _sources.items():
    _target = _notebooks / _name
    if not _target.exists() or _target.read_bytes() != _source.read_bytes():
        shutil.copyfile(_source, _target)


def _constructor_signature(app, what, name, obj, options, signature, return_annotation):
    """Explorers are traitlets classes whose ``__new__`` takes ``(*args, **kwargs)``: show ``__init__``'s
    parameters instead, the ones their docstrings document."""
    if what == "class" and signature and signature.startswith("(*args"):
        from sphinx.util.inspect import stringify_signature

        parameters = list(inspect.signature(obj.__init__).parameters.values())[1:]
        return stringify_signature(inspect.Signature(parameters)), return_annotation
    return None


def _only_nbviz_members(app, what, name, obj, skip, options):
    """Explorers list their inherited members (``wait``, ``save_html`` from the ``Explorer`` base), but
    only those nbviz defines, not ipywidgets' and traitlets' machinery."""
    function = getattr(obj, "__func__", obj)
    if inspect.isroutine(function) and not (getattr(function, "__module__", None) or "").startswith("nbviz"):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-signature", _constructor_signature)
    app.connect("autodoc-skip-member", _only_nbviz_members)
