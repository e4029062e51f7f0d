// The KL curve with the shown iteration marked, playback (play, step, live) and the frame scrubber.
// With a kernel a chosen frame goes to Python (`frame`, `live`), which answers with its positions; in a
// handout the plot draws the saved frame itself.
import type { AnyModel } from "@anywidget/types";
import { h, slider, throttle } from "../lib/controls";
import { curveXAt, drawCurve } from "../lib/curve";
import { update, type Frame } from "../lib/explorer";
import type { TSNETraits } from "./traits";

export interface Playback {
  /** The curve, the buttons, the scrubber and the iteration caption, in order. */
  elements: HTMLElement[];
  /** Draw the curve, the scrubber and the caption for the frame on show. */
  draw(): void;
  /** Stop playing (when the explorer is disposed). */
  stop(): void;
}

/** Playback over the frames, `width` wide; listens to the traits it shows. */
export function createPlayback(model: AnyModel<TSNETraits>, frame: Frame<TSNETraits>, width: number): Playback {
  const klCanvas = document.createElement("canvas");
  klCanvas.className = "nbviz-tsne-kl";
  const play = h("button", { text: "▶ play", title: "replay the frames" });
  const back = h("button", { text: "◂", title: "previous frame" });
  const step = h("button", { text: "▸", title: "next frame" });
  const live = h("button", { text: "● live", title: "follow the newest frame" });
  const sendFrame = throttle((index: number) => update(model, { live: false, frame: index }), 60);
  const scrub = slider({ label: "frame", min: 0, max: 0, step: 1, value: 0, format: () => "", onInput: (v) => sendFrame(v) });
  scrub.input.classList.add("nbviz-tsne-scrubber");
  const iterationText = h("span", { className: "nbviz-caption" });
  const stopText = h("div", { className: "nbviz-caption nbviz-tsne-stop" });
  const buttons = h("div", { className: "nbviz-tsne-playback" }, [play, back, step, live]);
  const runOnly = [klCanvas, buttons, scrub.root, stopText];
  const showIfRunnable = () => runOnly.forEach((c) => (c.style.display = model.get("can_run") ? "" : "none"));
  frame.listen(["can_run"], showIfRunnable);
  showIfRunnable();

  let timer: ReturnType<typeof setInterval> | undefined;
  const frameCount = () => model.get("iterations")?.data.length ?? 0;
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    play.textContent = "▶ play";
  };
  play.addEventListener("click", () => {
    if (timer !== undefined) {
      stop();
      update(model, { live: false });
      return;
    }
    const n = frameCount();
    if (n < 2) return;
    let index = model.get("live") || model.get("frame") >= n - 1 ? 0 : model.get("frame");
    update(model, { live: false, frame: index });
    play.textContent = "⏸ pause";
    timer = setInterval(() => {
      index += 1;
      if (index >= frameCount()) {
        stop();
        update(model, { live: true });
        return;
      }
      update(model, { live: false, frame: index });
    }, 120);
  });
  const stepBy = (d: number) => {
    stop();
    const n = frameCount();
    if (!n) return;
    update(model, { live: false, frame: Math.max(0, Math.min(n - 1, model.get("frame") + d)) });
  };
  back.addEventListener("click", () => stepBy(-1));
  step.addEventListener("click", () => stepBy(1));
  live.addEventListener("click", () => {
    stop();
    update(model, { live: true });
  });

  const draw = () => {
    const its = model.get("iterations");
    const kl = model.get("kl");
    const n = its?.data.length ?? 0;
    const index = Math.min(model.get("frame"), n - 1);
    const shown = index >= 0 && its ? its.data[index] : undefined;
    drawCurve(klCanvas, its?.data ?? [], kl?.data ?? [], {
      width, height: 130, marker: shown, shade: [0, model.get("early_iter")], title: "KL divergence (the objective)",
    });
    scrub.input.max = String(Math.max(0, n - 1));
    scrub.set(Math.max(0, index));
    live.classList.toggle("nbviz-on", Boolean(model.get("live")));
    const value = kl && index >= 0 ? kl.data[index] : NaN;
    iterationText.textContent = shown === undefined
      ? ""
      : `iteration ${shown}${Number.isFinite(value) ? ` · KL ${value.toFixed(3)}` : ""}${model.get("live") ? " (live)" : ""}`;
    stopText.textContent = stopNote(model.get("converged_at"), model.get("last_iteration"));
  };
  klCanvas.addEventListener("click", (e) => {
    const its = model.get("iterations");
    if (!its || !its.data.length) return;
    const x = curveXAt(e.offsetX, width, its.data[0], its.data[its.data.length - 1]);
    let best = 0;
    for (let i = 1; i < its.data.length; i++) if (Math.abs(its.data[i] - x) < Math.abs(its.data[best] - x)) best = i;
    stop();
    update(model, { live: false, frame: best });
  });
  frame.listen(["iterations", "kl", "frame", "live", "early_iter", "converged_at", "last_iteration"], draw);

  return { elements: [klCanvas, buttons, scrub.root, iterationText, stopText], draw, stop };
}

/** How the map on screen's run ended: at convergence, at the iteration limit, or "" while it runs. */
export function stopNote(convergedAt: number | null | undefined, lastIteration: number | null | undefined): string {
  if (convergedAt !== null && convergedAt !== undefined) return `converged at iteration ${convergedAt}`;
  if (lastIteration !== null && lastIteration !== undefined) return `stopped at the iteration limit (${lastIteration})`;
  return "";
}
