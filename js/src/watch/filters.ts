// The first convolution's filters at the snapshot on show.
import type { AnyModel } from "@anywidget/types";
import { slice } from "../lib/arrays";
import { cellOrigin, drawPixels, gridLayout, setupCanvas, toRGBA } from "../lib/canvas";
import { PANEL, title, type Panel } from "./panel";
import { shown } from "./shown";
import type { WatchTraits } from "./traits";

/** Draw the first-layer filters panel. */
export function drawFilters(model: AnyModel<WatchTraits>, p: Panel): void {
  const ctx = setupCanvas(p.canvas, PANEL, PANEL);
  const f = shown(model).filters;
  if (!f) { title(ctx, "no 2-D convolution"); return; }
  const n = f.shape[0];
  const layout = gridLayout(n, PANEL, { gap: 2, maxCell: 48 });
  for (let i = 0; i < n; i++) {
    const [x0, y0] = cellOrigin(layout, i);
    drawPixels(ctx, toRGBA(slice(f, i)), x0, y0, layout.cell, layout.cell);
  }
  p.caption.textContent = `${n} filters, ${f.shape[1]}×${f.shape[2]} (mid-grey = 0)`;
}
