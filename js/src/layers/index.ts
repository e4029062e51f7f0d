// LayerExplorer front end: layer picker, channel grid of feature maps, input strip with transform
// sliders, channel detail (large map, filter, top-9 images with receptive-field crops), layer stats, channels
// that respond to a selection. In a handout (no kernel) the layer and input pickers read precomputed maps.
//
// controls.ts: the controls · strip.ts: inputs · grid.ts: the channel grid · detail.ts: one channel ·
// contrast.ts: channels for a selection · chart.ts: layer stats · shown.ts: live or precomputed maps.
import { h } from "../lib/controls";
import { createFrame } from "../lib/explorer";
import { isHandout } from "../lib/handout";
import { layerPicker } from "../lib/layerPicker";
import { typedModel, type ExplorerProps } from "../lib/model";
import { createChart } from "./chart";
import { createContext } from "./context";
import { createContrast } from "./contrast";
import { createControls } from "./controls";
import { createDetail } from "./detail";
import { createGrid } from "./grid";
import { createStrip } from "./strip";
import { BINARY, type LayerTraits } from "./traits";

export type { LayerTraits } from "./traits";

function render({ model: wire, el }: ExplorerProps<LayerTraits>) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Layers");
  const ctx = createContext(model, frame, isHandout());
  createControls(ctx);

  const picker = layerPicker({ layers: model.get("tree"), value: model.get("layer"), onPick: (name) => ctx.choose({ layer: name, channel: -1 }) });
  picker.root.classList.add("nbviz-layers-picker");
  frame.listen(["tree"], () => picker.setLayers(model.get("tree")));
  frame.listen(["layer"], () => picker.setValue(model.get("layer")));

  const strip = createStrip(ctx);
  const grid = createGrid(ctx, el, () => detail.draw());
  const detail = createDetail(ctx, grid.current);
  const contrast = createContrast(ctx);
  const chart = createChart(ctx, () => getComputedStyle(frame.root).color);
  const main = h("div", { className: "nbviz-layers-main" }, [strip.root, contrast.root, grid.row, grid.caption, detail.root, chart.root]);
  frame.body.append(picker.root, main);

  // each trait of a maps result, not just `maps`: a host may deliver them in another order than Python set them (marimo does)
  frame.listen(["maps", "maps_layer", "input_image", "colormap", "channel", "contrast_channels"], grid.draw);
  if (ctx.offline) frame.listen(["layer", "input_index", "offline_index"], grid.draw);

  strip.draw();
  grid.draw();
  contrast.draw();
  chart.draw();
  return () => frame.dispose();
}

export default { render };
