// The controls: input slider, method checkboxes, opacity and colormap (in the page only), the target
// picker (top-5 classes) and the shared layer picker for the CAM layer (spatial layers only).
import type { AnyModel } from "@anywidget/types";
import { checklist } from "../lib/checklist";
import { COLORMAPS } from "../lib/colormap";
import { debounce, h, select, slider } from "../lib/controls";
import { update, type Frame } from "../lib/explorer";
import { kernelOnly } from "../lib/handout";
import { layerPicker } from "../lib/layerPicker";
import { createTopK } from "../lib/topk";
import type { SaliencyTraits } from "./traits";

/** How the maps are drawn: set in the page, never sent to Python. */
export interface Look {
  opacity: number;
  cmap: string;
}

/** Controls into `frame.controls`; returns the target picker and the CAM layer box for the side column. */
export function createControls(model: AnyModel<SaliencyTraits>, frame: Frame<SaliencyTraits>, look: Look, onLook: () => void) {
  const sendIndex = debounce((v: number) => update(model, { index: v }), 80);
  const n = model.get("n_inputs");
  const input = slider({ label: "input", min: 0, max: Math.max(0, n - 1), step: 1, value: model.get("index"), onInput: sendIndex });
  const methods = checklist("methods", model.get("all_methods"), model.get("methods"), (v) => update(model, { methods: v }));
  // CAM layer: the shared layer picker, only layers with spatial output selectable; "" = the last one
  const camLayer = (): string => model.get("layer") || model.get("layers").slice(-1)[0] || "";
  const picker = layerPicker({
    layers: model.get("layer_rows"),
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
  const opacity = slider({ label: "opacity", min: 0, max: 1, step: 0.05, value: look.opacity, onInput: (v) => { look.opacity = v; onLook(); } });
  const cmap = select("colormap", COLORMAPS, look.cmap, (v) => { look.cmap = v; onLook(); });
  const target = createTopK({
    k: 5,
    title: "target (click a class; click again for the predicted one)",
    onPick: (c) => update(model, { target: model.get("target") === c ? null : c }),
  });
  frame.controls.append(input.root, opacity.root, cmap.root, methods.root);
  frame.listen(["index", "n_inputs"], () => {  // n_inputs grows when nbviz.link adds a t-SNE map's new points
    input.input.max = String(Math.max(0, model.get("n_inputs") - 1));
    input.set(model.get("index"));
  });
  frame.listen(["methods"], () => methods.set(model.get("methods")));
  frame.listen(["layer", "layers"], showLayer);
  frame.listen(["layer_rows"], () => { picker.setLayers(model.get("layer_rows")); showLayer(); });
  showLayer();
  return { target, layer };
}
