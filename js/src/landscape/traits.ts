// LandscapeExplorer's contract with Python (nbviz/widgets/landscape.py), checked by
// tests/test_trait_contract.py.
import type { Binary, BinarySpec, ExplorerTraits } from "../lib/model";

/** LandscapeExplorer's synced traits. */
export interface LandscapeTraits extends ExplorerTraits {
  accuracy: Binary<Float32Array>;
  alphas: Binary<Float32Array>;
  betas: Binary<Float32Array>;
  direction_kinds: string[];
  directions: string;
  explained_variance: number[];
  grid_complete: boolean;
  grid_kind: string;
  grid_preview: boolean;
  grid_samples: number;
  line_accuracy: Binary<Float32Array>;
  line_alphas: Binary<Float32Array>;
  line_loss: Binary<Float32Array>;
  log_scale: boolean;
  loss: Binary<Float32Array>;
  mode: "line" | "plane" | "surface";
  path: Binary<Float32Array>;
  resolution: number;
  span: number;
}
export const BINARY: BinarySpec<LandscapeTraits> = { accuracy: true, alphas: true, betas: true, line_accuracy: true, line_alphas: true, line_loss: true, loss: true, path: true };
