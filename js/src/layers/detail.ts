// The channel detail: the picked channel's map large, its filter, and the top-9 dataset images with
// the receptive field boxed and cropped.
import type { NDArray } from "../lib/arrays";
import { slice } from "../lib/arrays";
import { cellOrigin, drawPixels, gridLayout, setupCanvas, toRGBA } from "../lib/canvas";
import { h } from "../lib/controls";
import { fmt, type Context } from "./context";

/** The filter of the picked channel: RGB when it reads an image, else one small map per input channel. */
function filterView(filter: NDArray<Uint8Array>, kind: string): HTMLElement {
  const canvas = document.createElement("canvas");
  canvas.className = "nbviz-layers-filter";
  if (kind === "rgb") {
    drawPixels(setupCanvas(canvas, 64, 64), toRGBA(filter), 0, 0, 64, 64);
  } else {
    const k = filter.shape[0];
    const fl = gridLayout(k, 160, { maxCell: 24, gap: 1 });
    const g = setupCanvas(canvas, fl.width, fl.height);
    for (let i = 0; i < k; i++) {
      const [x, y] = cellOrigin(fl, i);
      drawPixels(g, toRGBA(slice(filter, i), "coolwarm"), x, y, fl.cell, fl.cell);
    }
  }
  const note = kind === "rgb" ? "filter (RGB, grey = 0)" : `filter per input channel (${filter.shape[0]}; blue < 0 < red)`;
  return h("div", {}, [h("div", { text: note }), canvas]);
}

/** The top-activating images, each with its receptive field boxed and (when boxes come) cropped beside it. */
function topImages(images: NDArray<Uint8Array> | null, boxes: NDArray<Int32Array> | null, indices: number[], values: number[]): HTMLElement {
  const top = h("div", { className: "nbviz-layers-top" });
  for (let i = 0; images && i < images.shape[0]; i++) {
    const canvas = document.createElement("canvas");
    const [ih, iw] = images.shape.slice(1);
    const size = 56;
    const g = setupCanvas(canvas, boxes ? 2 * size + 4 : size, size);
    const pixels = toRGBA(slice(images, i));
    drawPixels(g, pixels, 0, 0, size, size);
    if (boxes) {
      const [r0, r1, c0, c1] = Array.from(boxes.data.subarray(i * 4, i * 4 + 4));
      g.strokeStyle = "#ff5722";
      g.lineWidth = 1.5;
      g.strokeRect((c0 / iw) * size, (r0 / ih) * size, ((c1 - c0) / iw) * size, ((r1 - r0) / ih) * size);
      const scratch = document.createElement("canvas");
      scratch.width = iw;
      scratch.height = ih;
      scratch.getContext("2d")!.putImageData(pixels, 0, 0);
      g.imageSmoothingEnabled = false;
      g.drawImage(scratch, c0, r0, c1 - c0, r1 - r0, size + 4, 0, size, size);
    }
    top.appendChild(h("div", { className: "nbviz-layers-top-item" }, [
      canvas,
      h("div", { className: "nbviz-caption", text: `#${indices[i]}: ${fmt(values[i])}` }),
    ]));
  }
  return h("div", {}, [h("div", { text: boxes ? "top 9 in the dataset (receptive field boxed and cropped)" : "top 9 in the dataset" }), top]);
}

/** The detail panel; `maps()` gives the maps the grid drew. */
export function createDetail(ctx: Context, maps: () => NDArray<Uint8Array> | null) {
  const { model, frame } = ctx;
  const root = h("div", { className: "nbviz-layers-detail" });
  const draw = () => {
    const channel = model.get("channel");
    const shown = maps();
    root.style.display = channel >= 0 && shown ? "flex" : "none";
    root.replaceChildren();
    if (channel < 0 || !shown || channel >= shown.shape[0]) return;
    const big = document.createElement("canvas");
    big.className = "nbviz-layers-big";
    drawPixels(setupCanvas(big, 160, 160), toRGBA(slice(shown, channel), model.get("colormap")), 0, 0, 160, 160);
    const close = h("button", { text: "close" });
    close.addEventListener("click", () => ctx.choose({ channel: -1 }));
    root.appendChild(h("div", {}, [h("div", { text: `${model.get("maps_layer")} · channel ${channel}` }), big, close]));
    if (model.get("detail_channel") !== channel) {
      const note = ctx.offline ? "filters and top-activating images need a running kernel" : "finding the top-activating images…";
      root.appendChild(h("div", { className: "nbviz-caption", text: note }));
      return;
    }
    const filter = model.get("filter_image");
    if (filter) root.appendChild(filterView(filter, model.get("filter_kind")));
    root.appendChild(topImages(model.get("top_images"), model.get("top_boxes"), model.get("top_indices"), model.get("top_values")));
  };
  frame.listen(["detail_channel", "top_images", "filter_image"], draw);
  return { root, draw };
}
