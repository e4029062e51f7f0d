// What the per-snapshot panels (filters, feature maps, t-SNE map) show: the live traits, which the kernel
// sets for the scrubber's snapshot, or in a handout (no kernel) the panels precompute() packed for every
// shown snapshot (nbviz/handout/watch_frames.py), picked here in the page as the scrubber moves.
import type { AnyModel } from "@anywidget/types";
import { slice, type NDArray } from "../lib/arrays";
import { isHandout } from "../lib/handout";
import type { WatchTraits } from "./traits";

/** One snapshot's panels. */
export interface Shown {
  filters: NDArray<Uint8Array> | null;
  maps: NDArray<Uint8Array> | null;
  embedding: NDArray<Float32Array> | null;
  embeddingStep: number;
}

/** True in a handout whose snapshots' panels were packed: the scrubber replays them in the page. */
export function replaying(model: AnyModel<WatchTraits>): boolean {
  const frames = model.get("handout_frames");
  return isHandout() && frames !== null && frames.data.length > 0;
}

/** The last index `i` with `sorted[i] <= value` (0 when none is). */
function lastNotAfter(sorted: ArrayLike<number>, value: number): number {
  let found = 0;
  for (let i = 0; i < sorted.length; i++) if (sorted[i] <= value) found = i;
  return found;
}

/** The panels of the snapshot on show (`frame`): live, or packed (the newest packed snapshot not after it). */
export function shown(model: AnyModel<WatchTraits>): Shown {
  if (!replaying(model)) {
    return { filters: model.get("filters"), maps: model.get("maps"), embedding: model.get("embedding"), embeddingStep: model.get("embedding_step") };
  }
  const frames = model.get("handout_frames")!.data;
  const k = lastNotAfter(frames, model.get("frame"));
  const filters = model.get("handout_filters");
  const maps = model.get("handout_maps");
  const steps = model.get("snapshot_steps");
  const step = steps && steps.data.length ? steps.data[Math.max(0, Math.min(model.get("frame"), steps.data.length - 1))] : 0;
  const embeddings = model.get("handout_embeddings");
  const mapSteps = model.get("handout_embedding_steps");
  let embedding: NDArray<Float32Array> | null = null;
  let embeddingStep = -1;
  if (embeddings && mapSteps && mapSteps.data.length && mapSteps.data[0] <= step) {
    const e = lastNotAfter(mapSteps.data, step);
    embedding = slice(embeddings, e);
    embeddingStep = mapSteps.data[e];
  }
  return { filters: filters && slice(filters, k), maps: maps && slice(maps, k), embedding, embeddingStep };
}
