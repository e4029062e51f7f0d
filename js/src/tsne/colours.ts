// Point colours (colour codes into a palette) on the map and the small multiples, and the legend,
// whose entries hide and show their class on every plot.
import type { AnyModel } from "@anywidget/types";
import type { Frame } from "../lib/explorer";
import { drawLegend } from "../lib/legend";
import type { Scatter } from "../lib/scatter";
import type { TSNETraits } from "./traits";

export interface Colours {
  /** Colour `plots()` and hide the hidden classes (after new plots appear). */
  apply(): void;
  /** Show every class again, colour and redraw the legend (after new colours arrive). */
  recolor(): void;
}

/** Colours for the plots `plots()` returns, with the legend drawn in `legend`. */
export function createColours(model: AnyModel<TSNETraits>, frame: Frame<TSNETraits>, legend: HTMLElement, plots: () => Scatter[]): Colours {
  let hidden = new Set<number>();
  const colors = () => ({ codes: model.get("color_codes")?.data ?? null, palette: model.get("palette")?.data ?? null });
  const apply = () => {
    const { codes, palette } = colors();
    for (const s of plots()) {
      s.setColors(codes, palette);
      s.setHidden(hidden);
    }
  };
  const recolor = () => {
    hidden = new Set();
    apply();
    drawLegend(legend, model.get("legend"), colors().palette, hidden, (next) => {
      hidden = next;
      apply();
    }, model.get("continuous"));
  };
  frame.listen(["color_codes", "palette", "legend", "continuous"], recolor);
  return { apply, recolor };
}
