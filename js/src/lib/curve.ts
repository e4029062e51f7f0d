// A small line chart (e.g. a loss or KL curve over iterations) with a marker at the current x.
import { setupCanvas } from "./canvas";

export interface CurveOptions {
  width: number;
  height: number;
  /** x of the vertical marker (e.g. the iteration shown). */
  marker?: number;
  /** A shaded x interval, e.g. early exaggeration. */
  shade?: [number, number];
  title?: string;
  color?: string;
}

const PAD = { left: 40, right: 8, top: 16, bottom: 18 };

/** Draw `ys` over `xs` into `canvas` (CSS size `width`×`height`); non-finite values are skipped. */
export function drawCurve(canvas: HTMLCanvasElement, xs: ArrayLike<number>, ys: ArrayLike<number>, options: CurveOptions): void {
  const ctx = setupCanvas(canvas, options.width, options.height);
  const fg = getComputedStyle(canvas).color || "#444";
  ctx.font = "10px var(--jp-ui-font-family, sans-serif)";
  ctx.fillStyle = fg;
  if (options.title) ctx.fillText(options.title, PAD.left, 11);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    if (!Number.isFinite(ys[i])) continue;
    x0 = Math.min(x0, xs[i]); x1 = Math.max(x1, xs[i]);
    y0 = Math.min(y0, ys[i]); y1 = Math.max(y1, ys[i]);
  }
  const w = options.width - PAD.left - PAD.right, h = options.height - PAD.top - PAD.bottom;
  ctx.strokeStyle = "rgba(128,128,128,0.6)";
  ctx.strokeRect(PAD.left + 0.5, PAD.top + 0.5, w, h);
  if (!(x0 <= x1)) return;
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * w;
  const py = (y: number) => PAD.top + (1 - (y - y0) / (y1 - y0)) * h;
  if (options.shade && options.shade[1] > options.shade[0]) {
    ctx.fillStyle = "rgba(128,128,128,0.15)";
    const a = px(Math.max(x0, options.shade[0])), b = px(Math.min(x1, options.shade[1]));
    ctx.fillRect(a, PAD.top, Math.max(0, b - a), h);
  }
  ctx.fillStyle = fg;
  ctx.fillText(y1.toPrecision(3), 2, PAD.top + 8);
  ctx.fillText(y0.toPrecision(3), 2, PAD.top + h);
  ctx.fillText(String(Math.round(x0)), PAD.left, options.height - 4);
  const last = String(Math.round(x1));
  ctx.fillText(last, PAD.left + w - ctx.measureText(last).width, options.height - 4);
  ctx.strokeStyle = options.color ?? "#1f77b4";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let started = false;
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    if (!Number.isFinite(ys[i])) continue;
    if (started) ctx.lineTo(px(xs[i]), py(ys[i]));
    else ctx.moveTo(px(xs[i]), py(ys[i]));
    started = true;
  }
  ctx.stroke();
  if (options.marker !== undefined && Number.isFinite(options.marker)) {
    ctx.strokeStyle = "#d62728";
    ctx.lineWidth = 1;
    const m = Math.round(px(Math.max(x0, Math.min(x1, options.marker)))) + 0.5;
    ctx.beginPath();
    ctx.moveTo(m, PAD.top);
    ctx.lineTo(m, PAD.top + h);
    ctx.stroke();
  }
}

/** The x value under CSS pixel `px` of a curve drawn with `drawCurve` over [x0, x1]. */
export function curveXAt(px: number, width: number, x0: number, x1: number): number {
  const w = width - PAD.left - PAD.right;
  return x0 + Math.max(0, Math.min(1, (px - PAD.left) / w)) * (x1 - x0);
}
