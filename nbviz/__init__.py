"""nbviz: see what a deep network has learned, live in the notebook.

Compute functions take a model and tensors and return small result objects of numpy arrays;
explorers are anywidget widgets on top of them. Everything here is imported lazily, so
``import nbviz`` costs little more than ``import torch``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name → module that defines it (a name equal to its module's last part is that module, unless the
# module defines that name: "watch" is the function nbviz.widgets.watch.watch)
_EXPORTS: dict[str, str] = {
    # data and models
    "datasets": "nbviz.datasets",
    "zoo": "nbviz.zoo",
    "render": "nbviz.render",
    "model_guard": "nbviz._guard",
    "adapt": "nbviz.interface",
    "predict": "nbviz.prediction",
    # where dataset-wide and grid jobs run (nbviz.use_ray(address) / nbviz.use_local())
    "use_ray": "nbviz.execution",
    "use_local": "nbviz.execution",
    # layers
    "layer_tree": "nbviz.layers",
    "activations": "nbviz.layers",
    "activation_stats": "nbviz.layers",
    "top_activating": "nbviz.layers",
    "filters": "nbviz.layers",
    "receptive_field": "nbviz.layers",
    # attribution
    "saliency": "nbviz.attribution",
    "SALIENCY_METHODS": "nbviz.attribution",
    "occlusion": "nbviz.attribution",
    "pointing_game": "nbviz.attribution",
    "randomization_check": "nbviz.attribution",
    "attention_maps": "nbviz.attribution",
    "attention_rollout": "nbviz.attribution",
    # embedding
    "extract_features": "nbviz.embedding",
    "pca": "nbviz.embedding",
    "tsne": "nbviz.embedding",
    "TSNESession": "nbviz.embedding",
    "trustworthiness": "nbviz.embedding",
    "knn_preservation": "nbviz.embedding",
    # loss landscape (a namespace: nbviz.landscape.plane(...))
    "landscape": "nbviz.landscape",
    # feature visualisation (a namespace: nbviz.featurevis.maximize(...))
    "featurevis": "nbviz.featurevis",
    # explorers
    "PredictionExplorer": "nbviz.widgets.predictions",
    "LayerExplorer": "nbviz.widgets.layers",
    "SaliencyExplorer": "nbviz.widgets.saliency",
    "OcclusionExplorer": "nbviz.widgets.occlusion",
    "TSNEExplorer": "nbviz.widgets.tsne",
    "LandscapeExplorer": "nbviz.widgets.landscape",
    "FeatureVisExplorer": "nbviz.widgets.featurevis",
    "WatchExplorer": "nbviz.widgets.watch",
    "watch": "nbviz.widgets.watch",  # the function nbviz.watch(model, probe), not the module
    # offline handouts (a page for several explorers; one explorer: explorer.save_html(path))
    "save_html": "nbviz.handout",
    "handout": "nbviz.handout",
    # linked explorers
    "link": "nbviz.widgets.linking",
    "Link": "nbviz.widgets.linking",
    "explore": "nbviz.widgets.explored",
    "Explored": "nbviz.widgets.explored",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'nbviz' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = getattr(module, name, module) if module_name.rsplit(".", 1)[-1] == name else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and IDEs; never executed. `x as x`: a re-export (tests/test_import.py checks all)
    from . import (
        datasets as datasets,
        featurevis as featurevis,
        handout as handout,
        landscape as landscape,
        render as render,
        zoo as zoo,
    )
    from ._guard import model_guard as model_guard
    from .attribution import (
        SALIENCY_METHODS as SALIENCY_METHODS,
        attention_maps as attention_maps,
        attention_rollout as attention_rollout,
        occlusion as occlusion,
        pointing_game as pointing_game,
        randomization_check as randomization_check,
        saliency as saliency,
    )
    from .embedding import (
        TSNESession as TSNESession,
        extract_features as extract_features,
        knn_preservation as knn_preservation,
        pca as pca,
        trustworthiness as trustworthiness,
        tsne as tsne,
    )
    from .execution import (
        use_local as use_local,
        use_ray as use_ray,
    )
    from .handout import save_html as save_html
    from .interface import adapt as adapt
    from .layers import (
        activation_stats as activation_stats,
        activations as activations,
        filters as filters,
        layer_tree as layer_tree,
        receptive_field as receptive_field,
        top_activating as top_activating,
    )
    from .prediction import predict as predict
    from .widgets.explored import (
        Explored as Explored,
        explore as explore,
    )
    from .widgets.featurevis import FeatureVisExplorer as FeatureVisExplorer
    from .widgets.landscape import LandscapeExplorer as LandscapeExplorer
    from .widgets.layers import LayerExplorer as LayerExplorer
    from .widgets.linking import (
        Link as Link,
        link as link,
    )
    from .widgets.occlusion import OcclusionExplorer as OcclusionExplorer
    from .widgets.predictions import PredictionExplorer as PredictionExplorer
    from .widgets.saliency import SaliencyExplorer as SaliencyExplorer
    from .widgets.tsne import TSNEExplorer as TSNEExplorer
    from .widgets.watch import (
        WatchExplorer as WatchExplorer,
        watch as watch,
    )
