// The side panel: playback, the neighbourhood scores, the selection and the legend.
import type { AnyModel } from "@anywidget/types";
import { h } from "../lib/controls";
import { update, type Frame } from "../lib/explorer";
import { createPlayback, type Playback } from "./playback";
import type { TSNETraits } from "./traits";

export const SIDE = 270;

export interface Panel {
  root: HTMLElement;
  playback: Playback;
  /** Where the colours module draws the legend. */
  legend: HTMLElement;
  /** Draw everything the panel shows (listeners keep it current afterwards). */
  draw(): void;
}

/** The side panel; `onSelection` is called whenever `selected` or `new_selected` change. */
export function createPanel(model: AnyModel<TSNETraits>, frame: Frame<TSNETraits>, onSelection: () => void): Panel {
  const playback = createPlayback(model, frame, SIDE);
  const metrics = h("div", { className: "nbviz-tsne-metrics" });
  const selection = h("div", { className: "nbviz-caption" });
  const clear = h("button", { text: "clear selection" });
  clear.addEventListener("click", () => update(model, { selected: [], new_selected: [] }));
  const legend = h("div", { className: "nbviz-legend" });
  const root = h("div", { className: "nbviz-tsne-side" }, [...playback.elements, metrics, h("div", {}, [selection, clear]), legend]);
  root.style.width = `${SIDE}px`;

  const showSelection = () => {
    const selected = model.get("selected");
    const added = model.get("new_selected");
    onSelection();
    const parts = [
      ...(selected.length ? [`${selected.length} selected (explorer.selected)`] : []),
      ...(added.length ? [`${added.length} new selected (explorer.new_selected)`] : []),
    ];
    selection.textContent = parts.length ? parts.join(" · ") : "no selection";
    clear.style.display = parts.length ? "" : "none";
  };
  frame.listen(["selected", "new_selected"], showSelection);

  const showMetrics = () => {
    const t = model.get("trustworthiness");
    const k = model.get("knn_preservation");
    const kk = model.get("metrics_k");
    metrics.replaceChildren();
    if (t === null || t === undefined) {
      metrics.textContent = model.get("can_run") ? "neighbourhood scores: after the run" : "";
      return;
    }
    metrics.append(
      h("div", { text: `trustworthiness (k=${kk}): ${t.toFixed(3)}`, title: "1 = no false neighbours in the map" }),
      h("div", { text: `kNN preserved (k=${kk}): ${((k ?? NaN) * 100).toFixed(1)}%`, title: "share of each point's neighbours kept" }),
    );
  };
  frame.listen(["trustworthiness", "knn_preservation"], showMetrics);

  const draw = () => {
    showSelection();
    showMetrics();
    playback.draw();
  };
  return { root, playback, legend, draw };
}
