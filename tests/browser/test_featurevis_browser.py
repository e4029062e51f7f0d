"""FeatureVisExplorer in JupyterLab: frames change while the optimisation runs, a slider restarts it
(the stale run stops), and the facet gallery renders."""

from __future__ import annotations

from lab_driver import canvas_signature, cell_output_text, open_and_run, run_cell, wait_canvas_change, wait_canvas_drawn

FRAMES = ".nbviz-featurevis-maximize"
FACETS = ".nbviz-featurevis-facets"


def caption_has(page, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('.nbviz-caption')].some((c) => c.textContent.includes(t))",
        arg=text, timeout=timeout,
    )


def test_live_frames_restart_and_facets(page, lab):
    name = lab.write_notebook(
        "featurevis.ipynb",
        [
            "import nbviz\n"
            "from nbviz.widgets.featurevis import FeatureVisExplorer\n"
            "model = nbviz.zoo.digits_cnn().model\n"
            "data = nbviz.datasets.digits()\n"
            "explorer = FeatureVisExplorer(model, data.images[:300], layer='features.3', units=list(range(8)),\n"
            "                              steps=16, frame_every=4)\n"
            "explorer",
            "if explorer.steps == 40:  # only once the sliders moved (run-all must not wait for a long run)\n"
            "    explorer.wait(); print('completed', [(c['steps'], c['l2']) for c in explorer.completed],"
            " 'step', explorer.frame_step, 'error', repr(explorer.error))",
        ],
    )
    open_and_run(page, lab, name)
    wait_canvas_drawn(page, FRAMES)
    caption_has(page, "final images after 16 steps")
    page.wait_for_timeout(5000)

    page.get_by_label("steps").fill("512")  # a long run: the images change while it optimises
    first = wait_canvas_change(page, FRAMES, canvas_signature(page, FRAMES))
    later = wait_canvas_change(page, FRAMES, first)
    wait_canvas_change(page, FRAMES, later)
    caption_has(page, "of 512")

    page.get_by_label("l2").fill("0.5")  # restarts; the 2000-step run must stop
    page.get_by_label("steps").fill("40")
    caption_has(page, "final images after 40 steps")
    run_cell(page, 1)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[1].outputArea.node.innerText.includes('completed')",
        timeout=30_000,
    )
    text = cell_output_text(page, 1)
    # the 512-step run may finish on a fast machine before l2 moves; the restarted one must not
    assert "completed [(16, 0.0), " in text and "(40, 0.5)] step 40 error ''" in text and "(512, 0.5)" not in text, text

    page.get_by_label("mode").select_option("facets")
    wait_canvas_drawn(page, FACETS)
    caption_has(page, "facets of unit 0")
    assert not page.js_errors
