"""nbviz.explore in JupyterLab: click a t-SNE point → the linked saliency, occlusion and layer views draw that image
(pixels change; Python traits match); shift+drag a group → the layer explorer lists channels; click one."""

from __future__ import annotations

from pathlib import Path

from lab_driver import canvas_signature, cell_output_text, open_and_run, run_cell, wait_canvas_change, wait_canvas_drawn

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PLOT = ".nbviz-tsne-plot"
SALIENCY = ".nbviz-saliency-input"
OCCLUSION = ".nbviz-occlusion-map"
LAYER_INPUT = ".nbviz-layers-input"
GRID = ".nbviz-layers-grid"

# the point farthest from its nearest neighbour on screen (not item 0, which the views show at first),
# so that a click on it can only mean it: [index, x, y]
ISOLATED = """(root) => { const s = root.nbvizScatter; const p = s.positions; const n = p.length / 2;
  const box = root.querySelector('.nbviz-scatter-overlay').getBoundingClientRect();
  const xy = []; for (let i = 0; i < n; i++) xy.push(s.toScreen(p[2 * i], p[2 * i + 1]));
  let best = -1, gap = 0;
  for (let i = 1; i < n; i++) { const [x, y] = xy[i]; if (x < 20 || y < 20 || x > box.width - 20 || y > box.height - 20) continue;
    let near = Infinity; for (let j = 0; j < n; j++) if (j !== i) near = Math.min(near, Math.hypot(xy[j][0] - x, xy[j][1] - y));
    if (near > gap) { gap = near; best = i; } }
  if (gap < 6) throw new Error('no isolated point');
  return [best, xy[best][0], xy[best][1]]; }"""


STATE = (
    "e = explored.wait()\n"
    "print('sel', e.tsne.selected[:3], 'n', len(e.tsne.selected), 'sal', e.saliency.index,"
    " 'occ', e.occlusion.index, e.occlusion.partial, 'lay', e.layers.input_index,"
    " 'contrast', e.layers.contrast_layer, e.layers.contrast_size, e.layers.contrast_channels[:3], 'channel', e.layers.channel,"
    " 'errors', [x.error for x in e.explorers])"
)


def _state(page, contains: str) -> str:
    run_cell(page, 1)
    page.wait_for_function(
        "(t) => window.jupyterapp.shell.currentWidget.content.widgets[1].outputArea.node.innerText.includes(t)",
        arg=contains,
        timeout=60_000,
    )
    return cell_output_text(page, 1)


def test_explore_links_tsne_saliency_and_layers(page, lab):
    name = lab.write_notebook(
        "explore.ipynb",
        [
            "import nbviz\n"
            "model = nbviz.zoo.digits_cnn().model\n"
            "digits = nbviz.datasets.digits()\n"
            "explored = nbviz.explore(model, digits, n_iter=300)\n"
            "explored",
            STATE,
        ],
    )
    open_and_run(page, lab, name)
    assert "sel [] n 0 sal 0 occ 0 False lay 0" in cell_output_text(page, 1)
    for selector in (SALIENCY, OCCLUSION, LAYER_INPUT, GRID):
        wait_canvas_drawn(page, selector)
    page.wait_for_function(f"() => document.querySelector('{PLOT}')?.nbvizScatter?.count() === 1797", timeout=60_000)
    page.wait_for_timeout(500)  # the last t-SNE frame has arrived: positions no longer move
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test_link_start.png"), full_page=True)

    # click a t-SNE point → the saliency input, the layer input and its feature maps show that image
    before = {s: canvas_signature(page, s) for s in (SALIENCY, OCCLUSION, LAYER_INPUT, GRID)}
    overlay = page.locator(f"{PLOT} .nbviz-scatter-overlay").first
    overlay.scroll_into_view_if_needed()
    box = overlay.bounding_box()
    index, x, y = page.locator(PLOT).first.evaluate(ISOLATED)
    page.mouse.click(box["x"] + x, box["y"] + y)
    for selector, signature in before.items():
        wait_canvas_change(page, selector, signature)
    page.wait_for_function(f"() => document.querySelector('{GRID}').closest('.nbviz-explorer') !== null")
    page.screenshot(path=str(ARTIFACTS / "test_link_click.png"), full_page=True)
    text = _state(page, "sel [")
    assert f"sel [{index}] n 1 sal {index} occ {index} False lay {index}" in text, text
    assert "errors ['', '', '', '']" in text, text
    occlusion_map = page.locator(OCCLUSION).first  # the final heat map of the clicked image is on show
    assert occlusion_map.get_attribute("data-index") == str(index) and occlusion_map.get_attribute("data-partial") == "false"
    assert page.locator('.nbviz-explorer input[aria-label="input"]').count() == 2  # saliency's and occlusion's pickers
    occlusion_map.evaluate("(c) => c.closest('.nbviz-explorer').scrollIntoView()")
    occlusion_map.locator("xpath=ancestor::div[contains(@class, 'nbviz-explorer')]").screenshot(path=str(ARTIFACTS / "test_link_occlusion.png"))
    assert page.locator(f'.nbviz-layers-thumb[data-index="{index}"].nbviz-picked').count() == 1

    # shift+drag around a group of points → the layer explorer lists the channels that respond to it
    overlay.scroll_into_view_if_needed()
    box = overlay.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.keyboard.down("Shift")
    page.mouse.move(cx - 90, cy - 80)
    page.mouse.down()
    for dx, dy in ((90, -80), (90, 80), (-90, 80), (-90, -80)):
        page.mouse.move(cx + dx, cy + dy, steps=4)
    page.mouse.up()
    page.keyboard.up("Shift")
    items = page.locator(".nbviz-layers-contrast-item")
    items.first.wait_for(state="visible", timeout=60_000)
    assert items.count() == 12
    listed = [int(v) for v in items.evaluate_all("(els) => els.map((e) => e.dataset.channel)")]
    caption = page.locator(".nbviz-layers-contrast .nbviz-caption").inner_text()
    assert "respond most" in caption
    size = int(caption.split("the ")[1].split(" selected")[0])
    assert 1 < size < 1797, caption
    page.locator(".nbviz-layers-contrast").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "test_link_group.png"), full_page=True)
    text = _state(page, f"n {size} ")
    assert f"contrast features.7 {size} {listed[:3]}" in text, text  # the deepest layer with 4×4 maps

    # click a listed channel → it becomes the layer explorer's channel (detail view opens)
    items.nth(1).click()
    page.locator(".nbviz-layers-big").wait_for(timeout=30_000)
    assert f"channel {listed[1]} errors" in _state(page, f"channel {listed[1]} ")
    page.locator(".nbviz-layers-detail").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "test_link_channel.png"), full_page=True)
    assert not page.js_errors
