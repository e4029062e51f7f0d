import { describe, expect, it } from "vitest";
import { NEW_COLOUR, joinColours, joinPositions, joinSelection, joinThumbnails, splitSelection } from "../src/tsne/newPoints";
import { stopNote } from "../src/tsne/playback";

describe("new points on the t-SNE map", () => {
  it("appends their positions after the map's", () => {
    const map = new Float32Array([0, 1, 2, 3]);
    expect(Array.from(joinPositions(map, new Float32Array([9, 8])))).toEqual([0, 1, 2, 3, 9, 8]);
    expect(joinPositions(map, null)).toBe(map);
  });

  it("gives them one more palette entry and code, or code 0 on a continuous palette", () => {
    const palette = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const { codes, palette: joined, newCode } = joinColours(Uint8Array.from([1, 0]), palette, 2, 2, false);
    expect(newCode).toBe(2);
    expect(Array.from(codes!)).toEqual([1, 0, 2, 2]);
    expect(Array.from(joined!)).toEqual([1, 2, 3, 4, 5, 6, ...NEW_COLOUR]);
    const none = joinColours(null, null, 3, 1, false);
    expect(Array.from(none.codes!)).toEqual([0, 0, 0, 1]);
    expect(none.palette!.length).toBe(6);
    const continuous = joinColours(Uint8Array.from([7, 9]), new Uint8Array(768), 2, 1, true);
    expect(continuous.newCode).toBe(-1);
    expect(Array.from(continuous.codes!)).toEqual([7, 9, 0]);
  });

  it("joins thumbnails of the same shape only", () => {
    const a = { data: new Uint8Array(8), shape: [2, 2, 2], dtype: "uint8" };
    const b = { data: new Uint8Array(4).fill(5), shape: [1, 2, 2], dtype: "uint8" };
    const j = joinThumbnails(a, b)!;
    expect(j.shape).toEqual([3, 2, 2]);
    expect(j.data[8]).toBe(5);
    expect(joinThumbnails(a, { data: new Uint8Array(9), shape: [1, 3, 3], dtype: "uint8" })).toBe(a);
  });

  it("splits scatter indices into selected and new_selected, and joins them back", () => {
    expect(splitSelection([1, 5, 6], 5)).toEqual({ selected: [1], new_selected: [0, 1] });
    expect(joinSelection([1], [0, 1, 4], 5, 2)).toEqual([1, 5, 6]);
  });

  it("names how the run stopped", () => {
    expect(stopNote(230, 230)).toBe("converged at iteration 230");
    expect(stopNote(null, 750)).toBe("stopped at the iteration limit (750)");
    expect(stopNote(null, null)).toBe("");
  });
});
