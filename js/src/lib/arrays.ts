// Decoding of arrays sent by nbviz.widgets._arrays: {dtype, shape, chunks: DataView[]}.

export type TypedArray =
  | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array  ;

export interface NDArray<T extends TypedArray = TypedArray> {
  data: T;
  shape: number[];
  dtype: string;
}

export interface WireArray {
  dtype: string;
  shape: number[];
  chunks: (DataView | ArrayBuffer | Uint8Array)[];
}

const CONSTRUCTORS: Record<string, new (buffer: ArrayBuffer, offset?: number, length?: number) => TypedArray> = {
  float32: Float32Array,
  float16: Uint16Array, // raw half floats; see halfToFloat
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint32: Uint32Array,
  uint16: Uint16Array,
  uint8: Uint8Array,
};

function bytesOf(chunk: DataView | ArrayBuffer | Uint8Array): Uint8Array {
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Turn a wire array into a typed array view plus shape; `null` stays `null`. */
export function decodeArray<T extends TypedArray = TypedArray>(wire: WireArray | null | undefined): NDArray<T> | null {
  if (!wire) return null;
  const Ctor = CONSTRUCTORS[wire.dtype];
  if (!Ctor) throw new Error(`nbviz: unsupported dtype ${wire.dtype}`);
  const parts = wire.chunks.map(bytesOf);
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const size = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  let bytes: Uint8Array;
  if (parts.length === 1 && parts[0].byteOffset % size === 0) {
    bytes = parts[0];
  } else {
    bytes = new Uint8Array(total); // join chunks (and realign) into one buffer
    let offset = 0;
    for (const p of parts) {
      bytes.set(p, offset);
      offset += p.byteLength;
    }
  }
  const data = new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, total / size) as T;
  const expected = wire.shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`nbviz: array of shape [${wire.shape.join(",")}] has ${data.length} values`);
  return { data, shape: wire.shape, dtype: wire.dtype };
}

/** A float16 bit pattern to a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** The `index`-th item along the first axis, as a view. */
export function slice<T extends TypedArray>(arr: NDArray<T>, index: number): NDArray<T> {
  const inner = arr.shape.slice(1);
  const size = inner.reduce((a, b) => a * b, 1);
  const data = arr.data.subarray(index * size, (index + 1) * size) as T;
  return { data, shape: inner, dtype: arr.dtype };
}

/** Minimum and maximum of the finite values. */
export function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}
