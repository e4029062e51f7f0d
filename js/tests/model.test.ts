import type { AnyModel } from "@anywidget/types";
import { describe, expect, it } from "vitest";
import type { WireArray } from "../src/lib/arrays";
import { typedModel, type Binary, type BinarySpec, type ExplorerTraits, type Wire } from "../src/lib/model";

interface DemoTraits extends ExplorerTraits {
  positions: Binary<Float32Array>;
  perplexity: number;
}
const BINARY: BinarySpec<DemoTraits> = { positions: true };

/** A stand-in for anywidget's model: a map of wire values and change listeners. */
function fakeModel(values: Record<string, unknown>) {
  const listeners = new Map<string, (() => void)[]>();
  const saved: Record<string, unknown>[] = [];
  const model = {
    get: (k: string) => values[k],
    set: (k: string, v: unknown) => {
      values[k] = v;
      for (const f of listeners.get(`change:${k}`) ?? []) f();
    },
    on: (e: string, f: () => void) => listeners.set(e, [...(listeners.get(e) ?? []), f]),
    off: () => listeners.clear(),
    save_changes: () => saved.push({ ...values }),
    send: () => undefined,
    widget_manager: { get_model: () => Promise.resolve(undefined) },
  };
  return { raw: model as unknown as AnyModel<Wire<DemoTraits>>, values, saved };
}

const wire = (values: number[], shape: number[]): WireArray => ({
  dtype: "float32",
  shape,
  chunks: [new DataView(new Float32Array(values).buffer)],
});

describe("typedModel", () => {
  it("decodes a binary trait at the boundary, once per value Python sends", () => {
    const { raw, values } = fakeModel({ positions: wire([1, 2, 3, 4], [2, 2]), perplexity: 30 });
    const model = typedModel(raw, BINARY);
    const first = model.get("positions")!;
    expect(first.shape).toEqual([2, 2]);
    expect(Array.from(first.data)).toEqual([1, 2, 3, 4]);
    expect(model.get("positions")).toBe(first); // cached: the same view while the trait is unchanged
    values.positions = wire([5, 6], [1, 2]);
    expect(Array.from(model.get("positions")!.data)).toEqual([5, 6]);
    values.positions = null;
    expect(model.get("positions")).toBeNull();
  });

  it("passes other traits through, and set/save_changes/on reach the real model", () => {
    const { raw, saved } = fakeModel({ positions: null, perplexity: 30 });
    const model = typedModel(raw, BINARY);
    let heard = 0;
    model.on("change:perplexity", () => (heard += 1));
    model.set("perplexity", 12);
    model.save_changes();
    expect(model.get("perplexity")).toBe(12);
    expect(heard).toBe(1);
    expect(saved[0].perplexity).toBe(12);
  });

  it("refuses to set a binary trait from the page", () => {
    const model = typedModel(fakeModel({ positions: null, perplexity: 30 }).raw, BINARY);
    expect(() => model.set("positions", null)).toThrow(/positions/);
  });
});
