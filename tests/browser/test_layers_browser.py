"""LayerExplorer in JupyterLab: pick layers (click, keyboard), rotate the input, open a channel's detail,
labels as text, and switching between two 64-channel 32×32 layers (timed in benchmarks/browser_timing.py)."""

from __future__ import annotations

from pathlib import Path

from lab_driver import (
    CANVAS_SUM,
    canvas_signature,
    cell_output_text,
    open_and_run,
    run_cell,
    wait_canvas_change,
    wait_canvas_drawn,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
GRID = ".nbviz-layers-grid"
EVIL = '<img src=x onerror="window.__nbviz_xss = 1">'

def _row(page, name):
    return page.locator(f'.nbviz-picker-row[data-layer="{name}"]')


def test_layer_explorer_in_lab(page, lab):
    name = lab.write_notebook(
        "layers.ipynb",
        [
            "import nbviz\n"
            "shapes = nbviz.zoo.shapes_cnn().model\n"
            "data = nbviz.datasets.shapes(64, seed=1)\n"
            f"names = [{EVIL!r}] + list(data.class_names[1:])\n"
            "explorer = nbviz.LayerExplorer(shapes, data.images[:6], data.labels[:6], data.images, class_names=names)\n"
            "explorer",
            "explorer.wait(); print('layer', explorer.layer, 'channel', explorer.channel, 'angle', explorer.angle,"
            " 'detail', explorer.detail_channel, 'top', len(explorer.top_indices), 'indices', list(map(int, explorer.top_indices)))",
        ],
    )
    open_and_run(page, lab, name)
    wait_canvas_drawn(page, GRID)
    page.wait_for_function("() => document.querySelector('.nbviz-layers-stats')?.innerText.includes('sparsity')", timeout=60_000)

    # a label that looks like HTML is shown as text, never parsed
    labels = page.locator(".nbviz-layers-label").all_inner_texts()
    assert EVIL in labels
    assert page.locator(".nbviz-explorer img").count() == 0
    assert page.evaluate("() => window.__nbviz_xss") is None

    # the 64-channel 32×32 layers and the convolutions, read from the picker's rows
    rows = page.evaluate(
        "() => [...document.querySelectorAll('.nbviz-picker-row')].map(r => [r.dataset.layer,"
        " r.querySelector('.nbviz-picker-type').textContent, r.querySelector('.nbviz-picker-shape').textContent])"
    )
    big = [name for name, kind, shape in rows if shape == "64×32×32" and name != "features"]
    convs = [name for name, kind, shape in rows if kind == "Conv2d"]
    assert len(big) >= 2, rows
    start = page.locator(GRID).get_attribute("data-layer")
    first, second = [name for name in big if name != start][-1], big[0] if big[0] != start else big[1]

    # pick a layer by clicking its row → the grid shows the new layer's maps
    before = canvas_signature(page, GRID)
    _row(page, first).click()
    wait_canvas_change(page, GRID, before)
    page.wait_for_function(f"() => document.querySelector('{GRID}').dataset.layer === '{first}'")
    assert "64 channels of 32×32" in page.locator(".nbviz-layers-main > .nbviz-caption").first.inner_text()

    # switching between two 64-channel 32×32 layers draws each one's maps (its time is measured in
    # benchmarks/browser_timing.py, not asserted here)
    for target in [second, first] * 2:
        signature = canvas_signature(page, GRID)
        _row(page, target).click()
        wait_canvas_change(page, GRID, signature)
        page.wait_for_function(f"() => document.querySelector('{GRID}').dataset.layer === '{target}'")

    # rotate the input like a person → the maps change
    before = canvas_signature(page, GRID)
    page.get_by_label("rotate").fill("90")
    wait_canvas_change(page, GRID, before)

    # keyboard: search, arrow down to the match, Enter picks it
    search = page.get_by_label("search layers")
    target = convs[-1]  # the deepest convolution: the filter shows in the detail view
    search.fill(target)
    assert page.locator(".nbviz-picker-row").count() == 2  # the match and its parent
    search.press("ArrowDown")
    before = canvas_signature(page, GRID)
    search.press("Enter")
    wait_canvas_change(page, GRID, before)
    page.wait_for_function(f"() => document.querySelector('{GRID}').dataset.layer === '{target}'")
    search.fill("")

    # click a channel → detail view with the large map, the filter and the top-9 images
    page.locator(GRID).click(position={"x": 5, "y": 5})
    page.wait_for_function("() => document.querySelectorAll('.nbviz-layers-top-item canvas').length === 9", timeout=60_000)
    assert page.locator(".nbviz-layers-big").count() == 1
    assert page.locator(".nbviz-layers-filter").count() == 1

    # hover a channel → its statistics
    page.locator(GRID).hover(position={"x": 5, "y": 5})
    assert "zeros" in page.locator(".nbviz-tooltip").inner_text()

    run_cell(page, 1)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[1].outputArea.node.innerText.includes('top 9')",
        timeout=30_000,
    )
    state = cell_output_text(page, 1)
    assert f"layer {target} channel 0 angle 90.0 detail 0 top 9" in state

    # the detail view shows this channel's own top images: the captions name Python's top_indices in
    # order, and the nine thumbnails are nine different pictures (not one image, not blank)
    indices = [int(i) for i in state.split("indices [")[1].split("]")[0].split(",")]
    captions = page.locator(".nbviz-layers-top-item .nbviz-caption").all_inner_texts()
    assert [int(c.split(":")[0].lstrip("#")) for c in captions] == indices
    thumbnails = page.locator(".nbviz-layers-top-item canvas")
    assert len({thumbnails.nth(i).evaluate(CANVAS_SUM) for i in range(9)}) == 9
    assert not page.js_errors


def test_layer_explorer_handout_works_offline(page, tmp_path):
    """A saved handout (no kernel, network blocked): the layer picker and the input strip switch between
    precomputed maps; the transform sliders are disabled with a note."""
    import nbviz

    model, data = nbviz.zoo.digits_cnn().model, nbviz.datasets.digits()
    explorer = nbviz.LayerExplorer(model, data.images[:6], data.labels[:6], data.images[:100], class_names=data.class_names)
    explorer.wait()
    path = explorer.save_html(tmp_path / "layers.html", precompute={"inputs": [0, 1, 2]})
    explorer.close()
    print(f"\nlayer explorer handout (digits CNN, 11 layers × 3 inputs): {path.stat().st_size / 1e6:.2f} MB")

    requests: list[str] = []

    def block(route):  # the page itself loads from file://; anything else would be the network
        if route.request.url.startswith(("file:", "data:", "blob:")):
            return route.continue_()
        requests.append(route.request.url)
        return route.abort()

    page.context.route("**/*", block)
    page.goto(path.as_uri())
    wait_canvas_drawn(page, GRID)
    assert page.locator(GRID).get_attribute("data-layer") == "features.0"
    assert page.get_by_label("rotate").is_disabled()
    assert page.locator(".nbviz-kernel-only").count() >= 5

    # another layer from the picker → its precomputed maps
    before = canvas_signature(page, GRID)
    _row(page, "features.6").click()
    wait_canvas_change(page, GRID, before)
    assert page.locator(GRID).get_attribute("data-layer") == "features.6"
    assert "64 channels of 4×4" in page.locator(".nbviz-layers-main > .nbviz-caption").first.inner_text()

    # another input from the strip → its maps; inputs not precomputed are disabled
    before = canvas_signature(page, GRID)
    page.locator('.nbviz-layers-thumb[data-index="2"]').click()
    wait_canvas_change(page, GRID, before)
    assert page.locator('.nbviz-layers-thumb[data-index="2"]').get_attribute("class").count("nbviz-picked") == 1
    assert page.locator('.nbviz-layers-thumb[data-index="4"]').is_disabled()

    # hovering a channel shows this input's range and the dataset statistics, stored in the page
    page.locator(GRID).hover(position={"x": 5, "y": 5})
    tip = page.locator(".nbviz-tooltip").inner_text()
    assert "this input" in tip and "dataset mean" in tip, tip
    page.screenshot(path=str(ARTIFACTS / "test_layers_handout.png"), full_page=True)
    assert not requests, requests
    assert not page.js_errors
