"""A training watcher's handout: precompute packs every snapshot's panels (filters, feature maps, the
t-SNE map each shows) exactly as the snapshots hold them, thins them evenly when asked, and save_html
writes one offline page (no remote script, its arrays decodable from the page) whose size stays small
and in which hostile class names cannot end a script element."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
import torch
from torch import nn

import nbviz
from nbviz.handout.offline_state import offline_modules
from nbviz.handout.watch_frames import chosen_frames, pack_snapshots

XSS = "</script><script>alert(1)</script>"


def trained(steps: int = 12, **options):
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8, 2),
    )  # fmt: skip
    x = torch.rand(40, 3, 10, 10, generator=torch.Generator().manual_seed(1))
    y = (x[:, 0].mean((1, 2)) > x[:, 1].mean((1, 2))).long()
    probe = torch.utils.data.TensorDataset(x, y)
    probe.classes = [XSS, "b"]  # class names a page must show as text
    w = nbviz.watch(model, probe, every=3, adaptive=False, probe_size=40, surface=False, **options)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        w.step(loss=loss)
    return w.finish()


@pytest.fixture(scope="module")
def watcher():
    w = trained()
    yield w
    w.close()


def test_precompute_packs_every_snapshot_as_it_was(watcher):
    w = watcher
    w.precompute()
    snaps = w.snapshots
    assert [s.step for s in snaps] == [0, 3, 6, 9, 12]
    assert w.handout_frames.tolist() == [0, 1, 2, 3, 4]
    for k, s in enumerate(snaps):
        np.testing.assert_array_equal(w.handout_filters[k], s.filters)
        np.testing.assert_array_equal(w.handout_maps[k], s.maps)
    # the t-SNE map of each snapshot is the newest computed at or before its step, as the live view shows
    maps = w.maps_by_step
    assert len(maps) >= 2, "the watcher should have mapped the untrained and the final model"
    assert w.handout_embedding_steps.tolist() == sorted(maps)
    for e, step in enumerate(w.handout_embedding_steps.tolist()):
        np.testing.assert_array_equal(w.handout_embeddings[e], maps[step].astype(np.float32))
    # the live view agrees: scrubbing to each snapshot in Python shows the same panels
    w.live = False
    for k in range(len(snaps)):
        w.frame = k
        np.testing.assert_array_equal(w.filters, w.handout_filters[k])
        shown = [s for s in w.handout_embedding_steps.tolist() if s <= snaps[k].step]
        assert w.embedding_step == (shown[-1] if shown else -1)
    w.live = True


def test_thinning_keeps_first_and_last_evenly():
    assert chosen_frames(5, 100).tolist() == [0, 1, 2, 3, 4]
    assert chosen_frames(101, 5).tolist() == [0, 25, 50, 75, 100]
    assert chosen_frames(10, 3).tolist() == [0, 4, 9] or chosen_frames(10, 3).tolist() == [0, 5, 9]
    for bad in (1, 0, True, 2.5, "3"):
        with pytest.raises(ValueError, match="max_frames"):
            chosen_frames(10, bad)


def test_precompute_thins_and_keeps_only_the_maps_it_shows(watcher):
    w = watcher
    w.precompute(max_frames=3)
    assert w.handout_frames.tolist() == [0, 2, 4]
    np.testing.assert_array_equal(w.handout_filters[1], w.snapshots[2].filters)
    steps = [w.snapshots[i].step for i in (0, 2, 4)]
    needed = sorted({max(s for s in w.maps_by_step if s <= step) for step in steps})
    assert w.handout_embedding_steps.tolist() == needed
    with pytest.raises(ValueError, match="max_frames"):
        w.precompute(max_frames=1)
    w.precompute()


def test_without_convolutions_or_maps_the_pack_has_none():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    x, y = torch.rand(30, 4), torch.randint(0, 2, (30,))
    w = nbviz.watch(model, (x, y), every=1, adaptive=False, tsne=False, surface=False)
    try:
        w.step()
        packed = pack_snapshots(w.snapshots, w.maps_by_step)
        assert packed.frames.tolist() == [0, 1] and packed.filters is None and packed.maps is None
        assert packed.embeddings is None and packed.embedding_steps.tolist() == []
    finally:
        w.close()


def _state(text):
    (body,) = re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S)
    return json.loads(body)["state"]


def test_save_html_is_one_offline_page_replaying_the_snapshots(watcher, tmp_path):
    w = watcher
    path = w.save_html(tmp_path / "watch.html")
    text = path.read_text(encoding="utf-8")
    assert re.search(r"<script[^>]+src=", text) is None and "https://" not in re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)
    models = _state(text)
    assert {m["model_module"] for m in models.values()} <= offline_modules()
    state = models[w.model_id]
    assert state["state"]["_esm"] == (nbviz.widgets._base.STATIC / "watch.js").read_text(encoding="utf-8")
    buffers = {tuple(b["path"]): b for b in state["buffers"]}
    # the packed panels travel in the page and decode to the snapshots' own pixels
    shape = state["state"]["handout_filters"]["shape"]
    data = base64.b64decode(buffers[("handout_filters", "chunks", 0)]["data"])
    np.testing.assert_array_equal(np.frombuffer(data, np.uint8).reshape(shape), np.stack([s.filters for s in w.snapshots]))
    assert state["state"]["handout_frames"]["shape"] == [len(w.snapshots)]
    # a class name cannot end the state's script element
    assert XSS not in text and "\\u003c/script>\\u003cscript>alert(1)" in text
    size = path.stat().st_size
    assert size < 2_500_000, size  # ~1.4 MB of scripts; five snapshots' panels are a few tens of kB
