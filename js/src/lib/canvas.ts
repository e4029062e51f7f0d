// Drawing on canvas: crisp at any devicePixelRatio, image tiles, grids, heat-map overlays.
import type { NDArray, TypedArray } from "./arrays";
import { colorize } from "./colormap";

/** Size a canvas to `width`×`height` CSS pixels, backed by device pixels; returns its 2-D context
 * already scaled so drawing uses CSS pixel coordinates. */
export function setupCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  const ctx = canvas.getContext("2d")!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.imageSmoothingEnabled = false;
  return ctx;
}

/** RGBA pixels of one image: H×W×3 or H×W×4 uint8, or H×W values through a colormap. */
export function toRGBA(image: NDArray<TypedArray>, cmap = "gray", range?: [number, number]): ImageData {
  const [h, w] = image.shape;
  const channels = image.shape.length === 3 ? image.shape[2] : 1;
  let rgba: Uint8ClampedArray;
  if (channels === 1) {
    rgba = colorize(image.data, cmap, range ? { lo: range[0], hi: range[1] } : {});
  } else {
    rgba = new Uint8ClampedArray(h * w * 4);
    for (let i = 0; i < h * w; i++) {
      rgba[i * 4] = image.data[i * channels];
      rgba[i * 4 + 1] = image.data[i * channels + 1];
      rgba[i * 4 + 2] = image.data[i * channels + 2];
      rgba[i * 4 + 3] = channels === 4 ? image.data[i * channels + 3] : 255;
    }
  }
  return new ImageData(rgba as unknown as Uint8ClampedArray<ArrayBuffer>, w, h);
}

const scratch = new Map<string, HTMLCanvasElement | OffscreenCanvas>();

function bitmapOf(pixels: ImageData): HTMLCanvasElement | OffscreenCanvas {
  const key = `${pixels.width}x${pixels.height}`;
  let c = scratch.get(key);
  if (!c) {
    c = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(pixels.width, pixels.height) : document.createElement("canvas");
    c.width = pixels.width;
    c.height = pixels.height;
    scratch.set(key, c);
  }
  (c.getContext("2d") as CanvasRenderingContext2D).putImageData(pixels, 0, 0);
  return c;
}

/** Draw pixels scaled into the rectangle (nearest neighbour, so small maps stay crisp). */
export function drawPixels(ctx: CanvasRenderingContext2D, pixels: ImageData, x: number, y: number, w: number, h: number): void {
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(bitmapOf(pixels), x, y, w, h);
}

/** Draw `overlay` over the same rectangle with the given opacity (heat maps on images). */
export function drawOverlay(
  ctx: CanvasRenderingContext2D, overlay: ImageData, x: number, y: number, w: number, h: number, opacity: number,
): void {
  ctx.save();
  ctx.globalAlpha = Math.max(0, Math.min(1, opacity));
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(bitmapOf(overlay), x, y, w, h);
  ctx.restore();
}

export interface GridLayout {
  columns: number;
  rows: number;
  cell: number;
  gap: number;
  width: number;
  height: number;
}

/** A near-square (or `columns`-wide) grid of `n` square cells that fits `maxWidth`. */
export function gridLayout(n: number, maxWidth: number, options: { columns?: number; gap?: number; maxCell?: number } = {}): GridLayout {
  const gap = options.gap ?? 2;
  const columns = Math.max(1, options.columns ?? Math.ceil(Math.sqrt(n)));
  const rows = Math.max(1, Math.ceil(n / columns));
  const cell = Math.max(4, Math.min(options.maxCell ?? 96, Math.floor((maxWidth - gap * (columns - 1)) / columns)));
  return { columns, rows, cell, gap, width: columns * cell + gap * (columns - 1), height: rows * cell + gap * (rows - 1) };
}

/** Top-left corner of cell `i`. */
export function cellOrigin(layout: GridLayout, i: number): [number, number] {
  const r = Math.floor(i / layout.columns);
  const c = i % layout.columns;
  return [c * (layout.cell + layout.gap), r * (layout.cell + layout.gap)];
}

/** Index of the cell under CSS pixel (x, y), or -1. */
export function cellAt(layout: GridLayout, x: number, y: number, n: number): number {
  const step = layout.cell + layout.gap;
  const c = Math.floor(x / step);
  const r = Math.floor(y / step);
  if (c < 0 || r < 0 || c >= layout.columns || x - c * step > layout.cell || y - r * step > layout.cell) return -1;
  const i = r * layout.columns + c;
  return i < n ? i : -1;
}
