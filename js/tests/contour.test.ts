import { describe, expect, it } from "vitest";
import { basinLevels, contourLevels, contourLines, contourSegments } from "../src/lib/contour";

/** A loss landscape with a narrow basin: 0.05 at the centre, rising steeply (exponentially) away from it. */
function steepBasin(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const r2 = ((i - (n - 1) / 2) ** 2 + (j - (n - 1) / 2) ** 2) / ((n - 1) / 2) ** 2; // 0 centre, 1 edge midpoints
      out[i * n + j] = 0.05 + Math.expm1(6 * r2);
    }
  return out;
}

function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) continue;
    lo = Math.min(lo, values[k]);
    hi = Math.max(hi, values[k]);
  }
  return [lo, hi];
}

/** How many of `levels` draw a contour inside the basin (where the distance from the centre is below `radius`). */
function contoursInBasin(values: Float64Array, n: number, levels: number[], radius: number): number {
  const c = (n - 1) / 2;
  return levels.filter((level) => {
    const seg = contourSegments(values, n, n, level);
    for (let k = 0; k < seg.length; k += 2) if (Math.hypot(seg[k] - c, seg[k + 1] - c) < radius * c) return true;
    return false;
  }).length;
}

describe("basinLevels", () => {
  it("resolves the basin that evenly spaced levels leave empty", () => {
    const n = 41, values = steepBasin(n);
    const [lo, hi] = extent(values);
    const even = contourLevels(lo, hi, 12);
    const basin = basinLevels(values, lo, hi, 12);
    // the loss doubles within 0.34 of the half-width; evenly spaced levels start at 1/13 of the range, past the
    // edges' midpoints: the failure this guards is no contour where people look
    expect(contoursInBasin(values, n, even, 0.5)).toBe(0);
    expect(contoursInBasin(values, n, basin, 0.5)).toBeGreaterThanOrEqual(3);
    expect(contoursInBasin(values, n, basin, Infinity)).toBe(12); // and every level still draws on the map
  });

  it("steps by a constant factor in height above the minimum, from the basin floor to the top level", () => {
    const n = 41, values = steepBasin(n);
    const [lo, hi] = extent(values);
    const levels = basinLevels(values, lo, hi, 12);
    expect(levels).toHaveLength(12);
    const heights = levels.map((l) => l - lo);
    const ratios = heights.slice(1).map((h, k) => h / heights[k]);
    for (const r of ratios) expect(r).toBeCloseTo(ratios[0], 9);
    expect(ratios[0]).toBeGreaterThan(1);
    expect(levels[11]).toBeCloseTo(contourLevels(lo, hi, 12)[11], 9);
    // the innermost level encloses about 2 % of the map
    const below = values.filter((v) => v < levels[0]).length / values.length;
    expect(below).toBeGreaterThan(0.005);
    expect(below).toBeLessThan(0.05);
  });

  it("ignores NaN and falls back to even levels on a flat or empty map", () => {
    const ramp = Array.from({ length: 100 }, (_, k) => k);
    expect(basinLevels([NaN, ...ramp, NaN], 0, 99, 4)).toEqual(basinLevels(ramp, 0, 99, 4));
    const plateau = [0, ...Array<number>(99).fill(10)]; // one low point: no basin floor below half the range
    expect(basinLevels(plateau, 0, 10, 4)).toEqual(contourLevels(0, 10, 4));
    expect(basinLevels([1, 1, 1, 1], 1, 1, 5)).toEqual([]);
    expect(basinLevels([0, 1, 2], 0, 2, 1)).toEqual(contourLevels(0, 2, 1));
  });
});

describe("contourLines", () => {
  it("joins a ring around a basin into one closed line", () => {
    const n = 21, values = steepBasin(n);
    const level = 1;
    const lines = contourLines(values, n, n, level);
    expect(lines).toHaveLength(1);
    const line = lines[0];
    expect(line.slice(-2)).toEqual(line.slice(0, 2)); // closed: ends on its first point
    // the same points as the unjoined segments: one point per segment, plus the repeated first point
    expect(line.length / 2).toBe(contourSegments(values, n, n, level).length / 4 + 1);
    const c = (n - 1) / 2;
    for (let k = 0; k + 3 < line.length; k += 2) expect(Math.hypot(line[k + 2] - line[k], line[k + 3] - line[k + 1])).toBeLessThan(1.5);
    for (let k = 0; k < line.length; k += 2) expect(Math.hypot(line[k] - c, line[k + 1] - c)).toBeGreaterThan(1);
  });

  it("runs an open contour from border to border in order, and breaks it at a NaN cell", () => {
    const rows = 4, cols = 3;
    const ramp = Array.from({ length: rows * cols }, (_, k) => k % cols); // value = column
    const [line] = contourLines(ramp, rows, cols, 1.5);
    const ys = line.filter((_, k) => k % 2 === 1);
    expect(line.filter((_, k) => k % 2 === 0)).toEqual([1.5, 1.5, 1.5, 1.5]);
    expect(ys[0] === 0 ? ys : [...ys].reverse()).toEqual([0, 1, 2, 3]);
    const holed = [...ramp];
    holed[1 * cols + 1] = NaN; // the cells around (1, 1) are skipped: rows 0-2 lose their crossing at x = 1.5
    const pieces = contourLines(holed, rows, cols, 1.5);
    expect(pieces).toHaveLength(1);
    expect(pieces[0]).toEqual(pieces[0][1] === 2 ? [1.5, 2, 1.5, 3] : [1.5, 3, 1.5, 2]);
  });

  it("pairs a saddle's ends like contourSegments does", () => {
    const saddle = [1, 0, 0, 1]; // 2×2, centre 0.5
    const segments = contourSegments(saddle, 2, 2, 0.4);
    const lines = contourLines(saddle, 2, 2, 0.4);
    expect(lines).toEqual([segments.slice(0, 4), segments.slice(4, 8)]);
  });
});
