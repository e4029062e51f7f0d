import { describe, expect, it } from "vitest";
import { contourLevels, contourSegments } from "../src/lib/contour";
import { countFinite, fillGaps, nearestIndex } from "../src/lib/grid";

describe("fillGaps", () => {
  it("is bilinear between the points of a coarse sub-grid and keeps computed values", () => {
    const n = NaN;
    // computed at rows/cols 0 and 2 of a 3×3 grid: f(i, j) = i + 10 j
    const grid = [0, n, 20, n, n, n, 2, n, 22];
    const out = fillGaps(grid, 3, 3);
    expect(Array.from(out)).toEqual([0, 10, 20, 1, 11, 21, 2, 12, 22]);
  });

  it("holds ends constant and leaves an all-NaN grid NaN", () => {
    expect(Array.from(fillGaps([NaN, 5, NaN, NaN], 1, 4))).toEqual([5, 5, 5, 5]);
    expect(countFinite(fillGaps([NaN, NaN, NaN, NaN], 2, 2))).toBe(0);
  });
});

describe("contourSegments", () => {
  it("crosses a linear ramp where the level lies", () => {
    const ramp = [0, 1, 2, 0, 1, 2]; // 2 rows × 3 cols, value = column
    const seg = contourSegments(ramp, 2, 3, 1.5);
    expect(seg).toEqual([1.5, 0, 1.5, 1]);
  });

  it("skips cells with a NaN corner and spaces levels inside the range", () => {
    expect(contourSegments([0, NaN, 2, 3], 2, 2, 1)).toEqual([]);
    expect(contourLevels(0, 4, 3)).toEqual([1, 2, 3]);
    expect(contourLevels(1, 1, 3)).toEqual([]);
  });
});

describe("nearestIndex", () => {
  it("finds the closest axis entry", () => {
    expect(nearestIndex([-1, -0.5, 0, 0.5, 1], 0.3)).toBe(3);
  });
});
