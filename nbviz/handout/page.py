"""One self-contained HTML page (a handout) showing given widgets, with their state embedded."""

from __future__ import annotations

import html
import json
import os
import pathlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .assets import loader_html
from .explorers import explorers_in
from .offline_state import offline_state

__all__ = ["page_html", "precompute_all", "save_html", "widget_state"]

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{loader}
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto; max-width: 1100px; padding: 0 1rem; }}
.nbviz-handout-widget {{ margin: 1rem 0 2rem; }}
</style>
<script type="application/vnd.jupyter.widget-state+json">{state}</script>
</head>
<body>
<h1>{title}</h1>
{views}
</body>
</html>
"""


def _check_widgets(widgets: Sequence[Any], argument: str) -> list[Any]:
    from ipywidgets import DOMWidget

    if not widgets:
        raise ValueError(f"{argument}: expected at least one widget to show")
    for w in widgets:
        if not isinstance(w, DOMWidget):
            raise TypeError(f"{argument}: expected ipywidgets widgets (e.g. nbviz explorers), got {type(w).__name__}")
        if getattr(w, "comm", None) is None:
            raise ValueError(f"{argument}: {type(w).__name__} was closed; a closed widget has no state to save")
    return list(widgets)


def precompute_all(widgets: Iterable[Any], options: bool | Mapping[str, Any] = True, timeout: float | None = 600.0) -> list[Any]:
    """Call ``precompute(**options)`` on every explorer in ``widgets``, then wait for work still running.

    Explorers inside containers count too; an explorer is any widget with ``precompute`` and ``wait``
    (see :mod:`nbviz.handout.explorers`). Waiting means a page never catches a half-drawn map.

    Parameters
    ----------
    widgets : iterable of widgets
        Explorers and containers of them.
    options : bool or mapping of str to object, default True
        ``True``: each explorer's default precompute; ``False``: no precompute, only the wait; a mapping:
        keyword arguments for every explorer's ``precompute``.
    timeout : float or None, default 600.0
        Seconds to wait for each explorer's work; ``None``: no limit.

    Returns
    -------
    list
        The explorers found.
    """
    if isinstance(options, bool):
        kwargs: dict[str, Any] | None = {} if options else None
    elif isinstance(options, Mapping):
        kwargs = dict(options)
    else:
        raise TypeError(f"precompute: expected True, False or a dict of options, got {type(options).__name__}")
    explorers = explorers_in(widgets)
    for explorer in explorers:
        if kwargs is not None:
            explorer.precompute(**kwargs)
        explorer.wait(timeout)
    return explorers


def widget_state(widgets: Sequence[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(manager state of ``widgets`` and everything they refer to, one view spec per widget).

    Defaults are kept (``drop_defaults=False``): a static page has no Python to fill them in."""
    from ipywidgets.embed import dependency_state, embed_data

    data = embed_data(views=list(widgets), drop_defaults=False, state=dependency_state(list(widgets), drop_defaults=False))
    return data["manager_state"], data["view_specs"]


def _script_json(value: Any) -> str:
    from ipywidgets.embed import escape_script

    return escape_script(json.dumps(value, separators=(",", ":")))


def page_html(widgets: Sequence[Any], title: str = "nbviz handout") -> str:
    """The handout page for ``widgets`` as a string, with their state as it is now (call precompute first).

    Parameters
    ----------
    widgets : sequence of widgets
        The widgets to show, in order.
    title : str, default "nbviz handout"
        The page's title.

    Returns
    -------
    str
        One self-contained HTML document (every script inlined).
    """
    widgets = _check_widgets(widgets, "widgets")
    state, views = widget_state(widgets)
    state = offline_state(state)  # a widget whose front end is not inlined would be fetched from a CDN
    view_html = "\n".join(
        f'<div class="nbviz-handout-widget"><script type="application/vnd.jupyter.widget-view+json">{_script_json(v)}</script></div>'
        for v in views
    )
    return _PAGE.format(title=html.escape(title), loader=loader_html(), state=_script_json(state), views=view_html)


def save_html(
    path: str | os.PathLike[str],
    *widgets: Any,
    precompute: bool | Mapping[str, Any] = True,
    title: str | None = None,
) -> pathlib.Path:
    """Write one self-contained HTML file showing ``widgets`` that works offline, without a kernel.

    Every explorer among them first runs ``precompute()``, so that what was precomputed stays
    interactive in the page.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file to write.
    *widgets : widgets
        The widgets to show, in order (explorers, containers, any ipywidgets).
    precompute : bool or mapping of str to object, default True
        ``False`` skips the precompute; a mapping passes options to every explorer's ``precompute``.
    title : str or None, default None
        The page's title; ``None``: the file's name without its suffix, underscores as spaces.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a file path, got {type(path).__name__}")
    target = pathlib.Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"path: expected a file name ending in .html, got {str(target)!r}")
    widgets_list = _check_widgets(widgets, "widgets")
    precompute_all(widgets_list, precompute)
    text = page_html(widgets_list, title=title or target.stem.replace("_", " "))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target
