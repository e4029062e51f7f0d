// Thumbnails over a scatter plot, from one sprite sheet. Two modes:
// - "map": every point whose thumbnail fits without overlapping an earlier one (fixed priority order,
//   selected points first) gets one; the size grows gently with zoom, so zooming in shows more of
//   them, and once at most ALL_VISIBLE points are in view every one gets its own (overlapping if
//   they must); the rest stay dots underneath;
// - "cells": points sit on a unit grid (snap to grid) and every one is drawn filling its cell.
import type { NDArray, TypedArray } from "./arrays";
import { packAtlas, type Atlas } from "./atlas";
import { nonOverlapping, priorityOrder } from "./lod";
import { CanvasSprites, GLSprites, type View } from "./sprites";

export type ThumbnailMode = "off" | "map" | "cells";

export const MAP_SIZE = 24; // CSS pixels of a thumbnail at the fitted zoom in "map" mode
const MAP_MAX = 112;
const CELL_FILL = 0.94; // share of a grid cell a thumbnail covers in "cells" mode
const DIM = 45; // opacity of unselected thumbnails while a selection exists
const BORDER = 1.5; // CSS pixels of the class-coloured frame
const ALL_VISIBLE = 150; // zoomed in this far ("map" mode), every point in view gets its thumbnail

export class ThumbnailLayer {
  mode: ThumbnailMode = "off";
  /** Indices drawn last time and their size in CSS pixels (tests and hit testing read these). */
  drawn: number[] = [];
  size = 0;
  private atlas: Atlas | null = null;
  private gl: GLSprites | null = null;
  private canvas: CanvasSprites | null = null;
  private order: Uint32Array = new Uint32Array(0);
  private first: number[] = [];
  private ordered: Uint32Array = new Uint32Array(0);
  private rgba = new Uint8Array(0);
  private xy = new Float32Array(0);

  constructor(gl: WebGLRenderingContext | null) {
    if (gl) {
      try {
        this.gl = new GLSprites(gl);
      } catch {
        this.gl = null;
      }
    }
    if (!this.gl) this.canvas = new CanvasSprites();
  }

  /** The images (N×h×w or N×h×w×C uint8, one array: the sprite sheet); null removes them. */
  setImages(images: NDArray<TypedArray> | null): void {
    let atlas = packAtlas(images);
    if (atlas && this.gl && !this.gl.fits(atlas)) atlas = null;
    this.atlas = atlas;
    this.gl?.setAtlas(atlas);
    this.canvas?.setAtlas(atlas);
    if (atlas && this.order.length !== atlas.count) this.order = priorityOrder(atlas.count);
    this.reorder();
  }

  get ready(): boolean {
    return this.mode !== "off" && this.atlas !== null;
  }

  /** Points that get a thumbnail before any other (the selection). */
  setFirst(indices: ArrayLike<number>): void {
    this.first = Array.from(indices);
    this.reorder();
  }

  private reorder(): void {
    const n = this.order.length;
    const first = this.first.filter((i) => i >= 0 && i < n);
    this.ordered = first.length ? Uint32Array.from([...first, ...this.order]) : this.order;
  }

  /** Per-point frame colour and visibility from the scatter's RGBA (alpha 0 = hidden, low = dimmed). */
  setColors(rgba: Uint8Array, dimAlpha: number): void {
    if (this.rgba.length !== rgba.length) this.rgba = new Uint8Array(rgba.length);
    this.rgba.set(rgba);
    for (let a = 3; a < rgba.length; a += 4) if (rgba[a]) this.rgba[a] = rgba[a] <= dimAlpha ? DIM : 255;
  }

  /** Choose and draw this frame's thumbnails; `fitScale` is the scale at which all points fit. */
  draw(target: { gl?: true; ctx?: CanvasRenderingContext2D }, positions: Float32Array, view: View, fitScale: number,
    toScreen: (x: number, y: number) => [number, number], ratio: number): void {
    this.drawn = [];
    const atlas = this.atlas;
    const n = positions.length / 2;
    if (!this.ready || !atlas || n !== atlas.count || this.rgba.length !== 4 * n) return;
    this.size = this.mode === "cells"
      ? view.scale * CELL_FILL
      : Math.min(MAP_MAX, MAP_SIZE * Math.sqrt(Math.max(1, view.scale / Math.max(fitScale, 1e-12))));
    if (this.xy.length !== positions.length) this.xy = new Float32Array(positions.length);
    for (let i = 0; i < n; i++) {
      const [x, y] = toScreen(positions[2 * i], positions[2 * i + 1]);
      this.xy[2 * i] = x;
      this.xy[2 * i + 1] = y;
    }
    const spacing = this.mode === "cells" ? this.size * 0.99 : this.size + 2;
    const skip = (i: number) => this.rgba[4 * i + 3] === 0;
    let chosen = nonOverlapping(this.xy, this.ordered, spacing, view.width, view.height, skip);
    if (this.mode === "map") {
      // few points in view: all of them, the first in priority order drawn last (on top)
      const all = nonOverlapping(this.xy, this.ordered, 1e-6, view.width, view.height, skip, ALL_VISIBLE + 1, this.size / 2);
      if (all.length <= ALL_VISIBLE) chosen = all.reverse();
    }
    const batch = { indices: chosen, positions, rgba: this.rgba };
    if (target.gl && this.gl) this.gl.draw(batch, view, this.size, ratio, BORDER);
    else if (target.ctx && this.canvas) this.canvas.draw(target.ctx, batch, toScreen, this.size, BORDER);
    this.drawn = chosen;
  }

  /** The drawn thumbnail under CSS pixel (px, py), or -1. */
  hit(px: number, py: number): number {
    const half = this.size / 2;
    for (let k = this.drawn.length - 1; k >= 0; k--) {
      const i = this.drawn[k];
      if (Math.abs(this.xy[2 * i] - px) <= half && Math.abs(this.xy[2 * i + 1] - py) <= half) return i;
    }
    return -1;
  }

  dispose(): void {
    this.gl?.dispose();
  }
}
