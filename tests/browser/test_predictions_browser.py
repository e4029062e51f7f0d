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
