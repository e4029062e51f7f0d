// The frame every explorer sits in: title, progress bar, stale-weights note and error box bound to the
// base traits.
import type { AnyModel } from "@anywidget/types";
import { h } from "./controls";
import { isHandout } from "./handout";
import type { ExplorerTraits, TraitName } from "./model";

export interface Frame<T extends ExplorerTraits = ExplorerTraits> {
  root: HTMLElement;
  controls: HTMLElement;
  body: HTMLElement;
  /** Subscribe to trait changes; undone automatically by `dispose`. */
  listen(names: readonly TraitName<T>[], callback: () => void): void;
  dispose(): void;
}

/** Build the explorer frame inside `el`; returns where to put controls and content. */
export function createFrame<T extends ExplorerTraits>(model: AnyModel<T>, el: HTMLElement, title: string): Frame<T> {
  const bar = h("div", { className: "nbviz-progress-bar" });
  const status = h("span", { className: "nbviz-status" });
  const progress = h("div", { className: "nbviz-progress" }, [bar]);
  const error = h("pre", { className: "nbviz-error" });
  // the model's weights changed under the shown results (Python's `stale`): say so, offer a refresh
  const staleText = h("span", { className: "nbviz-stale-text" });
  const refresh = h("button", { className: "nbviz-refresh", text: "Refresh", title: "recompute from the weights as they are now" });
  refresh.addEventListener("click", () => model.send({ type: "refresh" }));
  const stale = h("div", { className: "nbviz-stale" }, isHandout() ? [staleText] : [staleText, refresh]);
  const controls = h("div", { className: "nbviz-controls" });
  const body = h("div", { className: "nbviz-body" });
  const header = h("div", { className: "nbviz-header" }, [h("strong", { text: title }), status]);
  if (isHandout()) {
    const note = "a saved page with no Python kernel: what was precomputed stays interactive, greyed-out controls need a kernel";
    header.append(h("span", { className: "nbviz-handout-note", text: "Handout — precomputed views only", title: note }));
  }
  const root = h("div", { className: "nbviz-explorer" }, [header, progress, stale, controls, body, error]);
  el.appendChild(root);
  const listeners: [string, () => void][] = [];

  const showProgress = () => {
    const p = Number(model.get("progress"));
    const busy = p < 1;
    root.classList.toggle("nbviz-busy", busy);
    bar.style.width = `${Math.round(Math.max(0.02, Math.min(1, p)) * 100)}%`;
    status.textContent = busy ? String(model.get("status") || "") : "";
  };
  const showError = () => {
    const message = String(model.get("error") || "");
    error.textContent = message;
    error.style.display = message ? "block" : "none";
  };
  const showStale = () => {
    const message = String(model.get("stale") || "");
    staleText.textContent = message;
    stale.style.display = message ? "flex" : "none";
  };
  const frame: Frame<T> = {
    root,
    controls,
    body,
    listen(names, callback) {
      for (const name of names) {
        model.on(`change:${name}`, callback);
        listeners.push([`change:${name}`, callback]);
      }
    },
    dispose() {
      for (const [event, callback] of listeners) model.off(event, callback);
      root.remove();
    },
  };
  frame.listen(["progress", "status"], showProgress);
  frame.listen(["error"], showError);
  frame.listen(["stale"], showStale);
  showProgress();
  showError();
  showStale();
  return frame;
}

/** Set a trait from the front end and send it to Python. */
export function update<T extends ExplorerTraits>(model: AnyModel<T>, values: Partial<T>): void {
  for (const [k, v] of Object.entries(values)) model.set(k as keyof T, v as T[keyof T]);
  model.save_changes();
}
