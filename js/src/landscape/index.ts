// LandscapeExplorer front end: loss line, loss plane (heat map + contours + training path) and a
// rotatable 3-D surface. Partial grids (NaN = not computed yet) are filled for display, so the
// picture sharpens as refinement levels arrive. Log scale, hover readout and rotation are local, so they
// also work in a handout (no kernel), where the grid controls are disabled with a note.
//
// controls.ts: the controls · plane.ts: the plane and its readout · line.ts: the line and its readout.
import { countFinite } from "../lib/grid";
import { h } from "../lib/controls";
import { setupCanvas } from "../lib/canvas";
import { createFrame } from "../lib/explorer";
import { typedModel, type ExplorerProps } from "../lib/model";
import { SurfaceView } from "../lib/surface";
import { createControls } from "./controls";
import { drawLine, lineReadout } from "./line";
import { cellAt, drawPlane, MAP, planeColours, planeReadout, readPlane, type Plane } from "./plane";
import { BINARY, type LandscapeTraits } from "./traits";

export type { LandscapeTraits } from "./traits";

const WIDTH = 560;
const HEIGHT = 440;

function render({ model: wire, el }: ExplorerProps<LandscapeTraits>) {
  const model = typedModel(wire, BINARY);
  const frame = createFrame(model, el, "Loss landscape");
  const canvas = h("canvas", { className: "nbviz-landscape-canvas" });
  const readout = h("div", { className: "nbviz-landscape-readout nbviz-caption" });
  const caption = h("div", { className: "nbviz-caption" });
  frame.body.append(h("div", {}, [canvas, readout, caption]));
  const surface = new SurfaceView();
  canvas.dataset.renderer = surface.webgl ? "webgl" : "canvas2d";
  createControls(model, frame);

  let plane: Plane | null = null;
  let pinned: [number, number] | null = null; // (row, col) clicked
  const ink = () => getComputedStyle(frame.root).color;

  const draw = () => {
    plane = readPlane(model);
    const ctx = setupCanvas(canvas, WIDTH, HEIGHT);
    ctx.font = "11px var(--jp-ui-font-family, sans-serif)";
    const view = model.get("mode");
    canvas.dataset.drawn = view === "line" ? (model.get("line_loss") ? "line" : "") : plane ? view : "";
    if (view === "line") drawLine(ctx, model, MAP, ink());
    else if (plane && view === "surface") {
      const p = plane;
      surface.set({ heights: p.shown.map((v) => (p.hi > p.lo ? (v - p.lo) / (p.hi - p.lo) : 0.5)), colors: planeColours(p, false), rows: p.rows, cols: p.cols });
      surface.draw(ctx, WIDTH, HEIGHT);
    } else if (plane) drawPlane(ctx, model, plane, pinned, ink());
    caption.textContent = describe();
    canvas.dataset.span = plane ? String(plane.alphas[plane.cols - 1]) : ""; // the span drawn (browser benchmark)
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
    const variance = model.get("explained_variance");
    const pca = kind === "pca" && variance.length ? ` · PCA explains ${(100 * variance[0]).toFixed(1)}% + ${(100 * variance[1]).toFixed(1)}% of the path` : "";
    const hint = view === "surface" ? " · drag to rotate" : " · hover for values, click to pin";
    return `${kind} directions · ${done}/${total} points · ${stage}${pca}${hint}`;
  };

  const show = (i: number, j: number) => {
    if (plane) readout.textContent = planeReadout(plane, i, j, model.get("log_scale"));
  };
  const cellAtPointer = (event: MouseEvent): [number, number] | null => {
    if (!plane || model.get("mode") !== "plane") return null;
    const box = canvas.getBoundingClientRect();
    return cellAt(plane, event.clientX - box.left, event.clientY - box.top);
  };

  // -- pointer: drag rotates the surface, hover reads out, click pins a grid point -------------------
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
    if (model.get("mode") === "line") {
      const text = lineReadout(model, MAP, e.clientX - canvas.getBoundingClientRect().left);
      if (text !== null) readout.textContent = text;
      return;
    }
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

  frame.listen(["loss", "accuracy", "alphas", "betas", "path", "mode", "log_scale", "line_loss", "grid_preview", "grid_complete"], draw);
  frame.listen(["resolution", "span", "directions", "mode"], () => {
    pinned = null;
    readout.textContent = "";
  });
  draw();
  return () => frame.dispose();
}

export default { render };
