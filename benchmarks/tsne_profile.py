"""Where a t-SNE run's time goes: PCA start, kNN (Annoy), affinities, and the optimisation per frame.

    python benchmarks/tsne_profile.py --n 70000
    python benchmarks/tsne_profile.py --n 10000 --trees 50 20 10

Prints process CPU seconds (the fair measure on a shared machine) and wall seconds of each stage,
the recall of Annoy's neighbours against an exact search (on 500 query points) for each tree count,
and for the optimisation (nbviz's run with ``stop="fixed"``, a frame every 10 iterations, FFT or
Barnes-Hut chosen by timing as nbviz's "auto" does, or FFT throughout with ``--fft-only``) the CPU
time and KL at every 50th iteration, so the cost of an iteration, of nbviz's per-frame work (the
frame copy and callback) and the KL curve can be read off.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tsne import DATA, timed


def recall(X: np.ndarray, neighbours: np.ndarray, k: int, n_queries: int = 500) -> float:
    """Fraction of the exact k nearest neighbours of ``n_queries`` fixed points that ``neighbours`` holds."""
    rng = np.random.default_rng(0)
    queries = rng.choice(len(X), n_queries, replace=False)
    sq = np.einsum("ij,ij->i", X, X)
    hits = 0
    for q in queries:
        d2 = sq - 2 * X @ X[q] + sq[q]
        d2[q] = np.inf
        exact = np.argpartition(d2, k)[:k]
        hits += len(np.intersect1d(exact, neighbours[q, :k]))
    return hits / (n_queries * k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--trees", type=int, nargs="*", default=[50], help="Annoy tree counts to time (openTSNE: 50)")
    parser.add_argument("--iters", type=int, default=750)
    parser.add_argument("--early", type=int, default=125)
    parser.add_argument("--exact", action="store_true", help="also time the exact kNN (scikit-learn, 1 thread) and use it")
    parser.add_argument("--data", choices=tuple(DATA), default="mixture", help="gaussian mixture, noisy digits or swiss roll")
    parser.add_argument("--fft-only", action="store_true", help="FFT throughout (default: nbviz's 'auto', FFT or Barnes-Hut by timing)")
    parser.add_argument("--save", help="write the KL curve (iteration, CPU s, KL of every frame) to this .npz")
    args = parser.parse_args()

    from openTSNE import TSNEEmbedding, initialization
    from openTSNE.affinity import joint_probabilities_nn
    from openTSNE.nearest_neighbors import Annoy, Sklearn

    from nbviz.embedding._adaptive import AdaptiveGradient
    from nbviz.embedding._kl import objective
    from nbviz.embedding._optimize import Phase, gradient_method, run_phases

    X = DATA[args.data][1](args.n)
    k = 90
    print(f"{args.n:,} × {X.shape[1]} {args.data}, k = {k}, 1 thread; CPU s (wall s)")
    w, c, start = timed(lambda: initialization.pca(X, 2, random_state=0))
    print(f"  PCA start: {c:.2f} ({w:.2f})")
    neighbours = distances = None
    for trees in args.trees:
        index = Annoy(X, k, random_state=0, knn_kwargs={"n_trees": trees})
        w, c, (nb, dist) = timed(index.build)
        print(f"  Annoy kNN, {trees} trees: {c:.2f} ({w:.2f}), recall {recall(X, nb, k):.4f}")
        if neighbours is None:
            neighbours, distances = nb, dist
    if args.exact:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            w, c, (neighbours, distances) = timed(Sklearn(X, k, random_state=0).build)
        print(f"  exact kNN (scikit-learn, 1 thread): {c:.2f} ({w:.2f}), recall {recall(X, neighbours, k):.4f}")
    w, c, P = timed(lambda: joint_probabilities_nn(neighbours, distances, [30.0], symmetrize=True, n_jobs=1))
    print(f"  affinities (perplexity 30): {c:.2f} ({w:.2f}), nnz {P.nnz:,}")

    from openTSNE.affinity import Affinities

    affinities = Affinities()
    affinities.P = P
    method = gradient_method(args.n)
    chooser = AdaptiveGradient(args.n) if method == "fft" and not args.fft_only else None
    negative = chooser if chooser is not None else objective(method, args.n)
    embedding = TSNEEmbedding(start, affinities, negative_gradient_method=negative, n_jobs=1, random_state=0)
    marks: list[tuple[int, float, float]] = []
    cpu0 = time.process_time()

    curve: list[tuple[int, float, float]] = []

    def mark(iteration: int, kl: float, positions: np.ndarray) -> None:
        curve.append((iteration, time.process_time() - cpu0, kl))
        if iteration % 50 == 0 or (iteration - args.early) % 50 == 0:
            marks.append((iteration, time.process_time() - cpu0, kl))

    phases = [Phase(args.early, 12.0, 0.8), Phase(args.iters - args.early, 1.0, 0.8)]
    w, c, frames = timed(lambda: run_phases(embedding, phases, snapshot_every=10, callback=mark))
    print(f"  optimisation ({method}), {args.early} + {args.iters - args.early} iterations: {c:.2f} ({w:.2f}), "
          f"{c / args.iters * 1000:.1f} ms/iteration; final KL {frames.kl[-1]:.4f}")
    final = frames.kl[-1]
    if chooser is not None:
        print(f"  gradient method from evaluation: {chooser.switches}, last timings (s): {chooser.cost}")
    if args.save:
        np.savez(args.save, curve=np.array(curve))
    for iteration, cpu, kl in marks:
        print(f"    iteration {iteration:4d}: {cpu:7.2f} s  KL {kl:.4f} ({kl / final - 1:+.2%} of the final)")


if __name__ == "__main__":
    main()
