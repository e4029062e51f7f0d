// SaliencyExplorer's contract with Python (nbviz/widgets/saliency.py), checked by
// tests/test_trait_contract.py.
import type { LayerNode } from "../lib/layerPicker";
import type { Binary, BinarySpec, ExplorerTraits } from "../lib/model";

/** SaliencyExplorer's synced traits. */
export interface SaliencyTraits extends ExplorerTraits {
  all_methods: string[];
  cam_methods: string[];
  class_names: string[];
  explained: number;
  has_masks: boolean;
  hits: number[];
  image: Binary<Uint8Array>;
  index: number;
  labels: number[]; // true class per input, -1 for an added input without one, [] when none is known
  layer: string;
  layer_rows: LayerNode[];
  layers: string[];
  map_methods: string[];
  map_notes: string[];
  maps: Binary<Float32Array>;
  methods: string[];
  n_inputs: number;
  probabilities: Binary<Float32Array>;
  target: number | null;
}
export const BINARY: BinarySpec<SaliencyTraits> = { image: true, maps: true, probabilities: true };
