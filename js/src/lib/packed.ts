// Many small arrays packed into one binary trait (nbviz.widgets._packed.pack_arrays): a flat array
// plus entries {offset, shape}; `unpack` returns one entry as an NDArray view (no copy).
import type { NDArray, TypedArray } from "./arrays";

export interface PackedEntry {
  offset: number;
  shape: number[];
}

/** The entry's array, viewing `flat`'s memory; `null` when `flat` is missing or too short. */
export function unpack<T extends TypedArray>(flat: NDArray<T> | null, entry: PackedEntry | null | undefined): NDArray<T> | null {
  if (!flat || !entry) return null;
  const size = entry.shape.reduce((a, b) => a * b, 1);
  if (entry.offset + size > flat.data.length) return null;
  return { data: flat.data.subarray(entry.offset, entry.offset + size) as T, shape: entry.shape, dtype: flat.dtype };
}
