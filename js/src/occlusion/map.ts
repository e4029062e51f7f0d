// The heat map over the image: red where covering the spot lowers the target probability. Hover
// previews a window, click pins it (sent to Python, or kept in the page in a handout).
import type { AnyModel } from "@anywidget/types";
import { extent } from "../lib/arrays";
import { h, throttle } from "../lib/controls";
import { update } from "../lib/explorer";
import { createHeatmap } from "../lib/heatmap";
import { hoverBox, nearest, type Shown, type View } from "./shown";
import type { OcclusionTraits } from "./traits";

/** The map canvas and its caption; `onOfflineHover` repaints after a hover or pin kept in the page. */
export function createMap(model: AnyModel<OcclusionTraits>, view: View, shown: Shown, onOfflineHover: () => void) {
  const { offline } = shown;
  const sendHover = throttle((cell: number[]) => update(model, { hover: cell }), 60);
  const cellAt = (pos: { x: number; y: number }) => {
    const { win, oy, ox } = shown.map();
    return [nearest(oy, win, pos.y), nearest(ox, win, pos.x)];
  };
  // handout: hover and click stay in the page (the occluded image's top classes need the kernel)
  const hoverOffline = (cell: number[], pin?: boolean) => {
    if (pin !== undefined) offline.pinned = pin;
    offline.cell = cell;
    onOfflineHover();
  };
  const map = createHeatmap({
    size: 288,
    className: "nbviz-occlusion-map",
    title: "drop in the target probability when this spot is covered (hover to preview, click to pin)",
    onHover: (pos) => {
      if (shown.precomputed) {
        if (!offline.pinned) hoverOffline(pos ? cellAt(pos) : []);
        return;
      }
      if (model.get("pinned")) return;
      sendHover(pos ? cellAt(pos) : []);
    },
    onClick: (pos) => {
      const cell = cellAt(pos);
      if (shown.precomputed) {
        const same = offline.cell.length === 2 && offline.cell[0] === cell[0] && offline.cell[1] === cell[1];
        hoverOffline(cell, !(offline.pinned && same));
        return;
      }
      const hover = model.get("hover");
      const same = hover.length === 2 && hover[0] === cell[0] && hover[1] === cell[1];
      update(model, model.get("pinned") && same ? { pinned: false } : { pinned: true, hover: cell });
    },
  });
  const caption = h("div", { className: "nbviz-caption" });
  const names = () => model.get("class_names");
  const several = (model.get("n_inputs") ?? 1) > 1;

  const draw = () => {
    const current = shown.map();
    const [lo, hi] = current.heat ? extent(current.heat.data) : [0, 0];
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    map.draw({ image: view.image, map: current.heat, cmap: view.cmap, opacity: view.opacity, range: [-m, m], box: hoverBox(current, view) });
    map.canvas.dataset.window = String(current.win);
    const partial = !shown.precomputed && Boolean(model.get("partial"));
    map.canvas.dataset.partial = String(partial);
    const cls = model.get("explained");
    const p = Number(model.get("base_probability"));
    map.canvas.dataset.index = String(model.get("index") ?? 0);
    caption.textContent = (several ? `input ${model.get("index")} · ` : "") + `explaining ${names()[cls] ?? cls} (p = ${(p * 100).toFixed(1)}%) · red: covering it lowers p` +
      (partial ? ` · filling in: ${Math.round(Number(model.get("computed")) * 100)}% of windows` : "");
  };
  return { root: h("div", {}, [map.canvas, caption]), draw, dispose: () => map.dispose() };
}
