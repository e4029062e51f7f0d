"""Bring your own model: every compute entry point and every explorer on architectures nbviz was not
built on. Each cell either works with a checked, non-constant result, or refuses with a clear message
that names the argument and what is unsupported ("x: ...", "layer: ..."): never a raw torch error.

Models use random weights at small input sizes (nothing is downloaded); the table of outcomes is
printed (``pytest -s``) so a reader sees what works where."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

import nbviz

CLEAR = re.compile(r"^[a-z_]+(\[[^\]]*\])?: ")  # the house style: the argument, then what was expected
OUTCOMES: dict[tuple[str, str], str] = {}


class DictNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.features(x)
        return {"hidden": h, "logits": self.head(h.mean((2, 3)))}


class TwoInputNet(DictNet):
    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:  # type: ignore[override]
        h = self.features(x) * (1 if mask is None else mask)
        return {"logits": self.head(h.mean((2, 3)))}


def _vit() -> nn.Module:
    model = torchvision.models.vit_b_16(weights=None, image_size=32, num_classes=10)
    nn.init.normal_(model.heads.head.weight, std=0.5)  # torchvision starts the head at zero
    return model


MODELS: dict[str, tuple[Callable[[], nn.Module], tuple[int, ...]]] = {
    "resnet50": (lambda: torchvision.models.resnet50(weights=None, num_classes=10), (3, 32, 32)),
    "convnext_tiny": (lambda: torchvision.models.convnext_tiny(weights=None, num_classes=10), (3, 32, 32)),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(weights=None, num_classes=10), (3, 32, 32)),
    "densenet121": (lambda: torchvision.models.densenet121(weights=None, num_classes=10), (3, 32, 32)),
    "vit_b_16": (_vit, (3, 32, 32)),
    "swin_t": (lambda: torchvision.models.swin_t(weights=None, num_classes=10), (3, 64, 64)),
    "dict_output": (DictNet, (3, 16, 16)),
    "two_inputs": (lambda: nbviz.adapt(TwoInputNet(), forward_kwargs={"mask": torch.ones(1, 1, 16, 16)}), (3, 16, 16)),
    "float64": (lambda: DictNet().double(), (3, 16, 16)),
    "conv1d": (lambda: nn.Sequential(nn.Conv1d(2, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(4), nn.Flatten(), nn.Linear(32, 10)), (2, 40)),
    "tabular_mlp": (lambda: nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 10)), (12,)),
}
IMAGES = {name for name, (_, shape) in MODELS.items() if len(shape) == 3}


@pytest.fixture(scope="module", params=list(MODELS))
def case(request):
    torch.manual_seed(0)
    build, shape = MODELS[request.param]
    model = build().eval()
    x = torch.rand(6, *shape, generator=torch.Generator().manual_seed(1))
    y = torch.arange(6) % 10
    return request.param, model, x, y


def _layer(model: nn.Module, x: torch.Tensor) -> str:
    """A middle layer with maps (or the first with an output, for non-images)."""
    from nbviz.layers.channels import layouts

    tree = nbviz.layer_tree(model, x[:1])
    found = layouts(model, tree)
    spatial = [i.name for i in tree if i.is_leaf and i.name in found and found[i.name].spatial]
    if spatial:
        return spatial[len(spatial) // 2]
    return next(i.name for i in tree if i.is_leaf)


def _check(name: str, what: str, call: Callable[[], Any], check: Callable[[Any], bool]) -> None:
    try:
        result = call()
    except (ValueError, TypeError) as error:
        message = str(error)
        OUTCOMES[(name, what)] = f"refused: {message[:70]}"
        assert CLEAR.match(message), f"{name} / {what}: unclear refusal {type(error).__name__}: {message}"
        assert "mat1 and mat2" not in message and "Expected 4D" not in message, f"{name} / {what}: a raw torch error"
        return
    assert check(result), f"{name} / {what}: a constant or malformed result"
    OUTCOMES[(name, what)] = "ok"


def varies(a: Any) -> bool:
    a = np.asarray(a, dtype=np.float64)
    return bool(np.isfinite(a).all() and a.size > 0 and np.ptp(a) > 0)


def test_compute_entry_points(case):
    name, model, x, y = case
    layer = _layer(model, x)
    _check(name, "layer_tree", lambda: nbviz.layer_tree(model, x[:1]), lambda t: len(t) > 1)
    _check(name, "activations", lambda: nbviz.activations(model, x, layer)[layer], varies)
    _check(name, "activation_stats", lambda: nbviz.activation_stats(model, x, layers=[layer]).mean[layer], varies)
    _check(name, "top_activating", lambda: nbviz.top_activating(model, x, layer, channel=0, k=3).values, lambda v: len(v) == 3)
    _check(name, "extract_features", lambda: nbviz.extract_features(model, x, layer, pool="avg"), varies)
    _check(name, "predict", lambda: nbviz.predict(model, x).probabilities, lambda p: np.allclose(p.sum(1), 1, atol=1e-4))
    for method in ("gradient", "integrated_gradients", "gradcam"):
        options = {"n_steps": 8} if method == "integrated_gradients" else {}
        _check(name, f"saliency {method}", lambda method=method, options=options: nbviz.saliency(model, x[:2], method=method, **options),
               lambda r: varies(r.maps) or bool(r.notes))
    _check(name, "occlusion", lambda: nbviz.occlusion(model, x[0], window=8, stride=8).drop_map, lambda m: np.isfinite(m).all())
    ce = nn.CrossEntropyLoss()
    # finite, not necessarily varying: a random EfficientNet's logits are ~1e-14 everywhere near its weights
    _check(name, "landscape.plane", lambda: nbviz.landscape.plane(model, ce, (x, y), resolution=3, preview=None).loss,
           lambda loss: loss.shape == (3, 3) and np.isfinite(loss).all())
    size = x.shape[-1] if x.ndim == 4 else None
    _check(name, "featurevis.maximize", lambda: nbviz.featurevis.maximize(model, layer, units=[0], steps=3, size=size).images,
           lambda i: np.isfinite(i).all())
    if name == "vit_b_16":
        _check(name, "attention_rollout", lambda: nbviz.attention_rollout(model, x[:2]), varies)


def _explorers(model: nn.Module, x: torch.Tensor, y: torch.Tensor, layer: str) -> dict[str, Callable[[], Any]]:
    ce = nn.CrossEntropyLoss()
    return {
        "LayerExplorer": lambda: nbviz.LayerExplorer(model, x),
        "SaliencyExplorer": lambda: nbviz.SaliencyExplorer(model, x[:2], methods=["gradient", "gradcam"]),
        "OcclusionExplorer": lambda: nbviz.OcclusionExplorer(model, x[:1], window=8, stride=8),
        "PredictionExplorer": lambda: nbviz.PredictionExplorer(model, x, y),
        "TSNEExplorer": lambda: nbviz.TSNEExplorer((model, x, layer), n_iter=50),
        "LandscapeExplorer": lambda: nbviz.LandscapeExplorer(model, ce, (x, y), resolution=5, preview=None),
        "FeatureVisExplorer": lambda: nbviz.FeatureVisExplorer(model, x, layer=layer, units=[0], steps=3),
        "explore": lambda: nbviz.explore(model, (x, y), n_iter=50),
    }


def test_explorers(case):
    name, model, x, y = case
    layer = _layer(model, x)
    for what, build in _explorers(model, x, y, layer).items():
        def made(build=build):
            explorer = build()
            parts = getattr(explorer, "explorers", (explorer,))
            for part in parts:
                part.wait(180)
            errors = [f"{type(p).__name__}: {p.error}" for p in parts if p.error]
            for part in parts:
                part.close()
            if errors:  # shown in the widget: it must be as clear as a raised error
                raise ValueError(errors[0].split(": ", 1)[1])
            return True

        _check(name, what, made, bool)


def test_print_the_table():
    """The outcome table (run with -s to read it)."""
    for (model, what), outcome in sorted(OUTCOMES.items()):
        print(f"{model:>16} | {what:<32} | {outcome}")
