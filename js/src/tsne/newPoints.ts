// New points placed on the map (TSNEExplorer.add_points): appended after the map's N points in the one
// scatter, so hover, click and lasso reach them like the rest. Indices ≥ N are new points; they get a
// colour of their own (a legend entry) and a cross marker drawn over every other point.
import type { NDArray } from "../lib/arrays";

/** The new points' colour (near black, apart from every palette colour). */
export const NEW_COLOUR = [20, 20, 20];
const DEFAULT_COLOUR = [31, 119, 180]; // the scatter's colour without a palette

/** The map's positions followed by the new points' (or the map's alone when there are none). */
export function joinPositions(map: Float32Array, extra: Float32Array | null): Float32Array {
  if (!extra || !extra.length) return map;
  const out = new Float32Array(map.length + extra.length);
  out.set(map, 0);
  out.set(extra, map.length);
  return out;
}

/**
 * Colour codes for `n` map points then `m` new points: the new points take one more palette entry
 * (`NEW_COLOUR`, at index `newCode`). A continuous palette has no room left (256 entries of a uint8 code),
 * so there the new points keep code 0 and only their marker sets them apart (`newCode` = -1).
 */
export function joinColours(
  codes: Uint8Array | null, palette: Uint8Array | null, n: number, m: number, continuous: boolean,
): { codes: Uint8Array | null; palette: Uint8Array | null; newCode: number } {
  if (m <= 0) return { codes, palette, newCode: -1 };
  const base = palette && palette.length >= 3 ? palette : Uint8Array.from(DEFAULT_COLOUR);
  const k = Math.floor(base.length / 3);
  const out = new Uint8Array(n + m);
  if (codes && codes.length === n) out.set(codes);
  if (continuous || k >= 256) return { codes: out, palette: base, newCode: -1 };
  out.fill(k, n);
  const joined = new Uint8Array(3 * (k + 1));
  joined.set(base.subarray(0, 3 * k));
  joined.set(NEW_COLOUR, 3 * k);
  return { codes: out, palette: joined, newCode: k };
}

/** The map's thumbnails followed by the new points' when both have the same picture shape, else the map's. */
export function joinThumbnails(map: NDArray<Uint8Array> | null, extra: NDArray<Uint8Array> | null): NDArray<Uint8Array> | null {
  if (!map || !extra || map.shape.length !== extra.shape.length) return map;
  if (map.shape.slice(1).some((s, i) => s !== extra.shape[i + 1])) return map;
  const data = new Uint8Array(map.data.length + extra.data.length);
  data.set(map.data, 0);
  data.set(extra.data, map.data.length);
  return { data, shape: [map.shape[0] + extra.shape[0], ...map.shape.slice(1)], dtype: map.dtype };
}

/** Split scatter indices into the map's (`selected`) and the new points' (`new_selected`, from 0). */
export function splitSelection(indices: number[], n: number): { selected: number[]; new_selected: number[] } {
  return { selected: indices.filter((i) => i < n), new_selected: indices.filter((i) => i >= n).map((i) => i - n) };
}

/** Scatter indices of both selections (the new points' after the map's `n`). */
export function joinSelection(selected: number[], newSelected: number[], n: number, m: number): number[] {
  return [...selected, ...newSelected.filter((i) => i < m).map((i) => i + n)];
}
