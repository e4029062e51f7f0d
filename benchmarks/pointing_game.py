"""Pointing-game accuracy on the shapes dataset for every attribution method, for a trained zoo model
(the shapes CNN, or with ``--model shapes_vit`` the hybrid vision transformer, whose methods add
attention rollout) and for a randomised copy (every layer re-initialised), as mean ± sd over seeds.
Prints the markdown table of the README.

    nice -n 10 python benchmarks/pointing_game.py [n_images] [--seeds 5] [--model shapes_cnn|shapes_vit] [--methods ...]

Seed s draws its own images, ``shapes(n_images, seed=1 + s)`` (seed 1 is not the training seed),
and its own randomised copy (``torch.manual_seed(s)`` before re-initialising). The pointing game
(Zhang et al. 2018) counts an image as a hit when the map's maximum lies inside the object mask. A
map that ignores the weights cannot beat the share of the image the objects cover; the "object
area" row gives that chance level. The "trained − randomised" column is the mean ± sd over seeds of
the per-seed difference: a method passes the model-randomisation sanity check (Adebayo et al.
2018) when it is clearly positive.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch

import nbviz
from nbviz.prediction import predict


def randomised(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """A deep copy with every layer re-initialised (Adebayo et al.'s full randomisation)."""
    copy_ = copy.deepcopy(model)
    torch.manual_seed(seed)
    for module in copy_.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
    return copy_.eval()


def occlusion_maps(model, images, target, window=8, stride=4):
    """Occlusion as a pointing-game method: the drop map of each image (batched per image)."""
    targets = [None] * len(images) if target is None else [int(t) for t in target]
    return np.stack([nbviz.occlusion(model, x, t, window=window, stride=stride).drop_map for x, t in zip(images, targets)])


def scores_for_seed(trained: torch.nn.Module, methods: list[str], n: int, seed: int) -> dict[str, tuple[float, float]]:
    """method → (trained, randomised) pointing-game accuracy on seed ``seed``'s images."""
    data = nbviz.datasets.shapes(n, seed=1 + seed)
    models = (trained, randomised(trained, seed))
    out = {}
    for method in methods:
        how = occlusion_maps if method == "occlusion" else method
        # the true class is the target for both models, so both explain the same thing
        out[method] = tuple(nbviz.pointing_game(how, m, data.images, data.masks, target=data.labels) for m in models)
    out["area"] = (float(data.masks.float().mean()),) * 2
    return out


def spread(values: np.ndarray) -> str:
    return f"{values.mean():.2f} ± {values.std(ddof=1):.2f}" if len(values) > 1 else f"{values.mean():.2f}"


def main(n: int = 100, seeds: int = 5, model_name: str = "shapes_cnn", methods: list[str] | None = None) -> None:
    trained = getattr(nbviz.zoo, model_name)()
    model = trained.model.eval()
    if methods is None:
        attention = ["attention_rollout"] if model_name == "shapes_vit" else []
        methods = [*nbviz.SALIENCY_METHODS, *attention, "occlusion"]
    start = time.perf_counter()
    runs = [scores_for_seed(model, methods, n, s) for s in range(seeds)]
    seconds = time.perf_counter() - start
    accuracy = np.mean([(predict(model, nbviz.datasets.shapes(n, seed=1 + s).images).predicted
                         == nbviz.datasets.shapes(n, seed=1 + s).labels.numpy()).mean() for s in range(seeds)])
    print(f"Pointing game on nbviz.datasets.shapes({n}, seed=1 + s), s = 0…{seeds - 1}, target = true class, "
          f"mean ± sd over the {seeds} seeds; trained {model_name} test accuracy {trained.accuracy:.2f} "
          f"(here {accuracy:.2f}); {seconds:.0f} s.\n")
    print("| method | trained | randomised | trained − randomised |")
    print("|---|---:|---:|---:|")
    for method in methods:
        a, b = (np.array([run[method][i] for run in runs]) for i in (0, 1))
        label = "occlusion (window 8, stride 4)" if method == "occlusion" else method
        print(f"| {label} | {spread(a)} | {spread(b)} | {spread(a - b)} |")
    area = np.array([run["area"][0] for run in runs])
    print(f"| *object area (chance)* | {spread(area)} | {spread(area)} | |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n_images", type=int, nargs="?", default=100)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--model", default="shapes_cnn", choices=["shapes_cnn", "shapes_vit"])
    parser.add_argument("--methods", nargs="+", default=None, help="default: every method (and occlusion)")
    args = parser.parse_args()
    main(args.n_images, args.seeds, args.model, args.methods)
