// A legend of coloured categories with show/hide toggles, or a colour bar for continuous values.
import { h } from "./controls";

function rgb(palette: Uint8Array, i: number): string {
  return `rgb(${palette[i * 3]},${palette[i * 3 + 1]},${palette[i * 3 + 2]})`;
}

/**
 * Fill `root` with one toggle per name (text only, never HTML); `onToggle` gets the set of hidden
 * indices. For `continuous`, `names` are [low, high] and a gradient bar is shown instead.
 */
export function drawLegend(
  root: HTMLElement, names: string[], palette: Uint8Array | null, hidden: Set<number>,
  onToggle: (hidden: Set<number>) => void, continuous = false,
): void {
  root.replaceChildren();
  if (!palette || !names.length) return;
  if (continuous) {
    const k = Math.floor(palette.length / 3);
    const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `${rgb(palette, Math.round(t * (k - 1)))} ${t * 100}%`);
    const bar = h("span", { className: "nbviz-legend-bar" });
    bar.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
    root.append(h("span", { text: names[0] }), bar, h("span", { text: names[1] ?? "" }));
    return;
  }
  const k = Math.floor(palette.length / 3);
  names.forEach((name, i) => {
    const swatch = h("span", { className: "nbviz-legend-swatch" });
    swatch.style.background = rgb(palette, i % Math.max(k, 1));
    const item = h("button", { className: "nbviz-legend-item", title: `show/hide ${name}` }, [swatch, h("span", { text: name })]);
    item.classList.toggle("nbviz-legend-off", hidden.has(i));
    item.addEventListener("click", () => {
      if (hidden.has(i)) hidden.delete(i);
      else hidden.add(i);
      item.classList.toggle("nbviz-legend-off", hidden.has(i));
      onToggle(hidden);
    });
    root.append(item);
  });
}
