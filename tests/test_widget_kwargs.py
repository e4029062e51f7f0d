"""Typos are refused: every explorer raises ``TypeError`` for an unknown keyword argument, naming the
closest parameter or trait (``Explorer.__new__`` in nbviz/widgets/_base.py), before any work starts.

Before, ``TSNEExplorer(X, perplexty=10)`` built an explorer with the default perplexity and only a hidden
DeprecationWarning from traitlets said that ``perplexty`` was dropped."""

import importlib
import inspect
import pkgutil
import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import nbviz
import nbviz.widgets
from nbviz.widgets._base import Explorer


class Counting(nn.Module):
    """A small CNN (1×8×8 → 3 classes) that counts its forward calls."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 8 * 8, 3))
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.head(self.features(x))


def arguments(name, model, x, y):
    """The positional arguments a user would give explorer ``name``."""
    return {
        "PredictionExplorer": (model, x, y),
        "LayerExplorer": (model, x, y),
        "SaliencyExplorer": (model, x, y),
        "OcclusionExplorer": (model, x),
        "TSNEExplorer": ((model, x, "features.1"), y),
        "LandscapeExplorer": (model, nn.functional.cross_entropy, (x, y)),
        "FeatureVisExplorer": (model, x),
        "WatchExplorer": (model, (x, y)),
    }[name]


# explorer → (typo of a constructor parameter, its fix), (typo of a trait, its fix)
TYPOS = {
    "PredictionExplorer": [("max_imags", "max_images"), ("zom", "zoom")],
    "LayerExplorer": [("max_input", "max_inputs"), ("colormpa", "colormap")],
    "SaliencyExplorer": [("method", "methods"), ("taget", "target")],
    "OcclusionExplorer": [("windw", "window"), ("strid", "stride")],
    "TSNEExplorer": [("perplexty", "perplexity"), ("colour_by", "color_by")],
    "LandscapeExplorer": [("resolutoin", "resolution"), ("log_scal", "log_scale")],
    "FeatureVisExplorer": [("n_member", "n_members"), ("blur_evry", "blur_every")],
    "WatchExplorer": [("buget", "budget"), ("frme", "frame")],
}


def all_explorers():
    for info in pkgutil.iter_modules(nbviz.widgets.__path__):
        importlib.import_module(f"nbviz.widgets.{info.name}")
    found, stack = set(), [Explorer]
    while stack:
        for sub in stack.pop().__subclasses__():
            found.add(sub)
            stack.append(sub)
    return {cls.__name__: cls for cls in found if cls.__module__.startswith("nbviz.")}


def test_every_explorer_is_checked_here():
    assert set(all_explorers()) == set(TYPOS)


@pytest.mark.parametrize("name", sorted(TYPOS))
def test_a_typo_is_refused_with_the_closest_name_before_any_work(name):
    from ipywidgets.widgets.widget import _instances

    cls = all_explorers()[name]
    model, x, y = Counting().eval(), torch.rand(6, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1, 2])
    open_before = len(_instances)
    for typo, meant in TYPOS[name]:
        assert meant in cls.class_trait_names() or meant in inspect.signature(cls.__init__).parameters
        message = f"{name}() got an unexpected keyword argument '{typo}'; did you mean '{meant}'?"
        with pytest.raises(TypeError, match=re.escape(message)):
            cls(*arguments(name, model, x, y), **{typo: 1})
    assert model.calls == 0 and len(_instances) == open_before  # no forward pass, no widget opened


def test_tsne_perplexty():
    X = np.random.default_rng(0).normal(size=(40, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="did you mean 'perplexity'"):
            nbviz.TSNEExplorer(X, perplexty=10)


def test_no_suggestion_when_nothing_is_close_and_widget_keywords_still_work():
    X = np.random.default_rng(0).normal(size=(40, 5))
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'zzzzzz'$"):
        nbviz.TSNEExplorer(X, zzzzzz=1)
    explorer = nbviz.TSNEExplorer(X, perplexity=5, run=False, layout={"width": "320px"}, tooltip="map")
    assert explorer.perplexity == 5 and explorer.layout.width == "320px" and explorer.tooltip == "map"
    explorer.close()
