// WatchExplorer's contract with Python (nbviz/widgets/watch.py), checked by tests/test_trait_contract.py.
import type { Binary, BinarySpec, ExplorerTraits } from "../lib/model";

/** WatchExplorer's synced traits. */
export interface WatchTraits extends ExplorerTraits {
  steps_done: number;
  loss_steps: Binary<Int32Array>;
  train_loss: Binary<Float32Array>;
  snapshot_steps: Binary<Int32Array>;
  probe_loss: Binary<Float32Array>;
  probe_accuracy: Binary<Float32Array>;
  layer_names: string[];
  sparsity: Binary<Float32Array>;
  dead: Binary<Int32Array>;
  interval: number;
  overhead: number;
  path: Binary<Float32Array>;
  path_steps: Binary<Int32Array>;
  path_variance: number[];
  surface: Binary<Float32Array>;
  surface_axis: Binary<Float32Array>;
  surface_step: number;
  frame: number;
  live: boolean;
  filters: Binary<Uint8Array>;
  maps: Binary<Uint8Array>;
  map_layer: string;
  probe_images: Binary<Uint8Array>;
  embedding: Binary<Float32Array>;
  embedding_step: number;
  labels: Binary<Int32Array>;
  class_names: string[];
  handout_frames: Binary<Int32Array>;
  handout_filters: Binary<Uint8Array>;
  handout_maps: Binary<Uint8Array>;
  handout_embeddings: Binary<Float32Array>;
  handout_embedding_steps: Binary<Int32Array>;
}
export const BINARY: BinarySpec<WatchTraits> = {
  loss_steps: true, train_loss: true, snapshot_steps: true, probe_loss: true, probe_accuracy: true, sparsity: true,
  dead: true, path: true, path_steps: true, surface: true, surface_axis: true, filters: true, maps: true,
  probe_images: true, embedding: true, labels: true, handout_frames: true, handout_filters: true, handout_maps: true,
  handout_embeddings: true, handout_embedding_steps: true,
};
