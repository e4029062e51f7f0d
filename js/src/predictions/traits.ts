// PredictionExplorer's contract with Python (nbviz/widgets/predictions.py), checked by
// tests/test_trait_contract.py.
import type { Binary, BinarySpec, ExplorerTraits } from "../lib/model";

/** PredictionExplorer's synced traits. */
export interface PredictionTraits extends ExplorerTraits {
  angle: number;
  shift_x: number;
  shift_y: number;
  zoom: number;
  images: Binary<Uint8Array>;
  probabilities: Binary<Float32Array>;
  accuracy: number | null;
  class_names: string[];
  labels: number[];
  handout_params: number[][];
  handout_ladders: Record<string, number[]>;
  handout_images: Binary<Uint8Array>;
  handout_probabilities: Binary<Float32Array>;
  handout_accuracy: number[];
}

export const BINARY: BinarySpec<PredictionTraits> = { images: true, probabilities: true, handout_images: true, handout_probabilities: true };

/** The transform traits, in the order of the sliders and of each stored handout setting. */
export const TRANSFORMS = ["angle", "shift_x", "shift_y", "zoom"] as const;
/** The transforms' values at rest (no transform). */
export const REST = [0, 0, 0, 1];
