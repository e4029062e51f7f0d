// PredictionExplorer front end: image tiles with the model's top prediction, and transform sliders.
// In a handout (no kernel) the sliders step through the values precompute() stored — one transform at a
// time, the others at rest — and the tiles show the stored images and predictions.
import type { RenderProps } from "@anywidget/types";
import { slice, type NDArray } from "./lib/arrays";
import { cellOrigin, drawPixels, gridLayout, setupCanvas, toRGBA } from "./lib/canvas";
import { debounce, h, slider } from "./lib/controls";
import { createFrame, update } from "./lib/explorer";
import { isHandout, kernelOnly } from "./lib/handout";
import { typedModel, type Binary, type BinarySpec, type ExplorerTraits, type Wire } from "./lib/model";

/** PredictionExplorer's synced traits (nbviz/widgets/predictions.py). */
export interface PredictionTraits extends ExplorerTraits {
  angle: number;
  shift_x: number;
  shift_y: number;
  zoom: number;
  images: Binary<Uint8Array>;
  probabilities: Binary<Float32Array>;
  accuracy: number | null;
  class_names: string[];
  labels: number[];
  handout_params: number[][];
  handout_ladders: Record<string, number[]>;
  handout_images: Binary<Uint8Array>;
  handout_probabilities: Binary<Float32Array>;
  handout_accuracy: number[];
}
const BINARY: BinarySpec<PredictionTraits> = { images: true, probabilities: true, handout_images: true, handout_probabilities: true };

const NAMES = ["angle", "shift_x", "shift_y", "zoom"] as const;
const REST = [0, 0, 0, 1];
const LABELS = ["rotate", "shift x", "shift y", "zoom"];
const FORMATS: ((v: number) => string)[] = [(v) => `${v}°`, String, String, (v) => `${v}×`];

function render({ model: wire, el }: Pick<RenderProps<Wire<PredictionTraits>>, "model" | "el">) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Predictions");
  const canvas = document.createElement("canvas");
  canvas.className = "nbviz-predictions-canvas";
  const caption = h("div", { className: "nbviz-caption" });
  frame.body.append(h("div", {}, [canvas, caption]));

  // handout: the stored slider settings ([angle, shift_x, shift_y, zoom] per state) and their tiles
  const params: number[][] = isHandout() ? model.get("handout_params") ?? [] : [];
  const ladders: Record<string, number[]> = model.get("handout_ladders") ?? {};
  const offline = params.length
    ? {
        images: model.get("handout_images")!,
        probs: model.get("handout_probabilities")!,
        accuracy: (model.get("handout_accuracy") ?? []) as number[],
        state: 0, // the first stored state is the setting the page was saved with
      }
    : null;
  const ladder = (i: number) => ladders[NAMES[i]] ?? [REST[i]];
  const position = (i: number, v: number) => {
    const values = ladder(i);
    let best = 0;
    for (let j = 1; j < values.length; j++) if (Math.abs(values[j] - v) < Math.abs(values[best] - v)) best = j;
    return best;
  };
  /** Offline: move slider `i` to `value`; the others stay if that setting is stored, else go to rest. */
  const chooseOffline = (i: number, value: number) => {
    const wanted = params[offline!.state].slice();
    wanted[i] = value;
    const same = (p: number[], q: number[]) => p.every((v, j) => Math.abs(v - q[j]) < 1e-9);
    let state = params.findIndex((p) => same(p, wanted));
    if (state < 0) state = params.findIndex((p) => same(p, REST.map((r, j) => (j === i ? value : r))));
    if (state < 0) return;
    offline!.state = state;
    controls.forEach((c, j) => c.set(position(j, params[state][j])));
    canvas.dataset.state = params[state].join(",");
    draw();
  };

  const send = debounce((values: Partial<PredictionTraits>) => update(model, values), 40);
  const STEPS = [5, 0.05, 0.05, 0.05];
  const LIMITS = [[-180, 180], [-0.5, 0.5], [-0.5, 0.5], [0.5, 2]];
  const controls = NAMES.map((name, i) =>
    offline
      ? slider({ label: LABELS[i], min: 0, max: ladder(i).length - 1, step: 1, value: position(i, params[0][i]),
                 format: (j) => FORMATS[i](ladder(i)[j]), onInput: (j) => chooseOffline(i, ladder(i)[j]) })
      : slider({ label: LABELS[i], min: LIMITS[i][0], max: LIMITS[i][1], step: STEPS[i], value: model.get(name),
                 format: FORMATS[i], onInput: (v) => send({ [name]: v }) }),
  );
  frame.controls.append(...controls.map((c) => c.root));
  if (offline) {
    controls.forEach((c, i) => { c.root.title = `precomputed: ${ladder(i).map(FORMATS[i]).join(", ")} (one transform at a time)`; });
  } else {
    for (const c of controls) kernelOnly(c.root, "transforming the images needs a running kernel (precompute() stores a ladder of values)");
    frame.listen(NAMES, () => controls.forEach((c, i) => c.set(model.get(NAMES[i]))));
  }

  const shown = (): { images: NDArray<Uint8Array> | null; probs: NDArray<Float32Array> | null; accuracy: number | null } => {
    if (!offline) {
      return { images: model.get("images"), probs: model.get("probabilities"), accuracy: model.get("accuracy") ?? null };
    }
    const s = offline.state;
    return { images: slice(offline.images, s), probs: slice(offline.probs, s), accuracy: offline.accuracy.length ? offline.accuracy[s] : null };
  };

  const draw = () => {
    const { images, probs, accuracy } = shown();
    if (!images || !probs) return;
    const n = images.shape[0];
    const k = probs.shape[1];
    const classes: string[] = model.get("class_names");
    const labels: number[] = model.get("labels");
    const layout = gridLayout(n, Math.min(640, el.clientWidth || 640), { columns: Math.min(n, 8), maxCell: 96 });
    const labelHeight = 16;
    const rowHeight = layout.cell + labelHeight + layout.gap;
    const ctx = setupCanvas(canvas, layout.width, layout.rows * rowHeight);
    ctx.font = "11px var(--jp-ui-font-family, sans-serif)";
    for (let i = 0; i < n; i++) {
      const [x] = cellOrigin(layout, i);
      const y = Math.floor(i / layout.columns) * rowHeight;
      drawPixels(ctx, toRGBA(slice(images, i)), x, y, layout.cell, layout.cell);
      let best = 0;
      for (let c = 1; c < k; c++) if (probs.data[i * k + c] > probs.data[i * k + best]) best = c;
      const p = probs.data[i * k + best];
      const correct = labels.length ? labels[i] === best : null;
      ctx.fillStyle = correct === null ? "#1976d2" : correct ? "#2e7d32" : "#c62828";
      ctx.fillRect(x, y + layout.cell + 1, layout.cell * p, 3);
      ctx.fillStyle = getComputedStyle(frame.root).color;
      ctx.fillText(`${classes[best] ?? best} ${(p * 100).toFixed(0)}%`, x, y + layout.cell + labelHeight - 2, layout.cell);
    }
    caption.textContent = accuracy === null || accuracy === undefined ? "" : `accuracy on these images: ${(accuracy * 100).toFixed(0)}%`;
  };
  if (!offline) frame.listen(["images", "probabilities"], draw);
  draw();
  return () => frame.dispose();
}

export default { render };
