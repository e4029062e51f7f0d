// Colormaps shared by every explorer: the same 256-entry tables nbviz.render uses (from matplotlib).
import { COLORMAP_HEX } from "./colormapData";

export type ColormapName = "viridis" | "magma" | "inferno" | "coolwarm" | "gray";
export const COLORMAPS = Object.keys(COLORMAP_HEX) as ColormapName[];

const cache = new Map<string, Uint8Array>();

/** 256×3 RGB lookup table of a colormap. */
export function lut(name: string): Uint8Array {
  let table = cache.get(name);
  if (!table) {
    const hex = COLORMAP_HEX[name];
    if (!hex) throw new Error(`nbviz: unknown colormap ${name}; known: ${COLORMAPS.join(", ")}`);
    table = new Uint8Array(256 * 3);
    for (let i = 0; i < table.length; i++) table[i] = parseInt(hex.substr(i * 2, 2), 16);
    cache.set(name, table);
  }
  return table;
}

/** RGB of `t` in [0, 1] (clamped) as [r, g, b] bytes. */
export function colorAt(name: string, t: number): [number, number, number] {
  const table = lut(name);
  const i = Math.max(0, Math.min(255, Math.round((Number.isFinite(t) ? t : 0) * 255))) * 3;
  return [table[i], table[i + 1], table[i + 2]];
}

/**
 * Colour `values` into RGBA pixels. uint8 values index the table directly; other values are scaled
 * from [lo, hi] (default: their extent). `alpha` is 0–255.
 */
export function colorize(
  values: ArrayLike<number>,
  name: string,
  options: { lo?: number; hi?: number; alpha?: number; out?: Uint8ClampedArray } = {},
): Uint8ClampedArray {
  const table = lut(name);
  const out = options.out ?? new Uint8ClampedArray(values.length * 4);
  const alpha = options.alpha ?? 255;
  const direct = values instanceof Uint8Array && options.lo === undefined && options.hi === undefined;
  let lo = options.lo ?? 0;
  let hi = options.hi ?? 255;
  if (!direct && (options.lo === undefined || options.hi === undefined)) {
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    lo = options.lo ?? min;
    hi = options.hi ?? max;
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const k = direct ? v : Math.max(0, Math.min(255, Math.round((v - lo) * scale)));
    const j = (Number.isFinite(k) ? k : 0) * 3;
    out[i * 4] = table[j];
    out[i * 4 + 1] = table[j + 1];
    out[i * 4 + 2] = table[j + 2];
    out[i * 4 + 3] = alpha;
  }
  return out;
}
