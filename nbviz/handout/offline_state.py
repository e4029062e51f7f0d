"""Widget state a handout can render with nothing fetched: widgets whose front end is not inlined become notes.

A handout inlines the static widget manager, which has ipywidgets' own modules built in, and the AMD
modules of :func:`nbviz.handout.assets.amd_module_sources` (anywidget, so nbviz's explorers). For any
other module (a third-party widget library) the manager asks require.js, which falls back to fetching
``https://cdn.jsdelivr.net/npm/<module>@<version>/dist/index.js`` and running it: a page that should be
offline would load and run code from the network. :func:`offline_state` replaces each such model by an
HTML widget that says what was left out; the model keeps its id, so boxes that hold it still render.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from .assets import amd_module_sources

__all__ = ["BUILT_IN_MODULES", "OMITTED_CLASS", "offline_modules", "offline_state", "omitted_models"]

#: Modules the static widget manager (``@jupyter-widgets/html-manager``) has built in.
BUILT_IN_MODULES = frozenset({"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"})
#: CSS class of the note that stands in for a left-out widget.
OMITTED_CLASS = "nbviz-handout-omitted"


def offline_modules() -> frozenset[str]:
    """Every widget module a handout renders without the network: built in or inlined by nbviz."""
    return BUILT_IN_MODULES | frozenset(amd_module_sources())


def _modules(model: Mapping[str, Any]) -> set[str]:
    """The JavaScript modules a model in manager state needs: its model's and its view's."""
    state = model.get("state") or {}
    return {m for m in (model.get("model_module"), state.get("_model_module"), state.get("_view_module")) if m}


def omitted_models(state: Mapping[str, Any]) -> dict[str, str]:
    """Model id → ``module ModelName`` for each model in manager ``state`` a handout cannot render offline."""
    allowed = offline_modules()
    return {
        model_id: f"{' '.join(sorted(_modules(model) - allowed))} {model.get('model_name', '')}".strip()
        for model_id, model in (state.get("state") or {}).items()
        if _modules(model) - allowed
    }


def _note(what: str) -> dict[str, Any]:
    """Manager state of an ipywidgets HTML widget saying that ``what`` was left out."""
    from ipywidgets import HTML

    text = (
        f"<em>Not shown in this handout: a <code>{html.escape(what)}</code> widget. Its front end is not part of "
        "the page, and a handout loads nothing from the network.</em>"
    )
    versions = {name: HTML.class_traits()[name].default_value for name in ("_model_module_version", "_view_module_version")}
    return {
        "model_name": "HTMLModel",
        "model_module": "@jupyter-widgets/controls",
        "model_module_version": versions["_model_module_version"],
        "state": {
            "_model_name": "HTMLModel", "_model_module": "@jupyter-widgets/controls",
            "_view_name": "HTMLView", "_view_module": "@jupyter-widgets/controls",
            **versions, "_dom_classes": [OMITTED_CLASS], "value": text,
        },
    }


def offline_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of widget manager ``state`` in which every model a handout cannot render offline is a note."""
    omitted = omitted_models(state)
    models = dict(state.get("state") or {})
    for model_id, what in omitted.items():
        models[model_id] = _note(what)
    return {**state, "state": models}
