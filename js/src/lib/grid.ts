// Regular grids with gaps (NaN = not computed yet): fill for display, look up values under the pointer.

/** A copy of the rows×cols `values` with every NaN filled from the computed values: linear
 * interpolation along each row between computed cells, then along each column between the rows
 * that had any (bilinear when the computed points form a sub-grid, as in coarse-to-fine); ends are
 * held constant. All-NaN input comes back all NaN. */
export function fillGaps(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = Float32Array.from(values);
  const rowHas: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (fillLine(out, i * cols, 1, cols)) rowHas.push(i);
  }
  if (rowHas.length === 0) return out;
  for (let j = 0; j < cols; j++) fillLine(out, j, cols, rows); // rows without data are all NaN still
  return out;
}

/** Fill NaNs of one strided line in place by linear interpolation; false if it has no value. */
function fillLine(a: Float32Array, start: number, stride: number, n: number): boolean {
  let prev = -1;
  for (let k = 0; k < n; k++) {
    const v = a[start + k * stride];
    if (Number.isNaN(v)) continue;
    if (prev < 0) {
      for (let m = 0; m < k; m++) a[start + m * stride] = v;
    } else if (k - prev > 1) {
      const v0 = a[start + prev * stride];
      for (let m = prev + 1; m < k; m++) a[start + m * stride] = v0 + ((v - v0) * (m - prev)) / (k - prev);
    }
    prev = k;
  }
  if (prev < 0) return false;
  const last = a[start + prev * stride];
  for (let m = prev + 1; m < n; m++) a[start + m * stride] = last;
  return true;
}

/** Index of the entry of the sorted `axis` nearest to `value`. */
export function nearestIndex(axis: ArrayLike<number>, value: number): number {
  let best = 0;
  for (let k = 1; k < axis.length; k++) if (Math.abs(axis[k] - value) < Math.abs(axis[best] - value)) best = k;
  return best;
}

/** How many entries are not NaN. */
export function countFinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  return n;
}
