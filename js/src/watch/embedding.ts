// The t-SNE map of the probe features (warm-started from the previous map), coloured by label.
import type { AnyModel } from "@anywidget/types";
import { extent } from "../lib/arrays";
import { scale } from "../lib/axes";
import { setupCanvas } from "../lib/canvas";
import { PANEL, TAB10, title, type Panel } from "./panel";
import { shown } from "./shown";
import type { WatchTraits } from "./traits";

/** Draw the t-SNE panel. */
export function drawTsne(model: AnyModel<WatchTraits>, p: Panel): void {
  const ctx = setupCanvas(p.canvas, PANEL, PANEL);
  const { embedding: e, embeddingStep } = shown(model);
  const labels = model.get("labels");
  if (!e) { title(ctx, "the first map is on its way…"); return; }
  const n = e.shape[0];
  const xs = new Float32Array(n);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) { xs[i] = e.data[2 * i]; ys[i] = e.data[2 * i + 1]; }
  const [x0, x1] = extent(xs);
  const [y0, y1] = extent(ys);
  const half = Math.max(x1 - x0, y1 - y0, 1e-6) / 2 * 1.05;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const sx = scale(cx - half, cx + half, 6, PANEL - 6);
  const sy = scale(cy - half, cy + half, PANEL - 6, 6);
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = labels ? TAB10[labels.data[i] % TAB10.length] : "#1f77b4";
    ctx.beginPath();
    ctx.arc(sx(xs[i]), sy(ys[i]), 3, 0, 2 * Math.PI);
    ctx.fill();
  }
  const names = model.get("class_names");
  p.caption.textContent = `map of step ${embeddingStep}` + (names.length ? ` · ${names.map((c, i) => `${c} (${["blue", "orange", "green", "red", "purple", "brown", "pink", "grey", "olive", "cyan"][i % 10]})`).join(", ")}` : "");
}
