// LayerExplorer front end: layer picker, channel grid of feature maps, input strip with transform
// sliders, channel detail (large map, filter, top-9 images with receptive-field crops), layer stats, channels
// that respond to a selection. In a handout (no kernel) the layer and input pickers read precomputed maps.
import type { RenderProps } from "@anywidget/types";
import { slice, type NDArray } from "./lib/arrays";
import { cellAt, cellOrigin, drawPixels, gridLayout, setupCanvas, toRGBA, type GridLayout } from "./lib/canvas";
import { COLORMAPS } from "./lib/colormap";
import { h, select, slider, throttle } from "./lib/controls";
import { createFrame, update } from "./lib/explorer";
import { isHandout, kernelOnly } from "./lib/handout";
import { layerPicker, type LayerNode } from "./lib/layerPicker";
import { unpack, type PackedEntry } from "./lib/packed";
import { keysOf, typedModel, type Binary, type BinarySpec, type ExplorerTraits, type Wire } from "./lib/model";

/** LayerExplorer's synced traits (nbviz/widgets/layers.py). */
export interface LayerTraits extends ExplorerTraits {
  angle: number;
  channel: number;
  channel_stats: Binary<Float32Array>;
  colormap: string;
  contrast_channels: number[];
  contrast_layer: string;
  contrast_scores: number[];
  contrast_size: number;
  detail_channel: number;
  filter_image: Binary<Uint8Array>;
  filter_kind: string;
  input_image: Binary<Uint8Array>;
  input_index: number;
  labels: string[];
  layer: string;
  layer_summary: Summary[];
  map_range: Binary<Float32Array>;
  maps: Binary<Uint8Array>;
  maps_layer: string;
  normalize: string;
  offline_index: OfflineEntry[];
  offline_maps: Binary<Uint8Array>;
  offline_ranges: Binary<Float32Array>;
  offline_stats: Record<string, PackedEntry>;
  scale: number;
  selection: number[];
  shift_x: number;
  shift_y: number;
  strip: number[];
  thumbnails: Binary<Uint8Array>;
  top_boxes: Binary<Int32Array>;
  top_images: Binary<Uint8Array>;
  top_indices: number[];
  top_values: number[];
  tree: LayerNode[];
}
const BINARY: BinarySpec<LayerTraits> = { channel_stats: true, filter_image: true, input_image: true, map_range: true, maps: true, offline_maps: true, offline_ranges: true, thumbnails: true, top_boxes: true, top_images: true };

interface OfflineEntry {
  layer: string;
  input: number;
  maps: PackedEntry;
  range: PackedEntry;
}

interface Summary {
  layer: string;
  channels: number;
  sparsity: number;
  dead: number;
}

const fmt = (v: number) => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3));

function render({ model: wire, el }: Pick<RenderProps<Wire<LayerTraits>>, "model" | "el">) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Layers");
  const textColor = () => getComputedStyle(frame.root).color;
  const offline = isHandout();
  // pick something: with a kernel, send it to Python; in a handout, change it here only
  const choose = (values: Partial<LayerTraits>) => {
    if (!offline) return update(model, values);
    for (const k of keysOf(values)) model.set(k, values[k]!);
  };

  // -- controls ---------------------------------------------------------------------------------
  const send = throttle((values: Partial<LayerTraits>) => update(model, values), 60);
  const cmap = select("colormap", COLORMAPS, model.get("colormap"), (v) => update(model, { colormap: v }));
  const norm = select("scale maps", ["each", "shared"], model.get("normalize"), (v) => update(model, { normalize: v }));
  const sliders: Record<"shift_x" | "shift_y" | "angle" | "scale", ReturnType<typeof slider>> = {
    shift_x: slider({ label: "shift x", min: -0.5, max: 0.5, step: 0.05, value: model.get("shift_x"), onInput: (v) => send({ shift_x: v }) }),
    shift_y: slider({ label: "shift y", min: -0.5, max: 0.5, step: 0.05, value: model.get("shift_y"), onInput: (v) => send({ shift_y: v }) }),
    angle: slider({ label: "rotate", min: -180, max: 180, step: 5, value: model.get("angle"), format: (v) => `${v}°`, onInput: (v) => send({ angle: v }) }),
    scale: slider({ label: "scale", min: 0.5, max: 2, step: 0.05, value: model.get("scale"), format: (v) => `${v}×`, onInput: (v) => send({ scale: v }) }),
  };
  frame.controls.append(cmap.root, norm.root, ...Object.values(sliders).map((s) => s.root));
  for (const control of [norm.root, ...Object.values(sliders).map((s) => s.root)]) {
    kernelOnly(control, "transforms and scaling need a running kernel; the maps shown were precomputed");
  }
  frame.listen(keysOf(sliders), () => keysOf(sliders).forEach((k) => sliders[k].set(model.get(k))));
  frame.listen(["colormap"], () => (cmap.input.value = model.get("colormap")));
  frame.listen(["normalize"], () => (norm.input.value = model.get("normalize")));

  // -- layout -------------------------------------------------------------------------------------
  const picker = layerPicker({
    layers: model.get("tree") as LayerNode[],
    value: model.get("layer"),
    onPick: (name) => choose({ layer: name, channel: -1 }),
  });
  picker.root.classList.add("nbviz-layers-picker");
  frame.listen(["tree"], () => picker.setLayers(model.get("tree")));
  frame.listen(["layer"], () => picker.setValue(model.get("layer")));

  const strip = h("div", { className: "nbviz-layers-strip" });
  const inputCanvas = document.createElement("canvas");
  inputCanvas.className = "nbviz-layers-input";
  const grid = document.createElement("canvas");
  grid.className = "nbviz-layers-grid";
  const tooltip = h("div", { className: "nbviz-tooltip" });
  const caption = h("div", { className: "nbviz-caption" });
  const gridBox = h("div", { className: "nbviz-layers-gridbox" }, [grid, tooltip]);
  const detail = h("div", { className: "nbviz-layers-detail" });
  const chart = document.createElement("canvas");
  chart.className = "nbviz-layers-chart";
  const chartCaption = h("div", { className: "nbviz-caption", text: "computing sparsity and dead channels…" });
  const contrast = h("div", { className: "nbviz-layers-contrast" });
  const main = h("div", { className: "nbviz-layers-main" }, [
    strip,
    contrast,
    h("div", { className: "nbviz-layers-row" }, [h("div", {}, [inputCanvas, h("div", { className: "nbviz-caption", text: "input" })]), gridBox]),
    caption,
    detail,
    h("div", { className: "nbviz-layers-stats" }, [chart, chartCaption]),
  ]);
  frame.body.append(picker.root, main);

  // -- input strip ----------------------------------------------------------------------------------
  const drawStrip = () => {
    const thumbs = model.get("thumbnails");
    const labels: string[] = model.get("labels");
    const shown: number[] = model.get("strip");
    strip.replaceChildren();
    if (!thumbs) return;
    for (let i = 0; i < Math.min(thumbs.shape[0], shown.length); i++) {
      const index = shown[i];
      const canvas = document.createElement("canvas");
      drawPixels(setupCanvas(canvas, 40, 40), toRGBA(slice(thumbs, i)), 0, 0, 40, 40);
      const button = h("button", { className: "nbviz-layers-thumb", title: labels[index] ?? `input ${index}` }, [canvas]);
      if (labels.length) button.appendChild(h("span", { className: "nbviz-layers-label", text: labels[index] }));
      button.setAttribute("aria-label", `input ${index}`);
      button.dataset.index = String(index);
      button.classList.toggle("nbviz-picked", index === model.get("input_index"));
      if (offline && !offlineEntry(model.get("layer"), index)) kernelOnly(button, "not precomputed for this handout");
      button.addEventListener("click", () => choose({ input_index: index }));
      strip.appendChild(button);
    }
  };
  frame.listen(["thumbnails", "labels", "input_index", "strip"], drawStrip);
  if (offline) frame.listen(["layer", "offline_index"], drawStrip);

  // -- handouts: maps precomputed per (layer, input) ------------------------------------------------
  function offlineEntry(layer: string, input: number): OfflineEntry | undefined {
    return (model.get("offline_index") as OfflineEntry[]).find((e) => e.layer === layer && e.input === input);
  }
  /** What the grid draws: Python's latest maps, or in a handout the precomputed ones for the picks. */
  const current = () => {
    const live = {
      maps: model.get("maps"),
      layer: model.get("maps_layer") as string,
      range: model.get("map_range"),
      stats: model.get("channel_stats"),
    };
    const entry = offline ? offlineEntry(model.get("layer"), model.get("input_index")) : undefined;
    if (!entry) return live;
    const flat = model.get("offline_maps");
    const numbers = model.get("offline_ranges");
    const statsEntry = (model.get("offline_stats") as Record<string, PackedEntry>)[entry.layer];
    return { maps: unpack(flat, entry.maps), layer: entry.layer, range: unpack(numbers, entry.range), stats: unpack(numbers, statsEntry) };
  };
  const offlineInput = () => {
    const thumbs = model.get("thumbnails");
    const at = (model.get("strip") as number[]).indexOf(model.get("input_index"));
    return thumbs && at >= 0 ? slice(thumbs, at) : null;
  };

  // -- channel grid -------------------------------------------------------------------------------
  let layout: GridLayout | null = null;
  let maps: NDArray<Uint8Array> | null = null;
  let draws = 0;
  const drawGrid = () => {
    const shown = current();
    maps = shown.maps;
    const input = (offline && offlineInput()) || model.get("input_image");
    if (input) drawPixels(setupCanvas(inputCanvas, 96, 96), toRGBA(input), 0, 0, 96, 96);
    if (!maps) return;
    const n = maps.shape[0];
    const colormap = model.get("colormap");
    const width = Math.max(240, Math.min(600, (el.clientWidth || 900) - 420));
    layout = gridLayout(n, width, { maxCell: n <= 16 ? 96 : 64, gap: 2 });
    const ctx = setupCanvas(grid, layout.width, layout.height);
    for (let c = 0; c < n; c++) {
      const [x, y] = cellOrigin(layout, c);
      drawPixels(ctx, toRGBA(slice(maps, c), colormap), x, y, layout.cell, layout.cell);
    }
    const listed: number[] = model.get("contrast_layer") === shown.layer ? model.get("contrast_channels") : [];
    ctx.setLineDash([3, 2]);
    ctx.strokeStyle = "#ffb300";
    ctx.lineWidth = 1.5;
    for (const c of listed.slice(0, 5)) {
      if (c >= n) continue;
      const [x, y] = cellOrigin(layout, c);
      ctx.strokeRect(x + 1, y + 1, layout.cell - 2, layout.cell - 2);
    }
    ctx.setLineDash([]);
    const picked = model.get("channel");
    if (picked >= 0 && picked < n) {
      const [x, y] = cellOrigin(layout, picked);
      ctx.strokeStyle = "#ff5722";
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, layout.cell - 2, layout.cell - 2);
    }
    grid.dataset.layer = shown.layer;
    grid.dataset.draws = String(++draws);
    const [, h0, w0] = maps.shape;
    caption.textContent = `${shown.layer}: ${n} channels of ${h0}×${w0} — hover for statistics, click for details`;
    drawDetail();
  };
  // each trait of a maps result, not just `maps`: a host may deliver them in another order than Python set them (marimo does)
  frame.listen(["maps", "maps_layer", "input_image", "colormap", "channel", "contrast_channels"], drawGrid);
  if (offline) frame.listen(["layer", "input_index", "offline_index"], drawGrid);

  const channelAt = (event: MouseEvent): number => {
    if (!layout || !maps) return -1;
    const box = grid.getBoundingClientRect();
    return cellAt(layout, event.clientX - box.left, event.clientY - box.top, maps.shape[0]);
  };
  grid.addEventListener("mousemove", (event) => {
    const c = channelAt(event);
    if (c < 0) {
      tooltip.style.display = "none";
      return;
    }
    const { range, stats } = current();
    const lines = [`channel ${c}`];
    if (range) lines.push(`this input: ${fmt(range.data[c * 2])} … ${fmt(range.data[c * 2 + 1])}`);
    if (stats) {
      const [mean, max, sparsity, dead] = Array.from(stats.data.subarray(c * 4, c * 4 + 4));
      lines.push(`dataset mean ${fmt(mean)}, max ${fmt(max)}`, `zeros ${(sparsity * 100).toFixed(0)}%${dead ? " · dead" : ""}`);
    } else {
      lines.push("dataset statistics: computing…");
    }
    tooltip.textContent = lines.join("\n");
    tooltip.style.display = "block";
    const box = grid.getBoundingClientRect();
    tooltip.style.left = `${event.clientX - box.left + 12}px`;
    tooltip.style.top = `${event.clientY - box.top + 12}px`;
  });
  grid.addEventListener("mouseleave", () => (tooltip.style.display = "none"));
  grid.addEventListener("click", (event) => {
    const c = channelAt(event);
    if (c >= 0) choose({ channel: c === model.get("channel") ? -1 : c });
  });

  // -- channels that respond to a selection -------------------------------------------------------
  const drawContrast = () => {
    const channels: number[] = model.get("contrast_channels");
    const scores: number[] = model.get("contrast_scores");
    contrast.replaceChildren();
    contrast.style.display = channels.length ? "flex" : "none";
    if (!channels.length) return;
    const size: number = model.get("contrast_size");
    contrast.appendChild(h("span", {
      className: "nbviz-caption",
      text: `${model.get("contrast_layer")}: channels that respond most to the ${size} selected inputs compared with the rest (in std over the dataset):`,
    }));
    channels.forEach((c, i) => {
      const button = h("button", { className: "nbviz-layers-contrast-item", text: `#${c} ${scores[i] >= 0 ? "+" : ""}${scores[i].toFixed(2)}` });
      button.dataset.channel = String(c);
      button.title = `channel ${c}: ${scores[i].toFixed(3)} std more on the selection — click for its details`;
      button.classList.toggle("nbviz-picked", c === model.get("channel"));
      button.addEventListener("click", () => choose({ channel: c }));
      contrast.appendChild(button);
    });
  };
  frame.listen(["contrast_channels", "contrast_scores", "contrast_layer", "channel"], drawContrast);

  // -- channel detail -----------------------------------------------------------------------------
  function drawDetail() {
    const channel: number = model.get("channel");
    detail.style.display = channel >= 0 && maps ? "flex" : "none";
    detail.replaceChildren();
    if (channel < 0 || !maps || channel >= maps.shape[0]) return;
    const big = document.createElement("canvas");
    big.className = "nbviz-layers-big";
    drawPixels(setupCanvas(big, 160, 160), toRGBA(slice(maps, channel), model.get("colormap")), 0, 0, 160, 160);
    const close = h("button", { text: "close" });
    close.addEventListener("click", () => choose({ channel: -1 }));
    detail.appendChild(h("div", {}, [h("div", { text: `${model.get("maps_layer")} · channel ${channel}` }), big, close]));
    if (model.get("detail_channel") !== channel) {
      const note = offline ? "filters and top-activating images need a running kernel" : "finding the top-activating images…";
      detail.appendChild(h("div", { className: "nbviz-caption", text: note }));
      return;
    }
    const filter = model.get("filter_image");
    const kind: string = model.get("filter_kind");
    if (filter) {
      const canvas = document.createElement("canvas");
      canvas.className = "nbviz-layers-filter";
      if (kind === "rgb") {
        drawPixels(setupCanvas(canvas, 64, 64), toRGBA(filter), 0, 0, 64, 64);
      } else {
        const k = filter.shape[0];
        const fl = gridLayout(k, 160, { maxCell: 24, gap: 1 });
        const ctx = setupCanvas(canvas, fl.width, fl.height);
        for (let i = 0; i < k; i++) {
          const [x, y] = cellOrigin(fl, i);
          drawPixels(ctx, toRGBA(slice(filter, i), "coolwarm"), x, y, fl.cell, fl.cell);
        }
      }
      const note = kind === "rgb" ? "filter (RGB, grey = 0)" : `filter per input channel (${filter.shape[0]}; blue < 0 < red)`;
      detail.appendChild(h("div", {}, [h("div", { text: note }), canvas]));
    }
    const images = model.get("top_images");
    const boxes = model.get("top_boxes");
    const indices: number[] = model.get("top_indices");
    const values: number[] = model.get("top_values");
    const top = h("div", { className: "nbviz-layers-top" });
    for (let i = 0; images && i < images.shape[0]; i++) {
      const canvas = document.createElement("canvas");
      const [ih, iw] = images.shape.slice(1);
      const size = 56;
      const ctx = setupCanvas(canvas, boxes ? 2 * size + 4 : size, size);
      const pixels = toRGBA(slice(images, i));
      drawPixels(ctx, pixels, 0, 0, size, size);
      if (boxes) {
        const [r0, r1, c0, c1] = Array.from(boxes.data.subarray(i * 4, i * 4 + 4));
        ctx.strokeStyle = "#ff5722";
        ctx.lineWidth = 1.5;
        ctx.strokeRect((c0 / iw) * size, (r0 / ih) * size, ((c1 - c0) / iw) * size, ((r1 - r0) / ih) * size);
        const scratch = document.createElement("canvas");
        scratch.width = iw;
        scratch.height = ih;
        scratch.getContext("2d")!.putImageData(pixels, 0, 0);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(scratch, c0, r0, c1 - c0, r1 - r0, size + 4, 0, size, size);
      }
      const item = h("div", { className: "nbviz-layers-top-item" }, [
        canvas,
        h("div", { className: "nbviz-caption", text: `#${indices[i]}: ${fmt(values[i])}` }),
      ]);
      top.appendChild(item);
    }
    detail.appendChild(h("div", {}, [h("div", { text: boxes ? "top 9 in the dataset (receptive field boxed and cropped)" : "top 9 in the dataset" }), top]));
  }
  frame.listen(["detail_channel", "top_images", "filter_image"], drawDetail);

  // -- stats chart --------------------------------------------------------------------------------
  let bars: Summary[] = [];
  let barWidth = 0;
  const drawChart = () => {
    bars = model.get("layer_summary") as Summary[];
    if (!bars.length) return;
    const plot = 70;
    const labels = 70;
    barWidth = Math.max(8, Math.min(28, Math.floor(560 / bars.length)));
    const width = bars.length * barWidth;
    const ctx = setupCanvas(chart, width + 40, 2 * plot + labels + 16);
    const color = textColor();
    ctx.font = "10px var(--jp-ui-font-family, sans-serif)";
    ctx.fillStyle = color;
    ctx.fillText("zeros", 0, 10);
    ctx.fillText("dead", 0, plot + 18);
    bars.forEach((b, i) => {
      const x = 40 + i * barWidth;
      ctx.fillStyle = "#1976d2";
      ctx.fillRect(x + 1, 8 + plot * (1 - b.sparsity), barWidth - 2, plot * b.sparsity);
      ctx.fillStyle = "rgba(128,128,128,0.3)";
      ctx.fillRect(x + 1, plot + 16, barWidth - 2, plot);
      ctx.fillStyle = "#c62828";
      const dead = b.channels ? b.dead / b.channels : 0;
      ctx.fillRect(x + 1, plot + 16 + plot * (1 - dead), barWidth - 2, plot * dead);
      ctx.save();
      ctx.fillStyle = color;
      ctx.translate(x + barWidth / 2 + 3, 2 * plot + 20);
      ctx.rotate(Math.PI / 2);
      ctx.fillText(b.layer.length > 12 ? `…${b.layer.slice(-11)}` : b.layer, 0, 0);
      ctx.restore();
    });
    chartCaption.textContent = "sparsity (fraction of exact zeros) and dead channels (never > 0) by layer — hover a bar, click to pick";
  };
  frame.listen(["layer_summary"], drawChart);
  const barAt = (event: MouseEvent) => {
    const box = chart.getBoundingClientRect();
    const i = Math.floor((event.clientX - box.left - 40) / barWidth);
    return i >= 0 && i < bars.length ? i : -1;
  };
  chart.addEventListener("mousemove", (event) => {
    const i = barAt(event);
    chart.title = i < 0 ? "" : `${bars[i].layer}: ${(bars[i].sparsity * 100).toFixed(0)}% zeros, ${bars[i].dead} of ${bars[i].channels} channels dead`;
  });
  chart.addEventListener("click", (event) => {
    const i = barAt(event);
    if (i >= 0) choose({ layer: bars[i].layer, channel: -1 });
  });

  drawStrip();
  drawGrid();
  drawContrast();
  drawChart();
  return () => frame.dispose();
}

export default { render };
