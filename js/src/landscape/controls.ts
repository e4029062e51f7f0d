// The controls: view (line, plane, surface), directions, span, resolution and log scale. In a handout
// only the saved views are offered and the grid controls need a kernel.
import type { AnyModel } from "@anywidget/types";
import { checkbox, debounce, select, slider } from "../lib/controls";
import { update, type Frame } from "../lib/explorer";
import { isHandout, kernelOnly } from "../lib/handout";
import type { LandscapeTraits } from "./traits";

/** Add the controls to `frame.controls` and keep them in step with the model. */
export function createControls(model: AnyModel<LandscapeTraits>, frame: Frame<LandscapeTraits>): void {
  const send = debounce((values: Partial<LandscapeTraits>) => update(model, values), 120);
  // in a handout only the views whose data was saved can be shown; switching between them stays in the page
  const all: LandscapeTraits["mode"][] = ["line", "plane", "surface"];
  const views = isHandout() ? all.filter((v) => model.get(v === "line" ? "line_loss" : "loss") != null) : all;
  if (!views.includes(model.get("mode"))) views.unshift(model.get("mode"));
  const mode = select("view", views, model.get("mode"), (v) => update(model, { mode: v }));
  const kinds = select("directions", model.get("direction_kinds"), model.get("directions"), (v) => update(model, { directions: v }));
  const spanMax = Math.max(2, Math.ceil(2 * Number(model.get("span"))));
  const span = slider({ label: "span", min: 0.1, max: spanMax, step: 0.05, value: model.get("span"), onInput: (v) => send({ span: v }) });
  const resolution = slider({ label: "resolution", min: 5, max: 51, step: 2, value: model.get("resolution"), format: (v) => `${v}×${v}`, onInput: (v) => send({ resolution: v }) });
  const log = checkbox("log scale", model.get("log_scale"), (v) => update(model, { log_scale: v }));
  frame.controls.append(mode.root, kinds.root, span.root, resolution.root, log.root);
  for (const control of [kinds.root, span.root, resolution.root]) kernelOnly(control, "needs a running kernel: the saved grid stays as it is");
  if (views.length < 2) kernelOnly(mode.root, "only this view was saved with the handout");
  frame.listen(["mode", "directions", "span", "resolution", "log_scale"], () => {
    mode.input.value = model.get("mode");
    kinds.input.value = model.get("directions");
    span.set(model.get("span"));
    resolution.set(model.get("resolution"));
    log.input.checked = model.get("log_scale");
  });
}
