// OcclusionExplorer front end: an input slider (with several images), window/stride/baseline/mode controls, a heat map that fills in coarse
// to fine, and a preview of the occluded image (with its top classes) under the pointer. In a handout (no
// kernel) the window slider steps through the precomputed window sizes and hovering reads the precomputed
// per-position probability; controls that need Python are disabled with a note.
import type { RenderProps } from "@anywidget/types";
import { extent, type NDArray } from "./lib/arrays";
import { COLORMAPS } from "./lib/colormap";
import { debounce, h, select, slider, throttle } from "./lib/controls";
import { createFrame, update } from "./lib/explorer";
import { isHandout, kernelOnly } from "./lib/handout";
import { createHeatmap } from "./lib/heatmap";
import { createTopK } from "./lib/topk";
import { typedModel, type Binary, type BinarySpec, type ExplorerTraits, type Wire } from "./lib/model";

/** OcclusionExplorer's synced traits (nbviz/widgets/occlusion.py). */
export interface OcclusionTraits extends ExplorerTraits {
  base_probability: number;
  baseline: string;
  class_names: string[];
  computed: number;
  explained: number;
  handout_maps: Binary<Float32Array>;
  handout_origins_x: number[][];
  handout_origins_y: number[][];
  handout_probability: Binary<Float32Array>;
  handout_windows: number[];
  heatmap: Binary;
  hover: number[];
  hover_image: Binary<Uint8Array>;
  hover_probabilities: Binary<Float32Array>;
  image: Binary<Uint8Array>;
  index: number;
  map_window: number;
  mode: string;
  n_inputs: number;
  origins_x: number[];
  origins_y: number[];
  partial: boolean;
  pinned: boolean;
  probabilities: Binary<Float32Array>;
  stride: number;
  target: number | null;
  window: number;
}
const BINARY: BinarySpec<OcclusionTraits> = { handout_maps: true, handout_probability: true, heatmap: true, hover_image: true, hover_probabilities: true, image: true, probabilities: true };

/** Index of the window (along one axis) whose centre is nearest to `p`. */
function nearest(origins: number[], window: number, p: number): number {
  let best = 0;
  for (let i = 1; i < origins.length; i++) {
    if (Math.abs(origins[i] + window / 2 - p) < Math.abs(origins[best] + window / 2 - p)) best = i;
  }
  return best;
}

function render({ model: wire, el }: Pick<RenderProps<Wire<OcclusionTraits>>, "model" | "el">) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Occlusion");
  let image = model.get("image")!; // the image on show (replaced when `index` changes)
  const [height, width] = image.shape;
  const local = { opacity: 0.7, cmap: "coolwarm" };
  // handout: maps made by precompute() for several windows; `shown` indexes them, `cell` is the hovered position
  const windows: number[] = isHandout() ? model.get("handout_windows") ?? [] : [];
  const offline = { shown: Math.max(0, windows.indexOf(model.get("window"))), cell: [] as number[], pinned: false };
  const maps = windows.length ? model.get("handout_maps") : null;
  const grids = windows.length ? model.get("handout_probability") : null;
  /** The map on show and the settings it was made with: the live traits, or a precomputed window. */
  function shownMap(): { heat: NDArray | null; win: number; oy: number[]; ox: number[]; hover: number[] } {
    if (!maps) return { heat: model.get("heatmap") as NDArray | null, win: model.get("window"), oy: model.get("origins_y"), ox: model.get("origins_x"), hover: model.get("hover") };
    const i = offline.shown;
    const plane = height * width;
    const heat = { data: maps.data.subarray(i * plane, (i + 1) * plane), shape: [height, width], dtype: maps.dtype } as NDArray;
    return { heat, win: windows[i], oy: model.get("handout_origins_y")[i], ox: model.get("handout_origins_x")[i], hover: offline.cell };
  }
  /** Precomputed probability of the explained class with the window at (row, col) of the map on show. */
  function offlineProbability(row: number, col: number): number {
    if (!grids) return NaN;
    const [, rows, cols] = grids.shape;
    return grids.data[(offline.shown * rows + row) * cols + col];
  }

  // -- controls: server-side settings are debounced, display settings stay in the browser --------
  const send = debounce((values: Partial<OcclusionTraits>) => update(model, values), 120);
  const n: number = model.get("n_inputs") ?? 1;
  const inputSlider = n > 1
    ? slider({ label: "input", min: 0, max: n - 1, step: 1, value: model.get("index"), onInput: debounce((v: number) => update(model, { index: v }), 80) })
    : null;
  if (inputSlider) {
    frame.controls.append(inputSlider.root);
    kernelOnly(inputSlider.root, "input: needs a running kernel (the handout holds the maps of the image shown)");
    frame.listen(["index"], () => inputSlider.set(model.get("index")));
  }
  const windowSlider = maps
    ? slider({ label: "window", min: 0, max: windows.length - 1, step: 1, value: offline.shown, format: (i) => `${windows[i]}px`, onInput: (i) => { offline.shown = i; offline.cell = []; drawMap(); drawPreview(); } })
    : slider({ label: "window", min: 1, max: Math.min(height, width), step: 1, value: model.get("window"), format: (v) => `${v}px`, onInput: (v) => send({ window: v, hover: [] , pinned: false }) });
  if (maps) windowSlider.root.title = `precomputed window sizes: ${windows.join(", ")} px`;
  else kernelOnly(windowSlider.root, "window: needs a running kernel (precompute() stores maps for several windows)");
  const strideSlider = slider({ label: "stride", min: 1, max: Math.max(1, Math.floor(Math.min(height, width) / 2)), step: 1, value: model.get("stride"), format: (v) => `${v}px`, onInput: (v) => send({ stride: v, hover: [], pinned: false }) });
  const baseline = select("baseline", ["zero", "mean", "blur"], model.get("baseline"), (v) => update(model, { baseline: v }));
  const mode = select("mode", ["exact", "approximate"], model.get("mode"), (v) => update(model, { mode: v }));
  const opacity = slider({ label: "opacity", min: 0, max: 1, step: 0.05, value: local.opacity, onInput: (v) => { local.opacity = v; drawMap(); } });
  const cmap = select("colormap", COLORMAPS, local.cmap, (v) => { local.cmap = v; drawMap(); });
  frame.controls.append(windowSlider.root, strideSlider.root, baseline.root, mode.root, opacity.root, cmap.root);
  kernelOnly(strideSlider.root, "stride: needs a running kernel");
  kernelOnly(baseline.root, "baseline: needs a running kernel");
  kernelOnly(mode.root, "mode: needs a running kernel");
  if (!maps) frame.listen(["window"], () => windowSlider.set(model.get("window")));
  frame.listen(["stride"], () => strideSlider.set(model.get("stride")));
  frame.listen(["baseline"], () => { baseline.input.value = model.get("baseline"); });
  frame.listen(["mode"], () => { mode.input.value = model.get("mode"); });

  // -- the heat map and the hover preview -----------------------------------------------------
  const sendHover = throttle((cell: number[]) => update(model, { hover: cell }), 60);
  const cellAt = (pos: { x: number; y: number }) => {
    const { win, oy, ox } = shownMap();
    return [nearest(oy, win, pos.y), nearest(ox, win, pos.x)];
  };
  // handout: hover and click stay in the page (the occluded image's top classes need the kernel)
  const hoverOffline = (cell: number[], pin?: boolean) => {
    if (pin !== undefined) offline.pinned = pin;
    offline.cell = cell;
    drawMap();
    drawPreview();
  };
  const map = createHeatmap({
    size: 288,
    className: "nbviz-occlusion-map",
    title: "drop in the target probability when this spot is covered (hover to preview, click to pin)",
    onHover: (pos) => {
      if (maps) {
        if (!offline.pinned) hoverOffline(pos ? cellAt(pos) : []);
        return;
      }
      if (model.get("pinned")) return;
      sendHover(pos ? cellAt(pos) : []);
    },
    onClick: (pos) => {
      const cell = cellAt(pos);
      if (maps) {
        const same = offline.cell.length === 2 && offline.cell[0] === cell[0] && offline.cell[1] === cell[1];
        hoverOffline(cell, !(offline.pinned && same));
        return;
      }
      const hover: number[] = model.get("hover");
      const same = hover.length === 2 && hover[0] === cell[0] && hover[1] === cell[1];
      update(model, model.get("pinned") && same ? { pinned: false } : { pinned: true, hover: cell });
    },
  });
  const mapCaption = h("div", { className: "nbviz-caption" });
  const preview = createHeatmap({ size: 144, className: "nbviz-occlusion-preview", title: "the occluded image the model sees" });
  const previewCaption = h("div", { className: "nbviz-caption", text: "hover the map to see the occluded image" });
  const top = createTopK({ k: 5, title: "top classes" });
  frame.body.append(
    h("div", {}, [map.canvas, mapCaption]),
    h("div", { className: "nbviz-occlusion-side" }, [preview.canvas, previewCaption, top.root]),
  );

  const names = (): string[] => model.get("class_names");
  function drawMap() {
    const { heat, win, oy, ox, hover } = shownMap();
    const [lo, hi] = heat ? extent(heat.data) : [0, 0];
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const box = hover.length === 2 && hover[0] < oy.length && hover[1] < ox.length
      ? { x: ox[hover[1]], y: oy[hover[0]], w: Math.min(win, width - ox[hover[1]]), h: Math.min(win, height - oy[hover[0]]) }
      : null;
    map.draw({ image, map: heat, cmap: local.cmap, opacity: local.opacity, range: [-m, m], box });
    map.canvas.dataset.window = String(win);
    const partial = !maps && Boolean(model.get("partial"));
    map.canvas.dataset.partial = String(partial);
    const cls: number = model.get("explained");
    const p = Number(model.get("base_probability"));
    map.canvas.dataset.index = String(model.get("index") ?? 0);
    mapCaption.textContent = (n > 1 ? `input ${model.get("index")} · ` : "") + `explaining ${names()[cls] ?? cls} (p = ${(p * 100).toFixed(1)}%) · red: covering it lowers p` +
      (partial ? ` · filling in: ${Math.round(Number(model.get("computed")) * 100)}% of windows` : "");
  }
  function drawPreviewOffline() {
    const { win, oy, ox, hover } = shownMap();
    const inside = hover.length === 2 && hover[0] < oy.length && hover[1] < ox.length;
    const box = inside ? { x: ox[hover[1]], y: oy[hover[0]], w: Math.min(win, width - ox[hover[1]]), h: Math.min(win, height - oy[hover[0]]) } : null;
    preview.draw({ image, map: null, box });
    preview.canvas.dataset.occluded = "false";
    const cls: number = model.get("explained");
    const p = inside ? offlineProbability(hover[0], hover[1]) : NaN;
    previewCaption.textContent = inside
      ? `${offline.pinned ? "pinned: " : ""}with the ${win}px window at row ${hover[0]}, column ${hover[1]} covered, p(${names()[cls] ?? cls}) = ${(p * 100).toFixed(1)}% (unoccluded ${(Number(model.get("base_probability")) * 100).toFixed(1)}%)`
      : "hover the map: the probability with that spot covered; unoccluded top classes:";
    const base = model.get("probabilities");
    top.show(base?.data ?? null, names(), cls);
  }
  function drawPreview() {
    if (maps) return drawPreviewOffline();
    const hovered = model.get("hover_image");
    const probs = model.get("hover_probabilities");
    preview.draw({ image: hovered ?? image, map: null });
    preview.canvas.dataset.occluded = String(Boolean(hovered));
    const hover: number[] = model.get("hover");
    previewCaption.textContent = hovered
      ? `${model.get("pinned") ? "pinned" : "window"} at row ${hover[0]}, column ${hover[1]}${model.get("pinned") ? " (click again to unpin)" : ""}`
      : "hover the map to see the occluded image; unoccluded:";
    const base = model.get("probabilities");
    top.show((probs ?? base)?.data ?? null, names(), model.get("explained"));
  }
  frame.listen(["image"], () => {
    image = model.get("image") ?? image;
    drawMap();
    drawPreview();
  });
  frame.listen(["heatmap", "partial", "computed", "hover", "pinned"], drawMap);
  frame.listen(["hover_image", "hover_probabilities", "pinned", "class_names", "probabilities", "explained"], drawPreview);
  drawMap();
  drawPreview();
  return () => {
    map.dispose();
    preview.dispose();
    frame.dispose();
  };
}

export default { render };
