// FeatureVisExplorer front end: layer picker, units, mode; live activation-maximisation frames with
// regulariser sliders; a facet gallery (each facet beside its members); inversion from several layers.
// In a handout (no kernel) the saved images are shown, the mode switches between the saved results and
// every control that would start an optimisation is disabled with a note.
import type { RenderProps } from "@anywidget/types";
import { slice, type NDArray } from "./lib/arrays";
import { drawPixels, setupCanvas, toRGBA } from "./lib/canvas";
import { debounce, h, select, slider } from "./lib/controls";
import { createFrame, update } from "./lib/explorer";
import { isHandout, kernelOnly } from "./lib/handout";
import { layerPicker, type LayerNode } from "./lib/layerPicker";
import { keysOf, typedModel, type Binary, type BinaryKeys, type BinarySpec, type ExplorerTraits, type Wire } from "./lib/model";

/** FeatureVisExplorer's synced traits (nbviz/widgets/featurevis.py). */
export interface FeatureVisTraits extends ExplorerTraits {
  activations: number[];
  blur_every: number;
  channels: number;
  dataset_size: number;
  facet_images: Binary<Uint8Array>;
  frame_every: number;
  frame_final: boolean;
  frame_step: number;
  frame_units: number[];
  frames: Binary<Uint8Array>;
  input_index: number;
  inversion_errors: number[];
  inversion_layers: string[];
  inversion_original: Binary<Uint8Array>;
  inversions: Binary<Uint8Array>;
  invert_layers: string[];
  k: number;
  l2: number;
  layer: string;
  member_images: Binary<Uint8Array>;
  members: number[][];
  mode: string;
  param: string;
  steps: number;
  tree: LayerNode[];
  tv: number;
  units: number[];
}
const BINARY: BinarySpec<FeatureVisTraits> = { facet_images: true, frames: true, inversion_original: true, inversions: true, member_images: true };

/** "0-3, 7" → [0, 1, 2, 3, 7] (null if not understood). */
function parseUnits(text: string): number[] | null {
  const out: number[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let u = Math.min(a, b); u <= Math.max(a, b) && out.length < 64; u++) out.push(u);
  }
  return out.length ? out : null;
}

function unitsText(units: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < units.length; ) {
    let j = i;
    while (j + 1 < units.length && units[j + 1] === units[j] + 1) j++;
    parts.push(j > i ? `${units[i]}-${units[j]}` : `${units[i]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

interface Row {
  images: NDArray<Uint8Array>[];
  captions: string[];
}

/** Rows of images with a caption under each; the first cell of a row can be larger. */
function drawRows(canvas: HTMLCanvasElement, rows: Row[], cell: number, color: string, lead = cell): void {
  const gap = 6;
  const label = 14;
  const columns = Math.max(0, ...rows.map((r) => r.images.length));
  const width = lead + (columns - 1) * cell + gap * columns;
  const rowHeight = lead + label + gap;
  const ctx = setupCanvas(canvas, Math.max(width, 1), Math.max(rows.length * rowHeight, 1));
  ctx.font = "11px var(--jp-ui-font-family, sans-serif)";
  ctx.fillStyle = color;
  rows.forEach((row, r) => {
    let x = 0;
    row.images.forEach((image, c) => {
      const size = c === 0 ? lead : cell;
      const y = r * rowHeight;
      drawPixels(ctx, toRGBA(image), x, y, size, size);
      ctx.fillText(row.captions[c] ?? "", x, y + size + label - 3, size + gap);
      x += size + gap;
    });
  });
}

function render({ model: wire, el }: Pick<RenderProps<Wire<FeatureVisTraits>>, "model" | "el">) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Feature visualisation");
  const color = () => getComputedStyle(frame.root).color;

  // -- controls ---------------------------------------------------------------------------------
  let pending: Partial<FeatureVisTraits> = {};
  const flush = debounce(() => {
    const values = pending;
    pending = {};
    update(model, values);
  }, 120);
  const send = (values: Partial<FeatureVisTraits>) => {
    Object.assign(pending, values); // several sliders moved within the debounce all count
    flush();
  };
  const saved: Record<string, BinaryKeys<FeatureVisTraits>> = { maximize: "frames", invert: "inversions", facets: "facet_images" };
  const modes = ["maximize", "invert", "facets"].filter((m) => !isHandout() || m === model.get("mode") || model.get(saved[m]) != null);
  const mode = select("mode", modes, model.get("mode"), (v) => update(model, { mode: v }));
  const param = select("param", ["fft", "pixel"], model.get("param"), (v) => update(model, { param: v }));
  const unitsInput = document.createElement("input");
  unitsInput.type = "text";
  unitsInput.className = "nbviz-featurevis-units";
  unitsInput.setAttribute("aria-label", "units");
  unitsInput.value = unitsText(model.get("units"));
  unitsInput.addEventListener("change", () => {
    const units = parseUnits(unitsInput.value);
    const count: number = model.get("channels");
    if (units && units.every((u) => u < count)) update(model, { units });
    else unitsInput.value = unitsText(model.get("units"));
  });
  const unitsBox = h("label", { className: "nbviz-select" }, [h("span", { text: "units" }), unitsInput]);
  const size = model.get("dataset_size") as number;
  const sliders: Record<"steps" | "l2" | "tv" | "blur_every" | "k" | "input_index", ReturnType<typeof slider>> = {
    steps: slider({ label: "steps", min: 8, max: 512, step: 8, value: model.get("steps"), onInput: (v) => send({ steps: v }) }),
    l2: slider({ label: "l2", min: 0, max: 2, step: 0.05, value: model.get("l2"), onInput: (v) => send({ l2: v }) }),
    tv: slider({ label: "tv", min: 0, max: 2, step: 0.05, value: model.get("tv"), onInput: (v) => send({ tv: v }) }),
    blur_every: slider({ label: "blur every", min: 0, max: 16, step: 1, value: model.get("blur_every"), format: (v) => (v ? `${v}` : "off"), onInput: (v) => send({ blur_every: v }) }),
    k: slider({ label: "facets", min: 2, max: 6, step: 1, value: model.get("k"), onInput: (v) => send({ k: v }) }),
    input_index: slider({ label: "input", min: 0, max: Math.max(0, size - 1), step: 1, value: model.get("input_index"), onInput: (v) => send({ input_index: v }) }),
  };
  frame.controls.append(mode.root, unitsBox, param.root, ...Object.values(sliders).map((s) => s.root));
  for (const control of [unitsBox, param.root, ...Object.values(sliders).map((s) => s.root)]) {
    kernelOnly(control, "needs a running kernel: the handout shows the saved images");
  }
  if (modes.length < 2) kernelOnly(mode.root, "only this mode's images were saved (precompute(modes=[...]) saves more)");
  frame.listen(keysOf(sliders), () => keysOf(sliders).forEach((k) => sliders[k].set(model.get(k))));
  frame.listen(["units"], () => (unitsInput.value = unitsText(model.get("units"))));
  frame.listen(["param"], () => (param.input.value = model.get("param")));

  // -- layout -------------------------------------------------------------------------------------
  const picker = layerPicker({ layers: model.get("tree") as LayerNode[], value: model.get("layer"), onPick: (name) => update(model, { layer: name }) });
  picker.root.classList.add("nbviz-layers-picker");
  kernelOnly(picker.root, "picking a layer needs a running kernel");
  frame.listen(["tree"], () => picker.setLayers(model.get("tree")));
  frame.listen(["layer"], () => picker.setValue(model.get("layer")));

  const canvases = {
    maximize: document.createElement("canvas"),
    facets: document.createElement("canvas"),
    invert: document.createElement("canvas"),
  };
  Object.entries(canvases).forEach(([name, c]) => (c.className = `nbviz-featurevis-${name}`));
  const caption = h("div", { className: "nbviz-caption" });
  const main = h("div", { className: "nbviz-layers-main" }, [...Object.values(canvases), caption]);
  frame.body.append(picker.root, main);

  const showMode = () => {
    const m: string = model.get("mode");
    Object.entries(canvases).forEach(([name, c]) => (c.style.display = name === m ? "" : "none"));
    mode.input.value = m;
    const visible: Record<string, string[]> = {
      maximize: ["steps", "l2", "tv", "blur_every"],
      facets: ["steps", "l2", "tv", "k"],
      invert: ["steps", "input_index"],
    };
    Object.entries(sliders).forEach(([k, s]) => (s.root.style.display = visible[m].includes(k) ? "" : "none"));
    param.root.style.display = m === "maximize" ? "" : "none";
    unitsBox.style.display = m === "invert" ? "none" : "";
    draw();
  };

  // -- drawing ------------------------------------------------------------------------------------
  const drawFrames = () => {
    const frames = model.get("frames");
    if (!frames) return "optimising…";
    const units: number[] = model.get("frame_units");
    const acts: number[] = model.get("activations");
    const done: boolean = model.get("frame_final");
    const n = frames.shape[0];
    const perRow = Math.min(n, 8);
    const rows: Row[] = [];
    for (let i = 0; i < n; i += perRow) {
      const idx = Array.from({ length: Math.min(perRow, n - i) }, (_, j) => i + j);
      rows.push({
        images: idx.map((j) => slice(frames, j)),
        captions: idx.map((j) => `#${units[j] ?? j}${done && acts[j] !== undefined ? ` ${acts[j].toPrecision(3)}` : ""}`),
      });
    }
    const fit = Math.floor(((main.clientWidth || 560) - 6 * perRow) / perRow);
    drawRows(canvases.maximize, rows, Math.max(32, Math.min(72, fit)), color());
    const step: number = model.get("frame_step");
    return done ? `${model.get("layer")}: final images after ${step} steps (caption: unit and activation)` : `${model.get("layer")}: step ${step + 1} of ${model.get("steps")}`;
  };

  const drawFacets = () => {
    const facets = model.get("facet_images");
    const members = model.get("member_images");
    if (!facets || !members) return "clustering the top-activating inputs…";
    const ids: number[][] = model.get("members");
    const rows: Row[] = [];
    for (let j = 0; j < facets.shape[0]; j++) {
      const own = slice(members, j);
      const count = ids[j]?.length ?? 0;
      rows.push({
        images: [slice(facets, j), ...Array.from({ length: count }, (_, m) => slice(own, m))],
        captions: [`facet ${j}`, ...Array.from({ length: count }, (_, m) => `#${ids[j][m]}`)],
      });
    }
    drawRows(canvases.facets, rows, 48, color(), 80);
    return `facets of unit ${model.get("units")[0]} in ${model.get("layer")}: each AM image beside members of its cluster`;
  };

  const drawInversion = () => {
    const original = model.get("inversion_original");
    const inv = model.get("inversions");
    if (!original || !inv) return "inverting…";
    const names: string[] = model.get("inversion_layers");
    const errors: number[] = model.get("inversion_errors");
    const images = [original, ...Array.from({ length: inv.shape[0] }, (_, i) => slice(inv, i))];
    drawRows(canvases.invert, [{ images, captions: ["input", ...names.map((n, i) => `${n} ${errors[i].toFixed(2)}`)] }], 96, color());
    return "input reconstructed from each layer (caption: layer and relative error ‖x−x0‖/‖x0‖)";
  };

  const draw = () => {
    const m: string = model.get("mode");
    caption.textContent = m === "maximize" ? drawFrames() : m === "facets" ? drawFacets() : drawInversion();
  };
  frame.listen(["mode"], showMode);
  frame.listen(["frames", "frame_step", "activations", "facet_images", "member_images", "inversions", "inversion_errors"], draw);
  showMode();
  return () => frame.dispose();
}

export default { render };
