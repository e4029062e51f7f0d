import { describe, expect, it } from "vitest";
import { colorAt, colorize, COLORMAPS, lut } from "../src/lib/colormap";

describe("colormaps", () => {
  it("has the sequential and diverging maps", () => {
    expect(COLORMAPS).toEqual(expect.arrayContaining(["viridis", "magma", "coolwarm", "gray"]));
    expect(lut("viridis").length).toBe(768);
  });

  it("matches matplotlib's tables at the ends and middle", () => {
    // matplotlib: viridis(0) = #440154, viridis(1) = #fde725; magma(1) = #fcfdbf; coolwarm(0.5) ≈ (221, 221, 221)
    expect(colorAt("viridis", 0)).toEqual([0x44, 0x01, 0x54]);
    expect(colorAt("viridis", 1)).toEqual([0xfd, 0xe7, 0x25]);
    expect(colorAt("magma", 1)).toEqual([0xfc, 0xfd, 0xbf]);
    const mid = colorAt("coolwarm", 0.5);
    expect(Math.abs(mid[0] - mid[2])).toBeLessThan(12);
    expect(colorAt("gray", 0.5)).toEqual([128, 128, 128]);
  });

  it("indexes uint8 directly and scales other values", () => {
    const direct = colorize(new Uint8Array([0, 255]), "gray");
    expect(Array.from(direct)).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
    const scaled = colorize(new Float32Array([10, 20]), "gray", { alpha: 100 });
    expect(Array.from(scaled)).toEqual([0, 0, 0, 100, 255, 255, 255, 100]);
    const clamped = colorize(new Float32Array([-5, 5]), "gray", { lo: 0, hi: 1 });
    expect(clamped[0]).toBe(0);
    expect(clamped[4]).toBe(255);
  });

  it("rejects unknown names", () => {
    expect(() => lut("jet")).toThrow(/unknown colormap/);
  });
});
