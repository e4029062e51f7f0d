"""Occlusion and saliency explorers in JupyterLab: sliders, hover and method choice change the pixels."""

from __future__ import annotations

import time

from lab_driver import canvas_signature, cell_output_text, open_and_run, run_cell, wait_canvas_change, wait_canvas_drawn

MAP = ".nbviz-occlusion-map"
PREVIEW = ".nbviz-occlusion-preview"
SETUP = (
    "import sys, torch, nbviz\n"
    "sys.path.insert(0, '{tests}')\n"
    "from occlusion_models import TinyCNN\n"
    "torch.manual_seed(0)\n"
    "model = TinyCNN().eval()\n"
    "x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))\n"
    "names = ['circle', 'square', 'triangle', 'cross', '<img src=x onerror=window.pwned=1>']\n"
)
RECORD_PARTIAL = """(canvas) => { window.partialStates = [];
  new MutationObserver(() => window.partialStates.push(canvas.dataset.partial))
    .observe(canvas, { attributes: true, attributeFilter: ['data-partial'] }); }"""


def run_notebook(page, lab, name: str) -> None:
    """Open ``name``, run all its cells and wait for the explorer to appear."""
    open_and_run(page, lab, name, timeout=120_000)
    page.wait_for_selector(".nbviz-explorer", timeout=60_000)


def setup_cell() -> str:
    from pathlib import Path

    return SETUP.format(tests=Path(__file__).resolve().parents[1])


def test_occlusion_window_slider_and_hover(page, lab):
    name = lab.write_notebook(
        "occlusion.ipynb",
        [
            setup_cell(),
            "explorer = nbviz.OcclusionExplorer(model, x[0], labels=names, window=4, stride=1)\nexplorer",
            "explorer.wait(); print('window', explorer.window, 'hover', explorer.hover, 'partial', explorer.partial)",
        ],
    )
    run_notebook(page, lab, name)
    wait_canvas_drawn(page, MAP)
    page.wait_for_function(f"() => document.querySelector('{MAP}').dataset.partial === 'false'", timeout=30_000)
    before = canvas_signature(page, MAP)
    page.locator(MAP).first.evaluate(RECORD_PARTIAL)

    page.get_by_label("window").fill("12")
    wait_canvas_change(page, MAP, before)
    page.wait_for_function("() => window.partialStates.at(-1) === 'false'", timeout=30_000)
    states = page.evaluate("window.partialStates")
    assert "true" in states and states.index("true") < len(states) - 1, f"no intermediate map drawn: {states}"

    box = page.locator(MAP).first.bounding_box()
    preview_before = canvas_signature(page, PREVIEW)
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3, steps=4)
    page.wait_for_function(f"() => document.querySelector('{PREVIEW}').dataset.occluded === 'true'", timeout=30_000)
    wait_canvas_change(page, PREVIEW, preview_before)
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.move(box["x"] + 2, box["y"] + 2)  # pinned: moving away keeps the preview
    run_cell(page, 2)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[2].outputArea.node.innerText.includes('window 12')",
        timeout=30_000,
    )
    text = cell_output_text(page, 2)
    assert "partial False" in text and "hover []" not in text
    assert page.evaluate("document.querySelector('.nbviz-occlusion-preview').dataset.occluded") == "true"
    assert page.evaluate("window.pwned") is None and not page.locator("img[src='x']").count()
    assert not page.js_errors


def test_saliency_method_change_redraws(page, lab):
    name = lab.write_notebook(
        "saliency.ipynb",
        [
            setup_cell(),
            "masks = torch.zeros(3, 32, 32); masks[:, 8:24, 8:24] = 1\n"
            "explorer = nbviz.SaliencyExplorer(model, x, labels=[0, 1, 2], masks=masks, class_names=names)\nexplorer",
            "explorer.wait(); print('methods', explorer.map_methods, 'hits', explorer.hits, 'target', explorer.target, 'layer', explorer.layer)",
        ],
    )
    run_notebook(page, lab, name)
    first = ".nbviz-saliency-map"
    wait_canvas_drawn(page, first)
    page.wait_for_function("() => document.querySelectorAll('.nbviz-saliency-map').length === 3", timeout=30_000)
    before = canvas_signature(page, first)

    page.get_by_label("gradient", exact=True).uncheck()  # the first panel now shows integrated gradients
    wait_canvas_change(page, first, before)
    page.wait_for_function("() => document.querySelectorAll('.nbviz-saliency-map').length === 2", timeout=30_000)
    assert page.locator(first).first.get_attribute("data-method") == "integrated_gradients"

    before = canvas_signature(page, first)
    page.get_by_label("opacity").fill("1")  # client-side only
    wait_canvas_change(page, first, before)

    # the CAM layer comes from the shared layer picker; only layers with spatial output can be picked
    cam = ".nbviz-saliency-map[data-method='gradcam']"
    row = ".nbviz-saliency-layer .nbviz-picker-row[data-layer='{}']"
    assert "nbviz-picked" in page.locator(row.format("features.6")).get_attribute("class")  # the default
    assert "nbviz-disabled" in page.locator(row.format("head.2")).get_attribute("class")  # a Linear: no maps
    before = canvas_signature(page, cam)
    page.locator(row.format("features.0")).click()
    page.wait_for_function("() => document.querySelector('.nbviz-saliency-layer').innerText.includes('CAM layer: features.0')")
    assert "nbviz-picked" in page.locator(row.format("features.0")).get_attribute("class")
    deadline = time.monotonic() + 30  # the new CAM map arrives from the kernel
    while canvas_signature(page, cam) == before and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert canvas_signature(page, cam) != before, "the CAM map did not change with the layer"

    page.locator(".nbviz-topk-row").nth(1).click()  # pick the second most probable class as target
    run_cell(page, 2)
    page.wait_for_function(
        "() => { const t = window.jupyterapp.shell.currentWidget.content.widgets[2].outputArea.node.innerText;"
        " return t.includes('target') && !t.includes('target None'); }",
        timeout=30_000,
    )
    text = cell_output_text(page, 2)
    assert "'integrated_gradients', 'gradcam'" in text and "hits [" in text and "layer features.0" in text
    assert page.evaluate("window.pwned") is None and not page.locator("img[src='x']").count()
    assert not page.js_errors
