"""The pipe end to end in JupyterLab: slider moved → Python computes on the worker thread → new pixels."""

from __future__ import annotations

from lab_driver import (
    canvas_signature,
    cell_output_text,
    open_and_run,
    run_cell,
    wait_canvas_change,
    wait_canvas_drawn,
    wait_output,
)

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


TRAIN_STEP = """
import torch
_opt = torch.optim.SGD(model.parameters(), lr=2.0)
_opt.zero_grad()
torch.nn.functional.cross_entropy(model(data.images[:64]), (data.labels[:64] + 1) % 10).backward()
_opt.step()
"""


def test_training_in_the_notebook_shows_the_stale_note_and_refresh_recomputes(page, lab):
    """The notebook trains the model under an open explorer: the note appears (no request needed),
    the Refresh button recomputes from the new weights (pixels change) and Python sees it settled."""
    name = lab.write_notebook(
        "stale.ipynb",
        [
            "import copy, nbviz\n"
            "model = copy.deepcopy(nbviz.zoo.digits_cnn().model)\n"
            "data = nbviz.datasets.digits()\n"
            "explorer = nbviz.PredictionExplorer(model, data.images[:16], data.labels[:16], data.class_names)\n"
            "explorer",
            "explorer.wait(); print('stale', repr(explorer.stale), 'accuracy', explorer.accuracy)",
        ],
    )
    open_and_run(page, lab, name)
    wait_canvas_drawn(page, CANVAS)
    note = page.locator(".nbviz-stale").first
    assert not note.is_visible()
    before = canvas_signature(page, CANVAS)
    page.evaluate(
        "async (code) => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;"
        " await k.requestExecute({ code }).done; }",
        TRAIN_STEP,
    )
    note.wait_for(state="visible", timeout=30_000)
    assert "weights changed" in note.inner_text()
    note.get_by_role("button", name="Refresh").click()
    note.wait_for(state="hidden", timeout=30_000)
    wait_canvas_change(page, CANVAS, before)
    run_cell(page, 1)
    text = wait_output(page, 1, "stale ''")
    assert float(text.split("accuracy")[1]) < 0.9, "trained towards the wrong labels, the refreshed view says so"
    assert not page.js_errors
