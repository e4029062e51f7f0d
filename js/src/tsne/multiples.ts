// Small multiples: the same data embedded at several perplexities, side by side under the plot.
import type { AnyModel } from "@anywidget/types";
import { slice } from "../lib/arrays";
import { h } from "../lib/controls";
import type { Frame } from "../lib/explorer";
import { kernelOnly } from "../lib/handout";
import { Scatter } from "../lib/scatter";
import type { TSNETraits } from "./traits";

export interface Multiples {
  root: HTMLElement;
  /** The small plots on show. */
  scatters(): Scatter[];
  /** Rebuild the small plots from the model, then call `onDrawn` (to colour them). */
  draw(): void;
  dispose(): void;
}

/** The small-multiples section: a button that asks Python for them and a row of small plots. */
export function createMultiples(model: AnyModel<TSNETraits>, frame: Frame<TSNETraits>, handout: boolean, onDrawn: () => void): Multiples {
  const button = h("button", { className: "nbviz-tsne-multiples-button" });
  const row = h("div", { className: "nbviz-tsne-multiples" });
  const root = h("div", { className: "nbviz-tsne-multiples-section" }, [button, row]);
  button.addEventListener("click", () => model.send({ type: "multiples" }));
  kernelOnly(button, "needs a running kernel: the saved small multiples are shown below");
  let smalls: Scatter[] = [];

  const showButton = () => {
    root.style.display = model.get("can_run") ? "" : "none";
    // a handout lists what was saved (precompute may use other perplexities than the defaults)
    const ps = handout ? model.get("multiple_perplexities") : model.get("perplexities");
    button.textContent = handout && !ps.length ? "small multiples: none saved" : `small multiples: perplexity ${ps.join(", ")}`;
  };
  frame.listen(["can_run", "perplexities", "multiple_perplexities"], showButton);
  showButton();

  const dispose = () => {
    for (const s of smalls) s.dispose();
    smalls = [];
  };
  const draw = () => {
    dispose();
    row.replaceChildren();
    const all = model.get("multiples");
    if (!all) return;
    const ps = model.get("multiple_perplexities");
    const kls = model.get("multiple_kl");
    for (let k = 0; k < all.shape[0]; k++) {
      const small = new Scatter({ width: 150, height: 150, interactive: false, webgl: false, pointSize: 2 });
      small.setPositions(slice(all, k).data);
      smalls.push(small);
      const caption = h("div", { className: "nbviz-caption", text: `perplexity ${ps[k]} · KL ${(kls[k] ?? NaN).toFixed(3)}` });
      row.append(h("div", { className: "nbviz-tsne-small" }, [small.root, caption]));
    }
    onDrawn();
  };
  frame.listen(["multiples", "multiple_perplexities", "multiple_kl"], draw);
  return { root, scatters: () => smalls, draw, dispose };
}
