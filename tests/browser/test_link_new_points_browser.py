"""nbviz.link and a t-SNE map's new points in JupyterLab: a click on a cross (a point placed by ``add_points``)
shows that held-out image in the linked saliency explorer (its canvas changes, its input slider grows to
take the added images, Python's traits match); a click on one of the map's own points goes back."""

from __future__ import annotations

from pathlib import Path

from lab_driver import canvas_signature, open_and_run, run_cell, wait_canvas_change, wait_canvas_drawn, wait_output
from test_tsne_new_points_browser import ISOLATED_NEW

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PLOT = ".nbviz-tsne-plot"
SALIENCY = ".nbviz-saliency-input"
N, M = 300, 10


def test_a_clicked_cross_shows_its_image_in_the_linked_view(page, lab):
    name = lab.write_notebook(
        "link_new_points.ipynb",
        [
            "import numpy as np, nbviz\n"
            "model = nbviz.zoo.digits_cnn().model\n"
            "data = nbviz.datasets.digits()\n"
            "X = data.images.reshape(len(data.images), -1).numpy()\n"
            f"tsne = nbviz.TSNEExplorer(X[:{N}], data.labels[:{N}], images=data.images[:{N}], perplexity=20, n_iter=500)\n"
            f"saliency = nbviz.SaliencyExplorer(model, data.images[:{N}], data.labels[:{N}], methods=['gradient'], max_inputs={N})\n"
            "link = nbviz.link(tsne, saliency)\n"
            f"tsne.wait(); tsne.add_points(X[{N}:{N + M}], labels=data.labels[{N}:{N + M}], images=data.images[{N}:{N + M}], name='held out')\n"
            "tsne.wait(); display(tsne, saliency)",
            "saliency.wait(); print('new', tsne.new_selected, 'sal', saliency.index, saliency.n_inputs, 'err', saliency.error or None)",
        ],
    )
    open_and_run(page, lab, name)
    wait_canvas_drawn(page, SALIENCY)
    root = page.locator(PLOT).first
    page.wait_for_function(f"(r) => r.nbvizScatter.count() === {N + M}", arg=root.element_handle(), timeout=60_000)
    page.wait_for_timeout(500)
    before = canvas_signature(page, SALIENCY)
    index, x, y = page.evaluate(f"([r, n]) => ({ISOLATED_NEW})([r, n])", [root.element_handle(), N])
    overlay = page.locator(f"{PLOT} .nbviz-scatter-overlay").first
    overlay.scroll_into_view_if_needed()
    box = overlay.bounding_box()
    page.mouse.click(box["x"] + x + 0.5, box["y"] + y + 0.5)
    wait_canvas_change(page, SALIENCY, before)
    run_cell(page, 1)
    j = index - N
    out = wait_output(page, 1, "new [")
    assert f"new [{j}] sal {N + j} {N + M} err None" in out, out
    slider = page.locator('.nbviz-explorer input[aria-label="input"]').first
    page.wait_for_function(f"(s) => s.max === '{N + M - 1}' && s.value === '{N + j}'",
                           arg=slider.element_handle(), timeout=10_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test_link_new_points.png"), full_page=True)
    assert not page.js_errors
