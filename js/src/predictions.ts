// PredictionExplorer front end: image tiles with the model's top prediction, and transform sliders.
import { decodeArray, slice } from "./lib/arrays";
import { cellOrigin, drawPixels, gridLayout, setupCanvas, toRGBA } from "./lib/canvas";
import { debounce, h, slider } from "./lib/controls";
import { createFrame, update, type Model } from "./lib/explorer";
import { kernelOnly } from "./lib/handout";

function render({ model, el }: { model: Model; el: HTMLElement }) {
  const frame = createFrame(model, el, "Predictions");
  const canvas = document.createElement("canvas");
  canvas.className = "nbviz-predictions-canvas";
  const caption = h("div", { className: "nbviz-caption" });
  frame.body.append(h("div", {}, [canvas, caption]));

  const send = debounce((values: Record<string, number>) => update(model, values), 40);
  const controls = [
    slider({ label: "rotate", min: -180, max: 180, step: 5, value: model.get("angle"), format: (v) => `${v}°`, onInput: (v) => send({ angle: v }) }),
    slider({ label: "shift x", min: -0.5, max: 0.5, step: 0.05, value: model.get("shift_x"), onInput: (v) => send({ shift_x: v }) }),
    slider({ label: "shift y", min: -0.5, max: 0.5, step: 0.05, value: model.get("shift_y"), onInput: (v) => send({ shift_y: v }) }),
    slider({ label: "zoom", min: 0.5, max: 2, step: 0.05, value: model.get("zoom"), format: (v) => `${v}×`, onInput: (v) => send({ zoom: v }) }),
  ];
  frame.controls.append(...controls.map((c) => c.root));
  for (const c of controls) kernelOnly(c.root, "transforming the images needs a running kernel (the model predicts each one)");
  const names = ["angle", "shift_x", "shift_y", "zoom"];
  frame.listen(names, () => controls.forEach((c, i) => c.set(model.get(names[i]))));

  const draw = () => {
    const images = decodeArray<Uint8Array>(model.get("images"));
    const probs = decodeArray<Float32Array>(model.get("probabilities"));
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
    const accuracy = model.get("accuracy");
    caption.textContent = accuracy === null || accuracy === undefined ? "" : `accuracy on these images: ${(accuracy * 100).toFixed(0)}%`;
  };
  frame.listen(["images", "probabilities"], draw);
  draw();
  return () => frame.dispose();
}

export default { render };
