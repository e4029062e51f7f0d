// Feature maps of the probe images at the snapshot on show: one row per image, its first channels.
import type { AnyModel } from "@anywidget/types";
import { slice, type NDArray } from "../lib/arrays";
import { drawPixels, setupCanvas, toRGBA } from "../lib/canvas";
import { PANEL, title, type Panel } from "./panel";
import { shown } from "./shown";
import type { WatchTraits } from "./traits";

/** Draw the feature maps panel. */
export function drawMaps(model: AnyModel<WatchTraits>, p: Panel): void {
  const m = shown(model).maps;
  const images = model.get("probe_images");
  const ctx = setupCanvas(p.canvas, PANEL, PANEL);
  if (!m) { title(ctx, "no layer with spatial maps"); return; }
  const [rows, channels, mh, mw] = m.shape;
  const columns = channels + (images ? 1 : 0);
  const cell = Math.max(4, Math.floor((PANEL - 2 * (columns - 1)) / columns));
  for (let r = 0; r < rows; r++) {
    const y0 = r * (cell + 2);
    if (y0 + cell > PANEL) break;
    if (images) drawPixels(ctx, toRGBA(slice(images, r)), 0, y0, cell, cell);
    const item = slice(m, r);
    for (let c = 0; c < channels; c++) {
      const map: NDArray<Uint8Array> = { data: item.data.subarray(c * mh * mw, (c + 1) * mh * mw), shape: [mh, mw], dtype: "uint8" };
      drawPixels(ctx, toRGBA(map, "magma"), (c + (images ? 1 : 0)) * (cell + 2), y0, cell, cell);
    }
  }
  p.caption.textContent = `${model.get("map_layer")}: first ${channels} channels, probe images in rows`;
}
