// The units box: a list of unit indices written as ranges ("0-3, 7").

/** "0-3, 7" → [0, 1, 2, 3, 7] (null if not understood). */
export function parseUnits(text: string): number[] | null {
  const out: number[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let u = Math.min(a, b); u <= Math.max(a, b) && out.length < 64; u++) out.push(u);
  }
  return out.length ? out : null;
}

/** [0, 1, 2, 3, 7] → "0-3, 7". */
export function unitsText(units: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < units.length; ) {
    let j = i;
    while (j + 1 < units.length && units[j + 1] === units[j] + 1) j++;
    parts.push(j > i ? `${units[i]}-${units[j]}` : `${units[i]}`);
    i = j + 1;
  }
  return parts.join(", ");
}
