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
 * Kubernetes strategic merge, for types whose lists declare no patch strategy (Envoy Gateway's policy specs
 * declare none): objects merge key by key, `null` deletes a key, lists are replaced (the default `replace`
 * strategy). A kind whose lists gain merge keys extends this, not jsonMerge.
 */
export function strategicMerge(base: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v);
  }
  return out;
}

/** Merges `patch` onto `base` the way `type` says. */
export function mergeSpecs(type: MergeType, base: Json, patch: Json): Json {
  return type === "JSONMerge" ? jsonMerge(base, patch) : strategicMerge(base, patch);
}
