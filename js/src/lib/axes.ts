// Plot rectangles, nice tick values and axis drawing on a 2-D canvas.

export interface Rect { x: number; y: number; w: number; h: number }

/** About `n` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

/** A short label for a tick value. */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

/** A linear map from [d0, d1] to [p0, p1]. */
export function scale(d0: number, d1: number, p0: number, p1: number): (v: number) => number {
  const k = d1 !== d0 ? (p1 - p0) / (d1 - d0) : 0;
  return (v) => p0 + (v - d0) * k;
}

/** Axis line with ticks and labels along one side of `rect`. */
export function drawAxis(
  ctx: CanvasRenderingContext2D, rect: Rect, side: "bottom" | "left" | "right",
  ticks: number[], toPixel: (v: number) => number, label: string, color: string,
  format: (v: number) => string = formatTick,
): void {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 1;
  ctx.font = "11px var(--jp-ui-font-family, sans-serif)";
  ctx.beginPath();
  if (side === "bottom") {
    const y = rect.y + rect.h;
    ctx.moveTo(rect.x, y + 0.5);
    ctx.lineTo(rect.x + rect.w, y + 0.5);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of ticks) {
      const x = Math.round(toPixel(t)) + 0.5;
      ctx.moveTo(x, y);
      ctx.lineTo(x, y + 4);
      ctx.fillText(format(t), x, y + 5);
    }
    ctx.fillText(label, rect.x + rect.w / 2, y + 18);
  } else {
    const left = side === "left";
    const x = left ? rect.x : rect.x + rect.w;
    ctx.moveTo(x + 0.5, rect.y);
    ctx.lineTo(x + 0.5, rect.y + rect.h);
    ctx.textAlign = left ? "right" : "left";
    ctx.textBaseline = "middle";
    for (const t of ticks) {
      const y = Math.round(toPixel(t)) + 0.5;
      ctx.moveTo(x, y);
      ctx.lineTo(left ? x - 4 : x + 4, y);
      ctx.fillText(format(t), left ? x - 6 : x + 6, y);
    }
    ctx.save();
    ctx.translate(left ? rect.x - 40 : x + 42, rect.y + rect.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.fillText(label, 0, 0);
    ctx.restore();
  }
  ctx.stroke();
  ctx.restore();
}

/** A vertical colour bar for `cmap` over [lo, hi] with a few labelled ticks. */
export function drawColorbar(
  ctx: CanvasRenderingContext2D, rect: Rect, colorAt: (t: number) => [number, number, number],
  lo: number, hi: number, label: string, color: string,
): void {
  for (let k = 0; k < rect.h; k++) {
    const [r, g, b] = colorAt(1 - k / Math.max(1, rect.h - 1));
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(rect.x, rect.y + k, rect.w, 1);
  }
  drawAxis(ctx, rect, "right", niceTicks(lo, hi, 4), scale(lo, hi, rect.y + rect.h, rect.y), label, color);
}
