// Saved frames in a handout: every frame as uint16 codes over its own extent (handout_frames,
// handout_extent), decoded one frame at a time as the scrubber or playback asks for it.
import type { AnyModel } from "@anywidget/types";
import type { NDArray } from "../lib/arrays";
import type { TSNETraits } from "./traits";

/** Frame `index` of (S, N, 2) uint16 codes, each frame over its extent (S × [lo x, lo y, hi x, hi y]). */
export function dequantise(codes: NDArray<Uint16Array>, extent: Float32Array, index: number): Float32Array {
  const n2 = codes.shape[1] * 2;
  const out = new Float32Array(n2);
  const src = codes.data.subarray(index * n2, (index + 1) * n2);
  const lx = extent[4 * index], ly = extent[4 * index + 1];
  const sx = (extent[4 * index + 2] - lx) / 65535, sy = (extent[4 * index + 3] - ly) / 65535;
  for (let k = 0; k < n2; k += 2) {
    out[k] = lx + src[k] * sx;
    out[k + 1] = ly + src[k + 1] * sy;
  }
  return out;
}

/** The saved frames of a handout; `positions()` is the frame the model's `frame`/`live` point at. */
export class SavedFrames {
  private saved: { codes: NDArray<Uint16Array>; extent: Float32Array } | null = null;
  private last: { index: number; data: Float32Array } | null = null;

  constructor(private readonly model: AnyModel<TSNETraits>, private readonly handout: boolean) {
    this.read();
  }

  /** Re-read the saved traits (call when handout_frames or handout_extent change). */
  read(): void {
    const codes = this.model.get("handout_frames");
    const extent = this.model.get("handout_extent");
    this.saved = this.handout && codes && extent && codes.shape[0] === extent.shape[0] ? { codes, extent: extent.data } : null;
    this.last = null;
  }

  /** True when this page has saved frames to show. */
  get present(): boolean {
    return this.saved !== null;
  }

  /** The positions of the frame on show, or `null` without saved frames. */
  positions(): Float32Array | null {
    if (!this.saved) return null;
    const count = this.saved.codes.shape[0];
    const index = this.model.get("live") ? count - 1 : Math.max(0, Math.min(count - 1, this.model.get("frame")));
    if (this.last?.index !== index) this.last = { index, data: dequantise(this.saved.codes, this.saved.extent, index) };
    return this.last.data;
  }
}
