// Rows of images with captions: the layout of all three modes (frames, facets, inversion).
import type { NDArray } from "../lib/arrays";
import { drawPixels, setupCanvas, toRGBA } from "../lib/canvas";

export interface Row {
  images: NDArray<Uint8Array>[];
  captions: string[];
}

/** Rows of images with a caption under each; the first cell of a row can be larger. */
export function drawRows(canvas: HTMLCanvasElement, rows: Row[], cell: number, color: string, lead = cell): void {
  const gap = 6;
  const label = 14;
  const columns = Math.max(0, ...rows.map((r) => r.images.length));
  const width = lead + (columns - 1) * cell + gap * columns;
  const rowHeight = lead + label + gap;
  const ctx = setupCanvas(canvas, Math.max(width, 1), Math.max(rows.length * rowHeight, 1));
  ctx.font = "11px var(--jp-ui-font-family, sans-serif)";
  ctx.fillStyle = color;
  rows.forEach((row, r) => {
    let x = 0;
    row.images.forEach((image, c) => {
      const size = c === 0 ? lead : cell;
      const y = r * rowHeight;
      drawPixels(ctx, toRGBA(image), x, y, size, size);
      ctx.fillText(row.captions[c] ?? "", x, y + size + label - 3, size + gap);
      x += size + gap;
    });
  });
}
