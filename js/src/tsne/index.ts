// TSNEExplorer front end: a WebGL scatter streaming t-SNE frames, a KL curve with the shown
// iteration marked, playback and a scrubber over the frames, a legend, hover thumbnails, lasso
// selection, small multiples over perplexity, and image-map / grid views. In a handout (no kernel) the
// scrubber and playback draw the saved frames (handout_frames) in the page; run controls need a kernel.
//
// controls.ts: run controls and pickers · plot.ts: the map · panel.ts (+ playback.ts): the side panel ·
// colours.ts: colours and legend · multiples.ts: small multiples · frames.ts: a handout's saved frames ·
// newPoints.ts: points added to the map (add_points).
import { createFrame } from "../lib/explorer";
import { isHandout } from "../lib/handout";
import { typedModel, type ExplorerProps } from "../lib/model";
import { createColours } from "./colours";
import { createControls } from "./controls";
import { createMultiples } from "./multiples";
import { createPanel } from "./panel";
import { createPlot } from "./plot";
import { BINARY, type TSNETraits } from "./traits";

export { dequantise } from "./frames";
export type { TSNETraits } from "./traits";

function render({ model: wire, el }: ExplorerProps<TSNETraits>) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "t-SNE");
  frame.root.classList.add("nbviz-tsne");
  const handout = isHandout();

  const plot = createPlot(model, frame, handout);
  const panel = createPanel(model, frame, () => plot.showSelection());
  frame.body.append(plot.root, panel.root);
  const multiples = createMultiples(model, frame, handout, () => colours.apply());
  frame.root.insertBefore(multiples.root, frame.body.nextSibling);
  const colours = createColours(model, frame, panel.legend, () => [plot.scatter, ...multiples.scatters()], () => plot.newShown());
  plot.onNewShown(() => colours.recolor());
  createControls(model, frame, handout);

  plot.drawPositions();
  colours.recolor();
  panel.draw();
  multiples.draw();
  return () => {
    panel.playback.stop();
    plot.scatter.dispose();
    multiples.dispose();
    frame.dispose();
  };
}

export default { render };
