// The stats chart: sparsity (fraction of exact zeros) and dead channels by layer; hover a bar for its
// numbers, click to pick its layer.
import { setupCanvas } from "../lib/canvas";
import { h } from "../lib/controls";
import type { Context } from "./context";
import type { Summary } from "./traits";

/** The chart with its caption, and its draw function (listening to layer_summary). */
export function createChart(ctx: Context, textColor: () => string) {
  const { model, frame } = ctx;
  const chart = document.createElement("canvas");
  chart.className = "nbviz-layers-chart";
  const caption = h("div", { className: "nbviz-caption", text: "computing sparsity and dead channels…" });
  const root = h("div", { className: "nbviz-layers-stats" }, [chart, caption]);
  let bars: Summary[] = [];
  let barWidth = 0;
  const draw = () => {
    bars = model.get("layer_summary");
    if (!bars.length) return;
    const plot = 70;
    const labels = 70;
    barWidth = Math.max(8, Math.min(28, Math.floor(560 / bars.length)));
    const width = bars.length * barWidth;
    const g = setupCanvas(chart, width + 40, 2 * plot + labels + 16);
    const color = textColor();
    g.font = "10px var(--jp-ui-font-family, sans-serif)";
    g.fillStyle = color;
    g.fillText("zeros", 0, 10);
    g.fillText("dead", 0, plot + 18);
    bars.forEach((b, i) => {
      const x = 40 + i * barWidth;
      g.fillStyle = "#1976d2";
      g.fillRect(x + 1, 8 + plot * (1 - b.sparsity), barWidth - 2, plot * b.sparsity);
      g.fillStyle = "rgba(128,128,128,0.3)";
      g.fillRect(x + 1, plot + 16, barWidth - 2, plot);
      g.fillStyle = "#c62828";
      const dead = b.channels ? b.dead / b.channels : 0;
      g.fillRect(x + 1, plot + 16 + plot * (1 - dead), barWidth - 2, plot * dead);
      g.save();
      g.fillStyle = color;
      g.translate(x + barWidth / 2 + 3, 2 * plot + 20);
      g.rotate(Math.PI / 2);
      g.fillText(b.layer.length > 12 ? `…${b.layer.slice(-11)}` : b.layer, 0, 0);
      g.restore();
    });
    caption.textContent = "sparsity (fraction of exact zeros) and dead channels (never > 0) by layer — hover a bar, click to pick";
  };
  frame.listen(["layer_summary"], draw);
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
    if (i >= 0) ctx.choose({ layer: bars[i].layer, channel: -1 });
  });
  return { root, draw };
}
