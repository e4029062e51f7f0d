// FeatureVisExplorer's contract with Python (nbviz/widgets/featurevis.py), checked by
// tests/test_trait_contract.py.
import type { LayerNode } from "../lib/layerPicker";
import type { Binary, BinarySpec, ExplorerTraits } from "../lib/model";

/** FeatureVisExplorer's synced traits. */
export interface FeatureVisTraits extends ExplorerTraits {
  activations: number[];
  blur_every: number;
  channels: number;
  dataset_size: number;
  facet_images: Binary<Uint8Array>;
  frame_every: number;
  frame_final: boolean;
  frame_step: number;
  frame_units: number[];
  frames: Binary<Uint8Array>;
  input_index: number;
  inversion_errors: number[];
  inversion_layers: string[];
  inversion_original: Binary<Uint8Array>;
  inversions: Binary<Uint8Array>;
  invert_layers: string[];
  k: number;
  l2: number;
  layer: string;
  member_images: Binary<Uint8Array>;
  members: number[][];
  mode: "maximize" | "invert" | "facets";
  param: "fft" | "pixel";
  steps: number;
  tree: LayerNode[];
  tv: number;
  units: number[];
}
export const BINARY: BinarySpec<FeatureVisTraits> = { facet_images: true, frames: true, inversion_original: true, inversions: true, member_images: true };
