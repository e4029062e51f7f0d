"""Where nbviz's dataset-wide and grid jobs run: here (the default) or on a Ray cluster.

``use_ray()`` / ``use_local()`` choose once per kernel; every job that goes through the seam also takes
``executor="ray" | "local"`` per call. The local backend is the code path nbviz always had and never
imports Ray; :mod:`nbviz.execution.ray_backend` is imported only when Ray is chosen.
"""

from __future__ import annotations

from .choice import EXECUTORS, current_executor, resolve_executor, use_local, use_ray

__all__ = ["EXECUTORS", "current_executor", "resolve_executor", "use_local", "use_ray"]
