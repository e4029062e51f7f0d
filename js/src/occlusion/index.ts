// OcclusionExplorer front end: an input slider (with several images), window/stride/baseline/mode
// controls, a heat map that fills in coarse to fine, and a preview of the occluded image (with its top
// classes) under the pointer. In a handout (no kernel) the window slider steps through the precomputed
// window sizes and hovering reads the precomputed per-position probability; controls that need Python
// are disabled with a note.
//
// controls.ts: the controls · map.ts: the heat map · preview.ts: the side panel · shown.ts: which map
// is on show (live or precomputed).
import { createFrame } from "../lib/explorer";
import { isHandout } from "../lib/handout";
import { typedModel, type ExplorerProps } from "../lib/model";
import { createControls } from "./controls";
import { createMap } from "./map";
import { createPreview } from "./preview";
import { Shown, type View } from "./shown";
import { BINARY, type OcclusionTraits } from "./traits";

export type { OcclusionTraits } from "./traits";

function render({ model: wire, el }: ExplorerProps<OcclusionTraits>) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Occlusion");
  const image = model.get("image")!;
  const view: View = { image, height: image.shape[0], width: image.shape[1], opacity: 0.7, cmap: "coolwarm" };
  const shown = new Shown(model, view, isHandout());
  const redraw = () => {
    map.draw();
    preview.draw();
  };
  createControls(model, frame, view, shown, redraw);
  const map = createMap(model, view, shown, redraw);
  const preview = createPreview(model, view, shown);
  frame.body.append(map.root, preview.root);

  frame.listen(["image"], () => {
    view.image = model.get("image") ?? view.image;
    redraw();
  });
  frame.listen(["heatmap", "partial", "computed", "hover", "pinned"], map.draw);
  frame.listen(["hover_image", "hover_probabilities", "pinned", "class_names", "probabilities", "explained"], preview.draw);
  redraw();
  return () => {
    map.dispose();
    preview.dispose();
    frame.dispose();
  };
}

export default { render };
