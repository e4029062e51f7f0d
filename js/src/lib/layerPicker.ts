// A layer picker: a model's module tree (calls in order, with output shapes), collapsible,
// searchable and keyboard-navigable. Used by every explorer that asks "which layer?".
import { h } from "./controls";

/** One module call, as sent by Python (`LayerInfo.to_dict()` plus `selectable`). */
export interface LayerNode {
  index: number;
  name: string;
  type: string;
  depth: number;
  parent: number | null;
  is_leaf: boolean;
  params?: number;
  output_shape: number[] | null;
  /** Whether the node can be picked (default: true). */
  selectable?: boolean;
}

export interface LayerPickerOptions {
  layers: LayerNode[];
  value: string;
  onPick: (name: string) => void;
  /** Label of the search box (also its aria-label). */
  label?: string;
}

export interface LayerPicker {
  root: HTMLElement;
  /** Highlight `name` as the picked layer (does not call onPick). */
  setValue(name: string): void;
  setLayers(layers: LayerNode[]): void;
  /** The row element of a layer (for tests and scrolling). */
  rowOf(name: string): HTMLElement | undefined;
}

function shapeText(shape: number[] | null): string {
  return shape ? shape.slice(1).join("×") : "";
}

/** Build a layer picker; it owns a search box and a tree list (role=tree). */
export function layerPicker(options: LayerPickerOptions): LayerPicker {
  let layers = options.layers;
  let value = options.value;
  let active = -1; // index (into layers) of the keyboard cursor
  const collapsed = new Set<number>();
  const rows = new Map<number, HTMLElement>();

  const search = document.createElement("input");
  search.type = "search";
  search.placeholder = "search layers";
  search.setAttribute("aria-label", options.label ?? "search layers");
  search.className = "nbviz-picker-search";
  const list = h("div", { className: "nbviz-picker-list" });
  list.tabIndex = 0;
  list.setAttribute("role", "tree");
  list.setAttribute("aria-label", "layers");
  const root = h("div", { className: "nbviz-picker" }, [search, list]);

  const hasChildren = (i: number) => i + 1 < layers.length && layers[i + 1].parent === layers[i].index;
  const selectable = (i: number) => layers[i].selectable !== false;

  /** Indices of the rows shown: search matches with their ancestors, minus collapsed subtrees. */
  const visible = (): number[] => {
    const query = search.value.trim().toLowerCase();
    const byIndex = new Map(layers.map((l, i) => [l.index, i]));
    const ancestors = (i: number): number[] => {
      const out: number[] = [];
      for (let p = layers[i].parent; p !== null && p !== undefined; p = layers[byIndex.get(p)!].parent) out.push(byIndex.get(p)!);
      return out;
    };
    if (query) {
      const keep = new Set<number>();
      layers.forEach((l, i) => {
        if (`${l.name} ${l.type}`.toLowerCase().includes(query)) {
          keep.add(i);
          ancestors(i).forEach((a) => keep.add(a));
        }
      });
      return layers.map((_, i) => i).filter((i) => keep.has(i));
    }
    return layers.map((_, i) => i).filter((i) => !ancestors(i).some((a) => collapsed.has(a)));
  };

  const paint = () => {
    for (const [i, row] of rows) {
      row.classList.toggle("nbviz-picked", layers[i].name === value);
      row.classList.toggle("nbviz-active", i === active);
      row.setAttribute("aria-selected", String(layers[i].name === value));
    }
    rows.get(active)?.scrollIntoView?.({ block: "nearest" });
  };

  const build = () => {
    list.replaceChildren();
    rows.clear();
    const shown = visible();
    if (!shown.includes(active)) active = shown.find((i) => layers[i].name === value) ?? shown[0] ?? -1;
    for (const i of shown) {
      const l = layers[i];
      const toggle = h("span", { className: "nbviz-picker-toggle", text: hasChildren(i) ? (collapsed.has(i) && !search.value ? "▸" : "▾") : "" });
      const row = h("div", { className: "nbviz-picker-row", title: `${l.name} (${l.type})` }, [
        toggle,
        h("span", { className: "nbviz-picker-name", text: l.name.split(".").pop() || l.name }),
        h("span", { className: "nbviz-picker-type", text: l.type }),
        h("span", { className: "nbviz-picker-shape", text: shapeText(l.output_shape) }),
      ]);
      row.style.paddingLeft = `${4 + 12 * l.depth}px`;
      row.setAttribute("role", "treeitem");
      row.dataset.layer = l.name;
      if (!selectable(i)) row.classList.add("nbviz-disabled");
      if (hasChildren(i)) row.setAttribute("aria-expanded", String(!collapsed.has(i)));
      toggle.addEventListener("click", (event) => {
        event.stopPropagation();
        toggleNode(i);
      });
      row.addEventListener("click", () => {
        active = i;
        pick(i);
      });
      list.appendChild(row);
      rows.set(i, row);
    }
    paint();
  };

  const toggleNode = (i: number, open?: boolean) => {
    if (!hasChildren(i)) return;
    const isOpen = !collapsed.has(i);
    if (open === undefined ? isOpen : !open) collapsed.add(i);
    else collapsed.delete(i);
    build();
  };

  const pick = (i: number) => {
    if (i < 0 || !selectable(i)) return;
    value = layers[i].name;
    paint();
    options.onPick(value);
  };

  const move = (step: number) => {
    const shown = visible();
    if (!shown.length) return;
    const at = shown.indexOf(active);
    active = shown[Math.max(0, Math.min(shown.length - 1, at < 0 ? 0 : at + step))];
    paint();
  };

  const onKey = (event: KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(1),
      ArrowUp: () => move(-1),
      ArrowRight: () => toggleNode(active, true),
      ArrowLeft: () => toggleNode(active, false),
      Home: () => move(-Infinity),
      End: () => move(Infinity),
      Enter: () => pick(active),
    };
    const action = keys[event.key];
    if (!action || (event.target === search && (event.key === "ArrowLeft" || event.key === "ArrowRight"))) return;
    event.preventDefault();
    event.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the picker
    action();
  };
  list.addEventListener("keydown", onKey);
  search.addEventListener("keydown", onKey);
  search.addEventListener("input", build);

  build();
  return {
    root,
    setValue(name) {
      value = name;
      paint();
    },
    setLayers(next) {
      layers = next;
      collapsed.clear();
      build();
    },
    rowOf(name) {
      for (const [i, row] of rows) if (layers[i].name === name) return row;
      return undefined;
    },
  };
}
