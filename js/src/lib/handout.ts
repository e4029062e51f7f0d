// Handouts: a saved HTML page with no kernel behind it. Explorers ask `isHandout()` to serve controls
// from precomputed traits and to disable (with a note) the controls that need Python.

/** True inside an nbviz handout (the page sets `globalThis.nbvizHandout = true` before widgets render). */
export function isHandout(): boolean {
  return Boolean((globalThis as { nbvizHandout?: boolean }).nbvizHandout);
}

/** In a handout, disable `control` and say why on hover; a no-op when a kernel is running. */
export function kernelOnly(control: HTMLElement, note = "needs a running kernel"): void {
  if (!isHandout()) return;
  for (const el of [control, ...Array.from(control.querySelectorAll("input, select, button, textarea"))]) {
    if ("disabled" in el) (el as HTMLInputElement).disabled = true;
  }
  control.title = note;
  control.classList.add("nbviz-kernel-only");
}
