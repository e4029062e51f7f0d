"""The watcher's cost: wall-clock training time of the zoo CNNs with and without ``nbviz.watch`` in
the loop at its default settings (a snapshot at least every 10 steps, widened to keep within 10 %;
t-SNE map and loss surface on), as a ratio (target ≤ 1.10).

Runs alternate (alone, watched, alone, watched, …) so that a change of machine load hits both; the
ratio is of the medians. Two clocks: wall-clock time of the loop (what a user feels) and the process's
CPU time over all threads (the watcher's worker thread included), which a machine shared with other
jobs disturbs much less. The watched time includes waiting for the background views still running
when the loop ends only with ``--include-tail``. Making the watcher (its first snapshot and first map,
before the loop) is timed apart. One torch thread by default: on a loaded 2-core machine two threads
thrash and the times mean nothing.

    nice -n 5 python benchmarks/watch_overhead.py [--repeats 3] [--models shapes,digits] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(ROOT / "tests"))  # the training loop the tests use

import torch  # noqa: E402

import nbviz  # noqa: E402
from nbviz import zoo  # noqa: E402
from watch_training import digits_data, shapes_data, train_shapes  # noqa: E402

SETUPS = {
    # the zoo recipes (nbviz/zoo.py), with the shapes CNN at 3 of its 4 epochs
    "shapes": dict(epochs=3, model_factory=zoo.ShapesCNN, lr=5e-3, batch_size=64),
    "digits": dict(epochs=12, model_factory=zoo.DigitsCNN, lr=3e-3, batch_size=32),
}


def run(name: str, watched: bool, include_tail: bool) -> tuple[float, float, float, object]:
    """(wall seconds, CPU seconds, seconds making the watcher, watcher) of one training run."""
    data = shapes_data(5000, 4000) if name == "shapes" else digits_data()
    made = [0.0, 0.0]

    def make(model, held_out):
        start = time.perf_counter()
        w = nbviz.watch(model, (held_out.images, held_out.labels))
        made[0] = time.perf_counter() - start
        made[1] = time.process_time()  # the loop's CPU time starts here
        return w

    cpu = time.process_time()
    _, seconds, w = train_shapes(**SETUPS[name], data=data, watcher=make if watched else None)
    if w is not None and include_tail:
        w.wait(600)
    cpu = time.process_time() - (made[1] if watched else cpu)
    return seconds, cpu, made[0], w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="shapes,digits")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--include-tail", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads {args.threads}, load average {os.getloadavg()[0]:.1f}")
    for name in args.models.split(","):
        alone, watched, alone_cpu, watched_cpu, making = [], [], [], [], []
        for _ in range(args.repeats):
            seconds, cpu, _, _ = run(name, False, args.include_tail)
            alone.append(seconds)
            alone_cpu.append(cpu)
            seconds, cpu, made, w = run(name, True, args.include_tail)
            watched.append(seconds)
            watched_cpu.append(cpu)
            making.append(made)
            w.wait(600)
            detail = (f"{len(w.snapshot_steps)} snapshots of {w.steps_done} steps, {len(w.maps_by_step)} t-SNE maps, "
                      f"surface {'yes' if w.surface is not None else 'no'}, interval now {w.interval}, "
                      f"the watcher's own count of its overhead {100 * w.schedule.overhead:.1f} %")
            w.close()
        a, b = statistics.median(alone), statistics.median(watched)
        ca, cb = statistics.median(alone_cpu), statistics.median(watched_cpu)
        print(f"{name}: wall alone {a:.2f} s, watched {b:.2f} s, ratio {b / a:.3f}; CPU alone {ca:.2f} s, watched {cb:.2f} s,"
              f" ratio {cb / ca:.3f}; making the watcher {statistics.median(making):.2f} s\n"
              f"  runs wall alone {[round(t, 2) for t in alone]}, watched {[round(t, 2) for t in watched]};"
              f" CPU alone {[round(t, 2) for t in alone_cpu]}, watched {[round(t, 2) for t in watched_cpu]}\n"
              f"  last watched run: {detail}")
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
