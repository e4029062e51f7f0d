// TSNEExplorer's contract with Python (nbviz/widgets/tsne.py), checked by tests/test_trait_contract.py.
import type { Binary, BinarySpec, ExplorerTraits } from "../lib/model";

/** TSNEExplorer's synced traits. */
export interface TSNETraits extends ExplorerTraits {
  can_run: boolean;
  class_names: string[];
  color_by: string;
  color_codes: Binary<Uint8Array>;
  color_options: string[];
  continuous: boolean;
  converged_at: number | null;
  early_iter: number;
  exaggeration: number;
  frame: number;
  grid_note: string;
  grid_positions: Binary<Float32Array>;
  handout_extent: Binary<Float32Array>;
  handout_frames: Binary<Uint16Array>;
  init: string;
  iterations: Binary;
  kl: Binary<Float32Array>;
  knn_preservation: number | null;
  labels: Binary;
  last_iteration: number | null;
  learning_rate: number;
  legend: string[];
  live: boolean;
  max_perplexity: number;
  metrics_k: number;
  multiple_kl: number[];
  multiple_perplexities: number[];
  multiples: Binary<Float32Array>;
  n_iter: number;
  new_labels: string[];
  new_name: string;
  new_positions: Binary<Float32Array>;
  new_selected: number[];
  new_thumbnails: Binary<Uint8Array>;
  palette: Binary<Uint8Array>;
  perplexities: number[];
  perplexity: number;
  positions: Binary<Float32Array>;
  predictions: Binary;
  seed: number;
  selected: number[];
  thumbnails: Binary<Uint8Array>;
  trustworthiness: number | null;
  view: string;
}
export const BINARY: BinarySpec<TSNETraits> = { color_codes: true, grid_positions: true, handout_extent: true, handout_frames: true, iterations: true, kl: true, labels: true, multiples: true, new_positions: true, new_thumbnails: true, palette: true, positions: true, predictions: true, thumbnails: true };
