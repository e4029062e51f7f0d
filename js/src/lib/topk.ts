// The k most probable classes as labelled bars; optionally clickable (e.g. to pick a target).
import { h } from "./controls";

export interface TopK {
  root: HTMLElement;
  /** Show the top `k` of `probabilities`; `selected` is highlighted. Class names are text only. */
  show(probabilities: ArrayLike<number> | null, names: string[], selected?: number | null): void;
}

/** Indices of the `k` largest values, largest first. */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, k);
}

export function createTopK(options: { k?: number; title?: string; onPick?: (cls: number) => void } = {}): TopK {
  const k = options.k ?? 5;
  const list = h("div", { className: "nbviz-topk-list" });
  const root = h("div", { className: "nbviz-topk" }, options.title ? [h("div", { className: "nbviz-caption", text: options.title }), list] : [list]);
  return {
    root,
    show(probabilities, names, selected = null) {
      list.replaceChildren();
      if (!probabilities) return;
      for (const c of topIndices(probabilities, k)) {
        const p = probabilities[c];
        const fill = h("span", { className: "nbviz-topk-fill" });
        fill.style.width = `${Math.round(Math.max(0, Math.min(1, p)) * 100)}%`;
        const row = h(options.onPick ? "button" : "div", { className: "nbviz-topk-row", title: names[c] ?? String(c) }, [
          h("span", { className: "nbviz-topk-name", text: names[c] ?? String(c) }),
          h("span", { className: "nbviz-topk-bar" }, [fill]),
          h("span", { className: "nbviz-topk-value", text: `${(p * 100).toFixed(1)}%` }),
        ]);
        row.dataset.class = String(c);
        if (c === selected) row.classList.add("nbviz-selected");
        if (options.onPick) row.addEventListener("click", () => options.onPick!(c));
        list.appendChild(row);
      }
    },
  };
}
