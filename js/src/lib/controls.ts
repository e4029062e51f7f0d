// Small UI controls and input pacing shared by explorers.

/** Call `fn` once input has been quiet for `wait` ms. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, wait: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, wait);
  };
}

/** Call `fn` at most every `wait` ms, always with the latest arguments (leading and trailing). */
export function throttle<A extends unknown[]>(fn: (...args: A) => void, wait: number): (...args: A) => void {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | undefined;
  return (...args: A) => {
    const now = Date.now();
    pending = args;
    if (now - last >= wait) {
      last = now;
      pending = undefined;
      fn(...args);
    } else if (timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        if (pending) fn(...pending);
        pending = undefined;
      }, wait - (now - last));
    }
  };
}

/** An element with text content only (never parsed as HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, props: { className?: string; text?: string; title?: string } = {}, children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title !== undefined) el.title = props.title;
  for (const child of children) el.appendChild(child);
  return el;
}

export interface SliderOptions {
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
  format?: (v: number) => string;
  onInput: (v: number) => void;
}

/** A labelled range input showing its value; `onInput` fires on every movement. */
export function slider(options: SliderOptions): { root: HTMLElement; input: HTMLInputElement; set: (v: number) => void } {
  const format = options.format ?? ((v: number) => String(v));
  const input = document.createElement("input");
  input.type = "range";
  input.min = String(options.min);
  input.max = String(options.max);
  input.step = String(options.step);
  input.value = String(options.value);
  input.setAttribute("aria-label", options.label);
  const value = h("span", { className: "nbviz-slider-value", text: format(options.value) });
  const root = h("label", { className: "nbviz-slider" }, [h("span", { text: options.label }), input, value]);
  input.addEventListener("input", () => {
    const v = Number(input.value);
    value.textContent = format(v);
    options.onInput(v);
  });
  const set = (v: number) => {
    input.value = String(v);
    value.textContent = format(v);
  };
  return { root, input, set };
}

/** A labelled <select>. */
export function select<T extends string>(
  label: string, options: readonly T[], value: T, onChange: (v: T) => void,
): { root: HTMLElement; input: HTMLSelectElement } {
  const input = document.createElement("select");
  input.setAttribute("aria-label", label);
  for (const o of options) input.appendChild(h("option", { text: o }));
  input.value = value;
  input.addEventListener("change", () => onChange(input.value as T)); // one of `options`
  return { root: h("label", { className: "nbviz-select" }, [h("span", { text: label }), input]), input };
}

/** A labelled checkbox. */
export function checkbox(label: string, value: boolean, onChange: (v: boolean) => void): { root: HTMLElement; input: HTMLInputElement } {
  const input = document.createElement("input");
  input.type = "checkbox";
  input.checked = value;
  input.setAttribute("aria-label", label);
  input.addEventListener("change", () => onChange(input.checked));
  return { root: h("label", { className: "nbviz-checkbox" }, [input, h("span", { text: label })]), input };
}
