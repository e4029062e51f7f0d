"""Where exact occlusion spends its time: per node of the traced graph, seconds in the incremental
engine (boxes or whole tensors, plus the box reads and materialisations it does) against the same
layer in Captum-style full forwards of occluded copies.

resnet18 (or ``--model``), 224², window 16, stride 8, the level/batch schedule ``occlusion`` uses.
Prints the top nodes by engine time with their state kind (box/full) and box share, the totals for
reads and materialisations, and the plain forward's time per module for the same 729 windows.
Usage: ``flock /tmp/nbviz-bench.lock nice -n 5 python benchmarks/occlusion_profile.py [--model resnet18]``
"""

from __future__ import annotations

import argparse
import collections
import os
import time
from typing import Any

import torch
from occlusion import build, smooth_image


def profile_engine(model: torch.nn.Module, x: torch.Tensor, window: int, stride: int) -> None:
    from nbviz.attribution import _occlusion_grid as grid, incremental
    from nbviz.attribution.occlusion import EXACT_FULL_FRACTION

    engine = incremental.IncrementalEngine(model, x[None], full_fraction=EXACT_FULL_FRACTION)
    spent: dict[str, float] = collections.defaultdict(float)
    kinds: dict[str, str] = {}
    stack: list[float] = []

    def wrap(name: str, per_node: bool) -> None:
        original = getattr(engine, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            stack.append(0.0)
            start = time.perf_counter()
            out = original(*args, **kwargs)
            took = time.perf_counter() - start
            inner = stack.pop()
            if stack:
                stack[-1] += took
            key = args[0].name if per_node else f"{name} {args[0].name}→{args[5].name if name == '_read' else ''}"
            spent[key] += took - inner  # own time: reads and materialisations are counted apart
            if per_node:
                kinds[key] = type(out).__name__
            return out

        setattr(engine, name, timed)

    for name in ("_window", "_pointwise", "_full"):
        wrap(name, True)
    for name in ("_read", "_materialise"):
        wrap(name, False)

    oy, ox = grid.origins(x.shape[-2], window, stride), grid.origins(x.shape[-1], window, stride)
    base = torch.zeros_like(x)[None]
    flat = torch.arange(len(oy) * len(ox))
    rows, cols = flat // len(ox), flat % len(ox)
    engine.run(*grid.occluded_boxes(x[None], base, torch.tensor(oy[:1]), torch.tensor(ox[:1]), (window, window)))
    batch = max(1, min(512, (256 * 2**20) // (3 * engine.peak_bytes_per_patch)))
    spent.clear()
    start, cpu = time.perf_counter(), time.process_time()
    for chunk in torch.arange(len(flat)).split(batch):
        ys, xs = torch.as_tensor(oy[rows[chunk]]), torch.as_tensor(ox[cols[chunk]])
        engine.run(*grid.occluded_boxes(x[None], base, ys, xs, (window, window)))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"engine: {len(flat)} windows in batches of {batch}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    boxed = engine.boxed
    total = sum(spent.values())
    for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1])[:40]:
        share = next((f"{v:.2f}" for n, v in boxed.items() if n.name == key), "")
        print(f"  {key:32s} {seconds:7.3f} s  {100 * seconds / max(total, 1e-9):5.1f} %  {kinds.get(key, '')} {share}")
    print(f"  (accounted {total:.2f} s)")


def profile_plain(model: torch.nn.Module, x: torch.Tensor, windows: int, batch: int) -> None:
    spent: dict[str, float] = collections.defaultdict(float)
    starts: dict[str, float] = {}
    handles = []
    for name, m in model.named_modules():
        if list(m.children()):
            continue
        handles.append(m.register_forward_pre_hook(lambda m, i, n=name: starts.__setitem__(n, time.perf_counter())))
        handles.append(m.register_forward_hook(lambda m, i, o, n=name: spent.__setitem__(n, spent[n] + time.perf_counter() - starts[n])))
    copies = x[None].expand(batch, -1, -1, -1).contiguous()
    start = time.perf_counter()
    with torch.no_grad():
        for _ in range((windows + batch - 1) // batch):
            model(copies)
    wall = time.perf_counter() - start
    for h in handles:
        h.remove()
    print(f"plain: {windows} windows at batch {batch}: {wall:.2f} s wall")
    for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1])[:30]:
        print(f"  {key:32s} {seconds:7.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--plain", action="store_true", help="also profile plain forwards (batch 32)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}; threads {torch.get_num_threads()}")
    model = build(args.model, 224)
    x = smooth_image(224)
    profile_engine(model, x, 16, 8)
    if args.plain:
        profile_plain(model, x, 729, 32)


if __name__ == "__main__":
    main()
