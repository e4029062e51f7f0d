"""Capture overhead: every conv layer of torchvision resnet18 captured with nbviz.activations,
against a plain forward pass, with Captum's LayerActivation (and torchlens, when installed) over
the same layers as anchors. All in one process, interleaved, medians printed with ratios.

    python benchmarks/capture_overhead.py [--quick] [--runs N] [--threads N]

Target: nbviz ≤ 1.10 × the plain forward (batch 16, 224×224).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from nbviz.layers import activations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="batch 4 at 112×112, fewer runs")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    batch, size = (4, 112) if args.quick else (16, 224)
    runs = args.runs or (3 if args.quick else 7)

    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    x = torch.randn(batch, 3, size, size)
    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]
    modules = [dict(model.named_modules())[n] for n in names]

    def plain() -> None:
        with torch.no_grad():
            model(x)

    def ours() -> None:
        out = activations(model, x, names)
        assert len(out) == len(names)

    def early() -> None:
        activations(model, x, "layer2.0.conv1")  # the forward stops after this layer

    contenders = {"plain forward": plain, "nbviz.activations": ours, "nbviz, layer2.0.conv1 only": early}
    try:
        from captum.attr import LayerActivation

        captum = LayerActivation(model, modules)
        contenders["captum LayerActivation"] = lambda: captum.attribute(x)
    except ImportError:
        print("captum not installed: skipped")
    try:
        import torchlens
        from torchlens.options import CaptureOptions

        def lens() -> None:
            trace = torchlens.trace(model, x, capture=CaptureOptions(layers_to_save=names, unwrap_when_done=True))
            del trace

        contenders["torchlens.trace"] = lens
    except ImportError:
        print("torchlens not installed: skipped (pip install torchlens)")

    times: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():  # warm-up (torchlens wraps torch functions on first use)
        fn()
    for _ in range(runs):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)

    base = statistics.median(times["plain forward"])
    print(f"resnet18 (weights=None), batch {batch} at {size}×{size}, {len(names)} conv layers, "
          f"median of {runs}, {torch.get_num_threads()} threads")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:24s} {median * 1000:8.1f} ms   ratio to plain {median / base:5.2f}")
    ratio = statistics.median(times["nbviz.activations"]) / base
    print(f"nbviz capture overhead ratio: {ratio:.3f} (target ≤ 1.10)")


if __name__ == "__main__":
    main()
