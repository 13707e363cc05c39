/**
 * Where two versions of a list differ, found by reference. The stages keep unchanged objects (input objects, IR
 * objects, encoded bytes) as the same objects from pass to pass and in the same order (ADR 0013, 0018, 0030), so
 * one change to the input shows as one window of each list it reaches; comparing references from both ends finds it
 * without reading the objects themselves.
 */

/** `[from, beforeTo)` of the old list became `[from, afterTo)` of the new one; the rest is the same references. */
export interface ListWindow {
  readonly from: number;
  readonly beforeTo: number;
  readonly afterTo: number;
}

/**
 * The window of `after` that differs from `before`, comparing elements by reference from both ends; or, when a stage
 * said how it made `after` from `before` ({@link noteWindow}), that window, without reading either list.
 */
export function listWindow<T>(before: readonly T[], after: readonly T[]): ListWindow {
  if (before === after) return { from: after.length, beforeTo: after.length, afterTo: after.length };
  const id = listIds.get(before);
  if (id !== undefined) {
    // The same number: one is a copy of the other (noteCopy).
    if (listIds.get(after) === id) return { from: after.length, beforeTo: after.length, afterTo: after.length };
    const noted = notedWindows.get(after);
    if (noted !== undefined && noted.base === id) return noted.window;
  }
  const shorter = Math.min(before.length, after.length);
  const from = commonPrefix(before, after, shorter);
  const tail = commonSuffix(before, after, shorter - from);
  return { from, beforeTo: before.length - tail, afterTo: after.length - tail };
}

/**
 * Says that `after` is `before` with `[w.from, w.beforeTo)` replaced by `after`'s `[w.from, w.afterTo)` (the rest the
 * same references in the same places), so that {@link listWindow} of the two answers at once. Neither list may change
 * afterwards. The window may be wider than the elements that differ (a route taken out and put back): its users treat
 * what is inside as possibly changed. Holds no list alive: `before` is known by a number (ADR 0037).
 */
export function noteWindow(before: readonly unknown[], after: readonly unknown[], w: ListWindow): void {
  notedWindows.set(after, { base: listId(before), window: w });
}

/**
 * Says that `copy` holds `original`'s elements (a copy made to hand out): whatever {@link noteWindow} said of the
 * original, and windows against it, hold for the copy. Neither list may change afterwards.
 */
export function noteCopy(original: readonly unknown[], copy: readonly unknown[]): void {
  listIds.set(copy, listId(original));
  const noted = notedWindows.get(original);
  if (noted !== undefined) notedWindows.set(copy, noted);
}

/** The windows {@link noteWindow} was told, by the list made, with the number of the list it was made from. */
const notedWindows = new WeakMap<readonly unknown[], { readonly base: number; readonly window: ListWindow }>();
/** A number per list some list was made from (a WeakMap's value may not hold its key's base alive: no chains). */
const listIds = new WeakMap<readonly unknown[], number>();
let nextListId = 1;

/** The number of `list` in {@link listIds}, given on first use. */
function listId(list: readonly unknown[]): number {
  let id = listIds.get(list);
  if (id === undefined) listIds.set(list, (id = nextListId++));
  return id;
}

/**
 * A window built up edit by edit ({@link WindowTracker.edit}) while a new list is made from `before` by splices of
 * copies; {@link WindowTracker.window} is the window of all of them.
 */
export class WindowTracker {
  private from: number;
  private tail: number;

  constructor(private readonly beforeLength: number) {
    this.from = beforeLength;
    this.tail = beforeLength;
  }

  /** Notes an edit of the current list (`length` long) at `at`: `deleted` elements taken out, any number put in. */
  edit(length: number, at: number, deleted: number): void {
    this.from = Math.min(this.from, at);
    this.tail = Math.min(this.tail, length - at - deleted);
  }

  /** The window from the list it started with to `afterLength` long result. */
  window(afterLength: number): ListWindow {
    const from = Math.min(this.from, this.beforeLength, afterLength);
    const tail = Math.max(0, Math.min(this.tail, this.beforeLength - from, afterLength - from));
    return { from, beforeTo: this.beforeLength - tail, afterTo: afterLength - tail };
  }
}

// The two loops are functions of their own: each gets type feedback on every call, so the optimised code does not
// fall back to the interpreter (measured: one function with both loops was deoptimised on every pass, 1 µs/element).

/** How many leading elements `a` and `b` share (at most `n`). */
function commonPrefix(a: readonly unknown[], b: readonly unknown[], n: number): number {
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** How many trailing elements `a` and `b` share (at most `n`). */
function commonSuffix(a: readonly unknown[], b: readonly unknown[], n: number): number {
  const lastA = a.length - 1;
  const lastB = b.length - 1;
  let t = 0;
  while (t < n && a[lastA - t] === b[lastB - t]) t++;
  return t;
}

/**
 * What differs between two versions of a list, by reference: the elements of `before` that `after` no longer has at
 * a matching place (`removed`) and those of `after` that are new there (`added`). Within {@link listWindow}'s window,
 * a walk of both lists matches equal elements in order and takes each mismatch for a replacement, or, when one list
 * has more left and the next element matches, for an insertion or a deletion; so changes far apart (a Gateway's
 * status near the start, a new route's at the end) cost their own elements, not those between them. Linear in the
 * window; lists whose elements are all new give every element, as a first version would. Whatever the walk decides,
 * `before` without `removed` and with `added` holds the same elements as `after`.
 */
export function listEdits<T>(before: readonly T[], after: readonly T[]): { removed: T[]; added: T[] } {
  const removed: T[] = [];
  const added: T[] = [];
  const { from, beforeTo, afterTo } = listWindow(before, after);
  let i = from;
  let j = from;
  while (i < beforeTo && j < afterTo) {
    if (before[i] === after[j]) {
      i++;
      j++;
    } else if (afterTo - j > beforeTo - i && after[j + 1] === before[i]) added.push(after[j++]);
    else if (beforeTo - i > afterTo - j && before[i + 1] === after[j]) removed.push(before[i++]);
    else {
      removed.push(before[i++]);
      added.push(after[j++]);
    }
  }
  while (i < beforeTo) removed.push(before[i++]);
  while (j < afterTo) added.push(after[j++]);
  return { removed, added };
}

/**
 * Whether two lists hold the same references in the same order, reading only the window {@link listWindow} gives (a
 * noted window may hold elements that did not change); `known`: that window, when the caller has it already.
 */
export function sameReferences<T>(before: readonly T[], after: readonly T[], known?: ListWindow): boolean {
  if (before.length !== after.length) return false;
  const w = known ?? listWindow(before, after);
  for (let i = w.from; i < w.afterTo; i++) if (before[i] !== after[i]) return false;
  return true;
}

/** Whether the window changed nothing (the two lists hold the same references). */
export function unchangedWindow(w: ListWindow): boolean {
  return w.from === w.beforeTo && w.from === w.afterTo;
}

/**
 * `list` with its `[w.from, w.beforeTo)` replaced by `middle`: a new array, noted as made from `list` ({@link noteWindow}),
 * so neither may change afterwards.
 */
export function splicedWindow<T>(list: readonly T[], w: ListWindow, middle: readonly T[]): T[] {
  const out = list.slice(0, w.from).concat(middle, list.slice(w.beforeTo));
  noteWindow(list, out, w);
  return out;
}

/**
 * A value per element of a list, kept across versions of the list: a new version computes the values of the elements
 * in its changed window only (by reference: unchanged elements are the same objects, whose values `of` gives again).
 * `of` must be a pure function of the element.
 */
export class WindowedValues<T, V> {
  private items: readonly T[] = [];
  private values: readonly V[] = [];

  constructor(private readonly of: (item: T) => V) {}

  /** The value of each element of `items`, in order. */
  update(items: readonly T[]): readonly V[] {
    this.values = windowedValues(this.items, this.values, items, this.of);
    this.items = items;
    return this.values;
  }
}

/**
 * The values of `after`'s elements, from `values` (those of `before`'s, in order): `of` computes the values of the
 * window {@link listWindow} gives, the rest are kept; `values` itself when the window is empty, else a new array
 * ({@link splicedWindow}). `changed(w)`, if given, is told a window that was not empty, after its values were computed
 * (`before`'s `[w.from, w.beforeTo)` left, `after`'s `[w.from, w.afterTo)` came).
 */
export function windowedValues<T, V>(
  before: readonly T[],
  values: readonly V[],
  after: readonly T[],
  of: (item: T) => V,
  changed?: (w: ListWindow) => void,
): readonly V[] {
  const w = listWindow(before, after);
  if (unchangedWindow(w)) return values;
  const middle: V[] = [];
  for (let i = w.from; i < w.afterTo; i++) middle.push(of(after[i]));
  changed?.(w);
  return splicedWindow(values, w, middle);
}

/**
 * A state per list name (a listener's, a snapshot field's, a RouteConfiguration's), made on first use and kept for the
 * next pass; bounded: beyond `max` names it starts again (a state only saves work, so losing one costs a full pass).
 */
export class StateByName<S> {
  private readonly byName = new Map<string, S>();

  constructor(
    private readonly make: () => S,
    private readonly max = 1024,
  ) {}

  /** The state of `name`. */
  get(name: string): S {
    let state = this.byName.get(name);
    if (state === undefined) {
      if (this.byName.size >= this.max) this.byName.clear();
      this.byName.set(name, (state = this.make()));
    }
    return state;
  }
}

/** {@link WindowedValues} per list name (a listener's, a node's), bounded. */
export class WindowedByName<T, V> {
  private readonly lists: StateByName<WindowedValues<T, V>>;

  constructor(of: (item: T) => V) {
    this.lists = new StateByName(() => new WindowedValues(of));
  }

  /** The value of each element of `items`, the list named `name`, in order. */
  update(name: string, items: readonly T[]): readonly V[] {
    return this.lists.get(name).update(items);
  }
}
