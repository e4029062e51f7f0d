// WatchExplorer front end: a live training view. Python sends the timeline (losses, accuracy, sparsity,
// dead channels, the weight path and its loss surface) whole, and one snapshot's panels (filters,
// feature maps, t-SNE map) for the frame on show; the scrubber sets `frame` and stops following the
// newest snapshot. In a handout the panels of every snapshot are packed in the page (shown.ts). Every panel is a canvas redrawn when its traits change, so the view moves while the
// training cell runs.
//
// panel.ts: the shared panel · curves, filters, maps, sparsity, embedding, path: one module per panel ·
// controls.ts: the scrubber and "follow training".
import { createFrame } from "../lib/explorer";
import { typedModel, type ExplorerProps } from "../lib/model";
import { createControls } from "./controls";
import { drawCurves } from "./curves";
import { drawTsne } from "./embedding";
import { drawFilters } from "./filters";
import { drawMaps } from "./maps";
import { panel } from "./panel";
import { drawPath } from "./path";
import { replaying } from "./shown";
import { drawSparsity } from "./sparsity";
import { BINARY, type WatchTraits } from "./traits";

export type { WatchTraits } from "./traits";

function render({ model: wire, el }: ExplorerProps<WatchTraits>) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Watching the network learn");
  const drawControls = createControls(model, frame);

  const curves = panel("loss and accuracy");
  const filters = panel("first-layer filters");
  const maps = panel("feature maps");
  const sparsity = panel("sparsity and dead channels per layer");
  const tsne = panel("t-SNE of the probe features");
  const path = panel("weight path over the loss surface");
  for (const p of [curves, filters, maps, sparsity, tsne, path]) frame.body.append(p.root);

  const draws = {
    curves: () => drawCurves(model, curves),
    filters: () => drawFilters(model, filters),
    maps: () => drawMaps(model, maps),
    sparsity: () => drawSparsity(model, sparsity),
    tsne: () => drawTsne(model, tsne),
    path: () => drawPath(model, path),
  };
  frame.listen(["loss_steps", "train_loss", "probe_accuracy", "frame"], draws.curves);
  // in a handout the scrubber's `frame` picks the packed panels here (no kernel sends them)
  const own = (names: (keyof WatchTraits)[]) => (replaying(model) ? [...names, "frame" as const] : names);
  frame.listen(own(["filters"]), draws.filters);
  frame.listen(own(["maps", "probe_images"]), draws.maps);
  frame.listen(["sparsity", "dead", "frame"], draws.sparsity);
  frame.listen(own(["embedding"]), draws.tsne);
  frame.listen(["path", "surface", "frame"], draws.path);
  frame.listen(["snapshot_steps", "frame", "live", "steps_done", "interval", "overhead"], drawControls);
  for (const draw of [...Object.values(draws), drawControls]) draw();
  return () => frame.dispose();
}

export default { render };
