"""Activation maximisation: 16 channels optimised in one batch vs one by one (shapes zoo model).

    nice -n 10 python benchmarks/featurevis.py [--quick]

Both paths run the same nbviz code (per-image seeds make the results equal); the ratio shows what
batching buys on this machine. Times are the median of ``--repeats`` interleaved runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="4 channels × 32 steps")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--layer", default="features.8")
    args = parser.parse_args()
    channels, steps = (4, 32) if args.quick else (16, 256)

    from nbviz import zoo
    from nbviz.featurevis import maximize

    model = zoo.shapes_cnn().model
    units = list(range(channels))
    maximize(model, args.layer, units[:2], steps=2, size=32)  # warm-up
    batched, single = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        together = maximize(model, args.layer, units, steps=steps, size=32)
        batched.append(time.perf_counter() - start)
        start = time.perf_counter()
        alone = [maximize(model, args.layer, u, steps=steps, size=32) for u in units]
        single.append(time.perf_counter() - start)
    diff = max(float(np.abs(a.images[0] - together.images[i]).max()) for i, a in enumerate(alone))
    b, s = statistics.median(batched), statistics.median(single)
    print(f"activation maximisation, shapes_cnn {args.layer}, {channels} channels × {steps} steps at 32×32 (fft, jitter+scale+rotate)")
    print(f"  one batch  : {b:8.2f} s  ({b / steps * 1000:.1f} ms/step)")
    print(f"  one by one : {s:8.2f} s")
    print(f"  ratio one-by-one / batched: {s / b:.2f}×   max |image difference|: {diff:.2e}")


if __name__ == "__main__":
    main()
