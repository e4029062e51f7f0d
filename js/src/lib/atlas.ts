// A sprite sheet: N small images (uint8 N×h×w grey or N×h×w×3/4 colour, one binary array) packed into
// one RGBA image of `cols` tiles per row, ready to upload as a single texture or draw from one canvas.
import type { NDArray, TypedArray } from "./arrays";

export interface Atlas {
  /** RGBA pixels, width × height × 4. */
  rgba: Uint8Array;
  width: number;
  height: number;
  /** Tiles per row; tile i sits at column i % cols, row floor(i / cols). */
  cols: number;
  tileW: number;
  tileH: number;
  count: number;
}

/** Pack `images` (N×h×w or N×h×w×C, C = 1, 3 or 4) into an atlas no wider or taller than `maxSize`;
 * null when there are no images or they cannot fit. */
export function packAtlas(images: NDArray<TypedArray> | null, maxSize = 8192): Atlas | null {
  if (!images || images.shape.length < 3 || images.shape[0] === 0) return null;
  const [count, tileH, tileW] = images.shape;
  const channels = images.shape.length === 4 ? images.shape[3] : 1;
  const cols = Math.max(1, Math.ceil(Math.sqrt((count * tileH) / tileW)));
  const rows = Math.ceil(count / cols);
  const width = cols * tileW, height = rows * tileH;
  if (width > maxSize || height > maxSize) return null;
  const rgba = new Uint8Array(width * height * 4);
  const src = images.data;
  const per = tileH * tileW * channels;
  for (let i = 0; i < count; i++) {
    const x0 = (i % cols) * tileW, y0 = Math.floor(i / cols) * tileH;
    for (let y = 0; y < tileH; y++) {
      let s = i * per + y * tileW * channels;
      let d = ((y0 + y) * width + x0) * 4;
      for (let x = 0; x < tileW; x++, s += channels, d += 4) {
        if (channels === 1) {
          rgba[d] = rgba[d + 1] = rgba[d + 2] = src[s];
        } else {
          rgba[d] = src[s];
          rgba[d + 1] = src[s + 1];
          rgba[d + 2] = src[s + 2];
        }
        rgba[d + 3] = channels === 4 ? src[s + 3] : 255;
      }
    }
  }
  return { rgba, width, height, cols, tileW, tileH, count };
}
