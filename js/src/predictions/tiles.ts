// The plot: one tile per image with a bar for the top class's probability (green when it is the
// label, red when not, blue without labels) and the class name.
import type { AnyModel } from "@anywidget/types";
import { slice, type NDArray } from "../lib/arrays";
import { cellOrigin, drawPixels, gridLayout, setupCanvas, toRGBA } from "../lib/canvas";
import { h } from "../lib/controls";
import type { PredictionTraits } from "./traits";

export interface Shown {
  images: NDArray<Uint8Array> | null;
  probs: NDArray<Float32Array> | null;
  accuracy: number | null;
}

/** The tiles' canvas and caption inside `parent`; `draw` paints what `shown()` returns. */
export function createTiles(model: AnyModel<PredictionTraits>, parent: HTMLElement, el: HTMLElement, textColor: () => string) {
  const canvas = document.createElement("canvas");
  canvas.className = "nbviz-predictions-canvas";
  const caption = h("div", { className: "nbviz-caption" });
  parent.append(h("div", {}, [canvas, caption]));

  const draw = ({ images, probs, accuracy }: Shown) => {
    if (!images || !probs) return;
    const n = images.shape[0];
    const k = probs.shape[1];
    const classes = model.get("class_names");
    const labels = model.get("labels");
    const layout = gridLayout(n, Math.min(640, el.clientWidth || 640), { columns: Math.min(n, 8), maxCell: 96 });
    const labelHeight = 16;
    const rowHeight = layout.cell + labelHeight + layout.gap;
    const ctx = setupCanvas(canvas, layout.width, layout.rows * rowHeight);
    ctx.font = "11px var(--jp-ui-font-family, sans-serif)";
    for (let i = 0; i < n; i++) {
      const [x] = cellOrigin(layout, i);
      const y = Math.floor(i / layout.columns) * rowHeight;
      drawPixels(ctx, toRGBA(slice(images, i)), x, y, layout.cell, layout.cell);
      let best = 0;
      for (let c = 1; c < k; c++) if (probs.data[i * k + c] > probs.data[i * k + best]) best = c;
      const p = probs.data[i * k + best];
      const correct = labels.length ? labels[i] === best : null;
      ctx.fillStyle = correct === null ? "#1976d2" : correct ? "#2e7d32" : "#c62828";
      ctx.fillRect(x, y + layout.cell + 1, layout.cell * p, 3);
      ctx.fillStyle = textColor();
      ctx.fillText(`${classes[best] ?? best} ${(p * 100).toFixed(0)}%`, x, y + layout.cell + labelHeight - 2, layout.cell);
    }
    caption.textContent = accuracy === null || accuracy === undefined ? "" : `accuracy on these images: ${(accuracy * 100).toFixed(0)}%`;
  };
  return { canvas, draw };
}
