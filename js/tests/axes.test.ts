import { describe, expect, it } from "vitest";
import { formatTick, niceTicks, scale } from "../src/lib/axes";

describe("axes", () => {
  it("picks round ticks inside the range", () => {
    expect(niceTicks(-1, 1, 4)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(0, 7.5, 3)).toEqual([0, 5]);
  });
  it("maps linearly and formats briefly", () => {
    expect(scale(0, 10, 100, 200)(5)).toBe(150);
    expect(formatTick(0.30000000000000004)).toBe("0.3");
    expect(formatTick(-0.5)).toBe("-0.5");
  });
});
