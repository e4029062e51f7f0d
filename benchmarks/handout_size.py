"""Handout size of a t-SNE explorer: 10,000 points (digits, tiled with jitter, 8×8 thumbnails), 75 snapshots
(750 iterations, one every 10), small multiples at the default perplexities and the snap-to-grid layout,
all precomputed; also the time snap_to_grid takes for 1,797 and 3,000 points.

    python benchmarks/handout_size.py [--points N] [--quick]

Target: the whole handout page (scripts inlined, widget state embedded) well under 25 MB.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
import nbviz
from nbviz.embedding import snap_to_grid


def data(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` digits (repeated, with a little pixel noise so no two points coincide): X, labels, images."""
    digits = nbviz.datasets.digits()
    rng = np.random.default_rng(0)
    index = np.arange(n) % len(digits.images)
    images = np.clip(digits.images.numpy()[index] + rng.normal(scale=0.03, size=(n, 1, 8, 8)), 0, 1).astype(np.float32)
    return images.reshape(n, -1), digits.labels.numpy()[index], images


def grid_times() -> None:
    digits = nbviz.datasets.digits()
    X = digits.images.reshape(len(digits.images), -1).numpy()
    Y = nbviz.embedding.tsne(X, n_iter=300).embedding
    rng = np.random.default_rng(0)
    for n in (1797, 3000):
        points = Y if n == len(Y) else np.concatenate([Y, Y[: n - len(Y)] + rng.normal(scale=0.5, size=(n - len(Y), 2))])
        start = time.perf_counter()
        layout = snap_to_grid(points)
        print(f"snap_to_grid: {n:,} points onto {layout.shape[0]}×{layout.shape[1]} in {time.perf_counter() - start:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="fewer small-multiple iterations, no grid timings")
    args = parser.parse_args()
    X, labels, images = data(args.points)
    start = time.perf_counter()
    e = nbviz.TSNEExplorer(X, labels, images=images, n_iter=750, snapshot_every=10)
    e.wait(3600)
    print(f"t-SNE of {args.points:,} points, {len(e.iterations)} snapshots: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    e.precompute(multiples_iter=150 if args.quick else 300, timeout=3600)
    print(f"precompute (small multiples at {e.multiple_perplexities}, grid): {time.perf_counter() - start:.1f} s")

    from ipywidgets.embed import embed_data

    state = embed_data(views=[e], drop_defaults=False)["manager_state"]
    state_bytes = len(json.dumps(state, separators=(",", ":")).encode())
    parts = {name: getattr(e, name).nbytes for name in ("handout_frames", "thumbnails", "multiples", "grid_positions", "positions")}
    with tempfile.TemporaryDirectory() as tmp:
        page = e.save_html(Path(tmp) / "tsne.html", precompute=False)
        page_bytes = page.stat().st_size
    print("raw arrays: " + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in parts.items()))
    print(f"serialised widget state (embed_data, JSON + base64): {state_bytes / 1e6:.2f} MB")
    print(f"handout page (save_html, scripts inlined): {page_bytes / 1e6:.2f} MB (target < 25 MB)")
    e.close()
    if not args.quick:
        grid_times()


if __name__ == "__main__":
    main()
