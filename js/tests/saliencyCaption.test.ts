import { describe, expect, it } from "vitest";
import { inputCaption } from "../src/saliency/caption";

describe("the saliency input caption", () => {
  const names = ["cat", "dog"];

  it("names the true class when the input has one", () => {
    expect(inputCaption(1, [0, 1], names, 0, true)).toBe("input 1 · true class dog · explaining cat (predicted)");
  });

  it("shows no true class for an added input without one (-1), nor when no input has one", () => {
    expect(inputCaption(2, [0, 1, -1], names, 1, false)).toBe("input 2 · explaining dog");
    expect(inputCaption(0, [], names, 1, false)).toBe("input 0 · explaining dog");
  });

  it("falls back to the class number without names", () => {
    expect(inputCaption(0, [7], [], 3, false)).toBe("input 0 · true class 7 · explaining 3");
  });
});
