"""Explorer lifetimes: closed (or merely dropped) explorers are freed with their model and data,
``close()`` stops running work, links never keep an explorer, and exiting Python while an explorer
computes ends cleanly (issue 16, part 2)."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
import weakref
from collections import Counter
from collections.abc import Callable
from typing import Any

import comm
import ipywidgets
import pytest
import torch

import nbviz
from nbviz.widgets._base import Explorer
from nbviz.widgets.featurevis import FeatureVisExplorer
from nbviz.widgets.landscape import LandscapeExplorer
from nbviz.widgets.layers import LayerExplorer
from nbviz.widgets.occlusion import OcclusionExplorer
from nbviz.widgets.predictions import PredictionExplorer
from nbviz.widgets.saliency import SaliencyExplorer
from nbviz.widgets.tsne import TSNEExplorer

CYCLES = 20
BALLAST = 1 << 20  # floats (4 MB) each cycle's model carries, so that a leak shows in RSS
N = 24  # images per explorer


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def _model() -> torch.nn.Module:
    """A fresh small digits CNN carrying 4 MB of ballast (a plain tensor attribute, never used)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8 * 16, 10),
    )
    model.ballast = torch.rand(BALLAST)
    return model


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    digits = nbviz.datasets.digits()
    return digits.images[:N].clone(), digits.labels[:N].clone()


Build = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], Any]
# every explorer type in nbviz/widgets/, with settings that keep one cycle short
BUILDERS: dict[str, Build] = {
    "layers": lambda m, x, y: LayerExplorer(m, x, y),
    "saliency": lambda m, x, y: SaliencyExplorer(m, x[:4], y[:4], methods=["gradient"]),
    "occlusion": lambda m, x, y: OcclusionExplorer(m, x[:2], window=4, stride=2),
    "tsne": lambda m, x, y: TSNEExplorer((m, x, "3"), y, x, n_iter=30, perplexity=4.0, metrics_k=3),
    "landscape": lambda m, x, y: LandscapeExplorer(m, torch.nn.CrossEntropyLoss(), (x, y), resolution=5, preview=None),
    "featurevis": lambda m, x, y: FeatureVisExplorer(m, x, layer="3", units=[0, 1], steps=8),
    "predictions": lambda m, x, y: PredictionExplorer(m, x[:4], y[:4]),
    "explore": lambda m, x, y: nbviz.explore(m, (x, y), layer="3", methods=["gradient"], n_iter=30),
    "watch": lambda m, x, y: _watched(m, x, y),
}


def _watched(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 4) -> Any:
    """A watcher over a few training steps: a snapshot every step, its t-SNE map and the weight path over
    the loss surface on the worker (closed while they run in every other cycle)."""
    watcher = nbviz.watch(model, (x, y), every=1, adaptive=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        watcher.step(loss=loss)
    return watcher


def _explorers(built: Any) -> list[Explorer]:
    return list(built.explorers) if isinstance(built, nbviz.Explored) else [built]


def _cycle(build: Build, finish: bool) -> list[weakref.ref[Any]]:
    """Build an explorer on a fresh model and data, let it finish (or not), close it and drop it;
    returns weak references to everything that must now be freeable."""
    model = _model()
    x, y = _data()
    built = build(model, x, y)
    explorers = _explorers(built)
    if finish:
        for e in explorers:
            e.wait(60)
    refs = [weakref.ref(o) for o in (built, *explorers, model, model.ballast)]
    built.close()
    _wait_for_workers(explorers)
    return refs


def _wait_for_workers(explorers: list[Explorer]) -> None:
    """Running work holds its explorer until it reaches its next progress check after ``close()``."""
    for e in explorers:
        assert e._runner.join(30), f"{type(e).__name__}: the worker still runs 30 s after close()"


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_closed_explorers_are_freed_with_their_model(kind: str) -> None:
    """20 create/close cycles (every other one closed while it still computes) leave no explorer,
    model or ballast alive, and RSS stays flat although each cycle's model carries 4 MB."""
    refs: list[weakref.ref[Any]] = []
    refs += _cycle(BUILDERS[kind], finish=True)  # warm-up: first-use allocations of torch and the renderer
    gc.collect()
    before = _rss_mb()
    widgets = len(ipywidgets.widgets.widget._instances)  # open widgets (and their comms) in ipywidgets' registry
    for i in range(CYCLES - 1):
        refs += _cycle(BUILDERS[kind], finish=i % 2 == 0)
    gc.collect()
    grown = _rss_mb() - before
    alive = Counter(type(r()).__name__ for r in refs if r() is not None)
    assert grown < CYCLES * BALLAST * 4 / 2**20 / 2, f"{kind}: RSS grew {grown:.0f} MB over {CYCLES} cycles; alive: {alive}"
    assert not alive, f"{kind}: still alive after close and gc: {dict(alive)}"
    left = Counter(type(w).__name__ for w in list(ipywidgets.widgets.widget._instances.values())[widgets:])
    assert not left, f"{kind}: widgets left open after close: {dict(left)}"


def test_a_dropped_explorer_is_freed_and_its_worker_ends() -> None:
    """Not closed, only dereferenced: an open widget is kept by ipywidgets' registry and its comm (the
    front end may still show it); once those let go, nothing of nbviz's keeps it or its thread."""
    model = _model()
    x, y = _data()
    e = LayerExplorer(model, x, y)
    e.wait(60)
    runner, ref = e._runner, weakref.ref(e)
    ipywidgets.widgets.widget._instances.pop(e.model_id)
    closed = {"content": {"comm_id": e.comm.comm_id, "data": {}}}
    comm.get_comm_manager().comm_close(None, None, closed)  # as when the front end closes the comm
    del e
    gc.collect()
    assert ref() is None
    assert runner.closed and runner.join(10)


def test_close_stops_running_work_and_releases_the_model() -> None:
    """``close()`` while a large landscape grid computes: the worker ends promptly, and the model and
    data are freed although the closed explorer itself is still referenced."""
    model = _model()
    x, y = _data()
    e = LandscapeExplorer(model, torch.nn.CrossEntropyLoss(), (x, y), resolution=101, preview=None)
    assert e._runner.busy
    refs = [weakref.ref(model), weakref.ref(x)]
    del model, x, y
    e.close()
    assert e.closed and e._runner.join(10), "the worker still runs after close()"
    gc.collect()
    assert [r() for r in refs] == [None, None]


def test_a_link_keeps_no_explorer_and_passes_over_closed_ones() -> None:
    model = _model()
    x, y = _data()
    saliency = SaliencyExplorer(model, x, y, methods=["gradient"], max_inputs=N)
    occlusion = OcclusionExplorer(model, x, window=4, stride=2)
    layers = LayerExplorer(model, x, y, max_inputs=N)
    link = nbviz.link(saliency, occlusion, layers)
    ref = weakref.ref(occlusion)
    occlusion.close()
    _wait_for_workers([occlusion])
    del occlusion
    gc.collect()
    assert ref() is None, "the link (through the other explorers' observers) keeps a closed explorer"
    saliency.index = 3  # still linked: the open explorers follow, the closed one is skipped
    assert layers.input_index == 3 and link.explorers == (saliency, layers)
    for e in (saliency, layers):
        e.close()


def test_the_anywidget_file_signal_keeps_no_explorer() -> None:
    """anywidget's class-wide bundle signal only holds explorers weakly (hot reload still reaches live ones)."""
    e = PredictionExplorer(_model(), *(t[:2] for t in _data()))
    signal = PredictionExplorer._esm.changed  # type(e) is the per-instance subclass traitlets made
    ref = weakref.ref(e)
    signal.emit("export default {}")  # what a bundle edit under ANYWIDGET_HMR=1 does
    assert e._esm == "export default {}"
    e.close()
    _wait_for_workers([e])
    del e
    gc.collect()
    assert ref() is None


EXIT_SCRIPT = """
import time, torch
import nbviz
from nbviz.widgets.landscape import LandscapeExplorer
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8 * 64, 10))
x, y = torch.rand(256, 1, 8, 8), torch.randint(0, 10, (256,))
land = LandscapeExplorer(model, torch.nn.CrossEntropyLoss(), (x, y), resolution=61, preview=None)
time.sleep(0.5)
assert land._runner.busy, "the landscape finished before exit; raise the resolution"
print("exiting while computing", flush=True)
"""


def test_exiting_python_while_an_explorer_computes_ends_cleanly() -> None:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(EXIT_SCRIPT)], capture_output=True, text=True, timeout=120)
    assert "exiting while computing" in done.stdout, done.stderr
    assert "terminate called" not in done.stderr
    assert done.returncode == 0, done.stderr


def test_shutdown_closes_and_joins_every_open_runner() -> None:
    from nbviz.widgets import _tasks

    runner = _tasks.TaskRunner()
    started = threading.Event()

    def work(progress: Callable[[float, str], bool]) -> None:
        started.set()
        while progress(0.5, ""):
            pass

    runner.submit("k", work)
    assert started.wait(10)
    assert _tasks.shutdown(timeout=10) == []
    assert runner.closed and not runner.busy
