// The controls: colormap (in the page), map scaling and the input transforms (need a kernel).
import { COLORMAPS } from "../lib/colormap";
import { select, slider, throttle } from "../lib/controls";
import { update } from "../lib/explorer";
import { kernelOnly } from "../lib/handout";
import { keysOf } from "../lib/model";
import type { Context } from "./context";
import type { LayerTraits } from "./traits";

/** Add the controls to the frame and keep them in step with the model. */
export function createControls({ model, frame }: Context): void {
  const send = throttle((values: Partial<LayerTraits>) => update(model, values), 60);
  const cmap = select("colormap", COLORMAPS, model.get("colormap"), (v) => update(model, { colormap: v }));
  const norm = select("scale maps", ["each", "shared"], model.get("normalize"), (v) => update(model, { normalize: v }));
  const sliders: Record<"shift_x" | "shift_y" | "angle" | "scale", ReturnType<typeof slider>> = {
    shift_x: slider({ label: "shift x", min: -0.5, max: 0.5, step: 0.05, value: model.get("shift_x"), onInput: (v) => send({ shift_x: v }) }),
    shift_y: slider({ label: "shift y", min: -0.5, max: 0.5, step: 0.05, value: model.get("shift_y"), onInput: (v) => send({ shift_y: v }) }),
    angle: slider({ label: "rotate", min: -180, max: 180, step: 5, value: model.get("angle"), format: (v) => `${v}°`, onInput: (v) => send({ angle: v }) }),
    scale: slider({ label: "scale", min: 0.5, max: 2, step: 0.05, value: model.get("scale"), format: (v) => `${v}×`, onInput: (v) => send({ scale: v }) }),
  };
  frame.controls.append(cmap.root, norm.root, ...Object.values(sliders).map((s) => s.root));
  for (const control of [norm.root, ...Object.values(sliders).map((s) => s.root)]) {
    kernelOnly(control, "transforms and scaling need a running kernel; the maps shown were precomputed");
  }
  frame.listen(keysOf(sliders), () => keysOf(sliders).forEach((k) => sliders[k].set(model.get(k))));
  frame.listen(["colormap"], () => (cmap.input.value = model.get("colormap")));
  frame.listen(["normalize"], () => (norm.input.value = model.get("normalize")));
}
