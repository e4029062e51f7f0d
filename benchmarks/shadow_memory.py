"""What the model's shadow costs (nbviz/_shadow.py): memory added per model and time per guarded block,
on torchvision models built with random weights (nothing is downloaded). The anchor is the model's own
weights: a shadow must add a small fraction of them, never a copy.

    python benchmarks/shadow_memory.py [--models resnet50 vit_b_16 ...]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from nbviz._guard import model_guard


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def measure(name: str) -> None:
    model = getattr(torchvision.models, name)(weights=None)
    weights = sum(t.numel() * t.element_size() for t in model.state_dict().values()) / 2**20
    gc.collect()
    rss, heap = rss_mb(), tracemalloc.start() or tracemalloc.get_traced_memory()[0]
    with model_guard(model):
        added_heap = (tracemalloc.get_traced_memory()[0] - heap) / 2**20
        added_rss = rss_mb() - rss
    tracemalloc.stop()
    times = []
    for _ in range(20):
        start = time.perf_counter()
        with model_guard(model):
            pass
        times.append(time.perf_counter() - start)
    times.sort()
    modules = sum(1 for _ in model.modules())
    print(
        f"{name:>20}: weights {weights:7.1f} MB | shadow: +{added_heap:5.2f} MB Python objects, "
        f"+{added_rss:5.1f} MB RSS ({100 * added_rss / weights:4.1f}% of the weights) | "
        f"{modules} modules, {1e3 * times[len(times) // 2]:.1f} ms per guarded block (median)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["resnet50", "vit_b_16", "convnext_tiny", "densenet121"])
    args = parser.parse_args()
    torch.set_grad_enabled(True)
    for name in args.models:
        measure(name)


if __name__ == "__main__":
    main()
