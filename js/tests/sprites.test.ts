import { describe, expect, it } from "vitest";
import { QUAD_CORNERS, spriteData } from "../src/lib/sprites";

describe("sprite quads", () => {
  it("two triangles cover the unit square exactly once", () => {
    expect(QUAD_CORNERS.length).toBe(12);
    let area = 0;
    for (let t = 0; t < 2; t++) {
      const [ax, ay, bx, by, cx, cy] = QUAD_CORNERS.slice(6 * t, 6 * t + 6);
      area += Math.abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)) / 2;
    }
    expect(area).toBe(1);
    const corners = new Set<string>();
    for (let v = 0; v < 6; v++) corners.add(`${QUAD_CORNERS[2 * v]},${QUAD_CORNERS[2 * v + 1]}`);
    expect([...corners].sort()).toEqual(["0,0", "0,1", "1,0", "1,1"]);
  });

  const batch = {
    indices: [2, 0],
    positions: new Float32Array([0.5, -1, 7, 8, 3.25, 4.5]),
    rgba: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
  };

  it("packs position, tile and colour per sprite (one per instance)", () => {
    const bytes = spriteData(batch);
    expect(bytes.byteLength).toBe(32);
    const f = new Float32Array(bytes), u = new Uint8Array(bytes);
    expect(Array.from(f.slice(0, 3))).toEqual([3.25, 4.5, 2]);
    expect(Array.from(u.slice(12, 16))).toEqual([9, 10, 11, 12]);
    expect(Array.from(f.slice(4, 7))).toEqual([0.5, -1, 0]);
    expect(Array.from(u.slice(28, 32))).toEqual([1, 2, 3, 4]);
  });

  it("repeats each sprite once per vertex without instancing", () => {
    const one = new Uint8Array(spriteData(batch));
    const six = new Uint8Array(spriteData(batch, 6));
    expect(six.length).toBe(6 * one.length);
    for (let k = 0; k < 2; k++) {
      for (let r = 0; r < 6; r++) expect(Array.from(six.slice((6 * k + r) * 16, (6 * k + r + 1) * 16))).toEqual(Array.from(one.slice(16 * k, 16 * k + 16)));
    }
  });
});
