// The parts every watch panel shares: a titled square canvas with a caption, its plot area and ink, a
// note for an empty panel, the marker at the snapshot on show, and which snapshot that is.
import type { AnyModel } from "@anywidget/types";
import type { Rect } from "../lib/axes";
import { h } from "../lib/controls";
import type { WatchTraits } from "./traits";

export const PANEL = 300; // CSS pixels per square panel
export const PLOT: Rect = { x: 46, y: 22, w: PANEL - 92, h: PANEL - 64 };
export const TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
export const INK = "#555";

export interface Panel {
  root: HTMLElement;
  canvas: HTMLCanvasElement;
  caption: HTMLElement;
}

/** A titled square canvas with a caption under it. */
export function panel(title: string): Panel {
  const canvas = h("canvas", { className: "nbviz-watch-canvas" });
  const caption = h("div", { className: "nbviz-caption" });
  const root = h("div", { className: "nbviz-watch-panel" }, [h("strong", { text: title }), canvas, caption]);
  root.style.display = "inline-block";
  root.style.verticalAlign = "top";
  root.style.margin = "0 8px 8px 0";
  return { root, canvas, caption };
}

/** A note in the panel's corner (what it waits for). */
export function title(ctx: CanvasRenderingContext2D, text: string): void {
  ctx.fillStyle = INK;
  ctx.font = "11px sans-serif";
  ctx.fillText(text, 4, 12);
}

/** A vertical marker at data x `at`. */
export function marker(ctx: CanvasRenderingContext2D, sx: (v: number) => number, at: number): void {
  ctx.save();
  ctx.strokeStyle = "rgba(0,0,0,0.35)";
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(sx(at), PLOT.y);
  ctx.lineTo(sx(at), PLOT.y + PLOT.h);
  ctx.stroke();
  ctx.restore();
}

/** The snapshot on show: its index into snapshot_steps and its training step ({-1, -1} before any). */
export function current(model: AnyModel<WatchTraits>): { index: number; step: number } {
  const steps = model.get("snapshot_steps");
  if (!steps || !steps.data.length) return { index: -1, step: -1 };
  const index = Math.max(0, Math.min(model.get("frame"), steps.data.length - 1));
  return { index, step: steps.data[index] };
}
