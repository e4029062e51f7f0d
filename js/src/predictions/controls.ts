// The transform sliders: with a kernel they send the value to Python; in a handout they step through
// the stored ladder of values and pick a stored state.
import type { AnyModel } from "@anywidget/types";
import { debounce, slider } from "../lib/controls";
import { update, type Frame } from "../lib/explorer";
import { kernelOnly } from "../lib/handout";
import { ladderOf, nearest, stateFor, type Offline } from "./handout";
import { TRANSFORMS, type PredictionTraits } from "./traits";

const LABELS = ["rotate", "shift x", "shift y", "zoom"];
const FORMATS: ((v: number) => string)[] = [(v) => `${v}°`, String, String, (v) => `${v}×`];
const STEPS = [5, 0.05, 0.05, 0.05];
const LIMITS = [[-180, 180], [-0.5, 0.5], [-0.5, 0.5], [0.5, 2]];

/** Add the sliders to `frame.controls`; `onState` is called when a handout slider picks a stored state. */
export function createControls(
  model: AnyModel<PredictionTraits>, frame: Frame<PredictionTraits>, offline: Offline | null, onState: () => void,
): void {
  const send = debounce((values: Partial<PredictionTraits>) => update(model, values), 40);
  const ladder = (i: number) => ladderOf(model, i);
  /** Offline: move slider `i` to `value` and show the stored state that matches, if any. */
  const chooseOffline = (off: Offline, i: number, value: number) => {
    const state = stateFor(off, i, value);
    if (state < 0) return;
    off.state = state;
    controls.forEach((c, j) => c.set(nearest(ladder(j), off.params[state][j])));
    onState();
  };
  const controls = TRANSFORMS.map((name, i) =>
    offline
      ? slider({ label: LABELS[i], min: 0, max: ladder(i).length - 1, step: 1, value: nearest(ladder(i), offline.params[0][i]),
                 format: (j) => FORMATS[i](ladder(i)[j]), onInput: (j) => chooseOffline(offline, i, ladder(i)[j]) })
      : slider({ label: LABELS[i], min: LIMITS[i][0], max: LIMITS[i][1], step: STEPS[i], value: model.get(name),
                 format: FORMATS[i], onInput: (v) => send({ [name]: v }) }),
  );
  frame.controls.append(...controls.map((c) => c.root));
  if (offline) {
    controls.forEach((c, i) => { c.root.title = `precomputed: ${ladder(i).map(FORMATS[i]).join(", ")} (one transform at a time)`; });
  } else {
    for (const c of controls) kernelOnly(c.root, "transforming the images needs a running kernel (precompute() stores a ladder of values)");
    frame.listen(TRANSFORMS, () => controls.forEach((c, i) => c.set(model.get(TRANSFORMS[i]))));
  }
}
