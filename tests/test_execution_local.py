"""The execution seam without a cluster: the local path never imports Ray, the choice is validated, and
an unreachable cluster address fails fast with a clear error."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time

import pytest
from torch import nn

from execution_helpers import ROOT
from landscape_models import digits, tiny_cnn
from nbviz.execution import current_executor, resolve_executor, use_local
from nbviz.landscape import plane


def test_importing_nbviz_and_running_locally_never_imports_ray():
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, "tests")
        import nbviz
        from torch import nn
        from landscape_models import digits, tiny_cnn
        nbviz.use_local
        nbviz.use_ray  # the function itself: Ray is imported only when it is called
        nbviz.use_local()
        nbviz.landscape.plane(tiny_cnn(), nn.CrossEntropyLoss(), digits(40), resolution=3, progress=False)
        nbviz.landscape.plane(tiny_cnn(), nn.CrossEntropyLoss(), digits(40), resolution=3, progress=False, executor="local")
        nbviz.top_activating(tiny_cnn(), digits(40)[0], "conv1", 0, k=3, progress=False, executor="local")
        nbviz.activation_stats(tiny_cnn(), digits(40)[0], progress=False, executor="local")
        print(sorted(m for m in sys.modules if m == "ray" or m.startswith("ray.")))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_local_is_the_default_and_the_choice_is_checked():
    use_local()
    assert current_executor() == "local"
    assert resolve_executor(None) == "local"
    assert resolve_executor("local") == "local"
    with pytest.raises(ValueError, match="executor: expected 'local', 'ray' or None, got 'gpu'"):
        resolve_executor("gpu")
    with pytest.raises(ValueError, match="executor"):
        plane(tiny_cnn(), nn.CrossEntropyLoss(), digits(20), resolution=2, progress=False, executor="cluster")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_address_fails_within_seconds_naming_it():
    pytest.importorskip("ray")
    import ray

    import nbviz

    address = f"127.0.0.1:{_closed_port()}"
    start = time.monotonic()
    with pytest.raises(ConnectionError, match=f"address: no Ray cluster answers at '{address}'"):
        nbviz.use_ray(address)
    assert time.monotonic() - start < 6.0
    assert not ray.is_initialized() and current_executor() == "local"
    with pytest.raises(ValueError, match="address: expected 'host:port'"):
        nbviz.use_ray("nowhere")


def test_a_silent_address_times_out(monkeypatch):
    """A host that never answers (a blackholed route): the connect timeout, not Ray's minutes of retries."""
    from nbviz.execution import reach

    def silent(address, timeout):
        time.sleep(timeout)
        raise TimeoutError("timed out")

    monkeypatch.setattr(reach.socket, "create_connection", silent)
    start = time.monotonic()
    with pytest.raises(ConnectionError, match="within 0.2 s: timed out"):
        reach.check_reachable("10.255.255.1:6379", timeout=0.2)
    assert time.monotonic() - start < 2.0
