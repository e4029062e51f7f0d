"""Ray's overhead on this machine: the same loss-landscape job on the local backend and on Ray.

    python benchmarks/ray_overhead.py [--resolution 21] [--samples 1797] [--no-cluster]

Runs a ``resolution``² plane of the zoo's digits CNN (nbviz.zoo.digits_cnn, 1,797 sklearn digits):

1. local backend, torch with 2 threads;
2. a local Ray instance with 2 CPUs: 2 single-threaded workers (the first job, which starts the workers
   and sends them the model, is reported apart; the timed job is the second);
3. optionally a two-node cluster simulated on this machine (``ray.cluster_utils.Cluster``, 1 CPU each).

Prints the Ray/local ratio (issue 14's target: ≤ 1.15× for 21×21), Ray's per-task overhead (an empty task's
round trip, 200 of them on 2 workers) and per-job overhead (a job of 8 empty shards with the plane's
real shared objects: object-store put, submission, gathering).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _noop(shared: dict, shard: int) -> int:
    return shard


def _data(samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images[:samples], dtype=torch.float32).unsqueeze(1) / 16.0
    return x, torch.tensor(d.target[:samples])


def _timed(fn, repeats: int = 1) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _ray_numbers(label: str, job, local_job, model: nn.Module, data) -> None:
    import ray

    from nbviz.execution import ray_backend

    first = _timed(job)
    # local and Ray timed alternately (the machine is shared: its load changes between minutes)
    pairs = [(_timed(local_job), _timed(job)) for _ in range(2)]
    local = statistics.median(p[0] for p in pairs)
    timed = statistics.median(p[1] for p in pairs)
    ratio = statistics.median(p[1] / p[0] for p in pairs)

    @ray.remote(num_cpus=1)
    def empty() -> None:
        return None

    ray.get([empty.remote() for _ in range(20)])
    n = 200
    per_task = _timed(lambda: ray.get([empty.remote() for _ in range(n)])) / n * ray_backend.worker_slots()
    shared = dict(model=model, loss_fn=nn.CrossEntropyLoss(), data=data)
    per_job = _timed(lambda: ray_backend.run(_noop, shared, list(range(8)), lambda i, v: None), 3)
    print(f"{label}: first job {first:.2f} s (starts workers), then {timed:.2f} s vs local {local:.2f} s (alternated) "
          f"→ ratio {ratio:.3f}× the local backend")
    print(f"{label}: per task {1e3 * per_task:.2f} ms of a worker's time (empty task round trip), per job {1e3 * per_job:.1f} ms "
          "(8 empty shards with the plane's model and data)")


def _retry(start, stop, attempts: int = 3):
    """``start()``, retried: on a loaded machine a new Ray node can time out while its agents start."""
    for attempt in range(attempts):
        try:
            return start()
        except Exception:  # a node that timed out during startup: Ray raises a bare Exception
            stop()
            if attempt == attempts - 1:
                raise
    return None


def _two_nodes():
    from ray.cluster_utils import Cluster

    from nbviz import use_ray

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        use_ray(cluster.address)
        cluster.wait_for_nodes()
    except Exception:  # shut the half-started cluster down, then let _retry decide
        cluster.shutdown()
        raise
    return cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=21)
    parser.add_argument("--samples", type=int, default=1797)
    parser.add_argument("--no-cluster", action="store_true", help="skip the two-node simulated cluster")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

    from nbviz.landscape import plane
    from nbviz.zoo import digits_cnn

    model, data, loss = digits_cnn().model.eval(), _data(args.samples), nn.CrossEntropyLoss()
    r = args.resolution
    torch.set_num_threads(2)
    plane(model, loss, data, resolution=3, progress=False)  # warm-up
    local_job = lambda: plane(model, loss, data, resolution=r, progress=False)  # noqa: E731
    local = _timed(local_job)
    points = r * r
    print(f"{r}×{r} plane, {args.samples} digits, {type(model).__name__}: local backend (2 threads) {local:.2f} s, "
          f"{1e3 * local / points:.1f} ms per point")

    import ray

    from nbviz import use_ray

    _retry(lambda: use_ray(num_cpus=2, include_dashboard=False), ray.shutdown)
    job = lambda: plane(model, loss, data, resolution=r, progress=False, executor="ray")  # noqa: E731
    _ray_numbers("Ray, local instance, 2 single-threaded workers", job, local_job, model, data)
    ray.shutdown()
    if args.no_cluster:
        return
    cluster = _retry(_two_nodes, ray.shutdown)
    _ray_numbers("Ray, two-node simulated cluster (1 CPU each)", job, local_job, model, data)
    ray.shutdown()
    cluster.shutdown()


if __name__ == "__main__":
    main()
