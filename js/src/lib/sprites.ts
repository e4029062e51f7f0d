// Thumbnails drawn from one sprite sheet (an Atlas): WebGL textured quads sampling a single texture
// (one instance per sprite through ANGLE_instanced_arrays, six vertices per sprite without it), or
// drawImage from one canvas on a 2-D context. Quads, unlike point sprites, are clipped per pixel, so a
// thumbnail whose centre has left the view still shows its visible part. Each drawn sprite has a
// position (data units), a tile index, a frame colour and an opacity; the caller decides which points
// get one (see lod.ts).
import type { Atlas } from "./atlas";
import { linkProgram } from "./glProgram";

const VERTEX = `
attribute vec2 a_corner;
attribute vec2 a_pos;
attribute float a_tile;
attribute vec4 a_color;
uniform vec2 u_scale;
uniform vec2 u_offset;
uniform vec2 u_half;
uniform float u_cols;
uniform vec2 u_tile;
varying vec2 v_origin;
varying vec2 v_uv;
varying vec4 v_color;
void main() {
  float row = floor((a_tile + 0.5) / u_cols);
  v_origin = vec2(a_tile - row * u_cols, row) * u_tile;
  v_uv = a_corner;
  v_color = a_color;
  vec2 centre = a_pos * u_scale + u_offset;
  gl_Position = vec4(centre + vec2(2.0 * a_corner.x - 1.0, 1.0 - 2.0 * a_corner.y) * u_half, 0.0, 1.0);
}`;

const FRAGMENT = `
#ifdef GL_FRAGMENT_PRECISION_HIGH
precision highp float;
#else
precision mediump float;
#endif
uniform sampler2D u_atlas;
uniform vec2 u_tile;
uniform float u_border;
varying vec2 v_origin;
varying vec2 v_uv;
varying vec4 v_color;
void main() {
  vec2 pc = clamp(v_uv, 0.0, 0.9999);
  vec4 t = texture2D(u_atlas, v_origin + pc * u_tile);
  vec2 e = min(pc, 1.0 - pc);
  vec3 rgb = min(e.x, e.y) < u_border ? v_color.rgb : t.rgb;
  gl_FragColor = vec4(rgb * v_color.a, v_color.a);
}`;

/** The two triangles of a unit quad: corners (x right, y down) in [0, 1]. */
export const QUAD_CORNERS = new Float32Array([0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1]);
const STRIDE = 16; // bytes per sprite: x, y, tile (float32) + r, g, b, a (uint8)

/** One sprite per entry: `index` (point and tile), frame colour r, g, b (0–255) and opacity a (0–255). */
export interface SpriteBatch {
  indices: ArrayLike<number>;
  positions: Float32Array;
  rgba: Uint8Array;
}

export interface View {
  /** CSS pixels per data unit and the data point at the centre. */
  scale: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

/** Per-sprite data, interleaved (x, y, tile as float32, then rgba as 4 uint8), each sprite `repeat` times
 * in a row (1 for instancing; 6, one per quad vertex, without it). */
export function spriteData(batch: SpriteBatch, repeat = 1): ArrayBuffer {
  const n = batch.indices.length;
  const bytes = new ArrayBuffer(n * repeat * STRIDE);
  const f = new Float32Array(bytes);
  const u = new Uint8Array(bytes);
  for (let k = 0; k < n; k++) {
    const i = batch.indices[k];
    for (let r = 0, v = k * repeat; r < repeat; r++, v++) {
      f[4 * v] = batch.positions[2 * i];
      f[4 * v + 1] = batch.positions[2 * i + 1];
      f[4 * v + 2] = i;
      u.set(batch.rgba.subarray(4 * i, 4 * i + 4), STRIDE * v + 12);
    }
  }
  return bytes;
}

/** Draws sprites from one atlas into a WebGL context (the scatter's). */
export class GLSprites {
  private gl: WebGLRenderingContext;
  private instancing: ANGLE_instanced_arrays | null;
  private program: WebGLProgram;
  private texture: WebGLTexture;
  private buffer: WebGLBuffer;
  private corners: WebGLBuffer;
  private cornerCount = 0;
  private atlas: Atlas | null = null;
  private loc: Record<string, WebGLUniformLocation | null> = {};
  private attrib: Record<string, number> = {};

  constructor(gl: WebGLRenderingContext) {
    this.gl = gl;
    this.program = linkProgram(gl, VERTEX, FRAGMENT);
    for (const name of ["u_scale", "u_offset", "u_half", "u_cols", "u_tile", "u_atlas", "u_border"]) {
      this.loc[name] = gl.getUniformLocation(this.program, name);
    }
    for (const name of ["a_corner", "a_pos", "a_tile", "a_color"]) this.attrib[name] = gl.getAttribLocation(this.program, name);
    this.instancing = gl.getExtension("ANGLE_instanced_arrays");
    this.texture = gl.createTexture()!;
    this.buffer = gl.createBuffer()!;
    this.corners = gl.createBuffer()!;
  }

  /** Whether an atlas this large fits in one texture. */
  fits(atlas: Atlas): boolean {
    const max = this.gl.getParameter(this.gl.MAX_TEXTURE_SIZE) as number;
    return atlas.width <= max && atlas.height <= max;
  }

  setAtlas(atlas: Atlas | null): void {
    this.atlas = atlas;
    if (!atlas) return;
    const { gl } = this;
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, atlas.width, atlas.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, atlas.rgba);
    // nearest: true pixels up close and no bleeding between neighbouring tiles; NPOT needs clamping
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  }

  /** Draw `batch` at `size` CSS pixels (times `ratio` device pixels) with a `border`-pixel frame. */
  draw(batch: SpriteBatch, view: View, size: number, ratio: number, border: number): void {
    const atlas = this.atlas;
    const n = batch.indices.length;
    if (!atlas || !n) return;
    const { gl, instancing: ext, attrib } = this;
    const repeat = ext ? 1 : QUAD_CORNERS.length / 2;
    gl.useProgram(this.program);
    // the quad's corners: once for every instance, or repeated for every sprite without instancing
    const cornerCount = ext ? 1 : n;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.corners);
    if (this.cornerCount !== cornerCount) {
      const corners = new Float32Array(QUAD_CORNERS.length * cornerCount);
      for (let k = 0; k < cornerCount; k++) corners.set(QUAD_CORNERS, k * QUAD_CORNERS.length);
      gl.bufferData(gl.ARRAY_BUFFER, corners, gl.STATIC_DRAW);
      this.cornerCount = cornerCount;
    }
    gl.enableVertexAttribArray(attrib.a_corner);
    gl.vertexAttribPointer(attrib.a_corner, 2, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffer);
    gl.bufferData(gl.ARRAY_BUFFER, spriteData(batch, repeat), gl.STREAM_DRAW);
    const perSprite: [string, number, number, boolean, number][] = [
      ["a_pos", 2, gl.FLOAT, false, 0], ["a_tile", 1, gl.FLOAT, false, 8], ["a_color", 4, gl.UNSIGNED_BYTE, true, 12],
    ];
    for (const [name, count, type, normalized, offset] of perSprite) {
      gl.enableVertexAttribArray(attrib[name]);
      gl.vertexAttribPointer(attrib[name], count, type, normalized, STRIDE, offset);
      ext?.vertexAttribDivisorANGLE(attrib[name], 1);
    }
    const sx = (2 * view.scale) / view.width, sy = (2 * view.scale) / view.height;
    gl.uniform2f(this.loc.u_scale, sx, sy);
    gl.uniform2f(this.loc.u_offset, -view.cx * sx, -view.cy * sy);
    gl.uniform2f(this.loc.u_half, size / view.width, size / view.height);
    gl.uniform1f(this.loc.u_cols, atlas.cols);
    gl.uniform2f(this.loc.u_tile, atlas.tileW / atlas.width, atlas.tileH / atlas.height);
    gl.uniform1f(this.loc.u_border, size * ratio > 10 ? border / size : 0);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.uniform1i(this.loc.u_atlas, 0);
    if (ext) ext.drawArraysInstancedANGLE(gl.TRIANGLES, 0, QUAD_CORNERS.length / 2, n);
    else gl.drawArrays(gl.TRIANGLES, 0, n * repeat);
    // divisors are context state, not the program's: reset them for the scatter's own draw
    for (const [name] of perSprite) ext?.vertexAttribDivisorANGLE(attrib[name], 0);
    for (const a of Object.values(attrib)) gl.disableVertexAttribArray(a);
  }

  dispose(): void {
    this.gl.deleteTexture(this.texture);
    this.gl.deleteBuffer(this.buffer);
    this.gl.deleteBuffer(this.corners);
    this.gl.deleteProgram(this.program);
  }
}

/** Draws sprites from one atlas on a 2-D canvas context (drawImage from one canvas). */
export class CanvasSprites {
  private sheet: HTMLCanvasElement | null = null;
  private atlas: Atlas | null = null;

  setAtlas(atlas: Atlas | null): void {
    this.atlas = atlas;
    this.sheet = null;
    if (!atlas) return;
    const sheet = document.createElement("canvas");
    sheet.width = atlas.width;
    sheet.height = atlas.height;
    const pixels = new ImageData(new Uint8ClampedArray(atlas.rgba), atlas.width, atlas.height);
    sheet.getContext("2d")!.putImageData(pixels, 0, 0);
    this.sheet = sheet;
  }

  /** Draw `batch` on `ctx` (already scaled to CSS pixels); `toScreen` maps data to CSS pixels. */
  draw(ctx: CanvasRenderingContext2D, batch: SpriteBatch, toScreen: (x: number, y: number) => [number, number], size: number, border: number): void {
    const { atlas, sheet } = this;
    if (!atlas || !sheet) return;
    ctx.imageSmoothingEnabled = false;
    const half = size / 2;
    for (let k = 0; k < batch.indices.length; k++) {
      const i = batch.indices[k];
      const [x, y] = toScreen(batch.positions[2 * i], batch.positions[2 * i + 1]);
      const c = batch.rgba.subarray(4 * i, 4 * i + 4);
      ctx.globalAlpha = c[3] / 255;
      if (size > 10 && border > 0) {
        ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
        ctx.fillRect(x - half, y - half, size, size);
      }
      const b = size > 10 ? border : 0;
      ctx.drawImage(sheet, (i % atlas.cols) * atlas.tileW, Math.floor(i / atlas.cols) * atlas.tileH, atlas.tileW, atlas.tileH,
        x - half + b, y - half + b, size - 2 * b, size - 2 * b);
    }
    ctx.globalAlpha = 1;
  }
}
