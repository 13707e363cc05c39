/**
 * `mergeType`: a more specific policy merged onto the less specific one instead of replacing it (Envoy
 * Gateway allows it on route-level BackendTrafficPolicy and SecurityPolicy). Both merges are pure functions
 * of plain JSON values.
 */

/** How a more specific policy's spec combines with the one it is merged onto. */
export type MergeType = "StrategicMerge" | "JSONMerge";

/** Patch merge keys by spec path (`a.b` from the root; `[].x` inside a keyed list's item). */
export type MergeKeys = Readonly<Record<string, string>>;

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * JSON Merge Patch (RFC 7386): objects merge key by key, `null` deletes a key, anything else (lists
 * included) replaces.
 */
export function jsonMerge(base: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMerge(out[k], v);
  }
  return out;
}

/**
 * The lists of Envoy Gateway's policy specs that declare a patch merge key, by spec path (its `patchMergeKey`
 * tags): under StrategicMerge their items merge by that key instead of the list being replaced.
 */
const MERGE_KEYS: MergeKeys = { "extAuth.contextExtensions": "name" };

/**
 * Kubernetes strategic merge of a policy spec: objects merge key by key, `null` deletes a key, lists are replaced
 * (the default `replace` strategy) except those with a merge key (MERGE_KEYS), whose items merge by that key
 * (in Kubernetes' order, see mergeByKey). `keys` are the merge keys of another kind's spec (EnvoyProxy's).
 */
export function strategicMerge(base: Json, patch: Json, path = "", keys: MergeKeys = MERGE_KEYS): Json {
  const mergeKey = keys[path];
  if (mergeKey !== undefined && Array.isArray(base) && Array.isArray(patch))
    return mergeByKey(base, patch, mergeKey, keys);
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v, path === "" ? k : `${path}.${k}`, keys);
  }
  return out;
}

/**
 * Items of `patch` merged onto the items of `base` with the same `key` value, in Kubernetes' order: the patch's
 * items in their order, each item only in `base` placed before the first patch item that `base` holds after it
 * (or that `base` does not hold).
 */
function mergeByKey(base: readonly Json[], patch: readonly Json[], key: string, keys: MergeKeys): Json[] {
  const idOf = (v: Json): Json => (isObject(v) ? v[key] : undefined);
  const baseAt = (v: Json): number => {
    const id = idOf(v);
    return id === undefined ? -1 : base.findIndex((b) => idOf(b) === id);
  };
  const patched = patch.map((item) => {
    const at = baseAt(item);
    return { at, item: at < 0 ? item : strategicMerge(base[at], item, "[]", keys) };
  });
  const taken = new Set(patched.map((p) => p.at));
  const baseOnly = base.map((item, at) => ({ at, item })).filter((b) => !taken.has(b.at));
  const out: Json[] = [];
  let i = 0;
  for (const p of patched) {
    while (i < baseOnly.length && p.at >= 0 && baseOnly[i]!.at < p.at) out.push(baseOnly[i++]!.item);
    out.push(p.item);
  }
  for (; i < baseOnly.length; i++) out.push(baseOnly[i]!.item);
  return out;
}

/** Merges `patch` onto `base` the way `type` says. */
export function mergeSpecs(type: MergeType, base: Json, patch: Json): Json {
  return type === "JSONMerge" ? jsonMerge(base, patch) : strategicMerge(base, patch);
}
