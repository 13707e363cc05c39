/**
 * `mergeType`: a more specific policy merged onto the less specific one instead of replacing it (Envoy
 * Gateway allows it on route-level BackendTrafficPolicy and SecurityPolicy). Both merges are pure functions
 * of plain JSON values.
 */

/** How a more specific policy's spec combines with the one it is merged onto. */
export type MergeType = "StrategicMerge" | "JSONMerge";

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
const MERGE_KEYS: Readonly<Record<string, string>> = { "extAuth.contextExtensions": "name" };

/**
 * Kubernetes strategic merge of a policy spec: objects merge key by key, `null` deletes a key, lists are replaced
 * (the default `replace` strategy) except those with a merge key (MERGE_KEYS), whose items merge by that key
 * (base order kept, new items appended).
 */
export function strategicMerge(base: Json, patch: Json, path = ""): Json {
  const mergeKey = MERGE_KEYS[path];
  if (mergeKey !== undefined && Array.isArray(base) && Array.isArray(patch)) return mergeByKey(base, patch, mergeKey);
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v, path === "" ? k : `${path}.${k}`);
  }
  return out;
}

/** Items of `patch` merged onto the items of `base` with the same `key` value; the others appended. */
function mergeByKey(base: readonly Json[], patch: readonly Json[], key: string): Json[] {
  const out = [...base];
  for (const item of patch) {
    const id = isObject(item) ? item[key] : undefined;
    const at = id === undefined ? -1 : out.findIndex((b) => isObject(b) && b[key] === id);
    if (at < 0) out.push(item);
    else out[at] = strategicMerge(out[at], item, "[]");
  }
  return out;
}

/** Merges `patch` onto `base` the way `type` says. */
export function mergeSpecs(type: MergeType, base: Json, patch: Json): Json {
  return type === "JSONMerge" ? jsonMerge(base, patch) : strategicMerge(base, patch);
}
