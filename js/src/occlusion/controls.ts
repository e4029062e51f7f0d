// The controls: server-side settings (input, window, stride, baseline, mode) are debounced and need a
// kernel; display settings (opacity, colormap) stay in the browser. In a handout the window slider
// steps through the precomputed windows.
import type { AnyModel } from "@anywidget/types";
import { COLORMAPS } from "../lib/colormap";
import { debounce, select, slider } from "../lib/controls";
import { update, type Frame } from "../lib/explorer";
import { kernelOnly } from "../lib/handout";
import type { Shown, View } from "./shown";
import type { OcclusionTraits } from "./traits";

/** Add the controls to `frame.controls`; `redraw` repaints after a change made in the page. */
export function createControls(model: AnyModel<OcclusionTraits>, frame: Frame<OcclusionTraits>, view: View, shown: Shown, redraw: () => void): void {
  const send = debounce((values: Partial<OcclusionTraits>) => update(model, values), 120);
  const n = model.get("n_inputs") ?? 1;
  const inputSlider = n > 1
    ? slider({ label: "input", min: 0, max: n - 1, step: 1, value: model.get("index"), onInput: debounce((v: number) => update(model, { index: v }), 80) })
    : null;
  if (inputSlider) {
    frame.controls.append(inputSlider.root);
    kernelOnly(inputSlider.root, "input: needs a running kernel (the handout holds the maps of the image shown)");
    frame.listen(["index", "n_inputs"], () => {  // n_inputs grows when nbviz.link adds a t-SNE map's new points
      inputSlider.input.max = String(Math.max(0, model.get("n_inputs") - 1));
      inputSlider.set(model.get("index"));
    });
  }
  const { windows, offline } = shown;
  const side = Math.min(view.height, view.width);
  const windowSlider = shown.precomputed
    ? slider({ label: "window", min: 0, max: windows.length - 1, step: 1, value: offline.shown, format: (i) => `${windows[i]}px`, onInput: (i) => { offline.shown = i; offline.cell = []; redraw(); } })
    : slider({ label: "window", min: 1, max: side, step: 1, value: model.get("window"), format: (v) => `${v}px`, onInput: (v) => send({ window: v, hover: [], pinned: false }) });
  if (shown.precomputed) windowSlider.root.title = `precomputed window sizes: ${windows.join(", ")} px`;
  else kernelOnly(windowSlider.root, "window: needs a running kernel (precompute() stores maps for several windows)");
  const strideSlider = slider({ label: "stride", min: 1, max: Math.max(1, Math.floor(side / 2)), step: 1, value: model.get("stride"), format: (v) => `${v}px`, onInput: (v) => send({ stride: v, hover: [], pinned: false }) });
  const baseline = select("baseline", ["zero", "mean", "blur"], model.get("baseline"), (v) => update(model, { baseline: v }));
  const mode = select("mode", ["exact", "approximate"], model.get("mode"), (v) => update(model, { mode: v }));
  const opacity = slider({ label: "opacity", min: 0, max: 1, step: 0.05, value: view.opacity, onInput: (v) => { view.opacity = v; redraw(); } });
  const cmap = select("colormap", COLORMAPS, view.cmap, (v) => { view.cmap = v; redraw(); });
  frame.controls.append(windowSlider.root, strideSlider.root, baseline.root, mode.root, opacity.root, cmap.root);
  kernelOnly(strideSlider.root, "stride: needs a running kernel");
  kernelOnly(baseline.root, "baseline: needs a running kernel");
  kernelOnly(mode.root, "mode: needs a running kernel");
  if (!shown.precomputed) frame.listen(["window"], () => windowSlider.set(model.get("window")));
  frame.listen(["stride"], () => strideSlider.set(model.get("stride")));
  frame.listen(["baseline"], () => { baseline.input.value = model.get("baseline"); });
  frame.listen(["mode"], () => { mode.input.value = model.get("mode"); });
}
