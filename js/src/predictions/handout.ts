// Handouts: the settings precompute() stored ([angle, shift_x, shift_y, zoom] per state), their tiles,
// and how a slider move maps to a stored state (one transform at a time, the others at rest).
import type { AnyModel } from "@anywidget/types";
import type { NDArray } from "../lib/arrays";
import { REST, TRANSFORMS, type PredictionTraits } from "./traits";

export interface Offline {
  params: number[][];
  images: NDArray<Uint8Array>;
  probs: NDArray<Float32Array>;
  accuracy: number[];
  /** the state on show; the first stored state is the setting the page was saved with */
  state: number;
}

/** The stored states, or `null` with a kernel (or when nothing was stored). */
export function readOffline(model: AnyModel<PredictionTraits>, handout: boolean): Offline | null {
  const params = handout ? model.get("handout_params") ?? [] : [];
  if (!params.length) return null;
  return {
    params,
    images: model.get("handout_images")!,
    probs: model.get("handout_probabilities")!,
    accuracy: model.get("handout_accuracy") ?? [],
    state: 0,
  };
}

/** The values stored for transform `i` (its rest value alone when none were). */
export function ladderOf(model: AnyModel<PredictionTraits>, i: number): number[] {
  return (model.get("handout_ladders") ?? {})[TRANSFORMS[i]] ?? [REST[i]];
}

/** The index in `values` nearest to `v`. */
export function nearest(values: number[], v: number): number {
  let best = 0;
  for (let j = 1; j < values.length; j++) if (Math.abs(values[j] - v) < Math.abs(values[best] - v)) best = j;
  return best;
}

/** The stored state with transform `i` at `value`: the others kept if stored, else at rest; -1 if none. */
export function stateFor(offline: Offline, i: number, value: number): number {
  const wanted = offline.params[offline.state].slice();
  wanted[i] = value;
  const same = (p: number[], q: number[]) => p.every((v, j) => Math.abs(v - q[j]) < 1e-9);
  const state = offline.params.findIndex((p) => same(p, wanted));
  return state >= 0 ? state : offline.params.findIndex((p) => same(p, REST.map((r, j) => (j === i ? value : r))));
}
