// The channel grid: one feature map per channel (the picked one and those that respond to the
// selection outlined), the input beside it, a statistics tooltip on hover, click to pick a channel.
import { slice, type NDArray } from "../lib/arrays";
import { cellAt, cellOrigin, drawPixels, gridLayout, setupCanvas, toRGBA, type GridLayout } from "../lib/canvas";
import { h } from "../lib/controls";
import { fmt, type Context } from "./context";
import { shownInput, shownMaps } from "./shown";

/** The grid with its input and caption; `onDrawn` runs after each draw (the detail follows the grid). */
export function createGrid(ctx: Context, el: HTMLElement, onDrawn: () => void) {
  const { model } = ctx;
  const inputCanvas = document.createElement("canvas");
  inputCanvas.className = "nbviz-layers-input";
  const grid = document.createElement("canvas");
  grid.className = "nbviz-layers-grid";
  const tooltip = h("div", { className: "nbviz-tooltip" });
  const caption = h("div", { className: "nbviz-caption" });
  const gridBox = h("div", { className: "nbviz-layers-gridbox" }, [grid, tooltip]);
  const row = h("div", { className: "nbviz-layers-row" }, [h("div", {}, [inputCanvas, h("div", { className: "nbviz-caption", text: "input" })]), gridBox]);

  let layout: GridLayout | null = null;
  let maps: NDArray<Uint8Array> | null = null;
  let draws = 0;
  const draw = () => {
    const shown = shownMaps(ctx);
    maps = shown.maps;
    const input = shownInput(ctx);
    if (input) drawPixels(setupCanvas(inputCanvas, 96, 96), toRGBA(input), 0, 0, 96, 96);
    if (!maps) return;
    const n = maps.shape[0];
    const colormap = model.get("colormap");
    const width = Math.max(240, Math.min(600, (el.clientWidth || 900) - 420));
    layout = gridLayout(n, width, { maxCell: n <= 16 ? 96 : 64, gap: 2 });
    const g = setupCanvas(grid, layout.width, layout.height);
    for (let c = 0; c < n; c++) {
      const [x, y] = cellOrigin(layout, c);
      drawPixels(g, toRGBA(slice(maps, c), colormap), x, y, layout.cell, layout.cell);
    }
    const listed = model.get("contrast_layer") === shown.layer ? model.get("contrast_channels") : [];
    g.setLineDash([3, 2]);
    g.strokeStyle = "#ffb300";
    g.lineWidth = 1.5;
    for (const c of listed.slice(0, 5)) {
      if (c >= n) continue;
      const [x, y] = cellOrigin(layout, c);
      g.strokeRect(x + 1, y + 1, layout.cell - 2, layout.cell - 2);
    }
    g.setLineDash([]);
    const picked = model.get("channel");
    if (picked >= 0 && picked < n) {
      const [x, y] = cellOrigin(layout, picked);
      g.strokeStyle = "#ff5722";
      g.lineWidth = 2;
      g.strokeRect(x + 1, y + 1, layout.cell - 2, layout.cell - 2);
    }
    grid.dataset.layer = shown.layer;
    grid.dataset.draws = String(++draws);
    const [, h0, w0] = maps.shape;
    caption.textContent = `${shown.layer}: ${n} channels of ${h0}×${w0} — hover for statistics, click for details`;
    onDrawn();
  };

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
    const { range, stats } = shownMaps(ctx);
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
    if (c >= 0) ctx.choose({ channel: c === model.get("channel") ? -1 : c });
  });
  /** The maps drawn last (the detail shows one of them). */
  const current = () => maps;
  return { row, caption, draw, current };
}
