"""Pointing-game accuracy on the shapes dataset for every attribution method, for the trained
shapes CNN and for a randomised copy (every layer re-initialised). Prints a markdown table.

    python benchmarks/pointing_game.py [n_images]

The pointing game (Zhang et al. 2018) counts an image as a hit when the map's maximum lies inside
the object mask. A map that ignores the weights cannot beat the share of the image the objects
cover; the "object area" row gives that chance level.
"""

from __future__ import annotations

import copy
import sys
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


def main(n: int = 100) -> None:
    trained = nbviz.zoo.shapes_cnn()
    data = nbviz.datasets.shapes(n, seed=1)  # not the training seed
    models = {"trained": trained.model.eval(), "randomised": randomised(trained.model)}
    accuracy = {k: float((predict(m, data.images).predicted == data.labels.numpy()).mean()) for k, m in models.items()}
    methods = [*nbviz.SALIENCY_METHODS, "occlusion"]
    rows = []
    for method in methods:
        scores, seconds = [], 0.0
        for model in models.values():
            start = time.perf_counter()
            how = occlusion_maps if method == "occlusion" else method
            # the true class is the target for both models, so both explain the same thing
            scores.append(nbviz.pointing_game(how, model, data.images, data.masks, target=data.labels))
            seconds += time.perf_counter() - start
        rows.append((method, *scores, seconds))
    area = float(data.masks.float().mean())
    print(f"Pointing game on nbviz.datasets.shapes({n}, seed=1), target = true class; "
          f"trained shapes_cnn test accuracy {trained.accuracy:.2f} (here {accuracy['trained']:.2f}), "
          f"randomised copy {accuracy['randomised']:.2f}.\n")
    print("| method | trained | randomised | seconds (both) |")
    print("|---|---:|---:|---:|")
    for method, a, b, s in rows:
        print(f"| {method} | {a:.2f} | {b:.2f} | {s:.1f} |")
    print(f"| *object area (chance)* | {area:.2f} | {area:.2f} | |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
