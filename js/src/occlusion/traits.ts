// OcclusionExplorer's contract with Python (nbviz/widgets/occlusion.py), checked by
// tests/test_trait_contract.py.
import type { Binary, BinarySpec, ExplorerTraits } from "../lib/model";

/** OcclusionExplorer's synced traits. */
export interface OcclusionTraits extends ExplorerTraits {
  base_probability: number;
  baseline: string;
  class_names: string[];
  computed: number;
  explained: number;
  handout_maps: Binary<Float32Array>;
  handout_origins_x: number[][];
  handout_origins_y: number[][];
  handout_probability: Binary<Float32Array>;
  handout_windows: number[];
  heatmap: Binary;
  hover: number[];
  hover_image: Binary<Uint8Array>;
  hover_probabilities: Binary<Float32Array>;
  image: Binary<Uint8Array>;
  index: number;
  map_window: number;
  mode: string;
  n_inputs: number;
  origins_x: number[];
  origins_y: number[];
  partial: boolean;
  pinned: boolean;
  probabilities: Binary<Float32Array>;
  stride: number;
  target: number | null;
  window: number;
}
export const BINARY: BinarySpec<OcclusionTraits> = { handout_maps: true, handout_probability: true, heatmap: true, hover_image: true, hover_probabilities: true, image: true, probabilities: true };
