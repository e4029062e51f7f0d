// LayerExplorer's contract with Python (nbviz/widgets/layers.py), checked by tests/test_trait_contract.py.
import type { LayerNode } from "../lib/layerPicker";
import type { Binary, BinarySpec, ExplorerTraits } from "../lib/model";
import type { PackedEntry } from "../lib/packed";

/** LayerExplorer's synced traits. */
export interface LayerTraits extends ExplorerTraits {
  angle: number;
  channel: number;
  channel_stats: Binary<Float32Array>;
  colormap: "viridis" | "magma" | "inferno" | "coolwarm" | "gray";
  contrast_channels: number[];
  contrast_layer: string;
  contrast_scores: number[];
  contrast_size: number;
  detail_channel: number;
  filter_image: Binary<Uint8Array>;
  filter_kind: string;
  input_image: Binary<Uint8Array>;
  input_index: number;
  labels: string[];
  layer: string;
  layer_summary: Summary[];
  map_range: Binary<Float32Array>;
  maps: Binary<Uint8Array>;
  maps_layer: string;
  normalize: "each" | "shared";
  offline_index: OfflineEntry[];
  offline_maps: Binary<Uint8Array>;
  offline_ranges: Binary<Float32Array>;
  offline_stats: Record<string, PackedEntry>;
  scale: number;
  selection: number[];
  shift_x: number;
  shift_y: number;
  strip: number[];
  thumbnails: Binary<Uint8Array>;
  top_boxes: Binary<Int32Array>;
  top_images: Binary<Uint8Array>;
  top_indices: number[];
  top_values: number[];
  tree: LayerNode[];
}
export const BINARY: BinarySpec<LayerTraits> = { channel_stats: true, filter_image: true, input_image: true, map_range: true, maps: true, offline_maps: true, offline_ranges: true, thumbnails: true, top_boxes: true, top_images: true };

/** A handout's precomputed maps for one (layer, input): entries into offline_maps / offline_ranges. */
export interface OfflineEntry {
  layer: string;
  input: number;
  maps: PackedEntry;
  range: PackedEntry;
}

/** One bar of the stats chart. */
export interface Summary {
  layer: string;
  channels: number;
  sparsity: number;
  dead: number;
}
