// The run controls (perplexity, learning rate, exaggeration, iterations, another seed) and the
// colour-by and view pickers. Run controls need a kernel and hide when the explorer cannot run.
import type { AnyModel } from "@anywidget/types";
import { debounce, h, select, slider } from "../lib/controls";
import { update, type Frame } from "../lib/explorer";
import { kernelOnly } from "../lib/handout";
import type { TSNETraits } from "./traits";

/** Add the controls to `frame.controls` and keep them in step with the model. */
export function createControls(model: AnyModel<TSNETraits>, frame: Frame<TSNETraits>, handout: boolean): void {
  const send = debounce((values: Partial<TSNETraits>) => update(model, values), 120);
  const perplexity = slider({
    label: "perplexity", min: 2, max: Math.max(2, model.get("max_perplexity")), step: 1, value: model.get("perplexity"),
    onInput: (v) => send({ perplexity: v }),
  });
  const rate = slider({
    label: "learning rate", min: 0, max: 1000, step: 10, value: model.get("learning_rate"),
    format: (v) => (v <= 0 ? "auto" : String(v)), onInput: (v) => send({ learning_rate: v }),
  });
  const exaggeration = slider({
    label: "exaggeration", min: 1, max: 30, step: 1, value: model.get("exaggeration"), onInput: (v) => send({ exaggeration: v }),
  });
  const iterations = slider({
    label: "iterations", min: 50, max: 2000, step: 50, value: model.get("n_iter"), onInput: (v) => send({ n_iter: v }),
  });
  const seedText = h("span", { className: "nbviz-caption" });
  const newSeed = h("button", { text: "run again with another seed", title: "random start, next seed: run-to-run variance" });
  newSeed.addEventListener("click", () => model.send({ type: "new_seed" }));
  const colorBy = select("colour by", model.get("color_options"), model.get("color_by"), (v) => update(model, { color_by: v }));
  const view = select("view", ["points"], model.get("view"), (v) => update(model, { view: v }));
  view.root.classList.add("nbviz-tsne-view");
  const runControls = [perplexity.root, rate.root, exaggeration.root, iterations.root, newSeed, seedText];
  frame.controls.append(...runControls, colorBy.root, view.root);
  for (const control of [perplexity.root, rate.root, exaggeration.root, iterations.root, newSeed, colorBy.root]) {
    kernelOnly(control, "needs a running kernel: the saved run stays as it is");
  }

  const sync = () => {
    perplexity.input.max = String(Math.max(2, model.get("max_perplexity")));
    perplexity.set(model.get("perplexity"));
    rate.set(model.get("learning_rate"));
    exaggeration.set(model.get("exaggeration"));
    iterations.set(model.get("n_iter"));
    seedText.textContent = `seed ${model.get("seed")} · start: ${model.get("init")}`;
    const options = model.get("color_options");
    colorBy.input.replaceChildren(...options.map((o) => h("option", { text: o })));
    colorBy.input.value = model.get("color_by");
    colorBy.root.style.display = options.length > 1 ? "" : "none";
    const views = (model.get("thumbnails") ? ["points", "images", "grid"] : ["points", "grid"])
      .filter((v) => !handout || v !== "grid" || model.get("grid_positions") || model.get("view") === "grid");
    view.input.replaceChildren(...views.map((o) => h("option", { text: o })));
    view.input.value = model.get("view");
    for (const c of runControls) c.style.display = model.get("can_run") ? "" : "none";
  };
  frame.listen(
    ["perplexity", "max_perplexity", "learning_rate", "exaggeration", "n_iter", "seed", "init", "color_options", "color_by", "can_run", "view", "thumbnails"],
    sync,
  );
  sync();
}
