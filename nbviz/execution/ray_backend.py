"""The Ray backend: connect, ship a job's shared objects once, run its shards as retried tasks, merge
results as they arrive, cancel what is left when the caller stops.

Imported only when Ray is chosen (``use_ray()`` or ``executor="ray"``). How work is placed:

- a job's shared objects (the model, the loss, the Dataset object, directions…) go into the object
  store once (:func:`share`); each task gets the reference wrapped in a list so Ray does not resolve it
  per task, and a worker deserialises it once (:func:`_shared`) and keeps it for the job's later tasks;
- a task gets only its shard's description (grid point indices, a dataset index range); the worker
  reads its samples from the Dataset itself;
- tasks run with ``num_cpus=threads`` and ``torch.set_num_threads(threads)``; on a cluster with GPUs each
  task takes one GPU and the worker moves its copy of the model there;
- results are handed to ``on_result`` as each task finishes and then dropped, so the driver holds one
  shard's result at a time plus whatever the caller merges into;
- a worker that dies mid-task (killed, out of memory, node lost) has its task retried on another worker
  (``max_retries``); a task raising an error fails the job;
- when the caller stops (``progress`` answers ``False``, an error, Ctrl-C) every outstanding task is
  cancelled with ``ray.cancel(force=True)``, which also stops tasks that are already running.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import ray
import torch

from .._progress import Progress, report
from .reach import check_reachable

__all__ = ["MAX_RETRIES", "Shared", "cancel", "connect", "run", "share", "worker_slots"]

#: times a task is re-run after its worker process died
MAX_RETRIES = 3
_cache_lock = threading.Lock()
_cache: OrderedDict[str, Any] = OrderedDict()  # on a worker: object id → deserialised shared objects
_CACHE_SIZE = 2


def connect(address: str | None = None, **ray_init_kwargs: Any) -> None:
    """Join the Ray instance this process already initialised, else ``ray.init(address, ...)``; an
    address that does not answer raises :class:`ConnectionError` within seconds."""
    if ray.is_initialized():
        return
    if address is not None:
        if not isinstance(address, str):
            raise TypeError(f"address: expected a string such as 'host:6379' or None, got {type(address).__name__}")
        check_reachable(address)
    ray_init_kwargs.setdefault("include_dashboard", False)
    ray.init(address=address, **ray_init_kwargs)


class Shared:
    """A job's shared objects in the object store (put once; tasks get the reference, not the value)."""

    def __init__(self, value: Any) -> None:
        self.box = [ray.put(value)]


def share(value: Any) -> Shared:
    """Put ``value`` (a dict of the job's model, data, …) in the object store once."""
    return value if isinstance(value, Shared) else Shared(value)


def worker_slots(threads: int = 1) -> int:
    """How many tasks of ``threads`` CPUs the cluster runs at once (GPUs when it has them)."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    return max(1, gpus if gpus else int(resources.get("CPU", 1)) // max(1, threads))


def _shared(box: list[Any]) -> Any:
    """On a worker: the job's shared objects, fetched and deserialised once per worker process; the model
    moved to the worker's GPU when the task holds one."""
    key = box[0].hex()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = ray.get(box[0])
    if isinstance(value, dict) and isinstance(value.get("model"), torch.nn.Module) and ray.get_gpu_ids():
        value = {**value, "model": value["model"].to("cuda")}
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return value


@ray.remote
def nbviz_task(task: Callable[[Any, Any], Any], box: list[Any], shard: Any, threads: int) -> Any:
    """One shard of a job on a worker: ``task(shared objects, shard)`` with ``threads`` torch threads."""
    torch.set_num_threads(threads)
    return task(_shared(box), shard)


def cancel(refs: Sequence[Any]) -> None:
    """Cancel tasks, running ones included (their worker process is stopped)."""
    for ref in refs:
        try:
            ray.cancel(ref, force=True)
        except Exception:  # noqa: BLE001 - a task that finished meanwhile cannot be cancelled; nothing to do
            pass


def run(
    task: Callable[[Any, Any], Any],
    shared: Any,
    shards: Sequence[Any],
    on_result: Callable[[int, Any], None],
    *,
    progress: Progress | None = None,
    span: tuple[float, float] = (0.0, 1.0),
    message: str = "",
    threads: int = 1,
) -> None:
    """Run ``task(shared, shard)`` for every shard on the cluster; ``on_result(i, value)`` for shard ``i``
    as it finishes (any order); ``progress`` told after each shard within ``span``. If anything stops the
    job (``Cancelled``, an error, ``KeyboardInterrupt``) the outstanding tasks are cancelled first.

    ``task`` must be a module-level function (Ray pickles it by reference) and ``shared`` a value or
    :class:`Shared`."""
    shared = share(shared)
    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    remote = nbviz_task.options(num_cpus=threads, num_gpus=gpus, max_retries=MAX_RETRIES, retry_exceptions=False)
    pending: dict[Any, int] = {}
    lo, hi = span
    total, done = len(shards), 0
    try:
        for i, shard in enumerate(shards):
            pending[remote.remote(task, shared.box, shard, threads)] = i
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i = pending.pop(ref)
                value = ray.get(ref)
                on_result(i, value)
                del value
                done += 1
                report(progress, lo + (hi - lo) * done / max(total, 1), f"{message}: {done}/{total} shards")
    except BaseException:
        cancel(list(pending))
        raise


def chunks(items: Sequence[Any], slots: int, per_slot: int = 4) -> list[list[Any]]:
    """``items`` in contiguous chunks: about ``per_slot`` chunks per worker slot (load balance and
    progress) but never empty."""
    items = list(items)
    n = max(1, min(len(items), slots * per_slot))
    size = math.ceil(len(items) / n)
    return [items[i : i + size] for i in range(0, len(items), size)]
