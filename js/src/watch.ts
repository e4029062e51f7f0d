// WatchExplorer front end: a live training view. Python sends the timeline (losses, accuracy, sparsity,
// dead channels, the weight path and its loss surface) whole, and one snapshot's panels (filters,
// feature maps, t-SNE map) for the frame on show; the scrubber sets `frame` and stops following the
// newest snapshot. Every panel is a canvas redrawn when its traits change, so the view moves while the
// training cell runs.
import { extent, slice, type NDArray } from "./lib/arrays";
import { drawAxis, niceTicks, scale, type Rect } from "./lib/axes";
import { cellOrigin, drawPixels, gridLayout, setupCanvas, toRGBA } from "./lib/canvas";
import { colorize } from "./lib/colormap";
import { checkbox, h, slider } from "./lib/controls";
import { createFrame, update } from "./lib/explorer";
import { drawLinePlot } from "./lib/lineplot";
import { typedModel, type Binary, type BinarySpec, type ExplorerProps, type ExplorerTraits } from "./lib/model";

/** WatchExplorer's synced traits (nbviz/widgets/watch.py). */
export interface WatchTraits extends ExplorerTraits {
  steps_done: number;
  loss_steps: Binary<Int32Array>;
  train_loss: Binary<Float32Array>;
  snapshot_steps: Binary<Int32Array>;
  probe_loss: Binary<Float32Array>;
  probe_accuracy: Binary<Float32Array>;
  layer_names: string[];
  sparsity: Binary<Float32Array>;
  dead: Binary<Int32Array>;
  interval: number;
  overhead: number;
  path: Binary<Float32Array>;
  path_steps: Binary<Int32Array>;
  path_variance: number[];
  surface: Binary<Float32Array>;
  surface_axis: Binary<Float32Array>;
  surface_step: number;
  frame: number;
  live: boolean;
  filters: Binary<Uint8Array>;
  maps: Binary<Uint8Array>;
  map_layer: string;
  probe_images: Binary<Uint8Array>;
  embedding: Binary<Float32Array>;
  embedding_step: number;
  labels: Binary<Int32Array>;
  class_names: string[];
}
const BINARY: BinarySpec<WatchTraits> = {
  loss_steps: true, train_loss: true, snapshot_steps: true, probe_loss: true, probe_accuracy: true, sparsity: true,
  dead: true, path: true, path_steps: true, surface: true, surface_axis: true, filters: true, maps: true,
  probe_images: true, embedding: true, labels: true,
};

const PANEL = 300; // CSS pixels per square panel
const PLOT: Rect = { x: 46, y: 22, w: PANEL - 92, h: PANEL - 64 };
const TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const INK = "#555";

function panel(title: string): { root: HTMLElement; canvas: HTMLCanvasElement; caption: HTMLElement } {
  const canvas = h("canvas", { className: "nbviz-watch-canvas" });
  const caption = h("div", { className: "nbviz-caption" });
  const root = h("div", { className: "nbviz-watch-panel" }, [h("strong", { text: title }), canvas, caption]);
  root.style.display = "inline-block";
  root.style.verticalAlign = "top";
  root.style.margin = "0 8px 8px 0";
  return { root, canvas, caption };
}

function title(ctx: CanvasRenderingContext2D, text: string): void {
  ctx.fillStyle = INK;
  ctx.font = "11px sans-serif";
  ctx.fillText(text, 4, 12);
}

/** A vertical marker at data x `at`. */
function marker(ctx: CanvasRenderingContext2D, sx: (v: number) => number, at: number): void {
  ctx.save();
  ctx.strokeStyle = "rgba(0,0,0,0.35)";
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(sx(at), PLOT.y);
  ctx.lineTo(sx(at), PLOT.y + PLOT.h);
  ctx.stroke();
  ctx.restore();
}

function render({ model: wire, el }: ExplorerProps<WatchTraits>) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Watching the network learn");
  const scrub = slider({
    label: "snapshot", min: 0, max: 0, step: 1, value: 0,
    format: (v) => { const s = model.get("snapshot_steps"); return s && s.data.length ? `step ${s.data[Math.min(v, s.data.length - 1)]}` : "—"; },
    onInput: (v) => update(model, { frame: v, live: false }),
  });
  const live = checkbox("follow training", model.get("live"), (v) => {
    const steps = model.get("snapshot_steps");
    update(model, v && steps ? { live: true, frame: steps.data.length - 1 } : { live: v });
  });
  const info = h("span", { className: "nbviz-caption" });
  frame.controls.append(scrub.root, live.root, info);

  const curves = panel("loss and accuracy");
  const filters = panel("first-layer filters");
  const maps = panel("feature maps");
  const sparsity = panel("sparsity and dead channels per layer");
  const tsne = panel("t-SNE of the probe features");
  const path = panel("weight path over the loss surface");
  for (const p of [curves, filters, maps, sparsity, tsne, path]) frame.body.append(p.root);

  const current = (): { index: number; step: number } => {
    const steps = model.get("snapshot_steps");
    if (!steps || !steps.data.length) return { index: -1, step: -1 };
    const index = Math.max(0, Math.min(model.get("frame"), steps.data.length - 1));
    return { index, step: steps.data[index] };
  };

  const drawCurves = () => {
    const ctx = setupCanvas(curves.canvas, PANEL, PANEL);
    const steps = model.get("snapshot_steps");
    const x = model.get("loss_steps");
    const loss = model.get("train_loss");
    const acc = model.get("probe_accuracy");
    if (x && loss && x.data.length > 1) {
      const inverse = drawLinePlot(ctx, PLOT, x.data, "step", [{ values: loss.data, label: "training loss", color: "#1f77b4" }], INK);
      void inverse;
    }
    if (steps && acc && steps.data.length) {
      // accuracy on the probe set at each snapshot: dots on the right-hand axis, over the same steps
      const xs = x && x.data.length > 1 ? extent(x.data) : extent(steps.data);
      const sx = scale(xs[0], xs[1] > xs[0] ? xs[1] : xs[0] + 1, PLOT.x, PLOT.x + PLOT.w);
      const sy = scale(0, 1, PLOT.y + PLOT.h, PLOT.y);
      drawAxis(ctx, PLOT, "right", niceTicks(0, 1, 5), sy, "probe accuracy", "#d62728");
      ctx.fillStyle = "#d62728";
      for (let i = 0; i < steps.data.length; i++) {
        if (!Number.isFinite(acc.data[i])) continue;
        ctx.beginPath();
        ctx.arc(sx(steps.data[i]), sy(acc.data[i]), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
      const { index, step } = current();
      if (index >= 0) marker(ctx, sx, step);
    }
    const { index } = current();
    const a = acc && index >= 0 ? acc.data[index] : NaN;
    curves.caption.textContent = Number.isFinite(a) ? `probe accuracy at this snapshot: ${(100 * a).toFixed(1)} %` : "";
  };

  const drawFilters = () => {
    const ctx = setupCanvas(filters.canvas, PANEL, PANEL);
    const f = model.get("filters");
    if (!f) { title(ctx, "no 2-D convolution"); return; }
    const n = f.shape[0];
    const layout = gridLayout(n, PANEL, { gap: 2, maxCell: 48 });
    for (let i = 0; i < n; i++) {
      const [x0, y0] = cellOrigin(layout, i);
      drawPixels(ctx, toRGBA(slice(f, i)), x0, y0, layout.cell, layout.cell);
    }
    filters.caption.textContent = `${n} filters, ${f.shape[1]}×${f.shape[2]} (mid-grey = 0)`;
  };

  const drawMaps = () => {
    const m = model.get("maps");
    const images = model.get("probe_images");
    const ctx = setupCanvas(maps.canvas, PANEL, PANEL);
    if (!m) { title(ctx, "no layer with spatial maps"); return; }
    const [rows, channels, mh, mw] = m.shape;
    const columns = channels + (images ? 1 : 0);
    const cell = Math.max(4, Math.floor((PANEL - 2 * (columns - 1)) / columns));
    for (let r = 0; r < rows; r++) {
      const y0 = r * (cell + 2);
      if (y0 + cell > PANEL) break;
      if (images) drawPixels(ctx, toRGBA(slice(images, r)), 0, y0, cell, cell);
      const item = slice(m, r);
      for (let c = 0; c < channels; c++) {
        const map: NDArray<Uint8Array> = { data: item.data.subarray(c * mh * mw, (c + 1) * mh * mw), shape: [mh, mw], dtype: "uint8" };
        drawPixels(ctx, toRGBA(map, "magma"), (c + (images ? 1 : 0)) * (cell + 2), y0, cell, cell);
      }
    }
    maps.caption.textContent = `${model.get("map_layer")}: first ${channels} channels, probe images in rows`;
  };

  const drawSparsity = () => {
    const ctx = setupCanvas(sparsity.canvas, PANEL, PANEL);
    const s = model.get("sparsity");
    const d = model.get("dead");
    const names = model.get("layer_names");
    if (!s || !s.data.length) return;
    const [t, layers] = s.shape;
    const box: Rect = { x: 8, y: 8, w: PANEL - 16, h: PANEL - 90 };
    // time runs left to right, one row per layer; colour = fraction of zero outputs
    const grid = new Float32Array(layers * t);
    for (let i = 0; i < t; i++) for (let l = 0; l < layers; l++) grid[l * t + i] = s.data[i * layers + l];
    const rgba = colorize(grid, "viridis", { lo: 0, hi: 1 });
    drawPixels(ctx, new ImageData(rgba as unknown as Uint8ClampedArray<ArrayBuffer>, t, layers), box.x, box.y, box.w, box.h);
    const { index } = current();
    if (index >= 0) {
      const sx = scale(0, t, box.x, box.x + box.w);
      ctx.strokeStyle = "white";
      ctx.strokeRect(sx(index), box.y, Math.max(1, box.w / t), box.h);
    }
    // dead channels at this snapshot: the layers that have some, by name
    const lines: string[] = [];
    if (d && index >= 0) for (let l = 0; l < layers; l++) if (d.data[index * layers + l] > 0) lines.push(`${names[l]}: ${d.data[index * layers + l]} dead`);
    ctx.fillStyle = INK;
    ctx.font = "11px sans-serif";
    (lines.length ? lines.slice(0, 5) : ["no dead channels at this snapshot"]).forEach((line, i) => ctx.fillText(line, 8, box.y + box.h + 16 + 13 * i));
    const row = index >= 0 ? s.data.subarray(index * layers, (index + 1) * layers) : new Float32Array();
    const mean = row.length ? row.reduce((a, b) => a + b, 0) / row.length : 0;
    sparsity.caption.textContent = `rows: ${layers} layers (top = first); colour: share of zero outputs (yellow = 1); mean now ${(100 * mean).toFixed(0)} %`;
  };

  const drawTsne = () => {
    const ctx = setupCanvas(tsne.canvas, PANEL, PANEL);
    const e = model.get("embedding");
    const labels = model.get("labels");
    if (!e) { title(ctx, "the first map is on its way…"); return; }
    const n = e.shape[0];
    const xs = new Float32Array(n);
    const ys = new Float32Array(n);
    for (let i = 0; i < n; i++) { xs[i] = e.data[2 * i]; ys[i] = e.data[2 * i + 1]; }
    const [x0, x1] = extent(xs);
    const [y0, y1] = extent(ys);
    const half = Math.max(x1 - x0, y1 - y0, 1e-6) / 2 * 1.05;
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const sx = scale(cx - half, cx + half, 6, PANEL - 6);
    const sy = scale(cy - half, cy + half, PANEL - 6, 6);
    for (let i = 0; i < n; i++) {
      ctx.fillStyle = labels ? TAB10[labels.data[i] % TAB10.length] : "#1f77b4";
      ctx.beginPath();
      ctx.arc(sx(xs[i]), sy(ys[i]), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    const names = model.get("class_names");
    tsne.caption.textContent = `map of step ${model.get("embedding_step")}` + (names.length ? ` · ${names.map((c, i) => `${c} (${["blue", "orange", "green", "red", "purple", "brown", "pink", "grey", "olive", "cyan"][i % 10]})`).join(", ")}` : "");
  };

  const drawPath = () => {
    const ctx = setupCanvas(path.canvas, PANEL, PANEL);
    const surface = model.get("surface");
    const axis = model.get("surface_axis");
    const coords = model.get("path");
    const steps = model.get("path_steps");
    if (!coords || !steps) { title(ctx, "needs 3 snapshots…"); return; }
    const box: Rect = { x: 40, y: 8, w: PANEL - 48, h: PANEL - 48 };
    let lo: number;
    let hi: number;
    if (surface && axis) {
      lo = axis.data[0];
      hi = axis.data[axis.data.length - 1];
      const r = axis.data.length;
      const logs = new Float32Array(r * r);
      for (let i = 0; i < r * r; i++) logs[i] = Math.log10(Math.max(surface.data[i], 1e-12));
      // rows follow β upwards: flip so that β grows towards the top of the canvas
      const flipped = new Float32Array(r * r);
      for (let i = 0; i < r; i++) flipped.set(logs.subarray((r - 1 - i) * r, (r - i) * r), i * r);
      const [a, b] = extent(flipped);
      ctx.imageSmoothingEnabled = true;
      const pixels = new ImageData(colorize(flipped, "viridis", { lo: a, hi: b }) as unknown as Uint8ClampedArray<ArrayBuffer>, r, r);
      drawPixels(ctx, pixels, box.x, box.y, box.w, box.h);
    } else {
      const [a, b] = extent(coords.data);
      const reach = Math.max(Math.abs(a), Math.abs(b), 1e-3) * 1.2;
      lo = -reach;
      hi = reach;
    }
    const sx = scale(lo, hi, box.x, box.x + box.w);
    const sy = scale(lo, hi, box.y + box.h, box.y);
    drawAxis(ctx, box, "bottom", niceTicks(lo, hi, 4), sx, "PC 1", INK);
    drawAxis(ctx, box, "left", niceTicks(lo, hi, 4), sy, "PC 2", INK);
    const { step } = current();
    ctx.strokeStyle = "white";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let i = 0; i < steps.data.length; i++) {
      const px = sx(coords.data[2 * i]);
      const py = sy(coords.data[2 * i + 1]);
      if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
    }
    ctx.stroke();
    let at = -1;
    for (let i = 0; i < steps.data.length; i++) if (steps.data[i] <= step) at = i;
    for (let i = 0; i < steps.data.length; i++) {
      ctx.fillStyle = i === at ? "#d62728" : "white";
      ctx.beginPath();
      ctx.arc(sx(coords.data[2 * i]), sy(coords.data[2 * i + 1]), i === at ? 4.5 : 2, 0, 2 * Math.PI);
      ctx.fill();
    }
    const variance = model.get("path_variance");
    path.caption.textContent = surface
      ? `surface: log₁₀ loss around step ${model.get("surface_step")} (PCs explain ${variance.map((v) => `${(100 * v).toFixed(0)} %`).join(" + ")})`
      : "the path; the surface follows";
  };

  const drawControls = () => {
    const steps = model.get("snapshot_steps");
    const n = steps ? steps.data.length : 0;
    scrub.input.max = String(Math.max(0, n - 1));
    scrub.set(Math.max(0, Math.min(model.get("frame"), n - 1)));
    live.input.checked = model.get("live");
    info.textContent = `${model.get("steps_done")} steps · a snapshot every ${model.get("interval")} · overhead ${(100 * model.get("overhead")).toFixed(1)} %`;
  };

  frame.listen(["loss_steps", "train_loss", "probe_accuracy", "frame"], drawCurves);
  frame.listen(["filters"], drawFilters);
  frame.listen(["maps", "probe_images"], drawMaps);
  frame.listen(["sparsity", "dead", "frame"], drawSparsity);
  frame.listen(["embedding"], drawTsne);
  frame.listen(["path", "surface", "frame"], drawPath);
  frame.listen(["snapshot_steps", "frame", "live", "steps_done", "interval", "overhead"], drawControls);
  for (const draw of [drawCurves, drawFilters, drawMaps, drawSparsity, drawTsne, drawPath, drawControls]) draw();
  return () => frame.dispose();
}

export default { render };
