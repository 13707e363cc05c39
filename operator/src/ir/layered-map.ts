/**
 * A read-only map made of a shared, never-changed base and a small layer of edits over it (ADR 0040). A new version
 * of a map with thousands of entries where a few changed costs O(edits), not a copy of every entry: the scoped
 * layout's scopes (scoped-window.ts) and the xDS cache's resources of a type (snapshot-cache.ts) change this way
 * pass after pass. Two versions over the same base differ only in the names either layer holds
 * ({@link LayeredMap.namesChangedFrom}), so a reader that had the older version looks at those names alone.
 *
 * The layer is bounded: once it would hold more than a fraction of the base, the next version is made flat again
 * (the caller's `flat()`, in the caller's order), so reads stay two lookups and a version's cost stays amortised
 * O(edits). A version is never changed after it is made; older versions stay valid (they share the base).
 *
 * Iteration order: the base's entries in the base's order (an edited one with its new value, a deleted one left out),
 * then the names the layer added, in the order they were first added. Nobody may read a meaning into the order of
 * the maps this is used for (xDS resources by name).
 */

/** A name the layer deleted from the base. */
const GONE: unique symbol = Symbol("gone");
type Gone = typeof GONE;

/** At most this many edits over a base of `n` entries before a version is made flat again. */
function layerBound(n: number): number {
  return 32 + (n >> 5);
}

/** A map of a base and a layer of edits; see the module comment. */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    /** The edits: a value replaces or adds; {@link GONE} deletes a base entry. */
    private readonly layer: ReadonlyMap<K, V | Gone>,
    readonly size: number,
  ) {}

  /** A version with no edits over `base` (taken over: it may not be changed afterwards). */
  static flat<K, V>(base: ReadonlyMap<K, V>): LayeredMap<K, V> {
    return new LayeredMap(base, new Map(), base.size);
  }

  /**
   * `this` with `edits` applied (a value sets the name, `undefined` deletes it), as a new version; `this` stays as it
   * was. When the layer would grow past its bound, `flat()` makes the whole new content as a plain map instead (its
   * entries must be exactly this map with the edits).
   */
  edited(edits: ReadonlyMap<K, V | undefined>, flat: () => Map<K, V>): LayeredMap<K, V> {
    if (edits.size === 0) return this;
    if (this.layer.size + edits.size > layerBound(this.base.size)) return LayeredMap.flat(flat());
    const layer = new Map<K, V | Gone>(this.layer);
    let size = this.size;
    for (const [k, v] of edits) {
      const had = this.has(k);
      if (v === undefined) {
        if (!had) continue;
        size--;
        if (this.base.has(k)) layer.set(k, GONE);
        else layer.delete(k);
      } else {
        if (!had) size++;
        layer.set(k, v);
      }
    }
    return new LayeredMap(this.base, layer, size);
  }

  /**
   * The names whose value may differ between `older` and this map: undefined unless `older` is a version over the same
   * base (then every other name has the base's value in both).
   */
  namesChangedFrom(older: ReadonlyMap<K, unknown>): Set<K> | undefined {
    if (!(older instanceof LayeredMap) || older.base !== this.base) return undefined;
    const names = new Set<K>(this.layer.keys());
    for (const k of (older as LayeredMap<K, unknown>).layer.keys()) names.add(k);
    return names;
  }

  get(key: K): V | undefined {
    const v = this.layer.get(key);
    if (v === undefined) return this.base.get(key);
    return v === GONE ? undefined : v;
  }

  has(key: K): boolean {
    const v = this.layer.get(key);
    if (v === undefined) return this.base.has(key);
    return v !== GONE;
  }

  *entries(): MapIterator<[K, V]> {
    const layer = this.layer;
    for (const [k, v] of this.base) {
      const edit = layer.get(k);
      if (edit === undefined) yield [k, v];
      else if (edit !== GONE) yield [k, edit];
    }
    for (const [k, v] of layer) if (v !== GONE && !this.base.has(k)) yield [k, v];
  }

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}
