// TSNEExplorer front end: a WebGL scatter streaming t-SNE frames, a KL curve with the shown
// iteration marked, playback and a scrubber over the frames, a legend, hover thumbnails, lasso
// selection, small multiples over perplexity, and image-map / grid views. In a handout (no kernel) the
// scrubber and playback draw the saved frames (handout_frames) in the page; run controls need a kernel.
import type { RenderProps } from "@anywidget/types";
import { slice, type NDArray } from "./lib/arrays";
import { drawPixels, setupCanvas, toRGBA } from "./lib/canvas";
import { debounce, h, select, slider, throttle } from "./lib/controls";
import { curveXAt, drawCurve } from "./lib/curve";
import { createFrame, update } from "./lib/explorer";
import { isHandout, kernelOnly } from "./lib/handout";
import { drawLegend } from "./lib/legend";
import { Scatter } from "./lib/scatter";
import { typedModel, type Binary, type BinarySpec, type ExplorerTraits, type Wire } from "./lib/model";

/** TSNEExplorer's synced traits (nbviz/widgets/tsne.py). */
export interface TSNETraits extends ExplorerTraits {
  can_run: boolean;
  class_names: string[];
  color_by: string;
  color_codes: Binary<Uint8Array>;
  color_options: string[];
  continuous: boolean;
  early_iter: number;
  exaggeration: number;
  frame: number;
  grid_note: string;
  grid_positions: Binary<Float32Array>;
  handout_extent: Binary<Float32Array>;
  handout_frames: Binary<Uint16Array>;
  init: string;
  iterations: Binary;
  kl: Binary<Float32Array>;
  knn_preservation: number | null;
  labels: Binary;
  learning_rate: number;
  legend: string[];
  live: boolean;
  max_perplexity: number;
  metrics_k: number;
  multiple_kl: number[];
  multiple_perplexities: number[];
  multiples: Binary<Float32Array>;
  n_iter: number;
  palette: Binary<Uint8Array>;
  perplexities: number[];
  perplexity: number;
  positions: Binary<Float32Array>;
  predictions: Binary;
  seed: number;
  selected: number[];
  thumbnails: Binary<Uint8Array>;
  trustworthiness: number | null;
  view: string;
}
const BINARY: BinarySpec<TSNETraits> = { color_codes: true, grid_positions: true, handout_extent: true, handout_frames: true, iterations: true, kl: true, labels: true, multiples: true, palette: true, positions: true, predictions: true, thumbnails: true };

const PLOT = { width: 540, height: 460 };
const SIDE = 270;
const THUMB = 64;

function render({ model: wire, el }: Pick<RenderProps<Wire<TSNETraits>>, "model" | "el">) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "t-SNE");
  frame.root.classList.add("nbviz-tsne");
  const canRun = () => Boolean(model.get("can_run"));

  // -- the plot -------------------------------------------------------------------------
  const tooltip = h("div", { className: "nbviz-tsne-tooltip" });
  const thumb = document.createElement("canvas");
  thumb.className = "nbviz-tsne-thumb";
  const tipText = h("div");
  tooltip.append(thumb, tipText);
  const scatter = new Scatter({
    ...PLOT,
    onHover: (i, x, y) => showTooltip(i, x, y),
    onLasso: (indices) => update(model, { selected: indices }),
    // a click picks one point; a click on empty space clears the selection
    onClick: (index) => update(model, { selected: index >= 0 ? [index] : [] }),
  });
  scatter.root.classList.add("nbviz-tsne-plot");
  scatter.root.append(tooltip);
  const hint = h("div", { className: "nbviz-caption", text: "click: select a point · shift+drag: lasso select · drag: pan · wheel: zoom · double-click: fit" });
  const plotColumn = h("div", {}, [scatter.root, hint]);

  // -- side panel: KL curve, playback, metrics, selection, legend --------------------------
  const klCanvas = document.createElement("canvas");
  klCanvas.className = "nbviz-tsne-kl";
  const play = h("button", { text: "▶ play", title: "replay the frames" });
  const back = h("button", { text: "◂", title: "previous frame" });
  const step = h("button", { text: "▸", title: "next frame" });
  const live = h("button", { text: "● live", title: "follow the newest frame" });
  const scrub = slider({ label: "frame", min: 0, max: 0, step: 1, value: 0, format: () => "", onInput: (v) => sendFrame(v) });
  scrub.input.classList.add("nbviz-tsne-scrubber");
  const iterationText = h("span", { className: "nbviz-caption" });
  const metrics = h("div", { className: "nbviz-tsne-metrics" });
  const selection = h("div", { className: "nbviz-caption" });
  const clear = h("button", { text: "clear selection" });
  clear.addEventListener("click", () => update(model, { selected: [] }));
  const legend = h("div", { className: "nbviz-legend" });
  const playback = h("div", { className: "nbviz-tsne-playback" }, [play, back, step, live]);
  const side = h("div", { className: "nbviz-tsne-side" }, [
    klCanvas, playback, scrub.root, iterationText, metrics, h("div", {}, [selection, clear]), legend,
  ]);
  side.style.width = `${SIDE}px`;
  frame.body.append(plotColumn, side);

  // -- small multiples ------------------------------------------------------------------
  const multiplesButton = h("button", { className: "nbviz-tsne-multiples-button" });
  const multiplesRow = h("div", { className: "nbviz-tsne-multiples" });
  const multiplesSection = h("div", { className: "nbviz-tsne-multiples-section" }, [multiplesButton, multiplesRow]);
  multiplesButton.addEventListener("click", () => model.send({ type: "multiples" }));
  frame.root.insertBefore(multiplesSection, frame.body.nextSibling);
  let smalls: Scatter[] = [];

  // -- controls -------------------------------------------------------------------------
  const send = debounce((values: Partial<TSNETraits>) => update(model, values), 120);
  const perplexity = slider({
    label: "perplexity", min: 2, max: Math.max(2, model.get("max_perplexity")), step: 1, value: model.get("perplexity"),
    onInput: (v) => send({ perplexity: v }),
  });
  const rate = slider({
    label: "learning rate", min: 0, max: 1000, step: 10, value: model.get("learning_rate"),
    format: (v) => (v <= 0 ? "auto" : String(v)), onInput: (v) => send({ learning_rate: v }),
  });
  const exaggeration = slider({
    label: "exaggeration", min: 1, max: 30, step: 1, value: model.get("exaggeration"), onInput: (v) => send({ exaggeration: v }),
  });
  const iterations = slider({
    label: "iterations", min: 50, max: 2000, step: 50, value: model.get("n_iter"), onInput: (v) => send({ n_iter: v }),
  });
  const seedText = h("span", { className: "nbviz-caption" });
  const newSeed = h("button", { text: "run again with another seed", title: "random start, next seed: run-to-run variance" });
  newSeed.addEventListener("click", () => model.send({ type: "new_seed" }));
  const colorBy = select("colour by", model.get("color_options"), model.get("color_by"), (v) => update(model, { color_by: v }));
  const view = select("view", ["points"], model.get("view"), (v) => update(model, { view: v }));
  view.root.classList.add("nbviz-tsne-view");
  const runControls = [perplexity.root, rate.root, exaggeration.root, iterations.root, newSeed, seedText];
  frame.controls.append(...runControls, colorBy.root, view.root);

  const handout = isHandout();
  for (const control of [perplexity.root, rate.root, exaggeration.root, iterations.root, newSeed, colorBy.root]) {
    kernelOnly(control, "needs a running kernel: the saved run stays as it is");
  }
  kernelOnly(multiplesButton, "needs a running kernel: the saved small multiples are shown below");

  const syncControls = () => {
    perplexity.input.max = String(Math.max(2, model.get("max_perplexity")));
    perplexity.set(model.get("perplexity"));
    rate.set(model.get("learning_rate"));
    exaggeration.set(model.get("exaggeration"));
    iterations.set(model.get("n_iter"));
    seedText.textContent = `seed ${model.get("seed")} · start: ${model.get("init")}`;
    const options: string[] = model.get("color_options");
    colorBy.input.replaceChildren(...options.map((o) => h("option", { text: o })));
    colorBy.input.value = model.get("color_by");
    colorBy.root.style.display = options.length > 1 ? "" : "none";
    const views = (model.get("thumbnails") ? ["points", "images", "grid"] : ["points", "grid"])
      .filter((v) => !handout || v !== "grid" || model.get("grid_positions") || model.get("view") === "grid");
    view.input.replaceChildren(...views.map((o) => h("option", { text: o })));
    view.input.value = model.get("view");
    for (const c of [...runControls, klCanvas, playback, scrub.root, multiplesSection]) c.style.display = canRun() ? "" : "none";
    // a handout lists what was saved (precompute may use other perplexities than the defaults)
    const saved: number[] = model.get("multiple_perplexities");
    const ps: number[] = handout ? saved : model.get("perplexities");
    multiplesButton.textContent = handout && !ps.length ? "small multiples: none saved" : `small multiples: perplexity ${ps.join(", ")}`;
  };
  frame.listen(
    ["perplexity", "max_perplexity", "learning_rate", "exaggeration", "n_iter", "seed", "init", "color_options", "color_by", "can_run", "perplexities", "multiple_perplexities", "view", "thumbnails"],
    syncControls,
  );
  syncControls();

  // -- frames and playback ----------------------------------------------------------------
  const sendFrame = throttle((index: number) => update(model, { live: false, frame: index }), 60);
  let timer: ReturnType<typeof setInterval> | undefined;
  const frameCount = () => model.get("iterations")?.data.length ?? 0;
  const stopPlaying = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    play.textContent = "▶ play";
  };
  play.addEventListener("click", () => {
    if (timer !== undefined) {
      stopPlaying();
      update(model, { live: false });
      return;
    }
    const n = frameCount();
    if (n < 2) return;
    let index = model.get("live") || model.get("frame") >= n - 1 ? 0 : model.get("frame");
    update(model, { live: false, frame: index });
    play.textContent = "⏸ pause";
    timer = setInterval(() => {
      index += 1;
      if (index >= frameCount()) {
        stopPlaying();
        update(model, { live: true });
        return;
      }
      update(model, { live: false, frame: index });
    }, 120);
  });
  const stepBy = (d: number) => {
    stopPlaying();
    const n = frameCount();
    if (!n) return;
    update(model, { live: false, frame: Math.max(0, Math.min(n - 1, model.get("frame") + d)) });
  };
  back.addEventListener("click", () => stepBy(-1));
  step.addEventListener("click", () => stepBy(1));
  live.addEventListener("click", () => {
    stopPlaying();
    update(model, { live: true });
  });

  const drawKL = () => {
    const its = model.get("iterations");
    const kl = model.get("kl");
    const n = its?.data.length ?? 0;
    const index = Math.min(model.get("frame"), n - 1);
    const shown = index >= 0 && its ? its.data[index] : undefined;
    drawCurve(klCanvas, its?.data ?? [], kl?.data ?? [], {
      width: SIDE, height: 130, marker: shown, shade: [0, model.get("early_iter")], title: "KL divergence (the objective)",
    });
    scrub.input.max = String(Math.max(0, n - 1));
    scrub.set(Math.max(0, index));
    live.classList.toggle("nbviz-on", Boolean(model.get("live")));
    const value = kl && index >= 0 ? kl.data[index] : NaN;
    iterationText.textContent = shown === undefined
      ? ""
      : `iteration ${shown}${Number.isFinite(value) ? ` · KL ${value.toFixed(3)}` : ""}${model.get("live") ? " (live)" : ""}`;
  };
  klCanvas.addEventListener("click", (e) => {
    const its = model.get("iterations");
    if (!its || !its.data.length) return;
    const x = curveXAt(e.offsetX, SIDE, its.data[0], its.data[its.data.length - 1]);
    let best = 0;
    for (let i = 1; i < its.data.length; i++) if (Math.abs(its.data[i] - x) < Math.abs(its.data[best] - x)) best = i;
    stopPlaying();
    update(model, { live: false, frame: best });
  });
  frame.listen(["iterations", "kl", "frame", "live", "early_iter"], drawKL);

  // -- view: points, image map, grid ----------------------------------------------------------
  const gridNote = h("div", { className: "nbviz-caption nbviz-tsne-grid-note" });
  plotColumn.append(gridNote);
  let onGrid = false;
  // saved frames (handouts): uint16 per frame over its own extent, decoded one frame at a time
  let saved: { codes: NDArray<Uint16Array>; extent: Float32Array } | null = null;
  let savedFrame: { index: number; data: Float32Array } | null = null;
  const readSaved = () => {
    const codes = model.get("handout_frames");
    const extent = model.get("handout_extent");
    saved = handout && codes && extent && codes.shape[0] === extent.shape[0] ? { codes, extent: extent.data } : null;
    savedFrame = null;
  };
  const savedPositions = (): Float32Array | null => {
    if (!saved) return null;
    const count = saved.codes.shape[0];
    const index = model.get("live") ? count - 1 : Math.max(0, Math.min(count - 1, model.get("frame")));
    if (savedFrame?.index !== index) savedFrame = { index, data: dequantise(saved.codes, saved.extent, index) };
    return savedFrame.data;
  };
  frame.listen(["handout_frames", "handout_extent"], readSaved);
  readSaved();

  const drawPositions = () => {
    const mode = model.get("view");
    const grid = mode === "grid" ? model.get("grid_positions") : null;
    const shown = savedPositions();
    const positions = grid ?? (shown ? { data: shown } : model.get("positions"));
    if (Boolean(grid) !== onGrid) {
      onGrid = Boolean(grid);
      scatter.setPositions(positions?.data ?? new Float32Array(0));
      scatter.resetView(); // the grid and the map have different extents
    } else if (positions) {
      scatter.setPositions(positions.data);
    }
    scatter.setThumbnailMode(grid ? "cells" : mode === "images" || mode === "grid" ? "map" : "off");
    gridNote.textContent = mode !== "grid" ? "" : grid ? model.get("grid_note") : "snapping to a grid…";
  };
  frame.listen(["positions", "view", "grid_positions", "grid_note"], drawPositions);
  if (saved) frame.listen(["frame", "live"], drawPositions); // no kernel answers with positions: draw the saved frame

  // -- colours, legend, selection -----------------------------------------------------------
  let hidden = new Set<number>();
  const colors = () => ({
    codes: model.get("color_codes")?.data ?? null,
    palette: model.get("palette")?.data ?? null,
  });
  const applyColors = () => {
    const { codes, palette } = colors();
    for (const s of [scatter, ...smalls]) {
      s.setColors(codes, palette);
      s.setHidden(hidden);
    }
  };
  const recolor = () => {
    hidden = new Set();
    applyColors();
    const { palette } = colors();
    drawLegend(legend, model.get("legend"), palette, hidden, (next) => {
      hidden = next;
      applyColors();
    }, model.get("continuous"));
  };
  frame.listen(["color_codes", "palette", "legend", "continuous"], recolor);

  const showSelection = () => {
    const selected: number[] = model.get("selected");
    scatter.setSelection(selected);
    selection.textContent = selected.length ? `${selected.length} selected (explorer.selected)` : "no selection";
    clear.style.display = selected.length ? "" : "none";
  };
  frame.listen(["selected"], showSelection);

  const showMetrics = () => {
    const t = model.get("trustworthiness");
    const k = model.get("knn_preservation");
    const kk = model.get("metrics_k");
    metrics.replaceChildren();
    if (t === null || t === undefined) {
      metrics.textContent = canRun() ? "neighbourhood scores: after the run" : "";
      return;
    }
    metrics.append(
      h("div", { text: `trustworthiness (k=${kk}): ${t.toFixed(3)}`, title: "1 = no false neighbours in the map" }),
      h("div", { text: `kNN preserved (k=${kk}): ${((k ?? NaN) * 100).toFixed(1)}%`, title: "share of each point's neighbours kept" }),
    );
  };
  frame.listen(["trustworthiness", "knn_preservation"], showMetrics);

  // -- hover: thumbnail and label (text only) -----------------------------------------------
  let thumbs: NDArray<Uint8Array> | null = null;
  let labels: NDArray | null = null;
  let predictions: NDArray | null = null;
  const readPointData = () => {
    thumbs = model.get("thumbnails");
    scatter.setImages(thumbs);
    labels = model.get("labels");
    predictions = model.get("predictions");
  };
  frame.listen(["thumbnails", "labels", "predictions"], readPointData);
  readPointData();
  function showTooltip(index: number, x: number, y: number) {
    if (index < 0) {
      tooltip.style.display = "none";
      return;
    }
    const names: string[] = model.get("class_names");
    const name = (v: number) => names[v] ?? String(v);
    const lines = [`#${index}`];
    if (labels) lines.push(`label: ${name(labels.data[index])}`);
    if (predictions) lines.push(`predicted: ${name(predictions.data[index])}`);
    tipText.textContent = lines.join("\n");
    if (thumbs) {
      const ctx = setupCanvas(thumb, THUMB, THUMB);
      drawPixels(ctx, toRGBA(slice(thumbs, index)), 0, 0, THUMB, THUMB);
      thumb.style.display = "block";
    } else {
      thumb.style.display = "none";
    }
    tooltip.style.display = "block";
    tooltip.style.left = `${Math.min(x + 12, PLOT.width - 90)}px`;
    tooltip.style.top = `${Math.min(y + 12, PLOT.height - 110)}px`;
  }

  // -- small multiples ----------------------------------------------------------------------
  const drawMultiples = () => {
    for (const s of smalls) s.dispose();
    smalls = [];
    multiplesRow.replaceChildren();
    const all = model.get("multiples");
    if (!all) return;
    const ps: number[] = model.get("multiple_perplexities");
    const kls: number[] = model.get("multiple_kl");
    for (let k = 0; k < all.shape[0]; k++) {
      const small = new Scatter({ width: 150, height: 150, interactive: false, webgl: false, pointSize: 2 });
      small.setPositions(slice(all, k).data);
      smalls.push(small);
      const caption = h("div", { className: "nbviz-caption", text: `perplexity ${ps[k]} · KL ${(kls[k] ?? NaN).toFixed(3)}` });
      multiplesRow.append(h("div", { className: "nbviz-tsne-small" }, [small.root, caption]));
    }
    applyColors();
  };
  frame.listen(["multiples", "multiple_perplexities", "multiple_kl"], drawMultiples);

  drawPositions();
  recolor();
  showSelection();
  showMetrics();
  drawKL();
  drawMultiples();
  return () => {
    stopPlaying();
    scatter.dispose();
    for (const s of smalls) s.dispose();
    frame.dispose();
  };
}

/** Frame `index` of (S, N, 2) uint16 codes, each frame over its extent (S × [lo x, lo y, hi x, hi y]). */
export function dequantise(codes: NDArray<Uint16Array>, extent: Float32Array, index: number): Float32Array {
  const n2 = codes.shape[1] * 2;
  const out = new Float32Array(n2);
  const src = codes.data.subarray(index * n2, (index + 1) * n2);
  const lx = extent[4 * index], ly = extent[4 * index + 1];
  const sx = (extent[4 * index + 2] - lx) / 65535, sy = (extent[4 * index + 3] - ly) / 65535;
  for (let k = 0; k < n2; k += 2) {
    out[k] = lx + src[k] * sx;
    out[k + 1] = ly + src[k + 1] * sy;
  }
  return out;
}

export default { render };
