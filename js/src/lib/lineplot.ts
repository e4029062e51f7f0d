// A line plot of one or two series against a shared x, each with its own y axis (left, right).
import { drawAxis, niceTicks, scale, type Rect } from "./axes";
import { extent } from "./arrays";

export interface Series { values: ArrayLike<number>; label: string; color: string; range?: [number, number] }

/** Draw `series` (first on the left axis, second on the right) against `x` inside `rect`; returns
 * the x scale's inverse so the caller can map the pointer back to data. */
export function drawLinePlot(
  ctx: CanvasRenderingContext2D, rect: Rect, x: ArrayLike<number>, xLabel: string, series: Series[], axisColor: string,
): (px: number) => number {
  const [x0, x1] = extent(x);
  const sx = scale(x0, x1, rect.x, rect.x + rect.w);
  drawAxis(ctx, rect, "bottom", niceTicks(x0, x1, 6), sx, xLabel, axisColor);
  series.slice(0, 2).forEach((s, n) => {
    const [lo, hi] = s.range ?? extent(s.values);
    const pad = hi > lo ? 0 : 1;
    const sy = scale(lo - pad, hi + pad, rect.y + rect.h, rect.y);
    drawAxis(ctx, rect, n === 0 ? "left" : "right", niceTicks(lo - pad, hi + pad, 5), sy, s.label, s.color);
    ctx.save();
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let pen = false;
    for (let k = 0; k < x.length; k++) {
      const v = s.values[k];
      if (!Number.isFinite(v)) { pen = false; continue; }
      if (pen) ctx.lineTo(sx(x[k]), sy(v));
      else ctx.moveTo(sx(x[k]), sy(v));
      pen = true;
    }
    ctx.stroke();
    ctx.restore();
  });
  return scale(rect.x, rect.x + rect.w, x0, x1);
}
