// The loss plane: a heat map of the grid (partial grids filled for display), contour lines dense in the
// basin, the training path on PCA directions, the trained weights as a star, and the readout of one
// grid point.
import type { AnyModel } from "@anywidget/types";
import { extent } from "../lib/arrays";
import { drawAxis, drawColorbar, formatTick, niceTicks, scale, type Rect } from "../lib/axes";
import { drawOverlay } from "../lib/canvas";
import { colorAt, colorize } from "../lib/colormap";
import { basinLevels, contourLines } from "../lib/contour";
import { fillGaps } from "../lib/grid";
import type { LandscapeTraits } from "./traits";

export const MAP: Rect = { x: 58, y: 10, w: 390, h: 390 };
const BAR: Rect = { x: 478, y: 10, w: 12, h: 390 };
const CMAP = "viridis";

export interface Plane {
  alphas: Float32Array;
  betas: Float32Array;
  loss: Float32Array; // raw, NaN where not computed
  accuracy: Float32Array | null;
  shown: Float32Array; // what is coloured: filled, log₁₀ when asked
  lo: number;
  hi: number;
  rows: number;
  cols: number;
}

/** The plane from the model, or `null` before a grid arrives. */
export function readPlane(model: AnyModel<LandscapeTraits>): Plane | null {
  const loss = model.get("loss");
  const alphas = model.get("alphas");
  const betas = model.get("betas");
  if (!loss || !alphas || !betas) return null;
  const [rows, cols] = loss.shape;
  const acc = model.get("accuracy");
  const logged = model.get("log_scale") ? loss.data.map((v) => Math.log10(Math.max(v, 1e-12))) : loss.data;
  const shown = fillGaps(logged, rows, cols);
  const [lo, hi] = extent(shown);
  return { alphas: alphas.data, betas: betas.data, loss: loss.data, accuracy: acc ? acc.data : null, shown, lo, hi, rows, cols };
}

/** RGBA per grid point; with `flip`, rows flipped so β grows upwards on screen. */
export function planeColours(p: Plane, flip: boolean): Uint8ClampedArray {
  const rgba = colorize(p.shown, CMAP, { lo: p.lo, hi: p.hi });
  if (!flip) return rgba;
  const out = new Uint8ClampedArray(rgba.length);
  const row = p.cols * 4;
  for (let i = 0; i < p.rows; i++) out.set(rgba.subarray(i * row, (i + 1) * row), (p.rows - 1 - i) * row);
  return out;
}

// grid index ↔ pixel on the map (cell centres)
const colX = (p: Plane, j: number) => MAP.x + ((j + 0.5) / p.cols) * MAP.w;
const rowY = (p: Plane, i: number) => MAP.y + MAP.h - ((i + 0.5) / p.rows) * MAP.h;
const dataX = (p: Plane) => scale(p.alphas[0], p.alphas[p.cols - 1], colX(p, 0), colX(p, p.cols - 1));
const dataY = (p: Plane) => scale(p.betas[0], p.betas[p.rows - 1], rowY(p, 0), rowY(p, p.rows - 1));

/** The grid cell (row, col) under map position (x, y) relative to the canvas, or `null` off the map. */
export function cellAt(p: Plane, x: number, y: number): [number, number] | null {
  const u = x - MAP.x, v = y - MAP.y;
  if (u < 0 || v < 0 || u >= MAP.w || v >= MAP.h) return null;
  return [p.rows - 1 - Math.floor((v / MAP.h) * p.rows), Math.floor((u / MAP.w) * p.cols)];
}

/** Draw the plane with contours, the path (PCA directions), the star at the weights and the pinned cell. */
export function drawPlane(
  ctx: CanvasRenderingContext2D, model: AnyModel<LandscapeTraits>, p: Plane, pinned: [number, number] | null, ink: string,
): void {
  const image = new ImageData(planeColours(p, true) as unknown as Uint8ClampedArray<ArrayBuffer>, p.cols, p.rows);
  drawOverlay(ctx, image, MAP.x, MAP.y, MAP.w, MAP.h, 1);
  ctx.save();
  ctx.beginPath();
  ctx.rect(MAP.x, MAP.y, MAP.w, MAP.h);
  ctx.clip();
  ctx.strokeStyle = "rgba(255,255,255,0.55)";
  ctx.lineWidth = 0.8;
  ctx.lineJoin = "round";
  ctx.beginPath();
  // levels dense in the basin (geometric above the minimum), each contour one joined line
  for (const level of basinLevels(p.shown, p.lo, p.hi, 12)) {
    for (const line of contourLines(p.shown, p.rows, p.cols, level)) {
      ctx.moveTo(colX(p, line[0]), rowY(p, line[1]));
      for (let k = 2; k < line.length; k += 2) ctx.lineTo(colX(p, line[k]), rowY(p, line[k + 1]));
    }
  }
  ctx.stroke();
  const sx = dataX(p), sy = dataY(p);
  const path = model.get("path");
  if (path && model.get("grid_kind") === "pca") {
    ctx.strokeStyle = "#e53935";
    ctx.fillStyle = "#e53935";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let t = 0; t < path.shape[0]; t++) {
      const x = sx(path.data[2 * t]), y = sy(path.data[2 * t + 1]);
      if (t === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
    for (let t = 0; t < path.shape[0]; t++) {
      const r = t === 0 ? 4 : 2.5;
      ctx.fillRect(sx(path.data[2 * t]) - r, sy(path.data[2 * t + 1]) - r, 2 * r, 2 * r);
    }
  }
  star(ctx, sx(0), sy(0));
  if (pinned) {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(colX(p, pinned[1]), rowY(p, pinned[0]), 6, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
  drawAxis(ctx, MAP, "bottom", niceTicks(p.alphas[0], p.alphas[p.cols - 1], 6), sx, "α (direction 1)", ink);
  drawAxis(ctx, MAP, "left", niceTicks(p.betas[0], p.betas[p.rows - 1], 6), sy, "β (direction 2)", ink);
  drawColorbar(ctx, BAR, (t) => colorAt(CMAP, t), p.lo, p.hi, model.get("log_scale") ? "log₁₀ loss" : "loss", ink);
}

/** The readout of grid point (i, j): α, β, loss (≈ where not computed yet) and accuracy. */
export function planeReadout(p: Plane, i: number, j: number, logScale: boolean): string {
  const k = i * p.cols + j;
  const raw = p.loss[k];
  const approx = Number.isNaN(raw);
  const loss = approx ? (logScale ? 10 ** p.shown[k] : p.shown[k]) : raw;
  const acc = p.accuracy ? p.accuracy[k] : NaN;
  return `α = ${formatTick(p.alphas[j])}  β = ${formatTick(p.betas[i])}  loss ${approx ? "≈" : "="} ${loss.toPrecision(4)}` +
    (Number.isNaN(acc) ? "" : `  accuracy = ${(100 * acc).toFixed(1)}%`) + (approx ? "  (not computed yet)" : "");
}

/** The trained weights' mark: a white five-pointed star at (x, y). */
function star(ctx: CanvasRenderingContext2D, x: number, y: number): void {
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const r = k % 2 ? 3 : 8, a = -Math.PI / 2 + (k * Math.PI) / 5;
    ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = "#fff";
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 1;
  ctx.fill();
  ctx.stroke();
}
