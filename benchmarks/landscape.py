"""Loss-plane speed: nbviz.landscape.plane vs the best plain forward loop vs loss-landscapes.

A filter-normalised plane (21×21, or 9×9 with ``--quick``) on four models, each evaluated on all of
its data at every point; nbviz picks its data batch size by measurement (``nbviz/_batch_size.py``):

- ``standin``: the ~97k-parameter digits CNN with BatchNorm nbviz's evaluator was tuned on;
- ``cnn``: a small CNN with BatchNorm and dropout, 1,797 sklearn digits (not tuned on);
- ``mlp``: an MLP 30→256→256→2 on 11,380 synthetic tabular rows (``make_classification``; not tuned on);
- ``resnet18``: torchvision resnet18 (``num_classes=10``, random init) on 256 random 32×32 images.

For each model it prints the ratios of every round and, as medians of ``--repeats`` interleaved
rounds (every contender sees the same machine load; each round starts with the next contender):
the best plain loop (``points`` full-data passes in ``torch.inference_mode``, NCHW, at the two batch
sizes whose single passes were fastest among powers of two and the whole set), nbviz's plane, and
``loss_landscapes.random_plane(..., normalization="filter")`` (run as its users call it).
Targets: nbviz / best plain loop ≤ 1.10, nbviz / loss-landscapes ≤ 1.0.

The ``standin`` model also gets (without ``--quick``) the engine-design comparison (functional_call vs
in-place weight writes vs torch.vmap), the 9×9 preview on 512 samples (target < 1 s) and the 51×51
full-data plane (target < 60 s).

Measured 2026-12-06 (21×21, 2 threads, CPU time, medians of 3 rounds, shared machine at load
1.2–2.8), with the plane graph (BatchNorm folded into convs, in-place activations, Linear outputs into
reused buffers; ``nbviz/landscape/graph.py``) and batch-size rechecks: nbviz / best plain loop and
nbviz / loss-landscapes, rounds in brackets: resnet18 0.939 (0.95, 0.93, 0.94) and 0.893 (0.54, 0.91,
0.89); CNN 0.486 (0.56, 0.48, 0.46) and 0.529 (0.61, 0.54, 0.49); MLP (``--repeats 5``) 1.000 (1.49,
1.01, 1.00, 1.01, 1.06) and 0.693 (1.07, 0.67, 0.47, 0.68, 0.74). The MLP's first round was slow in all
three runs (open; three planes in a row alone in one process ran at 0.99, 0.97, 0.91× a plain loop).
On a quiet machine at 58f36ac (load 1.8–1.9, i.e. this benchmark alone), ``--models mlp --repeats 5``: MLP
0.985× the best plain loop (rounds 0.990, 0.952, 1.020, 1.011, 0.982) and 0.682× loss-landscapes (0.676,
0.659, 0.707, 0.696, 0.680), CPU; wall within 0.003. The slow first round did not recur there: it came with
the other engineers' load, not from a first-call cost (four planes in a row in a fresh process: 2.78, 2.81,
2.79, 2.64 s wall).
Before (quiet, load ~1): resnet18 1.113 / 1.012, MLP 1.091 / 1.067, CNN 0.48 / 0.53.

Usage: ``python benchmarks/landscape.py [--quick] [--models cnn,mlp,resnet18,standin] [--repeats 3]
[--only-51] [--threads N]``.
"""

from __future__ import annotations

import argparse
import copy
import logging
import time

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from nbviz.landscape import plane


class DigitsCNN(nn.Module):
    """Stand-in for the zoo's digits CNN: 3 conv-BN-ReLU blocks and a 2-layer head, 97,474 parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(64 * 4 * 4, 40), nn.ReLU(), nn.Linear(40, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def digits_data() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0, torch.tensor(d.target)


def digits_model(x: torch.Tensor, y: torch.Tensor, which: str = "standin") -> tuple[nn.Module, str]:
    """``"zoo"``: the zoo's digits CNN (what the notebooks and the explorer use, ~26k parameters);
    ``"standin"``: the ~97k-parameter DigitsCNN below (the size the speed targets were set on)."""
    if which == "zoo":
        from nbviz.zoo import digits_cnn

        return digits_cnn().model.eval(), "nbviz.zoo.digits_cnn"
    torch.manual_seed(0)
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(3):
        for idx in torch.randperm(len(x)).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    return model.eval(), "DigitsCNN (defined here, trained 3 epochs)"


def best_time(fn, repeats: int, warmup: bool = True) -> float:
    """Fastest of ``repeats`` runs: on a shared machine the minimum is the least disturbed estimate."""
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def forward_time_once(model, loss_fn, x, y, batch_size: int) -> None:
    """One plain pass of the loss over the data, no parameter changes: the throughput limit's unit."""
    with torch.inference_mode():
        for s in range(0, len(x), batch_size):
            loss_fn(model(x[s : s + batch_size]), y[s : s + batch_size]).item()


def engine_designs(model, loss_fn, x, y, points: int = 21) -> dict[str, float]:
    """Seconds per point for the three ways to evaluate many parameter points (full-data batch)."""
    theta = {n: p.detach().clone() for n, p in model.named_parameters()}
    d = {n: torch.randn_like(p) * 0.01 for n, p in theta.items()}
    states = [{n: theta[n] + i * d[n] for n in theta} for i in range(points)]
    work = copy.deepcopy(model)

    def functional():
        with torch.inference_mode():
            for s in states:
                loss_fn(functional_call(model, s, (x,)), y).item()

    def in_place():
        with torch.inference_mode():
            params = dict(work.named_parameters())
            for s in states:
                for n, p in params.items():
                    p.copy_(s[n])
                loss_fn(work(x), y).item()

    def vmapped():
        stacked = {n: torch.stack([s[n] for s in states]) for n in theta}
        buffers = dict(model.named_buffers())
        with torch.no_grad():
            out = torch.vmap(lambda p: functional_call(model, (p, buffers), (x,)), randomness="same")(stacked)
            [loss_fn(o, y).item() for o in out]

    return {name: best_time(fn, 3) / points for name, fn in
            [("functional_call", functional), ("in-place writes", in_place), ("torch.vmap", vmapped)]}


class SmallCNN(nn.Module):
    """A small CNN with BatchNorm and dropout for 8×8 digits (not the model nbviz was tuned on)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int = 2) -> nn.Module:
    """A few epochs of Adam so the plane is around a trained point; returns the model in eval mode."""
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(128):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    return model.eval()


def case(name: str) -> tuple[nn.Module, torch.Tensor, torch.Tensor, str]:
    """``(model, inputs, targets, description)`` of one benchmark model."""
    torch.manual_seed(0)
    if name in ("standin", "zoo"):
        x, y = digits_data()
        model, source = digits_model(x, y, name)
        return model, x, y, f"{source}; {len(x)} digits"
    if name == "cnn":
        x, y = digits_data()
        return train(SmallCNN(), x, y), x, y, f"small CNN with BatchNorm and dropout, trained 2 epochs; {len(x)} digits"
    if name == "mlp":
        from sklearn.datasets import make_classification

        xs, ys = make_classification(n_samples=11_380, n_features=30, n_informative=12, random_state=0)
        x, y = torch.tensor(xs, dtype=torch.float32), torch.tensor(ys)
        model = nn.Sequential(nn.Linear(30, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2))
        return train(model, x, y), x, y, f"MLP 30→256→256→2, trained 2 epochs; {len(x):,} synthetic tabular rows"
    if name == "resnet18":
        import torchvision

        model = torchvision.models.resnet18(weights=None, num_classes=10).eval()
        x, y = torch.randn(256, 3, 32, 32), torch.randint(0, 10, (256,))
        return model, x, y, "torchvision resnet18 (num_classes=10, random init); 256 random 32×32 images"
    raise ValueError(f"unknown model {name!r}")


def pass_sizes(n: int) -> list[int]:
    """Batch sizes the plain loop tries: powers of two from 16 below ``n``, and ``n``."""
    return [b for b in (2**k for k in range(4, 20)) if b < n] + [n]


def best_plain_sizes(model, loss_fn, x, y, rounds: int = 3) -> list[tuple[int, float]]:
    """The two batch sizes with the fastest single plain pass (median of ``rounds`` interleaved passes)."""
    times: dict[int, list[float]] = {b: [] for b in pass_sizes(len(x))}
    forward_time_once(model, loss_fn, x, y, len(x))  # warm-up
    for _ in range(rounds):
        for b in times:
            times[b].append(best_time(lambda b=b: forward_time_once(model, loss_fn, x, y, b), 1, warmup=False))
    return sorted(((b, float(np.median(t))) for b, t in times.items()), key=lambda bt: bt[1])[:2]


def reference_plane(loss_landscapes, model: nn.Module, metric, res: int, normalizations: list[str]) -> None:
    """``random_plane`` with the first normalization in ``normalizations``; if it divides by zero
    (loss-landscapes' 'filter' on a model with an all-zero filter, e.g. resnet18's zero-initialised
    BatchNorm biases) switch to 'layer' for this and later runs (the evaluation cost is the same)."""
    try:
        loss_landscapes.random_plane(model, metric, distance=1, steps=res, normalization=normalizations[0], deepcopy_model=True)
    except ZeroDivisionError:
        normalizations[0] = "layer"
        loss_landscapes.random_plane(model, metric, distance=1, steps=res, normalization="layer", deepcopy_model=True)


def compare(name: str, res: int, repeats: int) -> dict[str, float]:
    """nbviz plane vs the best plain loop vs loss-landscapes on one model; prints and returns the ratios
    (wall and CPU time: with ``--threads 1`` on a shared machine CPU time is the steadier measure)."""
    model, x, y, description = case(name)
    loss_fn = nn.CrossEntropyLoss()
    points = res * res
    n_params = sum(p.numel() for p in model.parameters())
    print(f"\n[{name}] {description}; {n_params:,} parameters; threads: {torch.get_num_threads()}", flush=True)
    sizes = best_plain_sizes(model, loss_fn, x, y)
    print("  fastest single plain passes: " + ", ".join(f"batch {b}: {t * 1e3:.1f} ms" for b, t in sizes))
    try:
        import loss_landscapes
        import loss_landscapes.metrics
    except ImportError:
        loss_landscapes = None
    runs: dict[str, list[tuple[float, float]]] = {f"plain loop, batch {b}": [] for b, _ in sizes}
    runs["nbviz"], runs["loss-landscapes"] = [], []
    results, normalizations = [], ["filter"]
    contenders = [(f"plain loop, batch {b}", lambda b=b: [forward_time_once(model, loss_fn, x, y, b) for _ in range(points)])
                  for b, _ in sizes]
    contenders.append(("nbviz", lambda: results.append(plane(model, loss_fn, (x, y), resolution=res, progress=False))))
    if loss_landscapes is not None:
        metric = loss_landscapes.metrics.Loss(loss_fn, x, y)
        contenders.append(("loss-landscapes", lambda: reference_plane(loss_landscapes, model, metric, res, normalizations)))
    for r in range(repeats):  # interleaved, each round in a rotated order (no contender always first under drifting load)
        shift = r % len(contenders)
        for key, fn in contenders[shift:] + contenders[:shift]:
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            runs[key].append((time.perf_counter() - wall, time.process_time() - cpu))
    assert np.isfinite(results[-1].loss).all()
    if normalizations[0] != "filter":
        print("  loss-landscapes: normalization='filter' divides by zero on this model (a zero filter); timed with 'layer'")
    print("  per round, CPU (wall): nbviz / best plain loop of the round; nbviz / loss-landscapes")
    for r in range(repeats):
        ours = runs["nbviz"][r]
        plain = [min(v[r][i] for k, v in runs.items() if k.startswith("plain")) for i in (0, 1)]
        line = f"    round {r + 1}: {ours[1] / plain[1]:.3f} ({ours[0] / plain[0]:.3f})"
        if runs["loss-landscapes"]:
            theirs = runs["loss-landscapes"][r]
            line += f";  {ours[1] / theirs[1]:.3f} ({ours[0] / theirs[0]:.3f})"
        print(line)
    med = {k: (float(np.median([w for w, _ in v])), float(np.median([c for _, c in v]))) for k, v in runs.items() if v}
    print(f"  {res}×{res} plane, all {len(x):,} samples per point, medians of {repeats} interleaved runs (wall, CPU):")
    for k, (w, c) in med.items():
        print(f"    {k:28s} {w:7.2f} s  {c:7.2f} s CPU")
    ratios = {}
    for i, clock in enumerate(("wall", "CPU")):
        plain = min(v[i] for k, v in med.items() if k.startswith("plain"))
        ratios[f"plain {clock}"] = med["nbviz"][i] / plain
        line = f"  {clock:4s}: nbviz / best plain loop {ratios[f'plain {clock}']:.3f} (target ≤ 1.10)"
        if "loss-landscapes" in med:
            ratios[f"loss-landscapes {clock}"] = med["nbviz"][i] / med["loss-landscapes"][i]
            line += f";  nbviz / loss-landscapes {ratios[f'loss-landscapes {clock}']:.3f} (target ≤ 1.0)"
        print(line, flush=True)
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="9×9 planes; skip the standin's extra sections")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs of each contender; the median counts")
    parser.add_argument("--models", default="cnn,mlp,resnet18,standin", help="comma-separated: cnn, mlp, resnet18, standin, zoo")
    parser.add_argument("--only-51", action="store_true", help="just the 51×51 full-data plane of the standin")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.basicConfig(format="    %(message)s")
    logging.getLogger("nbviz.landscape.evaluate").setLevel(logging.INFO)  # the batch size nbviz chose
    if args.only_51:
        model, x, y, description = case("standin")
        print(f"model: {description}; threads: {torch.get_num_threads()}")
        plane_51(model, nn.CrossEntropyLoss(), x, y)
        return
    res = 9 if args.quick else 21
    summary = {name: compare(name, res, args.repeats) for name in args.models.split(",")}
    print("\nsummary, wall (CPU): nbviz / best plain loop (≤ 1.10), nbviz / loss-landscapes (≤ 1.0)")
    nan = float("nan")
    for name, r in summary.items():
        print(f"  {name:9s} {r['plain wall']:.3f} ({r['plain CPU']:.3f})   "
              f"{r.get('loss-landscapes wall', nan):.3f} ({r.get('loss-landscapes CPU', nan):.3f})")
    if "standin" in summary and not args.quick:
        extras(*case("standin")[:3])


def extras(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    """The standin's engine-design comparison, preview timings and 51×51 plane."""
    loss_fn = nn.CrossEntropyLoss()
    fwd = best_time(lambda: forward_time_once(model, loss_fn, x, y, len(x)), 3)
    print("\nengine design, seconds per point (full-data batch, 21 points)")
    for name, sec in engine_designs(model, loss_fn, x, y).items():
        print(f"  {name:16s} {sec * 1e3:7.1f} ms   ({sec / fwd:.2f} × plain full-data forward)")
    print("\nprogressive results")
    previews = []
    t_prev = best_time(lambda: previews.append(
        plane(model, loss_fn, (x, y), resolution=9, preview=512, preview_then_full=False)), 3, warmup=False)
    assert previews[-1].samples == 512
    print(f"  9×9 preview on 512 samples                      {t_prev:7.2f} s   (target < 1 s)")
    first: list[float] = []
    t0 = time.perf_counter()
    plane(model, loss_fn, (x, y), resolution=21, preview=512,
          on_partial=lambda r, f: first.append(time.perf_counter() - t0) if not first else None)
    print(f"  21×21 with preview: first 9×9 partial after    {first[0]:7.2f} s")
    plane_51(model, loss_fn, x, y)


def plane_51(model, loss_fn, x, y) -> None:
    """51×51 full-data plane, wall and CPU seconds (CPU time is less sensitive to other load), and
    the plain NCHW forward at batch 256 for 51 points, scaled to 2,601."""
    w0, c0 = time.perf_counter(), time.process_time()
    plane(model, loss_fn, (x, y), resolution=51)
    t51, c51 = time.perf_counter() - w0, time.process_time() - c0
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(51):
        forward_time_once(model, loss_fn, x, y, 256)
    scale = 2601 / 51
    tf, cf = (time.perf_counter() - w0) * scale, (time.process_time() - c0) * scale
    print(f"  51×51 at full data                             {t51:7.2f} s wall, {c51:7.2f} s CPU  (target < 60 s; "
          f"{t51 / 2601 * 1e3:.1f} ms per point)")
    print(f"  plain NCHW forwards at batch 256, 2,601 points      {tf:7.2f} s wall, {cf:7.2f} s CPU")


if __name__ == "__main__":
    main()
