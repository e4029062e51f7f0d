import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { debounce, throttle } from "../src/lib/controls";
import { cellAt, cellOrigin, gridLayout } from "../src/lib/canvas";

describe("pacing", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("debounce calls once with the last value after quiet", () => {
    const calls: number[] = [];
    const f = debounce((v: number) => calls.push(v), 50);
    f(1); f(2); f(3);
    vi.advanceTimersByTime(49);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual([3]);
  });

  it("throttle calls at the leading edge and then with the latest value", () => {
    const calls: number[] = [];
    const f = throttle((v: number) => calls.push(v), 100);
    f(1); f(2); f(3);
    expect(calls).toEqual([1]);
    vi.advanceTimersByTime(100);
    expect(calls).toEqual([1, 3]);
    vi.advanceTimersByTime(500);
    expect(calls).toEqual([1, 3]);
  });
});

describe("grid layout", () => {
  it("lays out cells and finds the cell under a point", () => {
    const layout = gridLayout(10, 400, { columns: 4, gap: 2, maxCell: 50 });
    expect(layout.rows).toBe(3);
    expect(layout.cell).toBe(50);
    expect(cellOrigin(layout, 5)).toEqual([52, 52]);
    expect(cellAt(layout, 53, 53, 10)).toBe(5);
    expect(cellAt(layout, 51, 10, 10)).toBe(-1); // in the gap
    expect(cellAt(layout, 160, 110, 10)).toBe(-1); // past the last item
  });
});
