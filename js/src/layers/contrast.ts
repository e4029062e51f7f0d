// Channels that respond to a selection (explorer.selection): a button per channel with its score.
import { h } from "../lib/controls";
import type { Context } from "./context";

/** The contrast row and its draw function (listening to the traits it shows). */
export function createContrast(ctx: Context) {
  const { model, frame } = ctx;
  const root = h("div", { className: "nbviz-layers-contrast" });
  const draw = () => {
    const channels = model.get("contrast_channels");
    const scores = model.get("contrast_scores");
    root.replaceChildren();
    root.style.display = channels.length ? "flex" : "none";
    if (!channels.length) return;
    const size = model.get("contrast_size");
    root.appendChild(h("span", {
      className: "nbviz-caption",
      text: `${model.get("contrast_layer")}: channels that respond most to the ${size} selected inputs compared with the rest (in std over the dataset):`,
    }));
    channels.forEach((c, i) => {
      const button = h("button", { className: "nbviz-layers-contrast-item", text: `#${c} ${scores[i] >= 0 ? "+" : ""}${scores[i].toFixed(2)}` });
      button.dataset.channel = String(c);
      button.title = `channel ${c}: ${scores[i].toFixed(3)} std more on the selection — click for its details`;
      button.classList.toggle("nbviz-picked", c === model.get("channel"));
      button.addEventListener("click", () => ctx.choose({ channel: c }));
      root.appendChild(button);
    });
  };
  frame.listen(["contrast_channels", "contrast_scores", "contrast_layer", "channel"], draw);
  return { root, draw };
}
