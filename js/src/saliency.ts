// SaliencyExplorer front end: the chosen input and one heat map per method side by side, a target
// picker (top-5 classes), method checkboxes, the shared layer picker for the CAM layer (spatial layers
// only), and opacity/colormap in the browser.
import type { RenderProps } from "@anywidget/types";
import { slice } from "./lib/arrays";
import { checklist } from "./lib/checklist";
import { COLORMAPS } from "./lib/colormap";
import { debounce, h, select, slider } from "./lib/controls";
import { createFrame, update } from "./lib/explorer";
import { kernelOnly } from "./lib/handout";
import { createHeatmap, type Heatmap } from "./lib/heatmap";
import { layerPicker, type LayerNode } from "./lib/layerPicker";
import { createTopK } from "./lib/topk";
import { typedModel, type Binary, type BinarySpec, type ExplorerTraits, type Wire } from "./lib/model";

/** SaliencyExplorer's synced traits (nbviz/widgets/saliency.py). */
export interface SaliencyTraits extends ExplorerTraits {
  all_methods: string[];
  cam_methods: string[];
  class_names: string[];
  explained: number;
  has_masks: boolean;
  hits: number[];
  image: Binary<Uint8Array>;
  index: number;
  labels: number[];
  layer: string;
  layer_rows: LayerNode[];
  layers: string[];
  map_methods: string[];
  map_notes: string[];
  maps: Binary<Float32Array>;
  methods: string[];
  n_inputs: number;
  probabilities: Binary<Float32Array>;
  target: number | null;
}
const BINARY: BinarySpec<SaliencyTraits> = { image: true, maps: true, probabilities: true };

function render({ model: wire, el }: Pick<RenderProps<Wire<SaliencyTraits>>, "model" | "el">) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Saliency");
  const local = { opacity: 0.6, cmap: "inferno" };
  const names = (): string[] => model.get("class_names");

  // -- controls --------------------------------------------------------------------------------
  const sendIndex = debounce((v: number) => update(model, { index: v }), 80);
  const n: number = model.get("n_inputs");
  const input = slider({ label: "input", min: 0, max: Math.max(0, n - 1), step: 1, value: model.get("index"), onInput: sendIndex });
  const methods = checklist("methods", model.get("all_methods"), model.get("methods"), (v) => update(model, { methods: v }));
  // CAM layer: the shared layer picker, only layers with spatial output selectable; "" = the last one
  const camLayer = (): string => model.get("layer") || (model.get("layers") as string[]).slice(-1)[0] || "";
  const picker = layerPicker({
    layers: model.get("layer_rows") as LayerNode[],
    value: camLayer(),
    label: "search CAM layers",
    onPick: (name) => update(model, { layer: name }),
  });
  const layerNote = h("div", { className: "nbviz-caption" });
  const showLayer = () => {
    picker.setValue(camLayer());
    layerNote.textContent = `CAM layer: ${camLayer()}${model.get("layer") ? "" : " (default: the last spatial layer)"}`;
  };
  const layer = h("div", { className: "nbviz-saliency-layer" }, [layerNote, picker.root]);
  kernelOnly(picker.root, "picking a layer needs a running kernel");
  const opacity = slider({ label: "opacity", min: 0, max: 1, step: 0.05, value: local.opacity, onInput: (v) => { local.opacity = v; drawMaps(); } });
  const cmap = select("colormap", COLORMAPS, local.cmap, (v) => { local.cmap = v; drawMaps(); });
  const target = createTopK({
    k: 5,
    title: "target (click a class; click again for the predicted one)",
    onPick: (c) => update(model, { target: model.get("target") === c ? null : c }),
  });
  frame.controls.append(input.root, opacity.root, cmap.root, methods.root);
  frame.listen(["index"], () => input.set(model.get("index")));
  frame.listen(["methods"], () => methods.set(model.get("methods")));
  frame.listen(["layer", "layers"], showLayer);
  frame.listen(["layer_rows"], () => { picker.setLayers(model.get("layer_rows")); showLayer(); });
  showLayer();

  // -- the input and the maps -------------------------------------------------------------------
  const original = createHeatmap({ size: 160, className: "nbviz-saliency-input" });
  const inputCaption = h("div", { className: "nbviz-caption" });
  const grid = h("div", { className: "nbviz-saliency-maps" });
  frame.body.append(h("div", {}, [original.canvas, inputCaption, target.root, layer]), grid);
  const panels: { heat: Heatmap; root: HTMLElement; caption: HTMLElement }[] = [];

  function drawInput() {
    const image = model.get("image");
    original.draw({ image, map: null });
    const labels: number[] = model.get("labels");
    const index: number = model.get("index");
    const explained: number = model.get("explained");
    const truth = labels.length ? ` · true class ${names()[labels[index]] ?? labels[index]}` : "";
    inputCaption.textContent = `input ${index}${truth} · explaining ${names()[explained] ?? explained}` +
      (model.get("target") === null ? " (predicted)" : "");
    target.show(model.get("probabilities")?.data ?? null, names(), explained);
  }

  function drawMaps() {
    const image = model.get("image");
    const maps = model.get("maps");
    const shown: string[] = model.get("map_methods");
    const hits: number[] = model.get("hits");
    const notes: string[] = model.get("map_notes") ?? [];
    while (panels.length < shown.length) {
      const heat = createHeatmap({ size: 160, className: "nbviz-saliency-map" });
      const caption = h("div", { className: "nbviz-caption" });
      const root = h("div", { className: "nbviz-saliency-panel" }, [heat.canvas, caption]);
      grid.appendChild(root);
      panels.push({ heat, root, caption });
    }
    while (panels.length > shown.length) {
      const p = panels.pop()!;
      p.heat.dispose();
      p.root.remove();
    }
    shown.forEach((method, i) => {
      const p = panels[i];
      p.heat.draw({ image, map: maps ? slice(maps, i) : null, cmap: local.cmap, opacity: local.opacity, range: [0, 1] });
      p.heat.canvas.dataset.method = method;
      const hit = hits[i];
      p.caption.replaceChildren(h("span", { text: method }));
      if (hit === 1 || hit === 0) {
        p.caption.append(h("span", {
          className: hit ? "nbviz-good" : "nbviz-bad",
          text: hit ? " · points at the object ✓" : " · misses the object ✗",
          title: "pointing game: is the map's maximum inside the object mask?",
        }));
      }
      if (notes[i]) p.caption.append(h("div", { className: "nbviz-saliency-note", text: `⚠ ${notes[i]}` }));
    });
  }
  frame.listen(["image", "probabilities", "explained", "target", "index", "labels", "class_names"], drawInput);
  frame.listen(["maps", "map_methods", "hits", "map_notes"], drawMaps);
  drawInput();
  drawMaps();
  return () => {
    original.dispose();
    panels.forEach((p) => p.heat.dispose());
    frame.dispose();
  };
}

export default { render };
