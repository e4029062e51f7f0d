import { describe, expect, it } from "vitest";
import { packAtlas } from "../src/lib/atlas";
import { nonOverlapping, priorityOrder } from "../src/lib/lod";

describe("priorityOrder", () => {
  it("is a fixed permutation", () => {
    const a = priorityOrder(100);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(priorityOrder(100))).toEqual(Array.from(a));
  });
});

describe("nonOverlapping", () => {
  const brute = (xy: number[], chosen: number[], size: number) => {
    for (const i of chosen) for (const j of chosen) {
      if (i !== j && Math.abs(xy[2 * i] - xy[2 * j]) < size && Math.abs(xy[2 * i + 1] - xy[2 * j + 1]) < size) return false;
    }
    return true;
  };

  it("never lets two squares overlap and keeps every point that could fit (maximal)", () => {
    let s = 7;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const xy: number[] = [];
    for (let i = 0; i < 400; i++) xy.push(rand() * 300, rand() * 200);
    const order = priorityOrder(400);
    const chosen = nonOverlapping(xy, order, 20, 300, 200);
    expect(brute(xy, chosen, 20)).toBe(true);
    const set = new Set(chosen);
    for (let i = 0; i < 400; i++) if (!set.has(i)) expect(brute(xy, [...chosen, i], 20)).toBe(false);
    expect(chosen.length).toBeGreaterThan(30);
    expect(chosen.length).toBeLessThan(400);
  });

  it("takes every point once they are far enough apart, skips hidden and off-screen ones", () => {
    const xy = [10, 10, 50, 10, 90, 10, 500, 10];
    expect(nonOverlapping(xy, [0, 1, 2, 3], 30, 200, 100).sort()).toEqual([0, 1, 2]);
    expect(nonOverlapping(xy, [0, 1, 2, 3], 30, 200, 100, (i) => i === 1).sort()).toEqual([0, 2]);
    expect(nonOverlapping(xy, [0, 1, 2, 3], 50, 200, 100).sort()).toEqual([0, 2]);
  });

  it("keeps squares that only poke into the view; `margin` sets how far when `size` is just the spacing", () => {
    const xy = [-10, 50, 210, 50, 100, -13, 100, 50];
    expect(nonOverlapping(xy, [0, 1, 2, 3], 24, 200, 100).sort()).toEqual([0, 1, 3]);
    expect(nonOverlapping(xy, [0, 1, 2, 3], 30, 200, 100).sort()).toEqual([0, 1, 2, 3]);
    expect(nonOverlapping(xy, [0, 1, 2, 3], 1e-6, 200, 100)).toEqual([3]);
    expect(nonOverlapping(xy, [0, 1, 2, 3], 1e-6, 200, 100, () => false, Infinity, 12).sort()).toEqual([0, 1, 3]);
    expect(nonOverlapping(xy, [0, 1, 2, 3], 1e-6, 200, 100, () => false, Infinity, 15).sort()).toEqual([0, 1, 2, 3]);
  });
});

describe("packAtlas", () => {
  it("puts tile i at column i % cols, row i / cols, grey to RGB", () => {
    const n = 5, h = 2, w = 3;
    const data = new Uint8Array(n * h * w).map((_, k) => k);
    const atlas = packAtlas({ data, shape: [n, h, w], dtype: "uint8" })!;
    expect(atlas.count).toBe(5);
    for (let i = 0; i < n; i++) {
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const px = (i % atlas.cols) * w + x, py = Math.floor(i / atlas.cols) * h + y;
        const d = (py * atlas.width + px) * 4;
        const v = data[i * h * w + y * w + x];
        expect([atlas.rgba[d], atlas.rgba[d + 1], atlas.rgba[d + 2], atlas.rgba[d + 3]]).toEqual([v, v, v, 255]);
      }
    }
    expect(packAtlas(null)).toBeNull();
    expect(packAtlas({ data, shape: [n, h, w], dtype: "uint8" }, 4)).toBeNull();
  });
});
