// LandscapeExplorer front end: loss line, loss plane (heat map + contours + training path) and a
// rotatable 3-D surface. Partial grids (NaN = not computed yet) are filled for display, so the
// picture sharpens as refinement levels arrive. Log scale, hover readout and rotation are local, so they
// also work in a handout (no kernel), where the grid controls are disabled with a note.
import type { RenderProps } from "@anywidget/types";
import { extent, type NDArray } from "./lib/arrays";
import { drawAxis, drawColorbar, formatTick, niceTicks, scale, type Rect } from "./lib/axes";
import { drawOverlay, setupCanvas } from "./lib/canvas";
import { colorAt, colorize } from "./lib/colormap";
import { basinLevels, contourLines } from "./lib/contour";
import { checkbox, debounce, h, select, slider } from "./lib/controls";
import { createFrame, update } from "./lib/explorer";
import { isHandout, kernelOnly } from "./lib/handout";
import { countFinite, fillGaps, nearestIndex } from "./lib/grid";
import { drawLinePlot } from "./lib/lineplot";
import { SurfaceView } from "./lib/surface";
import { typedModel, type Binary, type BinarySpec, type ExplorerTraits, type Wire } from "./lib/model";

/** LandscapeExplorer's synced traits (nbviz/widgets/landscape.py). */
export interface LandscapeTraits extends ExplorerTraits {
  accuracy: Binary<Float32Array>;
  alphas: Binary<Float32Array>;
  betas: Binary<Float32Array>;
  direction_kinds: string[];
  directions: string;
  explained_variance: number[];
  grid_complete: boolean;
  grid_kind: string;
  grid_preview: boolean;
  grid_samples: number;
  line_accuracy: Binary<Float32Array>;
  line_alphas: Binary<Float32Array>;
  line_loss: Binary<Float32Array>;
  log_scale: boolean;
  loss: Binary<Float32Array>;
  mode: string;
  path: Binary<Float32Array>;
  resolution: number;
  span: number;
}
const BINARY: BinarySpec<LandscapeTraits> = { accuracy: true, alphas: true, betas: true, line_accuracy: true, line_alphas: true, line_loss: true, loss: true, path: true };

const WIDTH = 560;
const HEIGHT = 440;
const MAP: Rect = { x: 58, y: 10, w: 390, h: 390 };
const BAR: Rect = { x: 478, y: 10, w: 12, h: 390 };
const CMAP = "viridis";

interface Plane {
  alphas: Float32Array;
  betas: Float32Array;
  loss: Float32Array; // raw, NaN where not computed
  accuracy: Float32Array | null;
  shown: Float32Array; // what is coloured: filled, log₁₀ when asked
  lo: number;
  hi: number;
  rows: number;
  cols: number;
}

function render({ model: wire, el }: Pick<RenderProps<Wire<LandscapeTraits>>, "model" | "el">) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Loss landscape");
  const canvas = h("canvas", { className: "nbviz-landscape-canvas" });
  const readout = h("div", { className: "nbviz-landscape-readout nbviz-caption" });
  const caption = h("div", { className: "nbviz-caption" });
  frame.body.append(h("div", {}, [canvas, readout, caption]));
  const surface = new SurfaceView();
  canvas.dataset.renderer = surface.webgl ? "webgl" : "canvas2d";

  const send = debounce((values: Partial<LandscapeTraits>) => update(model, values), 120);
  // in a handout only the views whose data was saved can be shown; switching between them stays in the page
  const views = isHandout()
    ? ["line", "plane", "surface"].filter((v) => model.get(v === "line" ? "line_loss" : "loss") != null)
    : ["line", "plane", "surface"];
  if (!views.includes(model.get("mode"))) views.unshift(model.get("mode"));
  const mode = select("view", views, model.get("mode"), (v) => update(model, { mode: v }));
  const kinds = select("directions", model.get("direction_kinds"), model.get("directions"), (v) => update(model, { directions: v }));
  const spanMax = Math.max(2, Math.ceil(2 * Number(model.get("span"))));
  const span = slider({ label: "span", min: 0.1, max: spanMax, step: 0.05, value: model.get("span"), onInput: (v) => send({ span: v }) });
  const resolution = slider({ label: "resolution", min: 5, max: 51, step: 2, value: model.get("resolution"), format: (v) => `${v}×${v}`, onInput: (v) => send({ resolution: v }) });
  const log = checkbox("log scale", model.get("log_scale"), (v) => update(model, { log_scale: v }));
  frame.controls.append(mode.root, kinds.root, span.root, resolution.root, log.root);
  for (const control of [kinds.root, span.root, resolution.root]) kernelOnly(control, "needs a running kernel: the saved grid stays as it is");
  if (views.length < 2) kernelOnly(mode.root, "only this view was saved with the handout");
  frame.listen(["mode", "directions", "span", "resolution", "log_scale"], () => {
    mode.input.value = model.get("mode");
    kinds.input.value = model.get("directions");
    span.set(model.get("span"));
    resolution.set(model.get("resolution"));
    log.input.checked = model.get("log_scale");
  });

  let plane: Plane | null = null;
  let pinned: [number, number] | null = null; // (row, col) clicked
  const ink = () => getComputedStyle(frame.root).color;

  const readPlane = (): Plane | null => {
    const loss = model.get("loss");
    const alphas = model.get("alphas");
    const betas = model.get("betas");
    if (!loss || !alphas || !betas) return null;
    const [rows, cols] = loss.shape;
    const acc = model.get("accuracy");
    const logged = model.get("log_scale") ? loss.data.map((v) => Math.log10(Math.max(v, 1e-12))) : loss.data;
    const shown = fillGaps(logged, rows, cols);
    const [lo, hi] = extent(shown);
    return { alphas: alphas.data, betas: betas.data, loss: loss.data, accuracy: acc ? acc.data : null, shown, lo, hi, rows, cols };
  };

  /** RGBA per grid point, rows flipped so β grows upwards on screen. */
  const colours = (p: Plane, flip: boolean): Uint8ClampedArray => {
    const rgba = colorize(p.shown, CMAP, { lo: p.lo, hi: p.hi });
    if (!flip) return rgba;
    const out = new Uint8ClampedArray(rgba.length);
    const row = p.cols * 4;
    for (let i = 0; i < p.rows; i++) out.set(rgba.subarray(i * row, (i + 1) * row), (p.rows - 1 - i) * row);
    return out;
  };

  // grid index ↔ pixel on the map (cell centres)
  const colX = (p: Plane, j: number) => MAP.x + ((j + 0.5) / p.cols) * MAP.w;
  const rowY = (p: Plane, i: number) => MAP.y + MAP.h - ((i + 0.5) / p.rows) * MAP.h;
  const dataX = (p: Plane) => scale(p.alphas[0], p.alphas[p.cols - 1], colX(p, 0), colX(p, p.cols - 1));
  const dataY = (p: Plane) => scale(p.betas[0], p.betas[p.rows - 1], rowY(p, 0), rowY(p, p.rows - 1));

  const drawPlane = (ctx: CanvasRenderingContext2D, p: Plane) => {
    const image = new ImageData(colours(p, true) as unknown as Uint8ClampedArray<ArrayBuffer>, p.cols, p.rows);
    drawOverlay(ctx, image, MAP.x, MAP.y, MAP.w, MAP.h, 1);
    ctx.save();
    ctx.beginPath();
    ctx.rect(MAP.x, MAP.y, MAP.w, MAP.h);
    ctx.clip();
    ctx.strokeStyle = "rgba(255,255,255,0.55)";
    ctx.lineWidth = 0.8;
    ctx.lineJoin = "round";
    ctx.beginPath();
    // levels dense in the basin (geometric above the minimum), each contour one joined line
    for (const level of basinLevels(p.shown, p.lo, p.hi, 12)) {
      for (const line of contourLines(p.shown, p.rows, p.cols, level)) {
        ctx.moveTo(colX(p, line[0]), rowY(p, line[1]));
        for (let k = 2; k < line.length; k += 2) ctx.lineTo(colX(p, line[k]), rowY(p, line[k + 1]));
      }
    }
    ctx.stroke();
    const sx = dataX(p), sy = dataY(p);
    const path = model.get("path");
    if (path && model.get("grid_kind") === "pca") {
      ctx.strokeStyle = "#e53935";
      ctx.fillStyle = "#e53935";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (let t = 0; t < path.shape[0]; t++) {
        const x = sx(path.data[2 * t]), y = sy(path.data[2 * t + 1]);
        if (t === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
      for (let t = 0; t < path.shape[0]; t++) {
        const r = t === 0 ? 4 : 2.5;
        ctx.fillRect(sx(path.data[2 * t]) - r, sy(path.data[2 * t + 1]) - r, 2 * r, 2 * r);
      }
    }
    star(ctx, sx(0), sy(0));
    if (pinned) {
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(colX(p, pinned[1]), rowY(p, pinned[0]), 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
    const color = ink();
    drawAxis(ctx, MAP, "bottom", niceTicks(p.alphas[0], p.alphas[p.cols - 1], 6), sx, "α (direction 1)", color);
    drawAxis(ctx, MAP, "left", niceTicks(p.betas[0], p.betas[p.rows - 1], 6), sy, "β (direction 2)", color);
    drawColorbar(ctx, BAR, (t) => colorAt(CMAP, t), p.lo, p.hi, model.get("log_scale") ? "log₁₀ loss" : "loss", color);
  };

  const drawLine = (ctx: CanvasRenderingContext2D) => {
    const alphas = model.get("line_alphas");
    const loss = model.get("line_loss");
    if (!alphas || !loss) {
      ctx.fillStyle = ink();
      ctx.fillText("computing the loss along the line…", MAP.x, MAP.y + 20);
      return;
    }
    const acc = model.get("line_accuracy");
    const values = model.get("log_scale") ? loss.data.map((v) => Math.log10(Math.max(v, 1e-12))) : loss.data;
    const series = [{ values, label: model.get("log_scale") ? "log₁₀ loss" : "loss", color: "#1f77b4" }];
    if (acc) series.push({ values: acc.data, label: "accuracy", color: "#ff7f0e", range: [0, 1] } as never);
    const rect = { x: MAP.x, y: MAP.y, w: MAP.w + 30, h: MAP.h };
    drawLinePlot(ctx, rect, alphas.data, "α  (0 = random init, 1 = trained)", series, ink());
  };

  const draw = () => {
    plane = readPlane();
    const ctx = setupCanvas(canvas, WIDTH, HEIGHT);
    ctx.font = "11px var(--jp-ui-font-family, sans-serif)";
    const view = model.get("mode");
    canvas.dataset.drawn = view === "line" ? (model.get("line_loss") ? "line" : "") : plane ? view : "";
    if (view === "line") drawLine(ctx);
    else if (plane && view === "surface") {
      surface.set({ heights: plane.shown.map((v) => (plane!.hi > plane!.lo ? (v - plane!.lo) / (plane!.hi - plane!.lo) : 0.5)), colors: colours(plane, false), rows: plane.rows, cols: plane.cols });
      surface.draw(ctx, WIDTH, HEIGHT);
    } else if (plane) drawPlane(ctx, plane);
    caption.textContent = describe();
  };

  const describe = (): string => {
    const view = model.get("mode");
    if (view === "line") return "Loss along (1 − α)·θ_random + α·θ*: α = 0 is a fresh random initialisation, α = 1 the trained weights.";
    if (!plane) return "";
    const done = countFinite(plane.loss), total = plane.rows * plane.cols;
    const kind = String(model.get("grid_kind")).replace("_", "-");
    const stage = model.get("grid_preview")
      ? `preview on ${model.get("grid_samples")} samples`
      : model.get("grid_complete") ? `${model.get("grid_samples")} samples` : `refining on ${model.get("grid_samples")} samples`;
    const variance: number[] = model.get("explained_variance");
    const pca = kind === "pca" && variance.length ? ` · PCA explains ${(100 * variance[0]).toFixed(1)}% + ${(100 * variance[1]).toFixed(1)}% of the path` : "";
    const hint = view === "surface" ? " · drag to rotate" : " · hover for values, click to pin";
    return `${kind} directions · ${done}/${total} points · ${stage}${pca}${hint}`;
  };

  const show = (i: number, j: number) => {
    if (!plane) return;
    const k = i * plane.cols + j;
    const raw = plane.loss[k];
    const approx = Number.isNaN(raw);
    const loss = approx ? (model.get("log_scale") ? 10 ** plane.shown[k] : plane.shown[k]) : raw;
    const acc = plane.accuracy ? plane.accuracy[k] : NaN;
    readout.textContent =
      `α = ${formatTick(plane.alphas[j])}  β = ${formatTick(plane.betas[i])}  loss ${approx ? "≈" : "="} ${loss.toPrecision(4)}` +
      (Number.isNaN(acc) ? "" : `  accuracy = ${(100 * acc).toFixed(1)}%`) + (approx ? "  (not computed yet)" : "");
  };

  const cellAtPointer = (event: MouseEvent): [number, number] | null => {
    if (!plane || model.get("mode") !== "plane") return null;
    const box = canvas.getBoundingClientRect();
    const x = event.clientX - box.left - MAP.x, y = event.clientY - box.top - MAP.y;
    if (x < 0 || y < 0 || x >= MAP.w || y >= MAP.h) return null;
    return [plane.rows - 1 - Math.floor((y / MAP.h) * plane.rows), Math.floor((x / MAP.w) * plane.cols)];
  };

  let drag: [number, number] | null = null;
  let frameRequested = false;
  canvas.addEventListener("pointerdown", (e) => {
    if (model.get("mode") === "surface") {
      drag = [e.clientX, e.clientY];
      canvas.setPointerCapture?.(e.pointerId);
    }
  });
  canvas.addEventListener("pointerup", () => (drag = null));
  canvas.addEventListener("pointermove", (e) => {
    if (drag && model.get("mode") === "surface") {
      surface.rotate(e.clientX - drag[0], e.clientY - drag[1]);
      drag = [e.clientX, e.clientY];
      if (!frameRequested) {
        frameRequested = true;
        requestAnimationFrame(() => { frameRequested = false; draw(); });
      }
      return;
    }
    if (model.get("mode") === "line") return showLine(e);
    const cell = cellAtPointer(e);
    if (cell && !pinned) show(cell[0], cell[1]);
  });
  canvas.addEventListener("click", (e) => {
    const cell = cellAtPointer(e);
    const same = cell && pinned && cell[0] === pinned[0] && cell[1] === pinned[1];
    pinned = cell && !same ? cell : null;
    if (cell) show(cell[0], cell[1]);
    draw();
  });

  const showLine = (e: MouseEvent) => {
    const alphas = model.get("line_alphas");
    const loss = model.get("line_loss");
    if (!alphas || !loss) return;
    const x = e.clientX - canvas.getBoundingClientRect().left;
    const [a0, a1] = extent(alphas.data);
    const k = nearestIndex(alphas.data, scale(MAP.x, MAP.x + MAP.w + 30, a0, a1)(x));
    const acc = model.get("line_accuracy") as NDArray<Float32Array> | null;
    readout.textContent = `α = ${formatTick(alphas.data[k])}  loss = ${loss.data[k].toPrecision(4)}` + (acc ? `  accuracy = ${(100 * acc.data[k]).toFixed(1)}%` : "");
  };

  frame.listen(["loss", "accuracy", "alphas", "betas", "path", "mode", "log_scale", "line_loss", "grid_preview", "grid_complete"], draw);
  frame.listen(["resolution", "span", "directions", "mode"], () => {
    pinned = null;
    readout.textContent = "";
  });
  draw();
  return () => frame.dispose();
}

function star(ctx: CanvasRenderingContext2D, x: number, y: number): void {
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const r = k % 2 ? 3 : 8, a = -Math.PI / 2 + (k * Math.PI) / 5;
    ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = "#fff";
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 1;
  ctx.fill();
  ctx.stroke();
}

export default { render };
