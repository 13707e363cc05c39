/**
 * Pure status merging for the status writer: the translator's desired status merged into the live one,
 * keeping other controllers' route parents and policy ancestors, and each condition's lastTransitionTime
 * while its status does not change.
 */

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

/** Conditions with lastTransitionTime: the live one's while the status is the same, else `now`. */
export function withTransitionTimes(desired: readonly Cond[], live: Json, now: string): Cond[] {
  const before = new Map<string, Cond>();
  if (Array.isArray(live)) for (const c of live as Cond[]) if (isObject(c)) before.set(c.type, c);
  return desired.map((c) => {
    const prev = before.get(c.type);
    const time = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { ...c, lastTransitionTime: time };
  });
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
        ? withTransitionTimes(value as Cond[], liveObj[key], now)
        : stamp(value, liveObj[key], now);
  }
  return out;
}

/** The identity of a status list entry: listener name, route parentRef, policy ancestorRef, else none. */
function entryKey(v: Json): string | undefined {
  if (!isObject(v)) return undefined;
  if (typeof v.name === "string" && Array.isArray(v.conditions)) return `listener:${v.name}`;
  const ref = v.parentRef ?? v.ancestorRef;
  if (isObject(ref)) return `${String(v.controllerName ?? "")}:${canonical(ref)}`;
  return undefined;
}

function sameEntry(a: Json, b: Json): boolean {
  const k = entryKey(a);
  return k !== undefined && k === entryKey(b);
}

/** Lists of entries shared between controllers, each entry owned by its `controllerName`. */
const SHARED_LISTS = ["parents", "ancestors"];

/**
 * The status to write: `desired` (ours) with lastTransitionTimes carried over from `live`, and the entries
 * other controllers own in `parents`/`ancestors` kept (theirs first, in their order, then ours).
 */
export function mergeStatus(live: Json, desired: Json, controllerName: string, now: string): Json {
  const stamped = stamp(desired, live, now);
  if (!isObject(stamped)) return stamped;
  const liveObj = isObject(live) ? live : {};
  const out: Obj = { ...stamped };
  for (const list of SHARED_LISTS) {
    const ours = stamped[list];
    if (!Array.isArray(ours)) continue;
    const liveList = Array.isArray(liveObj[list]) ? (liveObj[list] as Json[]) : [];
    const theirs = liveList.filter((e) => isObject(e) && e.controllerName !== controllerName);
    out[list] = [...theirs, ...ours];
  }
  return out;
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

/** Whether writing `next` would change `live` (object key order does not count). */
export function statusChanged(live: Json, next: Json): boolean {
  return canonical(live ?? {}) !== canonical(next);
}
