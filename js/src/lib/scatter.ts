// A scatter plot of many points: WebGL gl.POINTS with one colour per point (uint8 code → palette),
// thumbnails from one sprite sheet (see thumbnailLayer.ts), a 2-D canvas fallback, pan (drag), zoom (wheel), hover (nearest point), click (a press and release
// without moving: the nearest point or -1) and lasso (shift + drag).

import type { NDArray, TypedArray } from "./arrays";
import { linkProgram } from "./glProgram";
import { ThumbnailLayer, type ThumbnailMode } from "./thumbnailLayer";

export interface ScatterOptions {
  width: number;
  height: number;
  /** Point diameter in CSS pixels (default: by point count). */
  pointSize?: number;
  /** Pan, zoom, hover and lasso (default true). */
  interactive?: boolean;
  /** Try WebGL first (default true); false draws on a 2-D canvas. */
  webgl?: boolean;
  /** The point under the pointer (or -1), with the pointer position in CSS pixels of the plot. */
  onHover?: (index: number, x: number, y: number) => void;
  /** Indices of the visible points inside a lasso (empty for a shift-click). */
  onLasso?: (indices: number[]) => void;
  /** A click without dragging: the visible point under it (nearest within a few pixels) or -1 for empty space. */
  onClick?: (index: number, x: number, y: number) => void;
}

const CLICK_SLOP = 4; // a press that moves less than this (CSS pixels) before release is a click, not a pan
const RING_LIMIT = 200; // selections up to this size also get a ring per point

const VERTEX = `
attribute vec2 a_pos;
attribute vec4 a_color;
uniform vec2 u_scale;
uniform vec2 u_offset;
uniform float u_size;
varying vec4 v_color;
void main() {
  v_color = a_color;
  gl_Position = a_color.a == 0.0 ? vec4(2.0, 2.0, 2.0, 1.0) : vec4(a_pos * u_scale + u_offset, 0.0, 1.0);
  gl_PointSize = u_size;
}`;

const FRAGMENT = `
precision mediump float;
varying vec4 v_color;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  if (dot(d, d) > 0.25) discard;
  gl_FragColor = vec4(v_color.rgb * v_color.a, v_color.a);
}`;

const DIM_ALPHA = 40; // unselected points while a selection exists

interface GL {
  gl: WebGLRenderingContext;
  program: WebGLProgram;
  position: WebGLBuffer;
  color: WebGLBuffer;
  uScale: WebGLUniformLocation;
  uOffset: WebGLUniformLocation;
  uSize: WebGLUniformLocation;
}

function setupGL(canvas: HTMLCanvasElement): GL | null {
  const gl = canvas.getContext("webgl", { antialias: false, preserveDrawingBuffer: true, premultipliedAlpha: true });
  if (!gl) return null;
  try {
    const program = linkProgram(gl, VERTEX, FRAGMENT);
    return {
      gl,
      program,
      position: gl.createBuffer(),
      color: gl.createBuffer(),
      uScale: gl.getUniformLocation(program, "u_scale")!,
      uOffset: gl.getUniformLocation(program, "u_offset")!,
      uSize: gl.getUniformLocation(program, "u_size")!,
    };
  } catch {
    return null;
  }
}

/** Clear `canvas` and return its 2-D context scaled to CSS pixels. */
function clearCanvas(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext("2d")!;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const ratio = globalThis.devicePixelRatio || 1;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

/** Whether (x, y) lies inside the polygon `xs`, `ys` (even–odd rule). */
export function insidePolygon(x: number, y: number, xs: ArrayLike<number>, ys: ArrayLike<number>): boolean {
  let inside = false;
  for (let i = 0, j = xs.length - 1; i < xs.length; j = i++) {
    if (ys[i] > y !== ys[j] > y && x < ((xs[j] - xs[i]) * (y - ys[i])) / (ys[j] - ys[i]) + xs[i]) inside = !inside;
  }
  return inside;
}

export class Scatter {
  readonly root: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  readonly renderer: "webgl" | "2d";
  /** How many times the points were drawn (for frame-rate measurements). */
  draws = 0;
  private overlay: HTMLCanvasElement;
  private gl: GL | null;
  private width: number;
  private height: number;
  private positions: Float32Array | null = null;
  private codes: Uint8Array | null = null;
  private palette: Uint8Array = new Uint8Array([31, 119, 180]);
  private hidden = new Set<number>();
  private selection: Uint8Array | null = null;
  private ringed: number[] = [];
  private crossed = 0;
  private rgba: Uint8Array = new Uint8Array(0);
  private colorsDirty = true;
  private scale = 1;
  private fitScale = 1;
  private thumbnails: ThumbnailLayer;
  private cx = 0;
  private cy = 0;
  private userView = false;
  private pending = 0;
  private lasso: number[] = [];
  private hoverIndex = -1;
  private options: ScatterOptions;

  constructor(options: ScatterOptions) {
    this.options = options;
    this.width = options.width;
    this.height = options.height;
    this.root = document.createElement("div");
    this.root.className = "nbviz-scatter";
    this.root.style.width = `${this.width}px`;
    this.root.style.height = `${this.height}px`;
    this.canvas = document.createElement("canvas");
    this.overlay = document.createElement("canvas");
    this.overlay.className = "nbviz-scatter-overlay";
    this.root.append(this.canvas, this.overlay);
    this.gl = options.webgl === false ? null : setupGL(this.canvas);
    if (!this.gl && options.webgl !== false) {
      // a canvas that failed to give WebGL cannot give a 2-D context either: use a fresh one
      const fresh = document.createElement("canvas");
      this.root.replaceChild(fresh, this.canvas);
      this.canvas = fresh;
    }
    this.renderer = this.gl ? "webgl" : "2d";
    this.canvas.dataset.renderer = this.renderer;
    this.thumbnails = new ThumbnailLayer(this.gl?.gl ?? null);
    (this.root as unknown as { nbvizScatter: Scatter }).nbvizScatter = this;
    this.resize(this.width, this.height);
    if (options.interactive !== false) this.listen();
  }

  /** Resize the plot (CSS pixels). */
  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    const ratio = globalThis.devicePixelRatio || 1;
    for (const c of [this.canvas, this.overlay]) {
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
      c.width = Math.max(1, Math.round(width * ratio));
      c.height = Math.max(1, Math.round(height * ratio));
    }
    this.root.style.width = `${width}px`;
    this.root.style.height = `${height}px`;
    if (!this.userView) this.fit();
    this.requestDraw();
  }

  /** New positions (N×2, x then y per point). The view follows them until the person pans or zooms. */
  setPositions(positions: Float32Array): void {
    const resized = !this.positions || this.positions.length !== positions.length;
    this.positions = positions;
    if (resized) this.colorsDirty = true;
    if (!this.userView) this.fit();
    if (this.gl) {
      const { gl } = this.gl;
      gl.bindBuffer(gl.ARRAY_BUFFER, this.gl.position);
      gl.bufferData(gl.ARRAY_BUFFER, positions, gl.DYNAMIC_DRAW);
    }
    this.requestDraw();
  }

  /** One palette index per point and the palette (K×3 RGB). */
  setColors(codes: Uint8Array | null, palette: Uint8Array | null): void {
    this.codes = codes;
    if (palette && palette.length >= 3) this.palette = palette;
    this.colorsDirty = true;
    this.requestDraw();
  }

  /** Palette entries whose points are hidden (legend toggles). */
  setHidden(hidden: Set<number>): void {
    this.hidden = new Set(hidden);
    this.colorsDirty = true;
    this.requestDraw();
  }

  /** Highlight these points (others dimmed); empty clears. */
  setSelection(indices: ArrayLike<number>): void {
    const n = this.count();
    this.thumbnails.setFirst(indices);
    this.ringed = indices.length <= RING_LIMIT ? Array.from(indices).filter((i) => i >= 0) : [];
    if (!indices.length || !n) {
      this.selection = null;
    } else {
      this.selection = new Uint8Array(n);
      for (let i = 0; i < indices.length; i++) if (indices[i] >= 0 && indices[i] < n) this.selection[indices[i]] = 1;
    }
    this.colorsDirty = true;
    this.requestDraw();
  }

  /** Draw the last `count` points with a cross over every other point (points added to a map); 0: none. */
  setCrossed(count: number): void {
    this.crossed = Math.max(0, count);
    this.requestDraw();
  }

  /** The images of the points (N×h×w or N×h×w×C uint8: one sprite sheet); null removes them. */
  setImages(images: NDArray<TypedArray> | null): void {
    this.thumbnails.setImages(images);
    this.requestDraw();
  }

  /** "map": thumbnails at the points, as many as fit without overlap (all when zoomed in enough);
   * "cells": positions are grid cells (unit spacing) and every thumbnail fills its cell; "off": dots. */
  setThumbnailMode(mode: ThumbnailMode): void {
    this.thumbnails.mode = mode;
    this.requestDraw();
  }

  /** The thumbnails drawn last frame (indices) and their size in CSS pixels. */
  thumbnailsDrawn(): { indices: number[]; size: number } {
    return { indices: this.thumbnails.drawn, size: this.thumbnails.size };
  }

  count(): number {
    return this.positions ? this.positions.length / 2 : 0;
  }

  /** Fit all points into view (double-click does this too). */
  fit(): void {
    const p = this.positions;
    if (!p || !p.length) return;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < p.length; i += 2) {
      const x = p[i], y = p[i + 1];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    const pad = 0.92;
    const dx = Math.max(x1 - x0, 1e-9), dy = Math.max(y1 - y0, 1e-9);
    this.scale = pad * Math.min(this.width / dx, this.height / dy);
    this.fitScale = this.scale;
    this.cx = (x0 + x1) / 2;
    this.cy = (y0 + y1) / 2;
  }

  resetView(): void {
    this.userView = false;
    this.fit();
    this.requestDraw();
  }

  /** Zoom by `factor` about the CSS pixel (px, py). */
  zoom(factor: number, px = this.width / 2, py = this.height / 2): void {
    const [dx, dy] = this.toData(px, py);
    this.scale *= factor;
    this.cx = dx - (px - this.width / 2) / this.scale;
    this.cy = dy + (py - this.height / 2) / this.scale;
    this.userView = true;
    this.requestDraw();
  }

  /** Move the view by (dx, dy) CSS pixels. */
  pan(dx: number, dy: number): void {
    this.cx -= dx / this.scale;
    this.cy += dy / this.scale;
    this.userView = true;
    this.requestDraw();
  }

  toScreen(x: number, y: number): [number, number] {
    return [(x - this.cx) * this.scale + this.width / 2, this.height / 2 - (y - this.cy) * this.scale];
  }

  toData(px: number, py: number): [number, number] {
    return [(px - this.width / 2) / this.scale + this.cx, this.cy - (py - this.height / 2) / this.scale];
  }

  /** The visible point nearest to CSS pixel (px, py) within `radius` pixels, or -1. */
  pick(px: number, py: number, radius = 8): number {
    const p = this.positions;
    if (!p) return -1;
    if (this.thumbnails.ready) {
      const hit = this.thumbnails.hit(px, py);
      if (hit >= 0) return hit;
    }
    this.updateColors();
    const [x, y] = this.toData(px, py);
    const r = radius / this.scale;
    let best = -1, bestD = r * r;
    for (let i = 0, n = p.length / 2; i < n; i++) {
      if (this.rgba[i * 4 + 3] === 0) continue;
      const dx = p[2 * i] - x, dy = p[2 * i + 1] - y;
      const d = dx * dx + dy * dy;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  /** Visible points inside the polygon given in CSS pixels (flat x, y pairs). */
  pointsInPolygon(polygon: number[]): number[] {
    const p = this.positions;
    if (!p || polygon.length < 6) return [];
    this.updateColors();
    const k = polygon.length / 2;
    const xs = new Float64Array(k), ys = new Float64Array(k);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let j = 0; j < k; j++) {
      [xs[j], ys[j]] = this.toData(polygon[2 * j], polygon[2 * j + 1]);
      x0 = Math.min(x0, xs[j]); x1 = Math.max(x1, xs[j]);
      y0 = Math.min(y0, ys[j]); y1 = Math.max(y1, ys[j]);
    }
    const out: number[] = [];
    for (let i = 0, n = p.length / 2; i < n; i++) {
      const x = p[2 * i], y = p[2 * i + 1];
      if (x < x0 || x > x1 || y < y0 || y > y1 || this.rgba[i * 4 + 3] === 0) continue;
      if (insidePolygon(x, y, xs, ys)) out.push(i);
    }
    return out;
  }

  /** Mark point `index` with a ring (-1 clears). */
  setHover(index: number): void {
    this.hoverIndex = index;
    this.drawOverlay();
  }

  requestDraw(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  /** Draw now. */
  draw(): void {
    this.updateColors();
    if (this.gl) this.drawGL();
    else this.draw2D();
    if (this.positions && this.thumbnails.ready) {
      const view = { scale: this.scale, cx: this.cx, cy: this.cy, width: this.width, height: this.height };
      const ctx = this.gl ? undefined : this.canvas.getContext("2d")!;
      this.thumbnails.draw(this.gl ? { gl: true } : { ctx }, this.positions, view, this.fitScale,
        (x, y) => this.toScreen(x, y), globalThis.devicePixelRatio || 1);
    }
    this.canvas.dataset.draws = String(++this.draws); // a stamp the browser benchmark observes
    this.drawOverlay();
  }

  dispose(): void {
    if (this.pending) cancelAnimationFrame(this.pending);
    const lose = this.gl?.gl.getExtension("WEBGL_lose_context");
    this.thumbnails.dispose();
    lose?.loseContext();
    this.root.remove();
  }

  // -- internals ---------------------------------------------------------------------------
  private pointSize(): number {
    if (this.options.pointSize) return this.options.pointSize;
    const n = this.count();
    return n > 20000 ? 2.5 : n > 5000 ? 3.5 : n > 1000 ? 4.5 : 6;
  }

  private updateColors(): void {
    if (!this.colorsDirty) return;
    this.colorsDirty = false;
    const n = this.count();
    if (this.rgba.length !== n * 4) this.rgba = new Uint8Array(n * 4);
    const k = Math.max(1, Math.floor(this.palette.length / 3));
    for (let i = 0; i < n; i++) {
      const code = this.codes && this.codes.length === n ? this.codes[i] : 0;
      const c = (code % k) * 3;
      this.rgba[i * 4] = this.palette[c];
      this.rgba[i * 4 + 1] = this.palette[c + 1];
      this.rgba[i * 4 + 2] = this.palette[c + 2];
      const visible = !this.hidden.has(code);
      this.rgba[i * 4 + 3] = !visible ? 0 : this.selection && !this.selection[i] ? DIM_ALPHA : 220;
    }
    this.thumbnails.setColors(this.rgba, DIM_ALPHA);
    if (this.gl) {
      const { gl } = this.gl;
      gl.bindBuffer(gl.ARRAY_BUFFER, this.gl.color);
      gl.bufferData(gl.ARRAY_BUFFER, this.rgba, gl.DYNAMIC_DRAW);
    }
  }

  private drawGL(): void {
    const g = this.gl!;
    const { gl } = g;
    const ratio = globalThis.devicePixelRatio || 1;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    const n = this.count();
    if (!n) return;
    gl.useProgram(g.program);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    const aPos = gl.getAttribLocation(g.program, "a_pos");
    gl.bindBuffer(gl.ARRAY_BUFFER, g.position);
    gl.enableVertexAttribArray(aPos);
    gl.vertexAttribPointer(aPos, 2, gl.FLOAT, false, 0, 0);
    const aColor = gl.getAttribLocation(g.program, "a_color");
    gl.bindBuffer(gl.ARRAY_BUFFER, g.color);
    gl.enableVertexAttribArray(aColor);
    gl.vertexAttribPointer(aColor, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    const sx = (2 * this.scale) / this.width, sy = (2 * this.scale) / this.height;
    gl.uniform2f(g.uScale, sx, sy);
    gl.uniform2f(g.uOffset, -this.cx * sx, -this.cy * sy);
    gl.uniform1f(g.uSize, this.pointSize() * ratio);
    gl.drawArrays(gl.POINTS, 0, n);
  }

  private draw2D(): void {
    const ctx = clearCanvas(this.canvas);
    const p = this.positions;
    if (!p) return;
    const n = p.length / 2, size = this.pointSize(), half = size / 2;
    // one path per (colour, alpha) bucket keeps fillStyle changes few
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      if (this.rgba[i * 4 + 3] === 0) continue;
      const key = (this.rgba[i * 4] << 24) | (this.rgba[i * 4 + 1] << 16) | (this.rgba[i * 4 + 2] << 8) | this.rgba[i * 4 + 3];
      let list = buckets.get(key);
      if (!list) buckets.set(key, (list = []));
      list.push(i);
    }
    for (const [key, list] of buckets) {
      const i0 = list[0] * 4;
      ctx.fillStyle = `rgba(${this.rgba[i0]},${this.rgba[i0 + 1]},${this.rgba[i0 + 2]},${(key & 255) / 255})`;
      ctx.beginPath();
      for (const i of list) {
        const [x, y] = this.toScreen(p[2 * i], p[2 * i + 1]);
        ctx.rect(x - half, y - half, size, size);
      }
      ctx.fill();
    }
  }

  private drawOverlay(): void {
    const ctx = clearCanvas(this.overlay);
    const p = this.positions;
    if (p && this.ringed.length) {
      ctx.strokeStyle = "#d81b60";
      ctx.lineWidth = 2;
      ctx.beginPath();
      for (const i of this.ringed) {
        if (2 * i + 1 >= p.length) continue;
        const [x, y] = this.toScreen(p[2 * i], p[2 * i + 1]);
        ctx.moveTo(x + this.pointSize() / 2 + 2.5, y);
        ctx.arc(x, y, this.pointSize() / 2 + 2.5, 0, 2 * Math.PI);
      }
      ctx.stroke();
    }
    if (p && this.crossed) this.drawCrosses(ctx, p);
    if (p && this.hoverIndex >= 0 && this.hoverIndex < p.length / 2) {
      const [x, y] = this.toScreen(p[2 * this.hoverIndex], p[2 * this.hoverIndex + 1]);
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(x, y, this.pointSize() / 2 + 3, 0, 2 * Math.PI);
      ctx.stroke();
    }
    if (this.lasso.length >= 4) {
      ctx.strokeStyle = "#1976d2";
      ctx.fillStyle = "rgba(25, 118, 210, 0.08)";
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(this.lasso[0], this.lasso[1]);
      for (let i = 2; i < this.lasso.length; i += 2) ctx.lineTo(this.lasso[i], this.lasso[i + 1]);
      ctx.closePath();
      ctx.fill();
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  private drawCrosses(ctx: CanvasRenderingContext2D, p: Float32Array): void {
    const n = p.length / 2;
    const r = this.pointSize() / 2 + 3;
    const centres: [number, number][] = [];
    for (let i = Math.max(0, n - this.crossed); i < n; i++) {
      if (this.rgba.length === 4 * n && this.rgba[4 * i + 3] === 0) continue; // hidden (legend)
      centres.push(this.toScreen(p[2 * i], p[2 * i + 1]));
    }
    ctx.lineCap = "round";
    for (const [colour, width] of [["#fff", 4], ["#111", 2]] as const) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.beginPath();
      for (const [x, y] of centres) {
        ctx.moveTo(x - r, y - r);
        ctx.lineTo(x + r, y + r);
        ctx.moveTo(x - r, y + r);
        ctx.lineTo(x + r, y - r);
      }
      ctx.stroke();
    }
  }

  private listen(): void {
    const target = this.overlay;
    let mode: "none" | "pan" | "lasso" = "none";
    let lastX = 0, lastY = 0;
    let downX = 0, downY = 0, dragged = false;
    const local = (e: MouseEvent): [number, number] => {
      const r = target.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    target.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      const [x, y] = local(e);
      mode = e.shiftKey ? "lasso" : "pan";
      lastX = downX = x;
      lastY = downY = y;
      dragged = false;
      this.lasso = mode === "lasso" ? [x, y] : [];
      target.setPointerCapture?.(e.pointerId);
      this.hoverIndex = -1;
      this.options.onHover?.(-1, x, y);
      e.preventDefault();
    });
    target.addEventListener("pointermove", (e) => {
      const [x, y] = local(e);
      if (mode === "pan") {
        if (!dragged && Math.hypot(x - downX, y - downY) < CLICK_SLOP) return;
        dragged = true;
        this.pan(x - lastX, y - lastY);
        lastX = x;
        lastY = y;
      } else if (mode === "lasso") {
        this.lasso.push(x, y);
        this.drawOverlay();
      } else {
        const index = this.pick(x, y);
        if (index !== this.hoverIndex) this.setHover(index);
        this.options.onHover?.(index, x, y);
      }
    });
    const end = (e: PointerEvent) => {
      if (mode === "pan" && !dragged && e.type === "pointerup") {
        const [x, y] = local(e);
        this.options.onClick?.(this.pick(x, y, Math.max(6, this.pointSize())), x, y);
      }
      if (mode === "lasso") {
        const polygon = this.lasso;
        this.lasso = [];
        this.drawOverlay();
        this.options.onLasso?.(polygon.length >= 6 ? this.pointsInPolygon(polygon) : []);
      }
      mode = "none";
    };
    target.addEventListener("pointerup", end);
    target.addEventListener("pointercancel", end);
    target.addEventListener("pointerleave", () => {
      if (mode === "none") {
        this.setHover(-1);
        this.options.onHover?.(-1, 0, 0);
      }
    });
    target.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const [x, y] = local(e);
        this.zoom(Math.exp(-e.deltaY * 0.0015), x, y);
      },
      { passive: false },
    );
    target.addEventListener("dblclick", () => this.resetView());
  }
}
