// What every part of the LayerExplorer front end shares: the typed model, the frame, whether this is a
// handout, and how a pick is made.
import type { AnyModel } from "@anywidget/types";
import { update, type Frame } from "../lib/explorer";
import { keysOf } from "../lib/model";
import type { LayerTraits } from "./traits";

export interface Context {
  model: AnyModel<LayerTraits>;
  frame: Frame<LayerTraits>;
  /** a handout: no kernel, maps precomputed per (layer, input) */
  offline: boolean;
  /** Pick something: with a kernel, send it to Python; in a handout, change it here only. */
  choose(values: Partial<LayerTraits>): void;
}

export function createContext(model: AnyModel<LayerTraits>, frame: Frame<LayerTraits>, offline: boolean): Context {
  const choose = (values: Partial<LayerTraits>) => {
    if (!offline) return update(model, values);
    for (const k of keysOf(values)) model.set(k, values[k]!);
  };
  return { model, frame, offline, choose };
}

/** A number for a caption or tooltip: whole above 100, three significant digits below. */
export const fmt = (v: number) => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3));
