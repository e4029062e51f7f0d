// PredictionExplorer front end: image tiles with the model's top prediction, and transform sliders.
// In a handout (no kernel) the sliders step through the values precompute() stored — one transform at a
// time, the others at rest — and the tiles show the stored images and predictions.
import { slice } from "../lib/arrays";
import { createFrame } from "../lib/explorer";
import { isHandout } from "../lib/handout";
import { typedModel, type ExplorerProps } from "../lib/model";
import { createControls } from "./controls";
import { readOffline } from "./handout";
import { createTiles, type Shown } from "./tiles";
import { BINARY, type PredictionTraits } from "./traits";

export type { PredictionTraits } from "./traits";

function render({ model: wire, el }: ExplorerProps<PredictionTraits>) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Predictions");
  const tiles = createTiles(model, frame.body, el, () => getComputedStyle(frame.root).color);
  const offline = readOffline(model, isHandout());

  const shown = (): Shown => {
    if (!offline) return { images: model.get("images"), probs: model.get("probabilities"), accuracy: model.get("accuracy") ?? null };
    const s = offline.state;
    return { images: slice(offline.images, s), probs: slice(offline.probs, s), accuracy: offline.accuracy.length ? offline.accuracy[s] : null };
  };
  const draw = () => tiles.draw(shown());
  createControls(model, frame, offline, () => {
    tiles.canvas.dataset.state = offline!.params[offline!.state].join(",");
    draw();
  });
  if (!offline) frame.listen(["images", "probabilities"], draw);
  draw();
  return () => frame.dispose();
}

export default { render };
