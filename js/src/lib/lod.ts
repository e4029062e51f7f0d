// Level of detail for many thumbnails: which points get a thumbnail of `size` pixels so that no two
// overlap, visiting points in a fixed priority order (stable while zooming: a thumbnail shown at one
// zoom stays shown when zooming in). Zoomed out, a spread-out subset; zoomed in, every point.

/** A fixed pseudo-random order of 0 … n−1 (the same for the same n and seed). */
export function priorityOrder(n: number, seed = 1): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let s = seed >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Indices (in `order`) of points whose `size`×`size` squares centred on their screen positions `xy`
 * (flat x, y pairs in pixels) neither overlap each other nor lie wholly outside the `width`×`height`
 * view; `skip(i)` leaves a point out (hidden). At most `limit` are returned. A point counts as in view
 * while its centre is within `margin` pixels of the view (default `size / 2`: any part of its square
 * shows); pass the drawn thumbnail's half size when `size` is only the spacing.
 */
export function nonOverlapping(
  xy: ArrayLike<number>, order: ArrayLike<number>, size: number, width: number, height: number,
  skip: (i: number) => boolean = () => false, limit = Infinity, margin = size / 2,
): number[] {
  const out: number[] = [];
  if (!(size > 0)) return out;
  // an accepted square owns the grid cell of its centre; two centres less than `size` apart (per
  // axis) share a cell or sit in neighbouring cells, so checking the 3×3 block is enough
  const taken = new Map<number, number>();
  const cols = Math.ceil((width + 2 * margin + 2 * size) / size) + 2;
  const half = margin;
  for (let k = 0; k < order.length && out.length < limit; k++) {
    const i = order[k];
    const x = xy[2 * i], y = xy[2 * i + 1];
    if (!(x > -half && x < width + half && y > -half && y < height + half) || skip(i)) continue;
    const cx = Math.floor((x + margin + size) / size), cy = Math.floor((y + margin + size) / size);
    let free = true;
    for (let dy = -1; dy <= 1 && free; dy++) {
      for (let dx = -1; dx <= 1 && free; dx++) {
        const j = taken.get((cy + dy) * cols + cx + dx);
        if (j !== undefined && Math.abs(xy[2 * j] - x) < size && Math.abs(xy[2 * j + 1] - y) < size) free = false;
      }
    }
    if (!free) continue;
    taken.set(cy * cols + cx, i);
    out.push(i);
  }
  return out;
}
