"""t-SNE speed: nbviz (frames streamed every 10 iterations) vs plain openTSNE in one call vs scikit-learn.

Also the interactive case: after a run, how long until the first frame at a new perplexity arrives
when the kNN graph is reused (target ≤ 1.0 s on 10,000 points).

    python benchmarks/tsne.py            # 10,000 × 50 gaussian mixture
    python benchmarks/tsne.py --quick    # 2,000 points
    python benchmarks/tsne.py --n 70000  # the big run (scikit-learn skipped above 20,000 unless --sklearn)

Targets: ours ≤ 1.05× openTSNE; ≥ 2× faster than scikit-learn. All engines run with the same
perplexity, iterations (250 early-exaggerated + 500), PCA initialisation and seed; openTSNE and
nbviz with n_jobs threads; scikit-learn's Barnes-Hut gradient uses all cores via OpenMP.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def gaussian_mixture(n: int, d: int = 50, clusters: int = 20, seed: int = 0) -> np.ndarray:
    """``n`` points in ``d`` dimensions from ``clusters`` gaussians of varied spread (fixed seed)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(clusters, d))
    spread = rng.uniform(0.5, 2.0, size=clusters)
    labels = rng.integers(0, clusters, size=n)
    return centres[labels] + spread[labels, None] * rng.normal(size=(n, d))


def timed(fn):
    """(wall seconds, CPU seconds of this process summed over its threads, result)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - start, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="number of points (default 10,000)")
    parser.add_argument("--quick", action="store_true", help="2,000 points")
    parser.add_argument("--jobs", type=int, default=1, help="threads for openTSNE and nbviz (default 1)")
    parser.add_argument("--sklearn", action="store_true", help="run scikit-learn even above 20,000 points")
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--skip-session", action="store_true", help="skip the perplexity-change timing")
    parser.add_argument("--repeats", type=int, default=1, help="alternate ours/openTSNE this many times, keep the best")
    args = parser.parse_args()
    n = 2_000 if args.quick else args.n

    import openTSNE
    from sklearn.manifold import TSNE

    from nbviz.embedding import TSNESession, trustworthiness, tsne

    X = gaussian_mixture(n)
    settings = dict(perplexity=30, seed=0)
    print(f"t-SNE on {n:,} × {X.shape[1]} gaussian mixture, perplexity 30, 250 + 500 iterations, n_jobs={args.jobs}")

    warm = gaussian_mixture(500, seed=1)  # first-call costs (imports, allocator, thread pools) out of the timings
    tsne(warm, n_iter=20, early_iter=10, n_jobs=args.jobs)
    openTSNE.TSNE(n_iter=10, early_exaggeration_iter=10, n_jobs=args.jobs).fit(warm)

    ours_times, ref_times = [], []
    for _ in range(args.repeats):
        *t, ours = timed(lambda: tsne(X, n_iter=750, early_iter=250, exaggeration=12, snapshot_every=10, n_jobs=args.jobs, **settings))
        ours_times.append(t)
        *t, ref = timed(
            lambda: openTSNE.TSNE(
                perplexity=30, n_iter=500, early_exaggeration_iter=250, early_exaggeration=12, random_state=0, n_jobs=args.jobs
            ).fit(X)
        )
        ref_times.append(t)
    (w_ours, c_ours), (w_ref, c_ref) = np.min(ours_times, axis=0), np.min(ref_times, axis=0)
    print(f"  (best of {args.repeats}; wall and process CPU seconds — CPU is the fair measure on a shared machine)")
    print(f"  nbviz.tsne, frame every 10 its ({len(ours.iterations)} frames, {ours.params['negative_gradient_method']}): "
          f"wall {w_ours:7.2f} s  CPU {c_ours:7.2f} s  KL {ours.final_kl:.4f}")
    print(f"  openTSNE, one plain call:                          wall {w_ref:7.2f} s  CPU {c_ref:7.2f} s  KL {ref.kl_divergence:.4f}")
    print(f"  ratio ours / openTSNE: wall {w_ours / w_ref:.3f}×  CPU {c_ours / c_ref:.3f}×   (target ≤ 1.05×)")

    run_sklearn = not args.skip_sklearn and (n <= 20_000 or args.sklearn)
    if run_sklearn:
        w_sk, c_sk, sk = timed(lambda: TSNE(perplexity=30, max_iter=750, init="pca", random_state=0).fit(X))
        print(f"  scikit-learn TSNE (all cores):                     wall {w_sk:7.2f} s  CPU {c_sk:7.2f} s  KL {sk.kl_divergence_:.4f}")
        print(f"  speed-up over scikit-learn: wall {w_sk / w_ours:.2f}×  CPU {c_sk / c_ours:.2f}×   (target ≥ 2×)")
    else:
        print("  scikit-learn skipped (pass --sklearn to run it; ~579 s at 70,000 points)")
    if n <= 20_000:
        print(f"  trustworthiness k=10: ours {trustworthiness(X, ours.embedding, 10):.4f}, openTSNE {trustworthiness(X, np.asarray(ref), 10):.4f}")
    if args.skip_session:
        return

    # Interactive perplexity change with the kNN graph reused.
    session = TSNESession(X, 0, n_jobs=args.jobs)
    t_first, _, _ = timed(lambda: session.run(30, n_iter=750, early_iter=250, snapshot_every=10))
    print(f"\nsession: first run at perplexity 30 (kNN for 90 neighbours + optimisation): {t_first:.2f} s")
    for perplexity in (15, 25, 30):
        start = time.perf_counter()
        first_frame: list[float] = []

        def callback(iteration, kl, positions, first_frame=first_frame, start=start):
            first_frame.append(time.perf_counter() - start)
            return False  # a widget would keep going; one frame is what we time

        session.run(perplexity, snapshot_every=10, callback=callback)
        print(f"  perplexity → {perplexity:>3}: first new frame after {first_frame[0]:.3f} s (kNN reused; target ≤ 1.0 s)")
    start = time.perf_counter()
    first_frame = []
    session.run(50, snapshot_every=10, callback=lambda i, kl, p: first_frame.append(time.perf_counter() - start) or False)
    print(f"  perplexity →  50: first new frame after {first_frame[0]:.3f} s (above the graph's maximum: kNN rebuilt)")


if __name__ == "__main__":
    main()
