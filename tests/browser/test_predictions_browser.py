"""The pipe end to end in JupyterLab: slider moved → Python computes on the worker thread → new pixels."""

from __future__ import annotations

from lab_driver import canvas_signature, cell_output_text, open_and_run, run_cell, wait_canvas_change, wait_canvas_drawn

CANVAS = ".nbviz-predictions-canvas"


def test_rotate_slider_recomputes_predictions(page, lab):
    name = lab.write_notebook(
        "predictions.ipynb",
        [
            "import nbviz\n"
            "model = nbviz.zoo.digits_cnn().model\n"
            "data = nbviz.datasets.digits()\n"
            "explorer = nbviz.PredictionExplorer(model, data.images[:16], data.labels[:16], data.class_names)\n"
            "explorer",
            "explorer.wait(); print('angle', explorer.angle, 'accuracy', explorer.accuracy)",
        ],
    )
    open_and_run(page, lab, name)
    wait_canvas_drawn(page, CANVAS)
    before = canvas_signature(page, CANVAS)
    assert "accuracy 1.0" in cell_output_text(page, 1) or "accuracy 0.9" in cell_output_text(page, 1)

    page.get_by_label("rotate").fill("90")  # fires input/change like a person dragging
    wait_canvas_change(page, CANVAS, before)
    run_cell(page, 1)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[1].outputArea.node.innerText.includes('angle 90')",
        timeout=30_000,
    )
    text = cell_output_text(page, 1)
    accuracy = float(text.split("accuracy")[1])
    assert accuracy < 0.9, "a digit CNN should not be rotation invariant"
    assert not page.js_errors


def test_predictions_handout_sliders_step_through_precomputed_values(browser, tmp_path):
    """Saved with save_html: offline (file://, network blocked) the sliders step through the stored ladder."""
    import nbviz
    from test_handout_browser import Offline

    model, data = nbviz.zoo.digits_cnn().model, nbviz.datasets.digits()
    explorer = nbviz.PredictionExplorer(model, data.images[:16], data.labels[:16], data.class_names)
    path = explorer.save_html(tmp_path / "predictions.html")
    angles = explorer.handout_ladders["angle"]
    assert len(angles) == 25 and len(explorer.handout_params) == 50
    offline = Offline(browser, path)
    offline.assert_canvases_drawn()
    page = offline.page
    canvas = page.locator(CANVAS)
    rotate, zoom = page.locator('input[aria-label="rotate"]'), page.locator('input[aria-label="zoom"]')
    assert rotate.is_enabled() and zoom.is_enabled() and int(rotate.get_attribute("max")) == 24
    caption = page.locator(".nbviz-explorer .nbviz-caption").first
    before, accuracy = offline.pixels(canvas).tobytes(), caption.inner_text()
    rotate.fill(str(angles.index(90.0)))
    page.wait_for_timeout(200)
    assert canvas.get_attribute("data-state") == "90,0,0,1"
    assert page.locator(".nbviz-slider", has=rotate).locator(".nbviz-slider-value").inner_text() == "90°"
    assert offline.pixels(canvas).tobytes() != before, "the precomputed rotation did not change the tiles"
    state = explorer.handout_params.index([90.0, 0.0, 0.0, 1.0])
    shown = caption.inner_text()
    assert shown != accuracy and abs(float(shown.split(": ")[1].rstrip("%")) - explorer.handout_accuracy[state] * 100) <= 0.5
    # another slider: one transform at a time, so rotation goes back to rest
    zoom.fill(str(explorer.handout_ladders["zoom"].index(2.0)))
    page.wait_for_timeout(200)
    assert canvas.get_attribute("data-state") == "0,0,0,2"
    assert page.locator(".nbviz-slider", has=rotate).locator(".nbviz-slider-value").inner_text() == "0°"
    offline.finish("predictions")
    print(f"predictions handout: {path.stat().st_size / 1e6:.2f} MB")
