"""TSNEExplorer in JupyterLab: the stop note ("converged at iteration k") matches Python, and points added
with ``add_points`` are drawn with their cross marker where they land, have a legend entry, and a hover and
a click on one of them reach Python (``new_selected``)."""

from __future__ import annotations

from pathlib import Path

from lab_driver import open_and_run, run_cell, wait_output

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PLOT = ".nbviz-tsne-plot"
N, M = 500, 12

# overlay pixels drawn (alpha) within 4 px of each new point's screen position: [points with ink, points]
INK_AT_NEW = """([root, n]) => { const s = root.nbvizScatter; const p = s.positions; const m = p.length / 2 - n;
  const c = root.querySelector('.nbviz-scatter-overlay'); const ratio = c.width / c.getBoundingClientRect().width;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let inked = 0;
  for (let k = n; k < n + m; k++) { const [x, y] = s.toScreen(p[2 * k], p[2 * k + 1]); let found = false;
    for (let dy = -4; dy <= 4 && !found; dy++) for (let dx = -4; dx <= 4 && !found; dx++) {
      const px = Math.round((x + dx) * ratio), py = Math.round((y + dy) * ratio);
      if (px < 0 || py < 0 || px >= c.width || py >= c.height) continue;
      if (d[4 * (py * c.width + px) + 3] > 100) found = true; }
    if (found) inked++; }
  return [inked, m]; }"""

# a new point at least 12 px from every other point on screen: [index, x, y]
ISOLATED_NEW = """([root, n]) => { const s = root.nbvizScatter; const p = s.positions; const total = p.length / 2;
  const xy = []; for (let i = 0; i < total; i++) xy.push(s.toScreen(p[2 * i], p[2 * i + 1]));
  let best = null, gap = 0;
  for (let i = n; i < total; i++) { const [x, y] = xy[i]; if (x < 20 || y < 20 || x > 520 || y > 440) continue;
    let near = Infinity; for (let j = 0; j < total; j++) if (j !== i) near = Math.min(near, Math.hypot(xy[j][0] - x, xy[j][1] - y));
    if (near > gap) { gap = near; best = [i, x, y]; } }
  return best; }"""


def check_stop_note(page, text: str) -> None:
    """The note under the curve says what Python's ``converged_at`` / ``last_iteration`` say (``text``: cell 1)."""
    converged_at, last = text.split("done")[1].split()[:2]
    note = page.locator(".nbviz-tsne-stop").first
    expected = f"converged at iteration {converged_at}" if converged_at != "None" else f"stopped at the iteration limit ({last})"
    page.wait_for_function("([n, t]) => n.innerText === t", arg=[note.element_handle(), expected], timeout=10_000)


def test_new_points_in_lab(page, lab):
    name = lab.write_notebook(
        "tsne_new_points.ipynb",
        [
            "import numpy as np, nbviz\n"
            "data = nbviz.datasets.digits()\n"
            "X = data.images.reshape(len(data.images), -1).numpy()\n"
            f"e = nbviz.TSNEExplorer(X[:{N}], data.labels[:{N}], images=data.images[:{N}], class_names=data.class_names,\n"
            "                       perplexity=20, max_perplexity=30, n_iter=1000)\n"
            "e",
            "e.wait(); e.wait(); print('done', e.converged_at, e.last_iteration, e.perplexity, e.result.params['init'])",
            f"e.add_points(X[{N}:{N + M}], labels=data.labels[{N}:{N + M}], images=data.images[{N}:{N + M}], name='held out')\n"
            "e.wait(); print('placed', e.new_positions.shape)",
            "print('sel', e.selected, 'new', e.new_selected)",
            "runs = globals().get('runs', 0) + 1  # run-all opens the notebook: clear only when the test runs this cell\n"
            "if runs > 1:\n    e.clear_points(); print('cleared', e.new_positions)",
        ],
    )
    open_and_run(page, lab, name)
    root = page.locator(PLOT).first
    check_stop_note(page, wait_output(page, 1, "done"))
    assert "placed (12, 2)" in wait_output(page, 2, "placed")

    # the scatter holds the map's points then the new ones, each with a cross drawn where it lands
    page.wait_for_function(f"(r) => r.nbvizScatter.count() === {N + M}", arg=root.element_handle(), timeout=30_000)
    page.wait_for_timeout(300)
    inked, m = page.evaluate(f"([r, n]) => ({INK_AT_NEW})([r, n])", [root.element_handle(), N])
    assert m == M and inked == M, (inked, m)
    legend = page.locator(".nbviz-tsne-side .nbviz-legend").first.inner_text()
    assert "✕ held out" in legend, legend

    # hover over the most isolated new point → its name and label; click → new_selected in Python
    index, x, y = page.evaluate(f"([r, n]) => ({ISOLATED_NEW})([r, n])", [root.element_handle(), N])
    overlay = page.locator(f"{PLOT} .nbviz-scatter-overlay").first
    overlay.scroll_into_view_if_needed()
    box = overlay.bounding_box()
    page.mouse.move(box["x"] + x + 0.5, box["y"] + y + 0.5)
    tooltip = page.locator(".nbviz-tsne-tooltip").first
    tooltip.wait_for(state="visible", timeout=5_000)
    assert f"held out #{index - N}" in tooltip.inner_text(), tooltip.inner_text()
    page.mouse.click(box["x"] + x + 0.5, box["y"] + y + 0.5)
    page.wait_for_function("() => document.querySelector('.nbviz-tsne-side').innerText.includes('1 new selected')")
    run_cell(page, 3)
    out = wait_output(page, 3, "sel")
    assert f"sel [] new [{index - N}]" in out, out
    page.mouse.click(box["x"] + 2, box["y"] + 2)  # empty space: clears the selection

    # a perplexity change warm-starts from the map on screen: a new stop note, the new points placed again
    before = root.evaluate(f"(r) => Array.from(r.nbvizScatter.positions.slice({2 * N}))")
    page.get_by_label("perplexity").first.fill("12")
    page.wait_for_function(
        f"([r, b]) => r.nbvizScatter.count() === {N + M} && r.nbvizScatter.positions[{2 * N}] !== b",
        arg=[root.element_handle(), before[0]], timeout=60_000,
    )
    run_cell(page, 1)
    text = wait_output(page, 1, "12.0 warm")
    check_stop_note(page, text)
    page.wait_for_timeout(300)
    inked, m = page.evaluate(f"([r, n]) => ({INK_AT_NEW})([r, n])", [root.element_handle(), N])
    assert m == M and inked == M, (inked, m)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test_tsne_new_points.png"))

    # clear_points → the crosses go, the map's points stay
    run_cell(page, 4)
    assert "cleared None" in wait_output(page, 4, "cleared")
    page.wait_for_function(f"(r) => r.nbvizScatter.count() === {N}", arg=root.element_handle(), timeout=30_000)
    assert "held out" not in page.locator(".nbviz-tsne-side .nbviz-legend").first.inner_text()
    assert not page.js_errors
