// The three results, each on its own canvas: activation-maximisation frames (live while optimising),
// facets beside the members of their cluster, and the input inverted from several layers.
import type { AnyModel } from "@anywidget/types";
import { slice } from "../lib/arrays";
import { drawRows, type Row } from "./rows";
import type { FeatureVisTraits } from "./traits";

export type Mode = "maximize" | "facets" | "invert";

/** One canvas per mode; `draw(mode)` draws it and returns its caption. */
export function createViews(model: AnyModel<FeatureVisTraits>, color: () => string, width: () => number) {
  const canvases: Record<Mode, HTMLCanvasElement> = {
    maximize: document.createElement("canvas"),
    facets: document.createElement("canvas"),
    invert: document.createElement("canvas"),
  };
  Object.entries(canvases).forEach(([name, c]) => (c.className = `nbviz-featurevis-${name}`));

  const drawFrames = () => {
    const frames = model.get("frames");
    if (!frames) return "optimising…";
    const units = model.get("frame_units");
    const acts = model.get("activations");
    const done = model.get("frame_final");
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
    const fit = Math.floor(((width() || 560) - 6 * perRow) / perRow);
    drawRows(canvases.maximize, rows, Math.max(32, Math.min(72, fit)), color());
    const step = model.get("frame_step");
    return done ? `${model.get("layer")}: final images after ${step} steps (caption: unit and activation)` : `${model.get("layer")}: step ${step + 1} of ${model.get("steps")}`;
  };

  const drawFacets = () => {
    const facets = model.get("facet_images");
    const members = model.get("member_images");
    if (!facets || !members) return "clustering the top-activating inputs…";
    const ids = model.get("members");
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
    const names = model.get("inversion_layers");
    const errors = model.get("inversion_errors");
    const images = [original, ...Array.from({ length: inv.shape[0] }, (_, i) => slice(inv, i))];
    drawRows(canvases.invert, [{ images, captions: ["input", ...names.map((n, i) => `${n} ${errors[i].toFixed(2)}`)] }], 96, color());
    return "input reconstructed from each layer (caption: layer and relative error ‖x−x0‖/‖x0‖)";
  };

  /** Show only `mode`'s canvas. */
  const show = (mode: string) => Object.entries(canvases).forEach(([name, c]) => (c.style.display = name === mode ? "" : "none"));
  const draw = (mode: string): string => (mode === "maximize" ? drawFrames() : mode === "facets" ? drawFacets() : drawInversion());
  return { canvases: Object.values(canvases), show, draw };
}
