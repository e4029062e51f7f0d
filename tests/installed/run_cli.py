"""Run the ``nbviz`` command of the Python environment under test the way a user does, from outside the checkout."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any


def nbviz_command() -> list[str]:
    """The ``nbviz`` console script installed next to this interpreter, else ``python -m nbviz``."""
    script = Path(sys.executable).parent / "nbviz"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nbviz"]


def environment(**extra: str) -> dict[str, str]:
    return dict(os.environ, MPLBACKEND="Agg", **extra)


def run_nbviz(*args: str, cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``nbviz ARGS`` in ``cwd`` and capture its output."""
    return subprocess.run([*nbviz_command(), *args], cwd=cwd, env=environment(**env), capture_output=True, text=True, timeout=timeout)


def start_nbviz(*args: str, cwd: Path, log: Path, **env: str) -> subprocess.Popen[Any]:
    """Start ``nbviz ARGS`` in its own process group (stop it with :func:`stop`), output to ``log``."""
    with open(log, "w") as out:
        return subprocess.Popen([*nbviz_command(), *args], cwd=cwd, env=environment(**env), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[Any]) -> None:
    """Stop ``process`` and everything it started (a server it runs)."""
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
