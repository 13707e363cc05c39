/**
 * Pure status merging for the status writer: the translator's desired status merged into the live one,
 * keeping other controllers' route parents and policy ancestors, the conditions whose types other
 * controllers own (on GatewayClasses, Gateways, listeners, ListenerSets, ...), and each condition's
 * lastTransitionTime while its status does not change.
 */

import { CondType } from "../translate/conditions";

type Json = unknown;
type Obj = Record<string, Json>;

function isObject(v: Json): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

interface Cond extends Obj {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

/** The condition types this controller writes (Gateway API's vocabulary as far as we report it). */
const OWNED_TYPES: ReadonlySet<string> = new Set(Object.values(CondType));

/**
 * Conditions with lastTransitionTime: the live one's while the status is the same, else `now`.
 */
export function withTransitionTimes(desired: readonly Cond[], live: Json, now: string): Cond[] {
  const before = new Map<string, Cond>();
  if (Array.isArray(live)) for (const c of live as Cond[]) if (isObject(c)) before.set(c.type, c);
  return desired.map((c) => {
    const prev = before.get(c.type);
    const time = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { ...c, lastTransitionTime: time };
  });
}

/**
 * The conditions list to write, as the spec asks of a `listType=map` conditions list: in the live order,
 * each live condition of a type we own replaced by ours (or dropped when we no longer report it), each
 * condition of a type we are not responsible for (another controller's, e.g. `special.io/SomeField`) kept
 * exactly as it is; then our new types, in our order.
 */
export function mergeConditions(desired: readonly Cond[], live: Json, now: string): Cond[] {
  const ours = new Map(withTransitionTimes(desired, live, now).map((c) => [c.type, c]));
  const out: Cond[] = [];
  for (const c of Array.isArray(live) ? (live as Json[]) : []) {
    if (!isObject(c) || typeof c.type !== "string") continue;
    const mine = ours.get(c.type);
    if (mine) {
      out.push(mine);
      ours.delete(c.type);
    } else if (!OWNED_TYPES.has(c.type)) out.push(c as Cond);
  }
  return [...out, ...ours.values()];
}

/** Recursively stamps every `conditions` list in `desired`, pairing list items with live ones by `keyOf`. */
function stamp(desired: Json, live: Json, now: string): Json {
  if (Array.isArray(desired)) {
    const liveList = Array.isArray(live) ? live : [];
    return desired.map((item) =>
      stamp(
        item,
        liveList.find((l) => sameEntry(item, l)),
        now,
      ),
    );
  }
  if (!isObject(desired)) return desired;
  const liveObj = isObject(live) ? live : {};
  const out: Obj = {};
  for (const [key, value] of Object.entries(desired)) {
    out[key] =
      key === "conditions" && Array.isArray(value)
        ? mergeConditions(value as Cond[], liveObj[key], now)
        : stamp(value, liveObj[key], now);
  }
  return out;
}

/**
 * Whether two status list entries are the same entry: listeners by name, route parents and policy ancestors
 * by controller and reference (compared as JSON); anything else never is.
 */
function sameEntry(a: Json, b: Json): boolean {
  if (!isObject(a) || !isObject(b)) return false;
  const listenerA = isListenerEntry(a);
  if (listenerA || isListenerEntry(b)) return listenerA && isListenerEntry(b) && a.name === b.name;
  const refA = a.parentRef ?? a.ancestorRef;
  const refB = b.parentRef ?? b.ancestorRef;
  if (!isObject(refA) || !isObject(refB)) return false;
  return String(a.controllerName ?? "") === String(b.controllerName ?? "") && sameJson(refA, refB);
}

/** A listener's status entry: a name and conditions. */
const isListenerEntry = (e: Obj): boolean => typeof e.name === "string" && Array.isArray(e.conditions);

/** Lists of entries shared between controllers, each entry owned by its `controllerName`. */
const SHARED_LISTS = ["parents", "ancestors"];

/**
 * The status to write: `desired` (ours) with lastTransitionTimes carried over from `live` and other
 * controllers' conditions kept (see mergeConditions), and the entries other controllers own in
 * `parents`/`ancestors` kept untouched, in place: the live order, each of our live entries replaced by
 * ours (or dropped), then our new entries.
 */
export function mergeStatus(live: Json, desired: Json, controllerName: string, now: string): Json {
  const stamped = stamp(desired, live, now);
  if (!isObject(stamped)) return stamped;
  const liveObj = isObject(live) ? live : {};
  const out: Obj = { ...stamped };
  for (const list of SHARED_LISTS) {
    const ours = stamped[list];
    if (!Array.isArray(ours)) continue;
    out[list] = mergeEntries(ours, Array.isArray(liveObj[list]) ? (liveObj[list] as Json[]) : [], controllerName);
  }
  return out;
}

function mergeEntries(ours: readonly Json[], live: readonly Json[], controllerName: string): Json[] {
  const pending = [...ours];
  const out: Json[] = [];
  for (const entry of live) {
    if (!isObject(entry)) continue;
    if (entry.controllerName !== controllerName) {
      out.push(entry);
      continue;
    }
    const i = pending.findIndex((o) => sameEntry(o, entry));
    if (i >= 0) out.push(...pending.splice(i, 1));
  }
  return [...out, ...pending];
}

/**
 * The highest observedGeneration among the conditions `controllerName` writes in `status`: its own
 * condition types on the object and its listeners, and its entries in `parents`/`ancestors`. Undefined
 * when there is none.
 */
export function ownObservedGeneration(status: Json, controllerName: string): number | undefined {
  if (!isObject(status)) return undefined;
  const lists: Json[] = [status.conditions];
  if (Array.isArray(status.listeners)) lists.push(...status.listeners.map((l) => (isObject(l) ? l.conditions : [])));
  for (const list of SHARED_LISTS) {
    const entries = Array.isArray(status[list]) ? (status[list] as Json[]) : [];
    for (const e of entries) if (isObject(e) && e.controllerName === controllerName) lists.push(e.conditions);
  }
  let max: number | undefined;
  for (const c of lists.flatMap((l) => (Array.isArray(l) ? l : []))) {
    if (!isObject(c) || !OWNED_TYPES.has(String(c.type)) || typeof c.observedGeneration !== "number") continue;
    max = Math.max(max ?? 0, c.observedGeneration);
  }
  return max;
}

/**
 * Whether `live` was written from a newer generation than `desired` (another replica, or an earlier run,
 * ahead of the snapshot we translated): writing `desired` would take the status back in time.
 */
export function liveIsNewer(live: Json, desired: Json, controllerName: string): boolean {
  const had = ownObservedGeneration(live, controllerName);
  const ours = ownObservedGeneration(desired, controllerName);
  return had !== undefined && ours !== undefined && had > ours;
}

/** JSON with object keys sorted, for order-insensitive comparison of objects. */
export function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * Whether `a` and `b` are the same JSON: what {@link canonical} makes equal (object key order and keys whose
 * value is undefined do not count), compared in place, without building either string.
 */
export function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (!isObject(a) || !isObject(b)) return false;
  let keys = 0;
  for (const k in a) {
    if (a[k] === undefined) continue;
    keys++;
    if (!Object.hasOwn(b, k) || !sameJson(a[k], b[k])) return false;
  }
  for (const k in b) if (b[k] !== undefined) keys--;
  return keys === 0;
}

/** Whether writing `next` would change `live` (object key order does not count). */
export function statusChanged(live: Json, next: Json): boolean {
  return !sameJson(live ?? {}, next);
}

/**
 * Whether `next` differs from `live` only in its listeners' `attachedRoutes` (a Gateway's or a ListenerSet's status:
 * the same listeners, in order, with the same conditions): a count that moves with each route attached or detached.
 */
export function onlyAttachedRoutesChanged(live: Json, next: Json): boolean {
  if (!isObject(live) || !isObject(next)) return false;
  const a = live.listeners;
  const b = next.listeners;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  let moved = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (!isObject(x) || !isObject(y)) return false;
    if (x.attachedRoutes !== y.attachedRoutes) moved = true;
    if (!sameJson({ ...x, attachedRoutes: undefined }, { ...y, attachedRoutes: undefined })) return false;
  }
  return moved && sameJson({ ...live, listeners: undefined }, { ...next, listeners: undefined });
}
