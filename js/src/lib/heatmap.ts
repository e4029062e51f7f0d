// A heat map over an image on one canvas: the image, a colormapped H×W map at some opacity, an
// optional outlined box, and the pointer position reported in image pixels.
import type { NDArray, TypedArray } from "./arrays";
import { drawOverlay, drawPixels, setupCanvas, toRGBA } from "./canvas";

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface HeatmapView {
  image?: NDArray<TypedArray> | null; // H×W×3 uint8 (or H×W grey)
  map?: NDArray<TypedArray> | null; // H×W values
  cmap?: string;
  opacity?: number; // 0…1 of the map over the image
  range?: [number, number]; // map values shown from lo to hi (default: the map's extent)
  box?: Box | null; // outlined rectangle, image pixel coordinates
}

export interface HeatmapOptions {
  size: number; // CSS pixels of the longer side
  className?: string;
  title?: string;
  /** Pointer over the image, in image pixel coordinates (integers); `null` when it leaves. */
  onHover?: (pos: { x: number; y: number } | null) => void;
  onClick?: (pos: { x: number; y: number }) => void;
}

export interface Heatmap {
  canvas: HTMLCanvasElement;
  /** Merge `view` into the current view and redraw. */
  draw(view: HeatmapView): void;
  dispose(): void;
}

export function createHeatmap(options: HeatmapOptions): Heatmap {
  const canvas = document.createElement("canvas");
  canvas.className = `nbviz-heatmap ${options.className ?? ""}`.trim();
  if (options.title) canvas.title = options.title;
  let view: HeatmapView = { cmap: "inferno", opacity: 0.6 };
  let dims: [number, number] = [0, 0]; // image H, W
  let scale = 1;

  const shapeOf = (): [number, number] | null => {
    const source = view.image ?? view.map;
    return source ? [source.shape[0], source.shape[1]] : null;
  };

  const redraw = () => {
    const hw = shapeOf();
    if (!hw) return;
    dims = hw;
    scale = options.size / Math.max(hw[0], hw[1]);
    const w = Math.round(hw[1] * scale);
    const h = Math.round(hw[0] * scale);
    const ctx = setupCanvas(canvas, w, h);
    if (view.image) drawPixels(ctx, toRGBA(view.image), 0, 0, w, h);
    if (view.map && view.map.shape[0] > 0) {
      const opacity = view.image ? (view.opacity ?? 0.6) : 1;
      drawOverlay(ctx, toRGBA(view.map, view.cmap ?? "inferno", view.range), 0, 0, w, h, opacity);
    }
    if (view.box) {
      const b = view.box;
      ctx.save();
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#fff";
      ctx.strokeRect(b.x * scale, b.y * scale, b.w * scale, b.h * scale);
      ctx.setLineDash([3, 3]);
      ctx.strokeStyle = "#000";
      ctx.strokeRect(b.x * scale, b.y * scale, b.w * scale, b.h * scale);
      ctx.restore();
    }
  };

  const position = (event: MouseEvent) => {
    const rect = canvas.getBoundingClientRect();
    const x = Math.floor((event.clientX - rect.left) / scale);
    const y = Math.floor((event.clientY - rect.top) / scale);
    if (x < 0 || y < 0 || x >= dims[1] || y >= dims[0]) return null;
    return { x, y };
  };
  const move = (event: MouseEvent) => options.onHover?.(position(event));
  const leave = () => options.onHover?.(null);
  const click = (event: MouseEvent) => {
    const p = position(event);
    if (p) options.onClick?.(p);
  };
  canvas.addEventListener("mousemove", move);
  canvas.addEventListener("mouseleave", leave);
  canvas.addEventListener("click", click);

  return {
    canvas,
    draw(next) {
      view = { ...view, ...next };
      redraw();
    },
    dispose() {
      canvas.removeEventListener("mousemove", move);
      canvas.removeEventListener("mouseleave", leave);
      canvas.removeEventListener("click", click);
    },
  };
}
