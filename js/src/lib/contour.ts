// Contour lines of a regular grid by marching squares, and evenly spaced levels.

/** Line segments [x1, y1, x2, y2, …] in grid index coordinates (x = column, y = row) where the
 * rows×cols `values` cross `level`. Cells with a NaN corner are skipped. */
export function contourSegments(values: ArrayLike<number>, rows: number, cols: number, level: number): number[] {
  const out: number[] = [];
  const at = (i: number, j: number) => values[i * cols + j];
  const cross = (a: number, b: number) => (level - a) / (b - a);
  for (let i = 0; i + 1 < rows; i++) {
    for (let j = 0; j + 1 < cols; j++) {
      const v00 = at(i, j), v01 = at(i, j + 1), v10 = at(i + 1, j), v11 = at(i + 1, j + 1);
      if (Number.isNaN(v00 + v01 + v10 + v11)) continue;
      const pts: number[] = [];
      if (v00 < level !== v01 < level) pts.push(j + cross(v00, v01), i); // top edge
      if (v01 < level !== v11 < level) pts.push(j + 1, i + cross(v01, v11)); // right edge
      if (v10 < level !== v11 < level) pts.push(j + cross(v10, v11), i + 1); // bottom edge
      if (v00 < level !== v10 < level) pts.push(j, i + cross(v00, v10)); // left edge
      if (pts.length === 4) out.push(...pts);
      else if (pts.length === 8) {
        // saddle: pair edges by the centre value
        const centre = (v00 + v01 + v10 + v11) / 4;
        if (centre < level === v00 < level) out.push(pts[0], pts[1], pts[2], pts[3], pts[4], pts[5], pts[6], pts[7]);
        else out.push(pts[0], pts[1], pts[6], pts[7], pts[2], pts[3], pts[4], pts[5]);
      }
    }
  }
  return out;
}

/** `n` levels evenly spaced strictly inside [lo, hi]. */
export function contourLevels(lo: number, hi: number, n: number): number[] {
  if (!(hi > lo)) return [];
  return Array.from({ length: n }, (_, k) => lo + ((hi - lo) * (k + 1)) / (n + 1));
}
