"""Linked explorers: a selection in a t-SNE map drives the other views of the same dataset.

Links are trait observers, so the same thing happens whether a person clicks in the browser or sets
a trait in Python (``tsne.selected = [7]``):

- one selected point → that item in every item view (``SaliencyExplorer.index``,
  ``LayerExplorer.input_index``, and ``index`` of any other explorer that has one);
- many selected points → ``LayerExplorer.selection``: the layer explorer ranks the channels that
  respond to the selection more than to the rest;
- choosing an item in one item view shows it in the others (and, unless a group is selected, marks
  it in the t-SNE map);
- one selected new point of a map (``TSNEExplorer.add_points``, trait ``new_selected``) → that picture
  in every item view that can take inputs from outside its dataset (``add_inputs``: the saliency,
  occlusion and layer explorers). A map's new points are added to those views the first time one is
  selected, after their own items (``index`` ``N + j`` shows new point ``j``); choosing such an index
  in an item view selects that new point in the map.

A link holds its explorers weakly and passes over closed ones: it never keeps an explorer alive
(closing one of them frees it while the others stay linked).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import Any

from ._base import Explorer

__all__ = ["Link", "link"]

# how many inputs links added to an item explorer (a map's new points): not items of its dataset
_ADDED: weakref.WeakKeyDictionary[Explorer, int] = weakref.WeakKeyDictionary()


def _item_trait(explorer: Explorer) -> str | None:
    """The trait naming the item an explorer shows, if it shows one item of a dataset."""
    for name in ("input_index", "index"):
        if explorer.has_trait(name):
            return name
    return None


def _count(explorer: Explorer) -> int | None:
    """How many dataset items an explorer holds (None when it cannot say)."""
    if explorer.has_trait("selected"):  # a t-SNE map: one point per item
        points = getattr(explorer, "n_points", None)
        return int(points) if isinstance(points, int) else None
    value = getattr(explorer, "n_inputs", None)
    return int(value) - _ADDED.get(explorer, 0) if isinstance(value, int) else None


class Link:
    """Keeps ``explorers`` showing the same items; :meth:`unlink` stops it. Made by :func:`link`.

    Parameters
    ----------
    *explorers : Explorer
        The explorers to link (or one list or tuple of them).
    """

    def __init__(self, *explorers: Explorer) -> None:
        if len(explorers) == 1 and isinstance(explorers[0], (list, tuple)):
            explorers = tuple(explorers[0])
        for i, e in enumerate(explorers):
            if not isinstance(e, Explorer):
                raise TypeError(f"explorers[{i}]: expected an nbviz explorer, got {type(e).__name__}")
        if len(explorers) < 2:
            raise ValueError(f"explorers: expected at least two explorers to link, got {len(explorers)}")
        maps = [e for e in explorers if e.has_trait("selected")]
        items = [e for e in explorers if e not in maps and _item_trait(e) is not None]
        other = [type(e).__name__ for e in explorers if e not in maps and e not in items]
        if other:
            raise TypeError(
                f"explorers: {', '.join(other)} cannot follow a selection (it shows no item of a dataset); "
                "link TSNEExplorer, SaliencyExplorer, LayerExplorer or explorers with an index trait"
            )
        counts = {f"{type(e).__name__}#{i}": _count(e) for i, e in enumerate(explorers)}
        known = {name: n for name, n in counts.items() if n is not None}
        if len(set(known.values())) > 1:
            listed = ", ".join(f"{name.split('#')[0]} {n}" for name, n in known.items())
            raise ValueError(
                f"explorers: linked explorers must show the same dataset, but they hold different numbers of "
                f"items ({listed}); build them on the same images (e.g. max_inputs=len(images)) or use nbviz.explore"
            )
        size = next(iter(known.values()), None)
        for e in explorers:
            dataset = getattr(e, "n_dataset", None)
            if e.has_trait("selection") and None not in (dataset, size) and dataset != size:
                raise ValueError(
                    f"explorers: the {type(e).__name__}'s dataset has {dataset} items but the linked explorers "
                    f"show {size}; its selection must index the same items"
                )
        self._all = [weakref.ref(e) for e in explorers]
        self.size: int | None = size
        self._maps, self._items = [weakref.ref(e) for e in maps], [weakref.ref(e) for e in items]
        self._busy = False
        self._handlers: list[tuple[weakref.ref[Explorer], Callable[[Any], None], str]] = []
        # (item explorer's id, new points' id) -> (the new points, weakly; their first index in that explorer)
        self._added: dict[tuple[int, int], tuple[weakref.ref[Any], int]] = {}
        for m in maps:
            self._watch(m, "selected", self._on_selected)
            if m.has_trait("new_selected"):
                self._watch(m, "new_selected", self._on_new_selected)
        for e in items:
            self._watch(e, _item_trait(e), self._on_item)  # type: ignore[arg-type]

    def _watch(self, explorer: Explorer, name: str, handler: Callable[[Explorer, Any], None]) -> None:
        def observer(change: Any) -> None:  # the explorer comes from the change: the closure must not hold it
            if self._busy:
                return
            self._busy = True
            try:
                handler(change["owner"], change["new"])
            finally:
                self._busy = False

        explorer.observe(observer, names=[name])
        self._handlers.append((weakref.ref(explorer), observer, name))

    @staticmethod
    def _live(refs: list[weakref.ref[Explorer]]) -> Iterator[Explorer]:
        """The explorers among ``refs`` that still exist and are not closed."""
        for ref in refs:
            explorer = ref()
            if explorer is not None and not explorer.closed:
                yield explorer

    @property
    def explorers(self) -> tuple[Explorer, ...]:
        """The linked explorers that are still open."""
        return tuple(self._live(self._all))

    def _on_selected(self, source: Explorer, selected: list[int]) -> None:
        chosen = list(dict.fromkeys(int(i) for i in selected))
        for m in self._live(self._maps):
            if m is not source:
                m.selected = chosen
        for e in self._live(self._items):
            if e.has_trait("selection"):
                e.selection = chosen if len(chosen) >= 2 else []
            if len(chosen) == 1:
                setattr(e, _item_trait(e), chosen[0])  # type: ignore[arg-type]

    def _on_new_selected(self, source: Explorer, new_selected: list[int]) -> None:
        new = getattr(source, "_new", None)
        if len(new_selected) != 1 or new is None or new.pictures is None:
            return  # a group of new points, or points without pictures: the item views keep what they show
        j = int(new_selected[0])
        for e in self._live(self._items):
            start = self._start(e, new)
            if start is not None:
                setattr(e, _item_trait(e), start + j)  # type: ignore[arg-type]

    def _start(self, explorer: Explorer, new: Any) -> int | None:
        """The index of ``new``'s first point in ``explorer``, adding its pictures there the first time
        (``None``: the explorer cannot show inputs from outside its dataset)."""
        add = getattr(explorer, "add_inputs", None)
        if add is None:
            return None
        key = (id(explorer), id(new))
        known = self._added.get(key)
        if known is not None and known[0]() is new:
            return known[1]
        start = int(add(new.pictures, new.label_values))
        _ADDED[explorer] = _ADDED.get(explorer, 0) + len(new.names)
        self._added[key] = (weakref.ref(new), start)
        return start

    def _added_point(self, explorer: Explorer, index: int) -> tuple[Any, int] | None:
        """(new points, j) when ``index`` in ``explorer`` shows new point ``j`` this link added there."""
        for (owner, _), (ref, start) in self._added.items():
            new = ref()
            if owner == id(explorer) and new is not None and 0 <= index - start < len(new.names):
                return new, index - start
        return None

    def _on_item(self, source: Explorer, index: int) -> None:
        added = self._added_point(source, int(index))
        for e in self._live(self._items):
            if e is source:
                continue
            if added is None:
                setattr(e, _item_trait(e), int(index))  # type: ignore[arg-type]
            elif (start := self._start(e, added[0])) is not None:
                setattr(e, _item_trait(e), start + added[1])  # type: ignore[arg-type]
        for m in self._live(self._maps):
            if added is not None:
                if getattr(m, "_new", None) is added[0]:
                    m.new_selected = [added[1]]
            elif len(m.selected) <= 1:
                m.selected = [int(index)]

    @property
    def linked(self) -> bool:
        """Whether the link still updates its explorers."""
        return bool(self._handlers)

    def unlink(self) -> None:
        """Stop updating: the explorers keep what they show and go their own ways."""
        for ref, observer, name in self._handlers:
            explorer = ref()
            if explorer is None:
                continue
            try:
                explorer.unobserve(observer, names=[name])
            except ValueError:  # already removed (e.g. the explorer was closed)
                pass
        self._handlers.clear()

    def __repr__(self) -> str:
        names = ", ".join(type(e).__name__ for e in self.explorers)
        return f"Link({names}; {self.size} items{'' if self.linked else ', unlinked'})"


def link(*explorers: Explorer) -> Link:
    """Link explorers of the same dataset, so that a selection in one shows in the others.

    A t-SNE selection of one point shows that item in the saliency and layer explorers (and any explorer
    with an ``index``); a selection of many makes the layer explorer rank the channels that respond to
    it; picking an item in one view shows it in the others. Works the same from Python
    (``tsne.selected = [7]``).

    Parameters
    ----------
    *explorers : Explorer
        The explorers to link (or one list or tuple of them).

    Returns
    -------
    Link
        The link; ``.unlink()`` undoes it.

    Raises
    ------
    ValueError
        If the explorers hold different numbers of items.
    """
    return Link(*explorers)

