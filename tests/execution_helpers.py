"""Shared pieces of the execution-backend tests: starting Ray once per test file, finding and killing
Ray worker processes, waiting until a cluster is idle."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import torch

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def worker_env() -> None:
    """Ray workers import the test helper modules (models are pickled by reference): put the checkout
    and ``tests/`` on the path of every process Ray starts from here on."""
    paths = [str(ROOT), str(TESTS), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))


def start(attempts: int = 3, **init_kwargs) -> None:
    """``nbviz.use_ray(**init_kwargs)`` for a new local instance, retried: on a loaded machine a raylet
    gives up when its agent processes take more than ~15 s to start (seen at load 12 on 2 cores)."""
    import ray

    from nbviz import use_ray

    worker_env()
    for attempt in range(attempts):
        try:
            use_ray(**init_kwargs)
            return
        except Exception:  # Ray raises a bare Exception when its node times out during startup
            ray.shutdown()
            if attempt == attempts - 1:
                raise


def start_cluster(nodes: int = 2, cpus_per_node: int = 1, attempts: int = 3):
    """A ``ray.cluster_utils.Cluster`` of ``nodes`` nodes on this machine, joined with ``use_ray``."""
    import ray
    from ray.cluster_utils import Cluster

    from nbviz import use_ray

    worker_env()
    for attempt in range(attempts):
        cluster = None
        try:
            cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": cpus_per_node})
            for _ in range(nodes - 1):
                cluster.add_node(num_cpus=cpus_per_node)
            use_ray(cluster.address)
            cluster.wait_for_nodes()
            return cluster
        except Exception:  # as in start(): a node that timed out during startup
            ray.shutdown()
            if cluster is not None:
                cluster.shutdown()
            if attempt == attempts - 1:
                raise
    return None


def task_pids(name: str = "nbviz_task") -> list[int]:
    """PIDs of Ray worker processes currently running a task called ``name`` (Ray titles a busy worker
    ``ray::<task name>``)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(f"ray::{name}".encode()):
            pids.append(int(entry.name))
    return pids


def kill(pid: int) -> None:
    """SIGKILL one process (a Ray worker this test's cluster started)."""
    os.kill(pid, signal.SIGKILL)


def wait_idle(timeout: float = 30.0) -> bool:
    """Wait until every CPU of the Ray cluster is free again (no task running or queued)."""
    import ray

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        total = ray.cluster_resources().get("CPU", 0)
        free = ray.available_resources().get("CPU", 0)
        if total and free >= total and not task_pids():
            return True
        time.sleep(0.2)
    return False


def rss_bytes() -> int:
    """This process's resident memory now (Linux ``/proc/self/statm``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


class NoiseImages(torch.utils.data.Dataset):
    """A map-style Dataset of ``n`` (1×8×8 image, label) items made on demand (item ``i`` from seed ``i``),
    so a scan over it never has all images in one process."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return torch.rand(1, 8, 8, generator=torch.Generator().manual_seed(int(i))), int(i) % 10
