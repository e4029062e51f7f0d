import { describe, expect, it } from "vitest";
import { decodeArray, extent, halfToFloat, slice } from "../src/lib/arrays";

function wire(values: Float32Array, shape: number[], split?: number) {
  const bytes = new Uint8Array(values.buffer);
  const chunks = split ? [new DataView(bytes.buffer, 0, split), new DataView(bytes.buffer, split)] : [new DataView(bytes.buffer)];
  return { dtype: "float32", shape, chunks };
}

describe("decodeArray", () => {
  it("views a single chunk without copying", () => {
    const values = new Float32Array([1, 2, 3, 4, 5, 6]);
    const arr = decodeArray<Float32Array>(wire(values, [2, 3]))!;
    expect(arr.shape).toEqual([2, 3]);
    expect(Array.from(arr.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(arr.data.buffer).toBe(values.buffer);
  });

  it("joins chunks, also when a chunk boundary splits a value", () => {
    const values = new Float32Array([1.5, -2, 3.25, 4]);
    const arr = decodeArray<Float32Array>(wire(values, [4], 6))!;
    expect(Array.from(arr.data)).toEqual([1.5, -2, 3.25, 4]);
  });

  it("handles unaligned offsets and other dtypes", () => {
    const buffer = new Uint8Array(9);
    const ints = new Int32Array([7, -3]);
    buffer.set(new Uint8Array(ints.buffer), 1);
    const arr = decodeArray<Int32Array>({ dtype: "int32", shape: [2], chunks: [new DataView(buffer.buffer, 1, 8)] })!;
    expect(Array.from(arr.data)).toEqual([7, -3]);
  });

  it("passes null through and rejects bad input", () => {
    expect(decodeArray(null)).toBeNull();
    expect(() => decodeArray({ dtype: "complex64", shape: [1], chunks: [] })).toThrow(/dtype/);
    expect(() => decodeArray(wire(new Float32Array(3), [2, 2]))).toThrow(/shape/);
  });
});

describe("helpers", () => {
  it("slices along the first axis", () => {
    const arr = decodeArray<Float32Array>(wire(new Float32Array([1, 2, 3, 4, 5, 6]), [3, 2]))!;
    expect(Array.from(slice(arr, 1).data)).toEqual([3, 4]);
    expect(slice(arr, 2).shape).toEqual([2]);
  });
  it("finds the finite extent", () => {
    expect(extent([3, NaN, -1, Infinity, 2])).toEqual([-1, 3]);
    expect(extent([])).toEqual([0, 0]);
  });
  it("decodes half floats", () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
  });
});
