"""The executor choice: per kernel (``use_ray`` / ``use_local``) or per call (``executor=``)."""

from __future__ import annotations

from typing import Any

__all__ = ["EXECUTORS", "current_executor", "resolve_executor", "use_local", "use_ray"]

EXECUTORS = ("local", "ray")

_chosen = {"executor": "local"}


def use_ray(address: str | None = None, **ray_init_kwargs: Any) -> None:
    """Run nbviz's dataset-wide and grid jobs on Ray from now on (this kernel).

    Parameters
    ----------
    address : str or None, default None
        The cluster to join: ``"host:port"`` of a head node (``ray start --head`` prints it),
        ``"ray://host:10001"`` for Ray Client, ``"auto"`` for the cluster this machine belongs to, or
        ``None``: the Ray instance this process already initialised, else a new local one.
    **ray_init_kwargs
        Passed on to ``ray.init`` (e.g. ``num_cpus``, ``runtime_env``); ignored when Ray is already
        initialised in this process.

    Raises
    ------
    ImportError
        Ray is not installed (``pip install "nbviz[ray]"``).
    ConnectionError
        Nothing answers at ``address`` within :data:`nbviz.execution.reach.CONNECT_TIMEOUT` seconds.
    """
    from . import ray_backend  # the only place Ray gets imported

    ray_backend.connect(address, **ray_init_kwargs)
    _chosen["executor"] = "ray"


def use_local() -> None:
    """Run nbviz's jobs in this process from now on (the default; Ray stays connected if it was)."""
    _chosen["executor"] = "local"


def current_executor() -> str:
    """The executor chosen for this kernel: ``"local"`` or ``"ray"``."""
    return _chosen["executor"]


def resolve_executor(executor: str | None) -> str:
    """The executor one call runs on: ``executor`` if given, else the kernel's choice. ``"ray"`` on a
    process without Ray initialised starts (or joins) one as ``use_ray()`` would, for this call only.

    Parameters
    ----------
    executor : str or None
        ``"local"``, ``"ray"`` or ``None`` (the kernel's choice, see :func:`use_ray`).
    """
    if executor is None:
        return current_executor()
    if not isinstance(executor, str) or executor not in EXECUTORS:
        raise ValueError(f"executor: expected 'local', 'ray' or None, got {executor!r}")
    if executor == "ray":
        from . import ray_backend

        ray_backend.connect(None)
    return executor
