// Thumbnails drawn from one sprite sheet (an Atlas): WebGL point sprites sampling a single texture,
// or drawImage from one canvas on a 2-D context. Each drawn sprite has a position (data units), a
// tile index, a frame colour and an opacity; the caller decides which points get one (see lod.ts).
import type { Atlas } from "./atlas";

const VERTEX = `
attribute vec2 a_pos;
attribute float a_tile;
attribute vec4 a_color;
uniform vec2 u_scale;
uniform vec2 u_offset;
uniform float u_size;
uniform float u_cols;
uniform vec2 u_tile;
varying vec2 v_origin;
varying vec4 v_color;
void main() {
  float row = floor((a_tile + 0.5) / u_cols);
  v_origin = vec2(a_tile - row * u_cols, row) * u_tile;
  v_color = a_color;
  gl_Position = vec4(a_pos * u_scale + u_offset, 0.0, 1.0);
  gl_PointSize = u_size;
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
varying vec4 v_color;
void main() {
  vec2 pc = gl_PointCoord;
  vec4 t = texture2D(u_atlas, v_origin + pc * u_tile);
  vec2 e = min(pc, 1.0 - pc);
  vec3 rgb = min(e.x, e.y) < u_border ? v_color.rgb : t.rgb;
  gl_FragColor = vec4(rgb * v_color.a, v_color.a);
}`;

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

function compile(gl: WebGLRenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type)!;
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(shader) ?? "shader");
  return shader;
}

/** Draws sprites from one atlas into a WebGL context (the scatter's). */
export class GLSprites {
  readonly maxSize: number;
  private gl: WebGLRenderingContext;
  private program: WebGLProgram;
  private texture: WebGLTexture;
  private buffer: WebGLBuffer;
  private atlas: Atlas | null = null;
  private loc: Record<string, WebGLUniformLocation | null> = {};

  constructor(gl: WebGLRenderingContext) {
    this.gl = gl;
    const program = gl.createProgram()!;
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error("sprite program");
    this.program = program;
    for (const name of ["u_scale", "u_offset", "u_size", "u_cols", "u_tile", "u_atlas", "u_border"]) {
      this.loc[name] = gl.getUniformLocation(program, name);
    }
    this.texture = gl.createTexture()!;
    this.buffer = gl.createBuffer()!;
    const range = gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE) as Float32Array;
    this.maxSize = range ? range[1] : 64;
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
    const { gl } = this;
    // interleaved x, y, tile (float32) + rgba (4 × uint8) = 16 bytes per sprite
    const bytes = new ArrayBuffer(n * 16);
    const f = new Float32Array(bytes);
    const u = new Uint8Array(bytes);
    for (let k = 0; k < n; k++) {
      const i = batch.indices[k];
      f[4 * k] = batch.positions[2 * i];
      f[4 * k + 1] = batch.positions[2 * i + 1];
      f[4 * k + 2] = i;
      u.set(batch.rgba.subarray(4 * i, 4 * i + 4), 16 * k + 12);
    }
    gl.useProgram(this.program);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffer);
    gl.bufferData(gl.ARRAY_BUFFER, bytes, gl.STREAM_DRAW);
    const attr = (name: string, count: number, type: number, normalized: boolean, offset: number) => {
      const a = gl.getAttribLocation(this.program, name);
      gl.enableVertexAttribArray(a);
      gl.vertexAttribPointer(a, count, type, normalized, 16, offset);
      return a;
    };
    const attrs = [attr("a_pos", 2, gl.FLOAT, false, 0), attr("a_tile", 1, gl.FLOAT, false, 8), attr("a_color", 4, gl.UNSIGNED_BYTE, true, 12)];
    const sx = (2 * view.scale) / view.width, sy = (2 * view.scale) / view.height;
    const px = Math.min(size * ratio, this.maxSize);
    gl.uniform2f(this.loc.u_scale, sx, sy);
    gl.uniform2f(this.loc.u_offset, -view.cx * sx, -view.cy * sy);
    gl.uniform1f(this.loc.u_size, px);
    gl.uniform1f(this.loc.u_cols, atlas.cols);
    gl.uniform2f(this.loc.u_tile, atlas.tileW / atlas.width, atlas.tileH / atlas.height);
    gl.uniform1f(this.loc.u_border, px > 10 ? (border * ratio) / px : 0);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.uniform1i(this.loc.u_atlas, 0);
    gl.drawArrays(gl.POINTS, 0, n);
    for (const a of attrs) gl.disableVertexAttribArray(a);
  }

  dispose(): void {
    this.gl.deleteTexture(this.texture);
    this.gl.deleteBuffer(this.buffer);
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
    const pixels = new ImageData(new Uint8ClampedArray(atlas.rgba) as Uint8ClampedArray<ArrayBuffer>, atlas.width, atlas.height);
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
