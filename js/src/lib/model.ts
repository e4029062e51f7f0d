// The typed model contract between a Python explorer and its front end.
//
// Each explorer declares its synced traits once, as an interface extending `ExplorerTraits`, with binary
// array traits (Python's `nbviz.widgets._arrays.Array`) typed `Binary<…>`. `typedModel` wraps the model
// anywidget hands to `render` so that arrays are decoded here, at the boundary, once per change (like
// jupyter-scatter's `modelWithSerializers`), and every `get`/`set`/listen names a declared trait: a
// misspelt trait fails `tsc`. tests/test_trait_contract.py checks these interfaces against Python's
// `sync=True` traits, so renaming a trait on one side only fails a fast test.
import type { AnyModel, RenderProps } from "@anywidget/types";
import { decodeArray, type NDArray, type TypedArray, type WireArray } from "./arrays";

/** A binary array trait as explorers see it: decoded (a typed-array view plus shape), or `null`. */
export type Binary<T extends TypedArray = TypedArray> = NDArray<T> | null;

/** The traits every explorer has (`nbviz.widgets._base.Explorer`). */
export interface ExplorerTraits {
  progress: number;
  status: string;
  error: string;
  stale: string;
}

/** The names of `T`'s binary array traits. */
export type BinaryKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends NDArray ? K : never }[keyof T] & string;

/** `T` as it arrives from Python: binary traits still in their wire form (`{dtype, shape, chunks}`). */
export type Wire<T> = { [K in keyof T]: NonNullable<T[K]> extends NDArray ? WireArray | null : T[K] };

/** Which traits of `T` are binary arrays; a `Record` so that `tsc` refuses a missing or misspelt name. */
export type BinarySpec<T> = Record<BinaryKeys<T>, true>;

/** What anywidget passes to an explorer's `render`: the model (traits `T` in wire form) and the element. */
export type ExplorerProps<T> = Pick<RenderProps<Wire<T>>, "model" | "el">;

/** The trait names of `T`, as `listen` and `update` accept them. */
export type TraitName<T> = keyof T & string;

/**
 * Wrap anywidget's `model` so that `get` returns decoded arrays for the traits in `binary`.
 *
 * Decoding is cached per trait until Python sends a new value, so repeated `get`s share one view.
 * Binary traits are read-only in the front end: `set` on one throws.
 */
export function typedModel<T extends ExplorerTraits>(raw: AnyModel<Wire<T>>, binary: BinarySpec<T>): AnyModel<T> {
  const cache = new Map<string, { wire: WireArray | null; value: Binary }>();
  const isBinary = (key: PropertyKey): boolean => Object.prototype.hasOwnProperty.call(binary, key);
  const untyped = raw as unknown as AnyModel;
  return {
    get<K extends keyof T>(key: K): T[K] {
      const value: unknown = untyped.get(key as string);
      if (!isBinary(key)) return value as T[K];
      const wire = (value ?? null) as WireArray | null;
      const hit = cache.get(key as string);
      if (hit && hit.wire === wire) return hit.value as T[K];
      const decoded = decodeArray(wire);
      cache.set(key as string, { wire, value: decoded });
      return decoded as T[K];
    },
    set<K extends keyof T>(key: K, value: T[K]): void {
      if (isBinary(key)) throw new Error(`nbviz: the array trait ${String(key)} is sent by Python, not set in the page`);
      untyped.set(key as string, value);
    },
    on: ((event: string, callback: (...args: unknown[]) => void) => untyped.on(event, callback)) as AnyModel<T>["on"],
    off: ((event?: string | null, callback?: ((...args: unknown[]) => void) | null) => untyped.off(event, callback)) as AnyModel<T>["off"],
    save_changes: () => untyped.save_changes(),
    send: (content, callbacks, buffers) => untyped.send(content, callbacks, buffers),
    get widget_manager() {
      return untyped.widget_manager;
    },
  };
}

/** The keys of an object literal typed as its own keys (`Object.keys` widens them to `string`). */
export function keysOf<K extends string>(record: Partial<Record<K, unknown>>): K[] {
  return Object.keys(record) as K[];
}
