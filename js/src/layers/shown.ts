// What the grid draws: Python's latest maps, or in a handout the maps precomputed for the picked
// (layer, input), unpacked from the packed offline traits.
import { slice, type NDArray } from "../lib/arrays";
import { unpack } from "../lib/packed";
import type { Context } from "./context";
import type { OfflineEntry } from "./traits";

export interface ShownMaps {
  maps: NDArray<Uint8Array> | null;
  layer: string;
  /** per channel [min, max] on this input */
  range: NDArray<Float32Array> | null;
  /** per channel [mean, max, sparsity, dead] over the dataset */
  stats: NDArray<Float32Array> | null;
}

/** The handout entry for (layer, input), if one was precomputed. */
export function offlineEntry({ model }: Context, layer: string, input: number): OfflineEntry | undefined {
  return model.get("offline_index").find((e) => e.layer === layer && e.input === input);
}

/** The maps on show and their numbers. */
export function shownMaps(ctx: Context): ShownMaps {
  const { model } = ctx;
  const live = { maps: model.get("maps"), layer: model.get("maps_layer"), range: model.get("map_range"), stats: model.get("channel_stats") };
  const entry = ctx.offline ? offlineEntry(ctx, model.get("layer"), model.get("input_index")) : undefined;
  if (!entry) return live;
  const numbers = model.get("offline_ranges");
  const stats = model.get("offline_stats")[entry.layer];
  return { maps: unpack(model.get("offline_maps"), entry.maps), layer: entry.layer, range: unpack(numbers, entry.range), stats: unpack(numbers, stats) };
}

/** The input on show: in a handout its strip thumbnail, else the image Python sends. */
export function shownInput(ctx: Context): NDArray<Uint8Array> | null {
  const { model } = ctx;
  if (ctx.offline) {
    const thumbs = model.get("thumbnails");
    const at = model.get("strip").indexOf(model.get("input_index"));
    if (thumbs && at >= 0) return slice(thumbs, at);
  }
  return model.get("input_image");
}
