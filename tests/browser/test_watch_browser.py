"""WatchExplorer in JupyterLab: the view moves while the training cell runs, before it ends.

The first cell builds a digits CNN and its watcher and shows it; the second trains it with the watcher
in the loop (a pause per step keeps the cell running for a while). The test starts the second cell
without waiting for it, then waits for the loss curve, the filters and the feature maps to be redrawn,
and checks the kernel is still busy with that cell and its last line has not printed yet.
"""

from __future__ import annotations

from lab_driver import CANVAS_SIGNATURE as SIGNATURE, KERNEL_BUSY as BUSY, KERNEL_IDLE as IDLE, wait_output

CURVES = ".nbviz-watch-panel:nth-of-type(1) .nbviz-watch-canvas"
FILTERS = ".nbviz-watch-panel:nth-of-type(2) .nbviz-watch-canvas"
MAPS = ".nbviz-watch-panel:nth-of-type(3) .nbviz-watch-canvas"
SETUP = (
    "import time, torch, nbviz\n"
    "torch.set_num_threads(1)\n"
    "torch.manual_seed(0)\n"
    "d = nbviz.datasets.digits()\n"
    "model = nbviz.zoo.DigitsCNN()\n"
    "optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)\n"
    "watcher = nbviz.watch(model, (d.images[:200], d.labels[:200]), every=3, adaptive=False, surface=False)\n"
    "watcher"
)
TRAIN = (
    "model.train()\n"
    "for step, batch in enumerate(torch.randperm(1400).split(32)):\n"
    "    optimiser.zero_grad()\n"
    "    loss = torch.nn.functional.cross_entropy(model(d.images[batch]), d.labels[batch])\n"
    "    loss.backward()\n"
    "    optimiser.step()\n"
    "    watcher.step(loss=loss.item())\n"
    "    time.sleep(0.4)\n"
    "print('training done', watcher.steps_done)"
)


def signature(page, selector: str) -> int:
    return page.locator(selector).first.evaluate(SIGNATURE)


def test_the_view_moves_while_the_training_cell_runs(page, lab):
    name = lab.write_notebook("watch_live.ipynb", [SETUP, TRAIN])
    page.goto(lab.url(name))
    page.wait_for_function(f"() => window.jupyterapp?.shell?.currentWidget?.context?.path === {name!r}", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel", timeout=60_000)
    page.evaluate(
        """async () => { const app = window.jupyterapp; const panel = app.shell.currentWidget;
        await panel.sessionContext.ready; panel.content.activeCellIndex = 0;
        await app.commands.execute('notebook:run-cell'); }"""
    )
    page.wait_for_function(IDLE, timeout=120_000)
    page.locator(CURVES).first.wait_for(timeout=60_000)
    before = {s: signature(page, s) for s in (CURVES, FILTERS, MAPS)}

    # start the training cell and do not wait for it
    page.evaluate(
        """() => { const app = window.jupyterapp; const panel = app.shell.currentWidget;
        panel.content.activeCellIndex = 1; app.commands.execute('notebook:run-cell'); }"""
    )
    page.wait_for_function(BUSY, timeout=30_000)
    for selector in (CURVES, FILTERS, MAPS):
        handle = page.locator(selector).first.element_handle()
        page.wait_for_function(f"([c, b]) => ({SIGNATURE})(c) !== b", arg=[handle, before[selector]], timeout=90_000)
    # redrawn while the cell still runs: the kernel is busy with it and its last line has not printed
    assert page.evaluate(BUSY), "the cell had already finished when the view changed"
    outputs = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.outputs.length")
    assert outputs == 0, "the training cell had already printed its last line"
    moving = signature(page, FILTERS)
    page.wait_for_function(f"([c, b]) => ({SIGNATURE})(c) !== b", arg=[page.locator(FILTERS).first.element_handle(), moving], timeout=90_000)
    assert page.evaluate(BUSY)  # and keeps moving
    wait_output(page, 1, "training done", timeout=180_000)
    assert not page.js_errors
