// The map: a WebGL scatter of the current frame (or the grid, or a saved frame in a handout), hover
// thumbnails with label and prediction, click and lasso selection; new points (add_points) after the map's
// points, with a cross marker, on the finished map (the last frame).
import type { AnyModel } from "@anywidget/types";
import { slice, type NDArray } from "../lib/arrays";
import { drawPixels, setupCanvas, toRGBA } from "../lib/canvas";
import { h } from "../lib/controls";
import { update, type Frame } from "../lib/explorer";
import { Scatter } from "../lib/scatter";
import { SavedFrames } from "./frames";
import { joinPositions, joinSelection, joinThumbnails, splitSelection } from "./newPoints";
import type { TSNETraits } from "./traits";

export const PLOT = { width: 540, height: 460 };
const THUMB = 64;

export interface Plot {
  root: HTMLElement;
  scatter: Scatter;
  /** Draw the positions the model's view asks for. */
  drawPositions(): void;
  /** How many new points the scatter shows after the map's (0: none). */
  newShown(): number;
  /** Show the model's `selected` and `new_selected`. */
  showSelection(): void;
  /** Call `listener` when the number of new points shown changes (to recolour). */
  onNewShown(listener: () => void): void;
}

/** The plot column: the scatter, its hint and the grid note; listens to the traits it draws. */
export function createPlot(model: AnyModel<TSNETraits>, frame: Frame<TSNETraits>, handout: boolean): Plot {
  const tooltip = h("div", { className: "nbviz-tsne-tooltip" });
  const thumb = document.createElement("canvas");
  thumb.className = "nbviz-tsne-thumb";
  const tipText = h("div");
  tooltip.append(thumb, tipText);
  const scatter = new Scatter({
    ...PLOT,
    onHover: (i, x, y) => showTooltip(i, x, y),
    onLasso: (indices) => update(model, splitSelection(indices, mapCount)),
    // a click picks one point; a click on empty space clears the selection
    onClick: (index) => update(model, splitSelection(index >= 0 ? [index] : [], mapCount)),
  });
  scatter.root.classList.add("nbviz-tsne-plot");
  scatter.root.append(tooltip);
  const hint = h("div", { className: "nbviz-caption", text: "click: select a point · shift+drag: lasso select · drag: pan · wheel: zoom · double-click: fit" });
  const gridNote = h("div", { className: "nbviz-caption nbviz-tsne-grid-note" });
  const root = h("div", {}, [scatter.root, hint, gridNote]);

  // -- view: points, image map, grid ----------------------------------------------------------
  let onGrid = false;
  let mapCount = 0; // the map's points in the scatter; new points follow them
  let newCount = 0;
  let newListener = () => {};
  const saved = new SavedFrames(model, handout);
  frame.listen(["handout_frames", "handout_extent"], () => saved.read());
  const drawPositions = () => {
    const mode = model.get("view");
    const grid = mode === "grid" ? model.get("grid_positions") : null;
    const shown = saved.positions();
    const positions = grid ?? (shown ? { data: shown } : model.get("positions"));
    const extra = !grid && positions && onLastFrame() ? model.get("new_positions") : null;
    mapCount = (positions?.data.length ?? 0) / 2;
    const joined = joinPositions(positions?.data ?? new Float32Array(0), extra?.data ?? null);
    const m = (joined.length / 2) - mapCount;
    if (Boolean(grid) !== onGrid) {
      onGrid = Boolean(grid);
      scatter.setPositions(joined);
      scatter.resetView(); // the grid and the map have different extents
    } else if (positions) {
      scatter.setPositions(joined);
    }
    scatter.setCrossed(m);
    if (m !== newCount) {
      newCount = m;
      readPointData();
      showSelection();
      newListener();
    }
    scatter.setThumbnailMode(grid ? "cells" : mode === "images" || mode === "grid" ? "map" : "off");
    gridNote.textContent = mode !== "grid" ? "" : grid ? model.get("grid_note") : "snapping to a grid…";
  };
  // new points sit on the finished map: shown with the last frame only
  const onLastFrame = () => model.get("live") || model.get("frame") >= (model.get("iterations")?.data.length ?? 1) - 1;
  frame.listen(["positions", "view", "grid_positions", "grid_note", "new_positions", "live", "frame"], drawPositions);
  if (saved.present) frame.listen(["frame", "live"], drawPositions); // no kernel answers with positions: draw the saved frame

  // -- hover: thumbnail and label (text only) -----------------------------------------------
  let thumbs: NDArray<Uint8Array> | null = null;
  let labels: NDArray | null = null;
  let predictions: NDArray | null = null;
  const readPointData = () => {
    thumbs = newCount ? joinThumbnails(model.get("thumbnails"), model.get("new_thumbnails")) : model.get("thumbnails");
    scatter.setImages(thumbs);
    labels = model.get("labels");
    predictions = model.get("predictions");
  };
  frame.listen(["thumbnails", "labels", "predictions", "new_thumbnails"], readPointData);
  readPointData();
  const showSelection = () => scatter.setSelection(joinSelection(model.get("selected"), model.get("new_selected"), mapCount, newCount));
  frame.listen(["new_selected"], showSelection);
  function showTooltip(index: number, x: number, y: number) {
    if (index < 0) {
      tooltip.style.display = "none";
      return;
    }
    const names = model.get("class_names");
    const name = (v: number) => names[v] ?? String(v);
    const added = index >= mapCount ? index - mapCount : -1;
    const lines = [added >= 0 ? `${model.get("new_name")} #${added} (new_selected)` : `#${index}`];
    if (added >= 0) {
      const label = model.get("new_labels")[added];
      if (label) lines.push(`label: ${label}`);
    } else {
      if (labels) lines.push(`label: ${name(labels.data[index])}`);
      if (predictions) lines.push(`predicted: ${name(predictions.data[index])}`);
    }
    tipText.textContent = lines.join("\n");
    if (thumbs && index < thumbs.shape[0]) {
      const ctx = setupCanvas(thumb, THUMB, THUMB);
      drawPixels(ctx, toRGBA(slice(thumbs, index)), 0, 0, THUMB, THUMB);
      thumb.style.display = "block";
    } else {
      thumb.style.display = "none";
    }
    tooltip.style.display = "block";
    tooltip.style.left = `${Math.min(x + 12, PLOT.width - 90)}px`;
    tooltip.style.top = `${Math.min(y + 12, PLOT.height - 110)}px`;
  }

  return {
    root, scatter, drawPositions, showSelection,
    newShown: () => newCount,
    onNewShown: (listener) => (newListener = listener),
  };
}
