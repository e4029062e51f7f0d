"""Static figures: matplotlib Figures built without pyplot that still show as images in Jupyter.

Results' ``.plot()`` methods build a :class:`matplotlib.figure.Figure` directly (no pyplot global
state, safe from worker threads). IPython only knows how to draw a Figure once pyplot's inline
backend has been activated, so without this a cell ending in ``result.plot()`` shows
``<Figure size 640x480 with 2 Axes>``. :func:`figure` registers a PNG formatter for Figure in the
running IPython (once, and only if nothing else registered one) and returns a new Figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure"]


def figure(**kwargs: Any) -> Figure:
    """A new matplotlib Figure (``kwargs`` as for ``Figure``) that a notebook cell displays as a PNG."""
    from matplotlib.figure import Figure

    _show_figures_in_ipython(Figure)
    return Figure(**kwargs)


def _show_figures_in_ipython(figure_type: type) -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    png = shell.display_formatter.formatters["image/png"]
    try:
        png.lookup_by_type(figure_type)
        return  # pyplot's inline backend (or the user) already draws figures
    except KeyError:
        pass
    png.for_type(figure_type, _png)


def _png(fig: Figure) -> bytes:
    from IPython.core.pylabtools import print_figure

    return print_figure(fig, "png", bbox_inches="tight")
