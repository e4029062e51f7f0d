import { describe, expect, it } from "vitest";
import { parseUnits, unitsText } from "../src/featurevis/units";

describe("featurevis units box", () => {
  it("reads ranges and single units", () => {
    expect(parseUnits("0-3, 7")).toEqual([0, 1, 2, 3, 7]);
    expect(parseUnits("5 - 3")).toEqual([3, 4, 5]);
  });
  it("refuses what it cannot read", () => {
    expect(parseUnits("a, 2")).toBeNull();
    expect(parseUnits(" , ")).toBeNull();
  });
  it("writes runs back as ranges, so text → units → text round-trips", () => {
    expect(unitsText([0, 1, 2, 3, 7])).toBe("0-3, 7");
    expect(unitsText(parseUnits("2, 4-6")!)).toBe("2, 4-6");
  });
});
