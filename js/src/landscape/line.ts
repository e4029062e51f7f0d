// The loss line: loss (and accuracy) from a random initialisation (α = 0) to the trained weights
// (α = 1), with a readout under the pointer.
import type { AnyModel } from "@anywidget/types";
import { extent } from "../lib/arrays";
import { formatTick, scale, type Rect } from "../lib/axes";
import { nearestIndex } from "../lib/grid";
import { drawLinePlot, type Series } from "../lib/lineplot";
import type { LandscapeTraits } from "./traits";

/** The plot's rectangle, given the map's. */
const lineRect = (map: Rect): Rect => ({ x: map.x, y: map.y, w: map.w + 30, h: map.h });

/** Draw the line plot in `map`'s area, or say it is being computed. */
export function drawLine(ctx: CanvasRenderingContext2D, model: AnyModel<LandscapeTraits>, map: Rect, ink: string): void {
  const alphas = model.get("line_alphas");
  const loss = model.get("line_loss");
  if (!alphas || !loss) {
    ctx.fillStyle = ink;
    ctx.fillText("computing the loss along the line…", map.x, map.y + 20);
    return;
  }
  const acc = model.get("line_accuracy");
  const values = model.get("log_scale") ? loss.data.map((v) => Math.log10(Math.max(v, 1e-12))) : loss.data;
  const series: Series[] = [{ values, label: model.get("log_scale") ? "log₁₀ loss" : "loss", color: "#1f77b4" }];
  if (acc) series.push({ values: acc.data, label: "accuracy", color: "#ff7f0e", range: [0, 1] });
  drawLinePlot(ctx, lineRect(map), alphas.data, "α  (0 = random init, 1 = trained)", series, ink);
}

/** The readout at canvas x position `x`, or `null` before the line arrives. */
export function lineReadout(model: AnyModel<LandscapeTraits>, map: Rect, x: number): string | null {
  const alphas = model.get("line_alphas");
  const loss = model.get("line_loss");
  if (!alphas || !loss) return null;
  const rect = lineRect(map);
  const [a0, a1] = extent(alphas.data);
  const k = nearestIndex(alphas.data, scale(rect.x, rect.x + rect.w, a0, a1)(x));
  const acc = model.get("line_accuracy");
  return `α = ${formatTick(alphas.data[k])}  loss = ${loss.data[k].toPrecision(4)}` + (acc ? `  accuracy = ${(100 * acc.data[k]).toFixed(1)}%` : "");
}
