// The controls: mode, units, parametrisation and the regulariser sliders; each mode shows the ones it
// uses. In a handout the mode switches between the saved results and the rest needs a kernel.
import type { AnyModel } from "@anywidget/types";
import { debounce, h, select, slider } from "../lib/controls";
import { update, type Frame } from "../lib/explorer";
import { isHandout, kernelOnly } from "../lib/handout";
import { keysOf, type BinaryKeys } from "../lib/model";
import type { FeatureVisTraits } from "./traits";
import { parseUnits, unitsText } from "./units";

type SliderName = "steps" | "l2" | "tv" | "blur_every" | "k" | "input_index";
/** The sliders each mode uses. */
const VISIBLE: Record<string, SliderName[]> = {
  maximize: ["steps", "l2", "tv", "blur_every"],
  facets: ["steps", "l2", "tv", "k"],
  invert: ["steps", "input_index"],
};
/** The trait holding each mode's saved result (a handout offers the modes that have one). */
const SAVED: Record<string, BinaryKeys<FeatureVisTraits>> = { maximize: "frames", invert: "inversions", facets: "facet_images" };

/** Add the controls to `frame.controls`; `show(mode)` shows the controls that mode uses. */
export function createControls(model: AnyModel<FeatureVisTraits>, frame: Frame<FeatureVisTraits>) {
  // several sliders moved within the debounce all count
  let pending: Partial<FeatureVisTraits> = {};
  const flush = debounce(() => {
    const values = pending;
    pending = {};
    update(model, values);
  }, 120);
  const send = (values: Partial<FeatureVisTraits>) => {
    Object.assign(pending, values);
    flush();
  };
  const modes = (["maximize", "invert", "facets"] as const).filter((m) => !isHandout() || m === model.get("mode") || model.get(SAVED[m]) != null);
  const mode = select("mode", modes, model.get("mode"), (v) => update(model, { mode: v }));
  const param = select("param", ["fft", "pixel"], model.get("param"), (v) => update(model, { param: v }));
  const unitsInput = document.createElement("input");
  unitsInput.type = "text";
  unitsInput.className = "nbviz-featurevis-units";
  unitsInput.setAttribute("aria-label", "units");
  unitsInput.value = unitsText(model.get("units"));
  unitsInput.addEventListener("change", () => {
    const units = parseUnits(unitsInput.value);
    const count = model.get("channels");
    if (units && units.every((u) => u < count)) update(model, { units });
    else unitsInput.value = unitsText(model.get("units"));
  });
  const unitsBox = h("label", { className: "nbviz-select" }, [h("span", { text: "units" }), unitsInput]);
  const size = model.get("dataset_size");
  const sliders: Record<SliderName, ReturnType<typeof slider>> = {
    steps: slider({ label: "steps", min: 8, max: 512, step: 8, value: model.get("steps"), onInput: (v) => send({ steps: v }) }),
    l2: slider({ label: "l2", min: 0, max: 2, step: 0.05, value: model.get("l2"), onInput: (v) => send({ l2: v }) }),
    tv: slider({ label: "tv", min: 0, max: 2, step: 0.05, value: model.get("tv"), onInput: (v) => send({ tv: v }) }),
    blur_every: slider({ label: "blur every", min: 0, max: 16, step: 1, value: model.get("blur_every"), format: (v) => (v ? `${v}` : "off"), onInput: (v) => send({ blur_every: v }) }),
    k: slider({ label: "facets", min: 2, max: 6, step: 1, value: model.get("k"), onInput: (v) => send({ k: v }) }),
    input_index: slider({ label: "input", min: 0, max: Math.max(0, size - 1), step: 1, value: model.get("input_index"), onInput: (v) => send({ input_index: v }) }),
  };
  const sliderRoots = Object.values(sliders).map((s) => s.root);
  frame.controls.append(mode.root, unitsBox, param.root, ...sliderRoots);
  for (const control of [unitsBox, param.root, ...sliderRoots]) {
    kernelOnly(control, "needs a running kernel: the handout shows the saved images");
  }
  if (modes.length < 2) kernelOnly(mode.root, "only this mode's images were saved (precompute(modes=[...]) saves more)");
  frame.listen(keysOf(sliders), () => keysOf(sliders).forEach((k) => sliders[k].set(model.get(k))));
  frame.listen(["units"], () => (unitsInput.value = unitsText(model.get("units"))));
  frame.listen(["param"], () => (param.input.value = model.get("param")));

  const show = (m: string) => {
    mode.input.value = m;
    keysOf(sliders).forEach((k) => (sliders[k].root.style.display = VISIBLE[m].includes(k) ? "" : "none"));
    param.root.style.display = m === "maximize" ? "" : "none";
    unitsBox.style.display = m === "invert" ? "none" : "";
  };
  return { show };
}
