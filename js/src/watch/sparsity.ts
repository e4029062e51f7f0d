// Sparsity over time, one row per layer, and the layers with dead channels at the snapshot on show.
import type { AnyModel } from "@anywidget/types";
import { scale, type Rect } from "../lib/axes";
import { drawPixels, setupCanvas } from "../lib/canvas";
import { colorize } from "../lib/colormap";
import { current, INK, PANEL, type Panel } from "./panel";
import type { WatchTraits } from "./traits";

/** Draw the sparsity and dead channels panel. */
export function drawSparsity(model: AnyModel<WatchTraits>, p: Panel): void {
  const ctx = setupCanvas(p.canvas, PANEL, PANEL);
  const s = model.get("sparsity");
  const d = model.get("dead");
  const names = model.get("layer_names");
  if (!s || !s.data.length) return;
  const [t, layers] = s.shape;
  const box: Rect = { x: 8, y: 8, w: PANEL - 16, h: PANEL - 90 };
  // time runs left to right, one row per layer; colour = fraction of zero outputs
  const grid = new Float32Array(layers * t);
  for (let i = 0; i < t; i++) for (let l = 0; l < layers; l++) grid[l * t + i] = s.data[i * layers + l];
  const rgba = colorize(grid, "viridis", { lo: 0, hi: 1 });
  drawPixels(ctx, new ImageData(rgba as unknown as Uint8ClampedArray<ArrayBuffer>, t, layers), box.x, box.y, box.w, box.h);
  const { index } = current(model);
  if (index >= 0) {
    const sx = scale(0, t, box.x, box.x + box.w);
    ctx.strokeStyle = "white";
    ctx.strokeRect(sx(index), box.y, Math.max(1, box.w / t), box.h);
  }
  // dead channels at this snapshot: the layers that have some, by name
  const lines: string[] = [];
  if (d && index >= 0) for (let l = 0; l < layers; l++) if (d.data[index * layers + l] > 0) lines.push(`${names[l]}: ${d.data[index * layers + l]} dead`);
  ctx.fillStyle = INK;
  ctx.font = "11px sans-serif";
  (lines.length ? lines.slice(0, 5) : ["no dead channels at this snapshot"]).forEach((line, i) => ctx.fillText(line, 8, box.y + box.h + 16 + 13 * i));
  const row = index >= 0 ? s.data.subarray(index * layers, (index + 1) * layers) : new Float32Array();
  const mean = row.length ? row.reduce((a, b) => a + b, 0) / row.length : 0;
  p.caption.textContent = `rows: ${layers} layers (top = first); colour: share of zero outputs (yellow = 1); mean now ${(100 * mean).toFixed(0)} %`;
}
