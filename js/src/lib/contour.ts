// Contour lines of a regular grid by marching squares: segments, or segments joined into polylines, and
// the levels to draw (evenly spaced, or dense in the basin of a loss landscape).

/** Calls `emit(edgeA, xA, yA, edgeB, xB, yB)` for each segment where the rows×cols `values` cross `level`,
 * in grid index coordinates (x = column, y = row). An edge id names the grid edge a segment end lies on
 * (`2·(i·cols + j)` for the edge from (i, j) to (i, j + 1), `2·(i·cols + j) + 1` for (i, j) to (i + 1, j)), so
 * the two cells sharing an edge name the same end. Cells with a NaN corner are skipped. */
function marchingSquares(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  level: number,
  emit: (edgeA: number, xA: number, yA: number, edgeB: number, xB: number, yB: number) => void,
): void {
  const at = (i: number, j: number) => values[i * cols + j];
  const cross = (a: number, b: number) => (level - a) / (b - a);
  const ids: number[] = [];
  const pts: number[] = [];
  const crossing = (id: number, x: number, y: number) => {
    ids.push(id);
    pts.push(x, y);
  };
  for (let i = 0; i + 1 < rows; i++) {
    for (let j = 0; j + 1 < cols; j++) {
      const v00 = at(i, j), v01 = at(i, j + 1), v10 = at(i + 1, j), v11 = at(i + 1, j + 1);
      if (Number.isNaN(v00 + v01 + v10 + v11)) continue;
      ids.length = 0;
      pts.length = 0;
      if (v00 < level !== v01 < level) crossing(2 * (i * cols + j), j + cross(v00, v01), i); // top edge
      if (v01 < level !== v11 < level) crossing(2 * (i * cols + j + 1) + 1, j + 1, i + cross(v01, v11)); // right edge
      if (v10 < level !== v11 < level) crossing(2 * ((i + 1) * cols + j), j + cross(v10, v11), i + 1); // bottom edge
      if (v00 < level !== v10 < level) crossing(2 * (i * cols + j) + 1, j, i + cross(v00, v10)); // left edge
      if (ids.length === 2) emit(ids[0], pts[0], pts[1], ids[1], pts[2], pts[3]);
      else if (ids.length === 4) {
        // saddle (edges top, right, bottom, left): pair them by the centre value
        const centre = (v00 + v01 + v10 + v11) / 4;
        const [a, b, c, d] = centre < level === v00 < level ? [0, 1, 2, 3] : [0, 3, 1, 2];
        emit(ids[a], pts[2 * a], pts[2 * a + 1], ids[b], pts[2 * b], pts[2 * b + 1]);
        emit(ids[c], pts[2 * c], pts[2 * c + 1], ids[d], pts[2 * d], pts[2 * d + 1]);
      }
    }
  }
}

/** Line segments [x1, y1, x2, y2, …] in grid index coordinates (x = column, y = row) where the
 * rows×cols `values` cross `level`. Cells with a NaN corner are skipped. */
export function contourSegments(values: ArrayLike<number>, rows: number, cols: number, level: number): number[] {
  const out: number[] = [];
  marchingSquares(values, rows, cols, level, (_a, xA, yA, _b, xB, yB) => out.push(xA, yA, xB, yB));
  return out;
}

/** The contour of `values` at `level` as joined lines: each polyline is [x0, y0, x1, y1, …] in grid index
 * coordinates, drawn with one moveTo and lineTos (so line joins are smooth and dashes run on). A closed
 * contour ends on its first point; an open one runs from border to border or to a cell with a NaN corner. */
export function contourLines(values: ArrayLike<number>, rows: number, cols: number, level: number): number[][] {
  const segEdges: number[] = []; // 2 edge ids per segment
  const point = new Map<number, [number, number]>(); // edge id → where the contour crosses it
  const touching = new Map<number, number[]>(); // edge id → the (at most two) segments ending on it
  marchingSquares(values, rows, cols, level, (a, xA, yA, b, xB, yB) => {
    const s = segEdges.length / 2;
    segEdges.push(a, b);
    point.set(a, [xA, yA]);
    point.set(b, [xB, yB]);
    for (const e of [a, b]) {
      const list = touching.get(e);
      if (list) list.push(s);
      else touching.set(e, [s]);
    }
  });
  const used = new Uint8Array(segEdges.length / 2);
  /** Edge ids from `edge` onwards, following unused segments (marking them used). */
  const follow = (edge: number, from: number): number[] => {
    const chain: number[] = [];
    let current = edge, seg = from;
    for (;;) {
      const next = (touching.get(current) ?? []).find((t) => t !== seg && !used[t]);
      if (next === undefined) return chain;
      used[next] = 1;
      current = segEdges[2 * next] === current ? segEdges[2 * next + 1] : segEdges[2 * next];
      chain.push(current);
      seg = next;
    }
  };
  const lines: number[][] = [];
  for (let s = 0; s < used.length; s++) {
    if (used[s]) continue;
    used[s] = 1;
    const a = segEdges[2 * s], b = segEdges[2 * s + 1];
    const forward = follow(b, s);
    const closed = forward.length > 0 && forward[forward.length - 1] === a;
    const backward = closed ? [] : follow(a, s).reverse();
    const line: number[] = [];
    for (const e of [...backward, a, b, ...forward]) line.push(...point.get(e)!);
    lines.push(line);
  }
  return lines;
}

/** `n` levels evenly spaced strictly inside [lo, hi]. */
export function contourLevels(lo: number, hi: number, n: number): number[] {
  if (!(hi > lo)) return [];
  return Array.from({ length: n }, (_, k) => lo + ((hi - lo) * (k + 1)) / (n + 1));
}

/** `n` levels for a loss landscape that resolve its basin: geometrically spaced in their height above the
 * lowest value `lo`, from the height under which the lowest `floor` fraction of the finite `values` lies (the
 * floor of the basin) up to where the highest of `n` evenly spaced levels would be. Evenly spaced levels leave
 * the basin, the low region people look at, without a single contour when the loss rises steeply away from
 * it; these step by a constant factor (on a quadratic bowl, rings whose radii grow by a constant factor).
 * Falls back to evenly spaced levels when the values give no such floor (a flat or nearly flat map). */
export function basinLevels(values: ArrayLike<number>, lo: number, hi: number, n: number, floor = 0.02): number[] {
  if (!(hi > lo) || n < 1) return [];
  const top = ((hi - lo) * n) / (n + 1);
  const heights: number[] = [];
  for (let k = 0; k < values.length; k++) if (Number.isFinite(values[k])) heights.push(values[k] - lo);
  heights.sort((a, b) => a - b);
  let bottom = heights.length ? heights[Math.min(heights.length - 1, Math.floor(floor * heights.length))] : 0;
  bottom = Math.max(bottom, top * 1e-6); // a basin floor of exactly lo (a plateau at the minimum)
  if (n === 1 || !(bottom < top / 2)) return contourLevels(lo, hi, n);
  const ratio = top / bottom;
  return Array.from({ length: n }, (_, k) => lo + bottom * ratio ** (k / (n - 1)));
}
