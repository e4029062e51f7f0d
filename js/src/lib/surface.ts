// A height field drawn as a shaded 3-D surface that the user rotates: WebGL when the browser has it
// (also software WebGL such as SwiftShader), else a canvas-2-D painter's-algorithm mesh.
// Either way the picture is copied onto the caller's 2-D canvas, so pixels read back alike.

export interface SurfaceGrid {
  heights: ArrayLike<number>; // rows×cols, in [0, 1], no NaN
  colors: Uint8ClampedArray; // rows×cols×4 RGBA, one per vertex
  rows: number;
  cols: number;
}

const VERTEX = `attribute vec3 p; attribute vec4 c; varying vec4 v; uniform float lift;
void main() { gl_Position = vec4(p.xy, p.z - lift, 1.0); v = c; }`;
const FRAGMENT = `precision mediump float; varying vec4 v; void main() { gl_FragColor = v; }`;

export class SurfaceView {
  yaw = -0.7;
  pitch = 0.95;
  readonly webgl: boolean;
  private glCanvas = document.createElement("canvas");
  private gl: WebGLRenderingContext | null;
  private program: WebGLProgram | null = null;
  private grid: SurfaceGrid | null = null;

  constructor() {
    this.gl = this.glCanvas.getContext("webgl", { antialias: true, preserveDrawingBuffer: true });
    this.webgl = !!this.gl && this.init();
  }

  set(grid: SurfaceGrid): void {
    this.grid = grid;
  }

  rotate(dx: number, dy: number): void {
    this.yaw += dx * 0.01;
    this.pitch = Math.max(0.05, Math.min(1.5, this.pitch + dy * 0.01));
  }

  /** Project vertex k to clip space [x, y, depth] (depth: smaller is nearer). */
  private project(k: number): [number, number, number] {
    const { rows, cols, heights } = this.grid!;
    const i = Math.floor(k / cols), j = k % cols;
    const x = (j / Math.max(1, cols - 1)) * 2 - 1;
    const y = (i / Math.max(1, rows - 1)) * 2 - 1; // β grows away from the viewer
    const z = heights[k] * 0.8 - 0.4;
    const cy = Math.cos(this.yaw), sy = Math.sin(this.yaw);
    const xr = x * cy - y * sy, yr = x * sy + y * cy;
    const cp = Math.cos(this.pitch), sp = Math.sin(this.pitch);
    const s = 0.62;
    return [xr * s, (z * cp + yr * sp) * s, (yr * cp - z * sp) * 0.4];
  }

  /** Draw into `ctx` over `width`×`height` CSS pixels. */
  draw(ctx: CanvasRenderingContext2D, width: number, height: number): void {
    if (!this.grid) return;
    if (this.webgl) {
      const ratio = globalThis.devicePixelRatio || 1;
      this.glCanvas.width = Math.round(width * ratio);
      this.glCanvas.height = Math.round(height * ratio);
      this.drawGL();
      ctx.drawImage(this.glCanvas, 0, 0, width, height);
    } else {
      this.draw2D(ctx, width, height);
    }
  }

  private init(): boolean {
    const gl = this.gl!;
    const shader = (type: number, src: string) => {
      const s = gl.createShader(type)!;
      gl.shaderSource(s, src);
      gl.compileShader(s);
      return s;
    };
    const program = gl.createProgram();
    if (!program) return false;
    gl.attachShader(program, shader(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, shader(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) return false;
    this.program = program;
    return true;
  }

  private drawGL(): void {
    const gl = this.gl!, program = this.program!, { rows, cols, colors } = this.grid!;
    const n = rows * cols;
    const positions = new Float32Array(n * 3);
    for (let k = 0; k < n; k++) positions.set(this.project(k), k * 3);
    const shaded = new Float32Array(n * 4);
    for (let k = 0; k < n * 4; k++) shaded[k] = colors[k] / 255;
    const dark = new Float32Array(n * 4);
    for (let k = 0; k < n; k++) dark.set([0, 0, 0, 0.35], k * 4);
    const tris: number[] = [], lines: number[] = [];
    const every = Math.max(1, Math.round(Math.max(rows, cols) / 21));
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const k = i * cols + j;
        if (i + 1 < rows && j + 1 < cols) tris.push(k, k + 1, k + cols, k + 1, k + cols + 1, k + cols);
        if (j + 1 < cols && i % every === 0) lines.push(k, k + 1);
        if (i + 1 < rows && j % every === 0) lines.push(k, k + cols);
      }
    }
    gl.viewport(0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.DEPTH_TEST);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(program);
    const attribute = (name: string, data: Float32Array, size: number) => {
      const loc = gl.getAttribLocation(program, name);
      gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STREAM_DRAW);
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, size, gl.FLOAT, false, 0, 0);
    };
    const elements = (idx: number[], mode: number) => {
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, gl.createBuffer());
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, new Uint16Array(idx), gl.STREAM_DRAW);
      gl.drawElements(mode, idx.length, gl.UNSIGNED_SHORT, 0);
    };
    const lift = gl.getUniformLocation(program, "lift");
    attribute("p", positions, 3);
    attribute("c", shaded, 4);
    gl.uniform1f(lift, 0);
    elements(tris, gl.TRIANGLES);
    attribute("c", dark, 4);
    gl.uniform1f(lift, 0.002); // wireframe just in front of the surface
    elements(lines, gl.LINES);
  }

  private draw2D(ctx: CanvasRenderingContext2D, width: number, height: number): void {
    const { rows, cols, colors } = this.grid!;
    const pts = Array.from({ length: rows * cols }, (_, k) => this.project(k));
    const px = (p: [number, number, number]) => [width / 2 + (p[0] * width) / 2, height / 2 - (p[1] * height) / 2];
    const quads: [number, number][] = [];
    for (let i = 0; i + 1 < rows; i++) {
      for (let j = 0; j + 1 < cols; j++) {
        const k = i * cols + j;
        quads.push([k, (pts[k][2] + pts[k + 1][2] + pts[k + cols][2] + pts[k + cols + 1][2]) / 4]);
      }
    }
    quads.sort((a, b) => b[1] - a[1]); // far first
    ctx.save();
    ctx.lineWidth = 0.5;
    ctx.strokeStyle = "rgba(0,0,0,0.35)";
    for (const [k] of quads) {
      ctx.beginPath();
      for (const v of [k, k + 1, k + cols + 1, k + cols]) {
        const [x, y] = px(pts[v]);
        if (v === k) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.closePath();
      ctx.fillStyle = `rgb(${colors[k * 4]},${colors[k * 4 + 1]},${colors[k * 4 + 2]})`;
      ctx.fill();
      ctx.stroke();
    }
    ctx.restore();
  }
}
