// The weight path on its two principal components over the loss surface around a recent snapshot.
import type { AnyModel } from "@anywidget/types";
import { extent } from "../lib/arrays";
import { drawAxis, niceTicks, scale, type Rect } from "../lib/axes";
import { drawPixels, setupCanvas } from "../lib/canvas";
import { colorize } from "../lib/colormap";
import { current, INK, PANEL, title, type Panel } from "./panel";
import type { WatchTraits } from "./traits";

/** Draw the weight path panel. */
export function drawPath(model: AnyModel<WatchTraits>, p: Panel): void {
  const ctx = setupCanvas(p.canvas, PANEL, PANEL);
  const surface = model.get("surface");
  const axis = model.get("surface_axis");
  const coords = model.get("path");
  const steps = model.get("path_steps");
  if (!coords || !steps) { title(ctx, "needs 3 snapshots…"); return; }
  const box: Rect = { x: 40, y: 8, w: PANEL - 48, h: PANEL - 48 };
  let lo: number;
  let hi: number;
  if (surface && axis) {
    lo = axis.data[0];
    hi = axis.data[axis.data.length - 1];
    const r = axis.data.length;
    const logs = new Float32Array(r * r);
    for (let i = 0; i < r * r; i++) logs[i] = Math.log10(Math.max(surface.data[i], 1e-12));
    // rows follow β upwards: flip so that β grows towards the top of the canvas
    const flipped = new Float32Array(r * r);
    for (let i = 0; i < r; i++) flipped.set(logs.subarray((r - 1 - i) * r, (r - i) * r), i * r);
    const [a, b] = extent(flipped);
    ctx.imageSmoothingEnabled = true;
    const pixels = new ImageData(colorize(flipped, "viridis", { lo: a, hi: b }) as unknown as Uint8ClampedArray<ArrayBuffer>, r, r);
    drawPixels(ctx, pixels, box.x, box.y, box.w, box.h);
  } else {
    const [a, b] = extent(coords.data);
    const reach = Math.max(Math.abs(a), Math.abs(b), 1e-3) * 1.2;
    lo = -reach;
    hi = reach;
  }
  const sx = scale(lo, hi, box.x, box.x + box.w);
  const sy = scale(lo, hi, box.y + box.h, box.y);
  drawAxis(ctx, box, "bottom", niceTicks(lo, hi, 4), sx, "PC 1", INK);
  drawAxis(ctx, box, "left", niceTicks(lo, hi, 4), sy, "PC 2", INK);
  const { step } = current(model);
  ctx.strokeStyle = "white";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let i = 0; i < steps.data.length; i++) {
    const px = sx(coords.data[2 * i]);
    const py = sy(coords.data[2 * i + 1]);
    if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
  }
  ctx.stroke();
  let at = -1;
  for (let i = 0; i < steps.data.length; i++) if (steps.data[i] <= step) at = i;
  for (let i = 0; i < steps.data.length; i++) {
    ctx.fillStyle = i === at ? "#d62728" : "white";
    ctx.beginPath();
    ctx.arc(sx(coords.data[2 * i]), sy(coords.data[2 * i + 1]), i === at ? 4.5 : 2, 0, 2 * Math.PI);
    ctx.fill();
  }
  const variance = model.get("path_variance");
  p.caption.textContent = surface
    ? `surface: log₁₀ loss around step ${model.get("surface_step")} (PCs explain ${variance.map((v) => `${(100 * v).toFixed(0)} %`).join(" + ")})`
    : "the path; the surface follows";
}
