// The side panel: the occluded image the model sees under the pointer, with its top classes (from
// Python), or in a handout the precomputed probability with the hovered spot covered.
import type { AnyModel } from "@anywidget/types";
import { h } from "../lib/controls";
import { createHeatmap } from "../lib/heatmap";
import { createTopK } from "../lib/topk";
import { hoverBox, type Shown, type View } from "./shown";
import type { OcclusionTraits } from "./traits";

/** The preview panel; `draw` shows the live preview or the handout's precomputed one. */
export function createPreview(model: AnyModel<OcclusionTraits>, view: View, shown: Shown) {
  const preview = createHeatmap({ size: 144, className: "nbviz-occlusion-preview", title: "the occluded image the model sees" });
  const caption = h("div", { className: "nbviz-caption", text: "hover the map to see the occluded image" });
  const top = createTopK({ k: 5, title: "top classes" });
  const names = () => model.get("class_names");

  const drawOffline = () => {
    const current = shown.map();
    const box = hoverBox(current, view);
    const { win, hover } = current;
    preview.draw({ image: view.image, map: null, box });
    preview.canvas.dataset.occluded = "false";
    const cls = model.get("explained");
    const p = box ? shown.probability(hover[0], hover[1]) : NaN;
    caption.textContent = box
      ? `${shown.offline.pinned ? "pinned: " : ""}with the ${win}px window at row ${hover[0]}, column ${hover[1]} covered, p(${names()[cls] ?? cls}) = ${(p * 100).toFixed(1)}% (unoccluded ${(Number(model.get("base_probability")) * 100).toFixed(1)}%)`
      : "hover the map: the probability with that spot covered; unoccluded top classes:";
    top.show(model.get("probabilities")?.data ?? null, names(), cls);
  };
  const draw = () => {
    if (shown.precomputed) return drawOffline();
    const hovered = model.get("hover_image");
    const probs = model.get("hover_probabilities");
    preview.draw({ image: hovered ?? view.image, map: null });
    preview.canvas.dataset.occluded = String(Boolean(hovered));
    const hover = model.get("hover");
    const pinned = model.get("pinned");
    caption.textContent = hovered
      ? `${pinned ? "pinned" : "window"} at row ${hover[0]}, column ${hover[1]}${pinned ? " (click again to unpin)" : ""}`
      : "hover the map to see the occluded image; unoccluded:";
    top.show((probs ?? model.get("probabilities"))?.data ?? null, names(), model.get("explained"));
  };
  const root = h("div", { className: "nbviz-occlusion-side" }, [preview.canvas, caption, top.root]);
  return { root, draw, dispose: () => preview.dispose() };
}
