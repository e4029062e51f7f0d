// Loss and accuracy: the training loss over steps and the probe accuracy at each snapshot, the
// snapshot on show marked.
import type { AnyModel } from "@anywidget/types";
import { extent } from "../lib/arrays";
import { drawAxis, niceTicks, scale } from "../lib/axes";
import { setupCanvas } from "../lib/canvas";
import { drawLinePlot } from "../lib/lineplot";
import { current, INK, marker, PANEL, PLOT, type Panel } from "./panel";
import type { WatchTraits } from "./traits";

/** Draw the loss and accuracy panel. */
export function drawCurves(model: AnyModel<WatchTraits>, p: Panel): void {
  const ctx = setupCanvas(p.canvas, PANEL, PANEL);
  const steps = model.get("snapshot_steps");
  const x = model.get("loss_steps");
  const loss = model.get("train_loss");
  const acc = model.get("probe_accuracy");
  if (x && loss && x.data.length > 1) {
    const inverse = drawLinePlot(ctx, PLOT, x.data, "step", [{ values: loss.data, label: "training loss", color: "#1f77b4" }], INK);
    void inverse;
  }
  if (steps && acc && steps.data.length) {
    // accuracy on the probe set at each snapshot: dots on the right-hand axis, over the same steps
    const xs = x && x.data.length > 1 ? extent(x.data) : extent(steps.data);
    const sx = scale(xs[0], xs[1] > xs[0] ? xs[1] : xs[0] + 1, PLOT.x, PLOT.x + PLOT.w);
    const sy = scale(0, 1, PLOT.y + PLOT.h, PLOT.y);
    drawAxis(ctx, PLOT, "right", niceTicks(0, 1, 5), sy, "probe accuracy", "#d62728");
    ctx.fillStyle = "#d62728";
    for (let i = 0; i < steps.data.length; i++) {
      if (!Number.isFinite(acc.data[i])) continue;
      ctx.beginPath();
      ctx.arc(sx(steps.data[i]), sy(acc.data[i]), 2.5, 0, 2 * Math.PI);
      ctx.fill();
    }
    const { index, step } = current(model);
    if (index >= 0) marker(ctx, sx, step);
  }
  const { index } = current(model);
  const a = acc && index >= 0 ? acc.data[index] : NaN;
  p.caption.textContent = Number.isFinite(a) ? `probe accuracy at this snapshot: ${(100 * a).toFixed(1)} %` : "";
}
