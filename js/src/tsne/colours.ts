// Point colours (colour codes into a palette) on the map and the small multiples, and the legend,
// whose entries hide and show their class on every plot.
import type { AnyModel } from "@anywidget/types";
import type { Frame } from "../lib/explorer";
import { drawLegend } from "../lib/legend";
import type { Scatter } from "../lib/scatter";
import { joinColours } from "./newPoints";
import type { TSNETraits } from "./traits";

export interface Colours {
  /** Colour `plots()` and hide the hidden classes (after new plots appear). */
  apply(): void;
  /** Show every class again, colour and redraw the legend (after new colours arrive). */
  recolor(): void;
}

/**
 * Colours for the plots `plots()` returns, with the legend drawn in `legend`. The first plot is the map,
 * followed by `newShown()` new points, which take a colour and a legend entry of their own.
 */
export function createColours(
  model: AnyModel<TSNETraits>, frame: Frame<TSNETraits>, legend: HTMLElement, plots: () => Scatter[], newShown: () => number,
): Colours {
  let hidden = new Set<number>();
  const colors = () => ({ codes: model.get("color_codes")?.data ?? null, palette: model.get("palette")?.data ?? null });
  const joined = () => {
    const { codes, palette } = colors();
    const m = newShown();
    const n = (model.get("positions")?.data.length ?? 0) / 2;
    return joinColours(codes, palette, n, m, model.get("continuous"));
  };
  const apply = () => {
    const { codes, palette } = colors();
    const map = joined();
    plots().forEach((s, k) => {
      if (k === 0) s.setColors(map.codes, map.palette);
      else s.setColors(codes, palette);
      s.setHidden(hidden);
    });
  };
  const recolor = () => {
    hidden = new Set();
    apply();
    const map = joined();
    const base = model.get("legend");
    const pad = Array.from({ length: Math.max(0, map.newCode - base.length) }, () => "map points");
    const names = map.newCode >= 0 ? [...base.slice(0, map.newCode), ...pad, `✕ ${model.get("new_name")}`] : base;
    drawLegend(legend, names, map.palette, hidden, (next) => {
      hidden = next;
      apply();
    }, model.get("continuous"));
  };
  frame.listen(["color_codes", "palette", "legend", "continuous", "new_name"], recolor);
  return { apply, recolor };
}
