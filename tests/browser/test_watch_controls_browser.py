"""WatchExplorer in JupyterLab and Notebook 7: the scrubber acts while the training cell runs, before it ends.

The first cell builds a digits CNN and its watcher and shows it (snapshot 0: the untrained filters). The
second trains with the watcher in the loop and keeps going until the test lets it stop (a file the test
writes), so the cell is certainly running whenever the test looks. The test waits for the filters to
move on and for five snapshots, drags the scrubber back to snapshot 0 (several positions on the way) and
waits for the untrained filters to come back: the kernel applied the scrubber inside the running cell
(both hosts' default sends comm messages to a kernel subshell; nbviz.widgets._live_controls takes them
from there to the next ``watcher.step()``).
"""

from __future__ import annotations

import pytest

from lab_driver import CANVAS_SIGNATURE as SIGNATURE, KERNEL_IDLE as IDLE, wait_output

FILTERS = ".nbviz-watch-panel:nth-of-type(2) .nbviz-watch-canvas"
SCRUBBER = 'input[aria-label="snapshot"]'
SETUP = (
    "import os, time, torch, nbviz\n"
    "torch.set_num_threads(1)\n"
    "torch.manual_seed(0)\n"
    "d = nbviz.datasets.digits()\n"
    "model = nbviz.zoo.DigitsCNN()\n"
    "optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)\n"
    "watcher = nbviz.watch(model, (d.images[:200], d.labels[:200]), every=3, adaptive=False, tsne=False, surface=False)\n"
    "watcher"
)
TRAIN = (
    "model.train()\n"
    "scrubbed = None  # the step at which the scrubber's message arrived\n"
    "for step in range(3000):\n"
    "    batch = torch.randint(0, 1400, (32,))\n"
    "    optimiser.zero_grad()\n"
    "    torch.nn.functional.cross_entropy(model(d.images[batch]), d.labels[batch]).backward()\n"
    "    optimiser.step()\n"
    "    watcher.step()\n"
    "    if scrubbed is None and not watcher.live:\n"
    "        scrubbed = watcher.steps_done\n"
    "    if os.path.exists('release_watch_controls'):\n"
    "        break\n"
    "    time.sleep(0.1)\n"
    "print('training done', scrubbed, watcher.steps_done, watcher.frame)"
)
CELL_OUTPUTS = "() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.outputs.length"
CELL_RUNNING = "() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.executionState === 'running'"


def drag_to_start(page, scrubber) -> None:
    """Drag the scrubber's thumb (at the newest snapshot, on the right) to the left end, as a person
    would: the front end sends a position at every step of the way."""
    scrubber.scroll_into_view_if_needed()
    box = scrubber.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 6, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, y, steps=6)
    page.mouse.move(box["x"] - 20, y, steps=6)
    page.mouse.up()


@pytest.mark.parametrize("host", ["lab", "notebook7"])
def test_the_scrubber_acts_while_the_training_cell_runs(page, host, request):
    server = request.getfixturevalue(host)
    name = server.write_notebook(f"watch_controls_{host}.ipynb", [SETUP, TRAIN])
    release = server.root / "release_watch_controls"
    release.unlink(missing_ok=True)
    page.goto(server.url(name))
    page.wait_for_function(f"() => window.jupyterapp?.shell?.currentWidget?.context?.path === {name!r}", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel", timeout=60_000)
    page.evaluate(
        """async () => { const app = window.jupyterapp; const panel = app.shell.currentWidget;
        await panel.sessionContext.ready; panel.content.activeCellIndex = 0;
        await app.commands.execute('notebook:run-cell'); }"""
    )
    page.wait_for_function(IDLE, timeout=120_000)
    filters = page.locator(FILTERS).first
    filters.wait_for(timeout=60_000)
    untrained = filters.evaluate(SIGNATURE)  # snapshot 0's filters

    page.evaluate(  # start the training cell and do not wait for it
        """() => { const app = window.jupyterapp; const panel = app.shell.currentWidget;
        panel.content.activeCellIndex = 1; app.commands.execute('notebook:run-cell'); }"""
    )
    try:
        page.wait_for_function(CELL_RUNNING, timeout=30_000)
        page.wait_for_function(f"([c, b]) => ({SIGNATURE})(c) !== b", arg=[filters.element_handle(), untrained], timeout=90_000)
        scrubber = page.locator(SCRUBBER).first
        page.wait_for_function("(s) => Number(s.max) >= 4", arg=scrubber.element_handle(), timeout=90_000)
        drag_to_start(page, scrubber)  # back to the untrained network, through the snapshots between
        page.wait_for_function(f"([c, b]) => ({SIGNATURE})(c) === b", arg=[filters.element_handle(), untrained], timeout=60_000)
        # shown while the cell still runs: it has not printed and has not finished
        assert page.evaluate(CELL_RUNNING), "the training cell had already finished"
        assert page.evaluate(CELL_OUTPUTS) == 0, "the training cell had already printed its last line"
    finally:
        release.write_text("")
    done = wait_output(page, 1, "training done", timeout=120_000)
    scrubbed, steps, frame = done.split()[2:5]
    assert scrubbed != "None", done  # the kernel saw the scrubber at a step of the loop, not after it
    assert int(scrubbed) <= int(steps) and frame == "0", done  # and the watcher stayed on snapshot 0 (no longer following training)
    assert not server.unexpected_errors(page.js_errors), page.js_errors
