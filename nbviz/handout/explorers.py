"""How the handout writer finds the explorers in a page: by what they do, not by their class.

An explorer, to a handout, is a widget with ``precompute(**options)`` (fill the traits the page needs to
stay interactive without a kernel) and ``wait(timeout)`` (block until that work is done):
:class:`HandoutExplorer`. nbviz's :class:`~nbviz.widgets._base.Explorer` has both. Matching by protocol
keeps the import direction one way: widgets import handout (``Explorer.save_html``), handout never
imports widgets.

A container (an ipywidgets ``Box``, such as :class:`~nbviz.widgets.explored.Explored`) is not an explorer
even when it has both methods: the explorers it holds are found on their own, and are precomputed once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

__all__ = ["HandoutExplorer", "explorers_in", "is_explorer", "live_explorers"]


@runtime_checkable
class HandoutExplorer(Protocol):
    """A widget a handout precomputes before saving its state."""

    def precompute(self, **options: Any) -> None: ...

    def wait(self, timeout: float | None = ...) -> Any: ...


def is_explorer(widget: Any) -> bool:
    """Whether ``widget`` is an explorer to precompute: a :class:`HandoutExplorer` that is not a container."""
    from ipywidgets import Box

    return isinstance(widget, HandoutExplorer) and not isinstance(widget, Box)


def explorers_in(widgets: Iterable[Any]) -> list[Any]:
    """Every explorer among ``widgets`` and the widgets they contain (boxes, tabs)."""
    from ipywidgets.embed import dependency_state
    from ipywidgets.widgets.widget import _instances

    ids = dependency_state(list(widgets), drop_defaults=True)
    return [w for i in ids if is_explorer(w := _instances.get(i))]


def live_explorers() -> list[Any]:
    """Every explorer open in this process (ipywidgets' registry of open widgets)."""
    from ipywidgets.widgets.widget import _instances

    return [w for w in list(_instances.values()) if is_explorer(w)]
