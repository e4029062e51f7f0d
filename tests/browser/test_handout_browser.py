"""Offline handouts in a real browser: pages written by ``save_html`` and ``python -m nbviz export`` open
from file:// with every non-file request aborted (and recorded: none may be attempted), draw non-blank
canvases, and their precomputed controls change the pixels without a kernel."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOKS = ["00_tour", "01_feature_maps", "02_saliency_occlusion", "03_tsne_perplexity", "04_loss_landscape", "05_feature_visualization"]
LOCAL = ("file:", "data:", "blob:")


def anywidget_views(html: str) -> int:
    """How many anywidget (nbviz) widgets the page shows: displayed, or inside a displayed box."""
    state = json.loads(re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html, re.S).group(1))
    models = state["state"]
    todo = [json.loads(v)["model_id"] for v in re.findall(r'<script type="application/vnd.jupyter.widget-view\+json">(.*?)</script>', html, re.S)]
    shown: set[str] = set()
    while todo:
        model_id = todo.pop()
        if model_id in shown or model_id not in models:
            continue
        shown.add(model_id)
        model = models[model_id]
        if model["model_module"] != "anywidget":  # boxes refer to their children as "IPY_MODEL_<id>"
            todo += re.findall(r"IPY_MODEL_([0-9a-f]+)", json.dumps(model["state"].get("children", [])))
    return sum(models[i]["model_module"] == "anywidget" for i in shown)


class Offline:
    """A page opened from file:// in its own context; every non-local request is aborted and recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 1000})
        self.attempted: list[str] = []
        self.errors: list[str] = []

        def route(r):
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                self.attempted.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: None if r.url.startswith(LOCAL) else self.attempted.append(r.url))
        self.page.on("websocket", lambda ws: self.attempted.append(ws.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        expected = anywidget_views(path.read_text(encoding="utf-8"))
        assert expected >= 1
        self.page.wait_for_function(f"document.querySelectorAll('.nbviz-explorer').length >= {expected}", timeout=60_000)
        self.page.wait_for_timeout(1500)  # let every explorer draw (WebGL, fonts)
        assert self.page.locator(".nbviz-explorer").count() == expected
        assert self.page.locator(".nbviz-handout-note").count() == expected

    def pixels(self, locator):
        from PIL import Image

        return Image.open(io.BytesIO(locator.screenshot())).convert("RGB")

    def assert_canvases_drawn(self) -> int:
        canvases = self.page.locator(".nbviz-explorer canvas")
        drawn = 0
        for i in range(canvases.count()):
            canvas = canvases.nth(i)
            box = canvas.bounding_box()
            if not canvas.is_visible() or not box or box["width"] < 4 or box["height"] < 4:
                continue
            canvas.scroll_into_view_if_needed()
            extrema = self.pixels(canvas).getextrema()
            assert any(lo != hi for lo, hi in extrema), f"canvas {i} ({canvas.get_attribute('class')}) is blank"
            drawn += 1
        assert drawn >= 1
        return drawn

    def finish(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"handout_{name}.png"), full_page=True)
        assert self.attempted == [], f"the handout tried the network: {self.attempted[:5]}"
        assert self.errors == [], self.errors
        self.context.close()


def drag_changes(offline: Offline, canvas) -> None:
    before = offline.pixels(canvas).tobytes()
    box = canvas.bounding_box()
    page = offline.page
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 90, y + 30, steps=8)
    page.mouse.up()
    page.wait_for_timeout(300)
    assert offline.pixels(canvas).tobytes() != before, "dragging did not change the surface"


def window_slider_changes(offline: Offline, explorer) -> None:
    window = explorer.locator('input[aria-label="window"]')
    heat = explorer.locator("canvas.nbviz-occlusion-map")
    assert window.is_enabled()
    assert explorer.locator('input[aria-label="stride"]').is_disabled()
    assert explorer.locator('select[aria-label="baseline"]').is_disabled()
    windows = int(window.get_attribute("max")) + 1
    assert windows >= 3, "several window sizes were precomputed"
    shown = heat.get_attribute("data-window")
    before = offline.pixels(heat).tobytes()
    window.fill("0" if int(window.input_value()) > 0 else str(windows - 1))
    offline.page.wait_for_timeout(200)
    assert heat.get_attribute("data-window") != shown
    assert offline.pixels(heat).tobytes() != before, "the precomputed window did not change the map"
    # hover reads the precomputed probability with that window covered
    box = heat.bounding_box()
    offline.page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
    offline.page.wait_for_timeout(200)
    assert "covered, p(" in explorer.locator(".nbviz-occlusion-side .nbviz-caption").first.inner_text()


@pytest.fixture(scope="module")
def shapes():
    import nbviz

    return nbviz.zoo.shapes_cnn().model, nbviz.datasets.shapes(8, 32, 0)


def test_occlusion_save_html_offline(browser, shapes, tmp_path):
    import nbviz

    model, data = shapes
    explorer = nbviz.OcclusionExplorer(model, data.images[0], data.class_names, stride=2)
    path = explorer.save_html(tmp_path / "occlusion.html")
    assert explorer.handout_windows == [2, 3, 4, 6, 8, 12, 16, 24, 32]
    offline = Offline(browser, path)
    offline.assert_canvases_drawn()
    window_slider_changes(offline, offline.page.locator(".nbviz-explorer").first)
    offline.finish("occlusion")
    print(f"occlusion handout: {path.stat().st_size / 1e6:.2f} MB")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_export_offline(browser, name, tmp_path):
    out = tmp_path / f"{name}.html"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-m", "nbviz", "export", str(ROOT / "notebooks" / f"{name}.ipynb"), str(out)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    html = out.read_text(encoding="utf-8")
    assert re.search(r"<script[^>]+src=", html) is None  # every script inline
    outputs = "jp-OutputArea-output" in html and "data:image/png;base64," in html  # printed text and figures
    assert outputs
    offline = Offline(browser, out)
    offline.assert_canvases_drawn()
    explorers = offline.page.locator(".nbviz-explorer")
    for i in range(explorers.count()):
        explorer = explorers.nth(i)
        title = explorer.locator(".nbviz-header strong").inner_text()
        explorer.scroll_into_view_if_needed()
        if title == "Occlusion":
            window_slider_changes(offline, explorer)
        elif title == "Loss landscape":
            view = explorer.locator('select[aria-label="view"]')
            options = view.locator("option").all_inner_texts()
            if "surface" in options:
                view.select_option("surface")
                offline.page.wait_for_timeout(300)
                drag_changes(offline, explorer.locator("canvas.nbviz-landscape-canvas"))
            assert explorer.locator('input[aria-label="span"]').is_disabled()
    if name == "04_loss_landscape":
        titles = explorers.locator(".nbviz-header strong").all_inner_texts()
        assert "Loss landscape" in titles
    offline.finish(name)
    print(f"{name} handout: {out.stat().st_size / 1e6:.2f} MB")
