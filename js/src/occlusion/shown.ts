// What the map shows: the live traits, or in a handout one of the maps precompute() made for several
// windows (`offline.shown` indexes them, `offline.cell` is the hovered position, kept in the page).
import type { AnyModel } from "@anywidget/types";
import type { NDArray } from "../lib/arrays";
import type { Box } from "../lib/heatmap";
import type { OcclusionTraits } from "./traits";

/** The explorer's page state: the image on show (replaced when `index` changes) and the look. */
export interface View {
  image: NDArray<Uint8Array>;
  readonly height: number;
  readonly width: number;
  opacity: number;
  cmap: string;
}

export interface ShownMap {
  heat: NDArray | null;
  win: number;
  oy: number[];
  ox: number[];
  hover: number[];
}

/** Index of the window (along one axis) whose centre is nearest to `p`. */
export function nearest(origins: number[], window: number, p: number): number {
  let best = 0;
  for (let i = 1; i < origins.length; i++) {
    if (Math.abs(origins[i] + window / 2 - p) < Math.abs(origins[best] + window / 2 - p)) best = i;
  }
  return best;
}

/** The window box at the hovered cell of `shown`, or `null` when no cell (or one outside the grid) is hovered. */
export function hoverBox({ win, oy, ox, hover }: ShownMap, view: View): Box | null {
  if (!(hover.length === 2 && hover[0] < oy.length && hover[1] < ox.length)) return null;
  return { x: ox[hover[1]], y: oy[hover[0]], w: Math.min(win, view.width - ox[hover[1]]), h: Math.min(win, view.height - oy[hover[0]]) };
}

/** The maps on offer: live, or a handout's precomputed windows. */
export class Shown {
  readonly windows: number[];
  readonly offline = { shown: 0, cell: [] as number[], pinned: false };
  private readonly maps: NDArray | null;
  private readonly grids: NDArray | null;

  constructor(private readonly model: AnyModel<OcclusionTraits>, private readonly view: View, handout: boolean) {
    this.windows = handout ? model.get("handout_windows") ?? [] : [];
    this.offline.shown = Math.max(0, this.windows.indexOf(model.get("window")));
    this.maps = this.windows.length ? model.get("handout_maps") : null;
    this.grids = this.windows.length ? model.get("handout_probability") : null;
  }

  /** True in a handout with precomputed maps: hover and window choice stay in the page. */
  get precomputed(): boolean {
    return this.maps !== null;
  }

  /** The map on show and the settings it was made with. */
  map(): ShownMap {
    const model = this.model;
    if (!this.maps) return { heat: model.get("heatmap"), win: model.get("window"), oy: model.get("origins_y"), ox: model.get("origins_x"), hover: model.get("hover") };
    const i = this.offline.shown;
    const plane = this.view.height * this.view.width;
    const heat = { data: this.maps.data.subarray(i * plane, (i + 1) * plane), shape: [this.view.height, this.view.width], dtype: this.maps.dtype } as NDArray;
    return { heat, win: this.windows[i], oy: model.get("handout_origins_y")[i], ox: model.get("handout_origins_x")[i], hover: this.offline.cell };
  }

  /** Precomputed probability of the explained class with the window at (row, col) of the map on show. */
  probability(row: number, col: number): number {
    if (!this.grids) return NaN;
    const [, rows, cols] = this.grids.shape;
    return this.grids.data[(this.offline.shown * rows + row) * cols + col];
  }
}
