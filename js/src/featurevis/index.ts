// FeatureVisExplorer front end: layer picker, units, mode; live activation-maximisation frames with
// regulariser sliders; a facet gallery (each facet beside its members); inversion from several layers.
// In a handout (no kernel) the saved images are shown, the mode switches between the saved results and
// every control that would start an optimisation is disabled with a note.
//
// controls.ts (+ units.ts): the controls · views.ts (+ rows.ts): the three results.
import { h } from "../lib/controls";
import { createFrame, update } from "../lib/explorer";
import { kernelOnly } from "../lib/handout";
import { layerPicker } from "../lib/layerPicker";
import { typedModel, type ExplorerProps } from "../lib/model";
import { createControls } from "./controls";
import { BINARY, type FeatureVisTraits } from "./traits";
import { createViews } from "./views";

export type { FeatureVisTraits } from "./traits";

function render({ model: wire, el }: ExplorerProps<FeatureVisTraits>) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Feature visualisation");
  const controls = createControls(model, frame);

  const picker = layerPicker({ layers: model.get("tree"), value: model.get("layer"), onPick: (name) => update(model, { layer: name }) });
  picker.root.classList.add("nbviz-layers-picker");
  kernelOnly(picker.root, "picking a layer needs a running kernel");
  frame.listen(["tree"], () => picker.setLayers(model.get("tree")));
  frame.listen(["layer"], () => picker.setValue(model.get("layer")));

  const views = createViews(model, () => getComputedStyle(frame.root).color, () => main.clientWidth);
  const caption = h("div", { className: "nbviz-caption" });
  const main = h("div", { className: "nbviz-layers-main" }, [...views.canvases, caption]);
  frame.body.append(picker.root, main);

  const draw = () => {
    caption.textContent = views.draw(model.get("mode"));
  };
  const showMode = () => {
    const m = model.get("mode");
    views.show(m);
    controls.show(m);
    draw();
  };
  frame.listen(["mode"], showMode);
  frame.listen(["frames", "frame_step", "activations", "facet_images", "member_images", "inversions", "inversion_errors"], draw);
  showMode();
  return () => frame.dispose();
}

export default { render };
