"""nbconvert's HTML exporter as a handout needs it: markdown always sanitised, outputs sanitised unless trusted.

JupyterLab's trust model, applied to the page: HTML in markdown (cells and ``text/markdown`` outputs) is
never trusted, so it always goes through :func:`~nbviz.handout.sanitize.sanitize_html`. Outputs of
code are trusted when the notebook was executed for the export (the person exporting ran that code)
or carries a valid Jupyter trust signature; otherwise their HTML is sanitised the same way and
JavaScript outputs are left out (nbconvert's ``sanitize_html`` switch, with nbviz's sanitiser in
place of nbconvert's ``clean_html``, which escapes headings and images instead of keeping them).
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from nbconvert import HTMLExporter

from .sanitize import sanitize_html

__all__ = ["HandoutExporter", "is_trusted"]


class HandoutExporter(HTMLExporter):
    """HTMLExporter whose markdown filter sanitises, and whose ``clean_html`` filter is nbviz's sanitiser."""

    @pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        return sanitize_html(super().markdown2html(context, source))

    def default_filters(self) -> Any:
        yield from super().default_filters()
        yield ("clean_html", sanitize_html)


def is_trusted(nb: Any) -> bool:
    """Whether ``nb`` carries a valid trust signature in this user's Jupyter signature store."""
    from nbformat.sign import NotebookNotary

    try:
        return bool(NotebookNotary().check_signature(nb))
    except Exception:  # noqa: BLE001 - no readable signature store: not trusted
        return False
