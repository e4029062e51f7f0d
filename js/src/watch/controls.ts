// The scrubber over the snapshots, "follow training", and the run's numbers (steps, interval, overhead).
// Moving the scrubber stops following the newest snapshot.
import type { AnyModel } from "@anywidget/types";
import { checkbox, h, slider } from "../lib/controls";
import { update, type Frame } from "../lib/explorer";
import type { WatchTraits } from "./traits";

/** Add the controls to `frame.controls`; returns their draw function (the caller listens). */
export function createControls(model: AnyModel<WatchTraits>, frame: Frame<WatchTraits>): () => void {
  const scrub = slider({
    label: "snapshot", min: 0, max: 0, step: 1, value: 0,
    format: (v) => { const s = model.get("snapshot_steps"); return s && s.data.length ? `step ${s.data[Math.min(v, s.data.length - 1)]}` : "—"; },
    onInput: (v) => update(model, { frame: v, live: false }),
  });
  const live = checkbox("follow training", model.get("live"), (v) => {
    const steps = model.get("snapshot_steps");
    update(model, v && steps ? { live: true, frame: steps.data.length - 1 } : { live: v });
  });
  const info = h("span", { className: "nbviz-caption" });
  frame.controls.append(scrub.root, live.root, info);
  return () => {
    const steps = model.get("snapshot_steps");
    const n = steps ? steps.data.length : 0;
    scrub.input.max = String(Math.max(0, n - 1));
    scrub.set(Math.max(0, Math.min(model.get("frame"), n - 1)));
    live.input.checked = model.get("live");
    info.textContent = `${model.get("steps_done")} steps · a snapshot every ${model.get("interval")} · overhead ${(100 * model.get("overhead")).toFixed(1)} %`;
  };
}
