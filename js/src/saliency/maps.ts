// The input with its caption (true class, explained class) and one heat map per method, each
// captioned with the pointing-game result and any note Python sends.
import type { AnyModel } from "@anywidget/types";
import { slice } from "../lib/arrays";
import { h } from "../lib/controls";
import { createHeatmap, type Heatmap } from "../lib/heatmap";
import { inputCaption as captionText } from "./caption";
import type { Look } from "./controls";
import type { SaliencyTraits } from "./traits";

/** The input canvas (`input`, `inputCaption`) and the maps grid (`grid`); draw functions and `dispose`. */
export function createMaps(model: AnyModel<SaliencyTraits>, look: Look) {
  const names = () => model.get("class_names");
  const original = createHeatmap({ size: 160, className: "nbviz-saliency-input" });
  const inputCaption = h("div", { className: "nbviz-caption" });
  const grid = h("div", { className: "nbviz-saliency-maps" });
  const panels: { heat: Heatmap; root: HTMLElement; caption: HTMLElement }[] = [];

  /** Draw the input and its caption; returns the explained class (for the target picker). */
  const drawInput = (): number => {
    original.draw({ image: model.get("image"), map: null });
    const explained = model.get("explained");
    inputCaption.textContent = captionText(
      model.get("index"), model.get("labels"), names(), explained, model.get("target") === null,
    );
    return explained;
  };

  const drawMaps = () => {
    const image = model.get("image");
    const maps = model.get("maps");
    const shown = model.get("map_methods");
    const hits = model.get("hits");
    const notes = model.get("map_notes") ?? [];
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
      p.heat.draw({ image, map: maps ? slice(maps, i) : null, cmap: look.cmap, opacity: look.opacity, range: [0, 1] });
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
  };

  const dispose = () => {
    original.dispose();
    panels.forEach((p) => p.heat.dispose());
  };
  return { input: original.canvas, inputCaption, grid, drawInput, drawMaps, dispose };
}
