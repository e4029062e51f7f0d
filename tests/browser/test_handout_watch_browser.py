"""A training watcher's handout in a real browser: the page opens from file:// with the network aborted,
draws its panels, and the scrubber replays earlier snapshots' filters, feature maps and t-SNE map with no
kernel (the panels precompute packed)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the watcher built by the unit test

from test_handout_browser import Offline
from test_handout_watch import trained


def test_watch_save_html_replays_snapshots_offline(browser, tmp_path):
    watcher = trained(steps=15)
    try:
        path = watcher.save_html(tmp_path / "watch.html")
        count = len(watcher.snapshots)
    finally:
        watcher.close()
    offline = Offline(browser, path)
    offline.assert_canvases_drawn()
    explorer = offline.page.locator(".nbviz-explorer").first
    scrub = explorer.locator('input[aria-label="snapshot"]')
    assert int(scrub.get_attribute("max")) == count - 1
    canvases = explorer.locator("canvas.nbviz-watch-canvas")
    panels = {name: canvases.nth(i) for i, name in enumerate(["curves", "filters", "maps", "sparsity", "tsne", "path"])}
    last = {name: offline.pixels(panels[name]).tobytes() for name in ("filters", "maps", "tsne")}
    scrub.fill("0")  # the untrained network
    offline.page.wait_for_timeout(300)
    for name in ("filters", "maps", "tsne"):
        assert offline.pixels(panels[name]).tobytes() != last[name], f"the {name} panel did not replay snapshot 0"
    assert "map of step 0" in explorer.inner_text()
    scrub.fill(str(count - 1))  # back to the last: the same pixels as when the page opened
    offline.page.wait_for_timeout(300)
    for name in ("filters", "maps", "tsne"):
        assert offline.pixels(panels[name]).tobytes() == last[name], f"the {name} panel differs at the last snapshot"
    offline.finish("watch")
