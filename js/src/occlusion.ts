// OcclusionExplorer front end: window/stride/baseline/mode controls, a heat map that fills in coarse
// to fine, and a preview of the occluded image (with its top classes) under the pointer.
import { decodeArray, extent, type NDArray } from "./lib/arrays";
import { COLORMAPS } from "./lib/colormap";
import { debounce, h, select, slider, throttle } from "./lib/controls";
import { createFrame, update, type Model } from "./lib/explorer";
import { createHeatmap } from "./lib/heatmap";
import { createTopK } from "./lib/topk";

/** Index of the window (along one axis) whose centre is nearest to `p`. */
function nearest(origins: number[], window: number, p: number): number {
  let best = 0;
  for (let i = 1; i < origins.length; i++) {
    if (Math.abs(origins[i] + window / 2 - p) < Math.abs(origins[best] + window / 2 - p)) best = i;
  }
  return best;
}

function render({ model, el }: { model: Model; el: HTMLElement }) {
  const frame = createFrame(model, el, "Occlusion");
  const image = decodeArray<Uint8Array>(model.get("image"))!;
  const [height, width] = image.shape;
  const local = { opacity: 0.7, cmap: "coolwarm" };

  // -- controls: server-side settings are debounced, display settings stay in the browser --------
  const send = debounce((values: Record<string, unknown>) => update(model, values), 120);
  const windowSlider = slider({ label: "window", min: 1, max: Math.min(height, width), step: 1, value: model.get("window"), format: (v) => `${v}px`, onInput: (v) => send({ window: v, hover: [] , pinned: false }) });
  const strideSlider = slider({ label: "stride", min: 1, max: Math.max(1, Math.floor(Math.min(height, width) / 2)), step: 1, value: model.get("stride"), format: (v) => `${v}px`, onInput: (v) => send({ stride: v, hover: [], pinned: false }) });
  const baseline = select("baseline", ["zero", "mean", "blur"], model.get("baseline"), (v) => update(model, { baseline: v }));
  const mode = select("mode", ["exact", "approximate"], model.get("mode"), (v) => update(model, { mode: v }));
  const opacity = slider({ label: "opacity", min: 0, max: 1, step: 0.05, value: local.opacity, onInput: (v) => { local.opacity = v; drawMap(); } });
  const cmap = select("colormap", COLORMAPS, local.cmap, (v) => { local.cmap = v; drawMap(); });
  frame.controls.append(windowSlider.root, strideSlider.root, baseline.root, mode.root, opacity.root, cmap.root);
  frame.listen(["window"], () => windowSlider.set(model.get("window")));
  frame.listen(["stride"], () => strideSlider.set(model.get("stride")));
  frame.listen(["baseline"], () => { baseline.input.value = model.get("baseline"); });
  frame.listen(["mode"], () => { mode.input.value = model.get("mode"); });

  // -- the heat map and the hover preview -----------------------------------------------------
  const sendHover = throttle((cell: number[]) => update(model, { hover: cell }), 60);
  const cellAt = (pos: { x: number; y: number }) => {
    const win: number = model.get("window");
    return [nearest(model.get("origins_y"), win, pos.y), nearest(model.get("origins_x"), win, pos.x)];
  };
  const map = createHeatmap({
    size: 288,
    className: "nbviz-occlusion-map",
    title: "drop in the target probability when this spot is covered (hover to preview, click to pin)",
    onHover: (pos) => {
      if (model.get("pinned")) return;
      sendHover(pos ? cellAt(pos) : []);
    },
    onClick: (pos) => {
      const cell = cellAt(pos);
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
    const heat = decodeArray(model.get("heatmap")) as NDArray | null;
    const [lo, hi] = heat ? extent(heat.data) : [0, 0];
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const hover: number[] = model.get("hover");
    const win: number = model.get("window");
    const oy: number[] = model.get("origins_y");
    const ox: number[] = model.get("origins_x");
    const box = hover.length === 2 && hover[0] < oy.length && hover[1] < ox.length
      ? { x: ox[hover[1]], y: oy[hover[0]], w: Math.min(win, width - ox[hover[1]]), h: Math.min(win, height - oy[hover[0]]) }
      : null;
    map.draw({ image, map: heat, cmap: local.cmap, opacity: local.opacity, range: [-m, m], box });
    const partial = Boolean(model.get("partial"));
    map.canvas.dataset.partial = String(partial);
    const cls: number = model.get("explained");
    const p = Number(model.get("base_probability"));
    mapCaption.textContent = `explaining ${names()[cls] ?? cls} (p = ${(p * 100).toFixed(1)}%) · red: covering it lowers p` +
      (partial ? ` · filling in: ${Math.round(Number(model.get("computed")) * 100)}% of windows` : "");
  }
  function drawPreview() {
    const hovered = decodeArray<Uint8Array>(model.get("hover_image"));
    const probs = decodeArray<Float32Array>(model.get("hover_probabilities"));
    preview.draw({ image: hovered ?? image, map: null });
    preview.canvas.dataset.occluded = String(Boolean(hovered));
    const hover: number[] = model.get("hover");
    previewCaption.textContent = hovered
      ? `${model.get("pinned") ? "pinned" : "window"} at row ${hover[0]}, column ${hover[1]}${model.get("pinned") ? " (click again to unpin)" : ""}`
      : "hover the map to see the occluded image; unoccluded:";
    const base = decodeArray<Float32Array>(model.get("probabilities"));
    top.show((probs ?? base)?.data ?? null, names(), model.get("explained"));
  }
  frame.listen(["heatmap", "partial", "computed", "hover", "pinned"], drawMap);
  frame.listen(["hover_image", "hover_probabilities", "pinned", "class_names"], drawPreview);
  drawMap();
  drawPreview();
  return () => {
    map.dispose();
    preview.dispose();
    frame.dispose();
  };
}

export default { render };
