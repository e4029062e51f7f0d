// The input strip: a thumbnail button per input; in a handout inputs without precomputed maps are
// disabled with a note.
import { slice } from "../lib/arrays";
import { drawPixels, setupCanvas, toRGBA } from "../lib/canvas";
import { h } from "../lib/controls";
import { kernelOnly } from "../lib/handout";
import type { Context } from "./context";
import { offlineEntry } from "./shown";

/** The strip element and its draw function (listening to the traits it shows). */
export function createStrip(ctx: Context) {
  const { model, frame, offline } = ctx;
  const root = h("div", { className: "nbviz-layers-strip" });
  const draw = () => {
    const thumbs = model.get("thumbnails");
    const labels = model.get("labels");
    const shown = model.get("strip");
    root.replaceChildren();
    if (!thumbs) return;
    for (let i = 0; i < Math.min(thumbs.shape[0], shown.length); i++) {
      const index = shown[i];
      const canvas = document.createElement("canvas");
      drawPixels(setupCanvas(canvas, 40, 40), toRGBA(slice(thumbs, i)), 0, 0, 40, 40);
      const button = h("button", { className: "nbviz-layers-thumb", title: labels[index] ?? `input ${index}` }, [canvas]);
      if (labels.length) button.appendChild(h("span", { className: "nbviz-layers-label", text: labels[index] }));
      button.setAttribute("aria-label", `input ${index}`);
      button.dataset.index = String(index);
      button.classList.toggle("nbviz-picked", index === model.get("input_index"));
      if (offline && !offlineEntry(ctx, model.get("layer"), index)) kernelOnly(button, "not precomputed for this handout");
      button.addEventListener("click", () => ctx.choose({ input_index: index }));
      root.appendChild(button);
    }
  };
  frame.listen(["thumbnails", "labels", "input_index", "strip"], draw);
  if (offline) frame.listen(["layer", "offline_index"], draw);
  return { root, draw };
}
