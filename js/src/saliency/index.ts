// SaliencyExplorer front end: the chosen input and one heat map per method side by side, a target
// picker (top-5 classes), method checkboxes, the shared layer picker for the CAM layer (spatial layers
// only), and opacity/colormap in the browser.
//
// controls.ts: every control · maps.ts: the input and the maps.
import { h } from "../lib/controls";
import { createFrame } from "../lib/explorer";
import { typedModel, type ExplorerProps } from "../lib/model";
import { createControls, type Look } from "./controls";
import { createMaps } from "./maps";
import { BINARY, type SaliencyTraits } from "./traits";

export type { SaliencyTraits } from "./traits";

function render({ model: wire, el }: ExplorerProps<SaliencyTraits>) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Saliency");
  const look: Look = { opacity: 0.6, cmap: "inferno" };
  const maps = createMaps(model, look);
  const { target, layer } = createControls(model, frame, look, () => maps.drawMaps());
  frame.body.append(h("div", {}, [maps.input, maps.inputCaption, target.root, layer]), maps.grid);

  const drawInput = () => {
    const explained = maps.drawInput();
    target.show(model.get("probabilities")?.data ?? null, model.get("class_names"), explained);
  };
  frame.listen(["image", "probabilities", "explained", "target", "index", "labels", "class_names"], drawInput);
  frame.listen(["maps", "map_methods", "hits", "map_notes"], maps.drawMaps);
  drawInput();
  maps.drawMaps();
  return () => {
    maps.dispose();
    frame.dispose();
  };
}

export default { render };
