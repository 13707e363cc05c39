/**
 * The two merges of Kubernetes JSON documents that Envoy Gateway uses, as pure functions of plain JSON values: RFC
 * 7386 JSON merge patch, and Kubernetes' strategic merge patch with a table of merge keys standing for the types'
 * `patchMergeKey` tags. One implementation for every user: policy `mergeType` (policies/merge.ts), EnvoyProxy
 * `mergeType` (envoy-proxy-merge.ts) and EnvoyProxy patches of the rendered objects (kubernetes-patch.ts).
 */

/**
 * Patch merge keys by document path: `a.b` from the root; inside an item of a keyed list the path starts again at
 * `[]` (`[].env` is the `env` list of any keyed list's item).
 */
export type MergeKeys = Readonly<Record<string, string>>;

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON Merge Patch (RFC 7386): objects merge key by key, `null` deletes a key, anything else (lists too) replaces. */
export function jsonMergePatch(base: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

/**
 * Kubernetes' strategic merge patch: objects merge key by key, `null` deletes a key, lists are replaced (the default
 * `replace` strategy) except those `keys` names, whose items merge by that key in Kubernetes' order (mergeByKey).
 */
export function strategicMergePatch(base: Json, patch: Json, keys: MergeKeys, path = ""): Json {
  const mergeKey = keys[path];
  if (mergeKey !== undefined && Array.isArray(base) && Array.isArray(patch))
    return mergeByKey(base, patch, mergeKey, keys);
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v, keys, path === "" ? k : `${path}.${k}`);
  }
  return out;
}

/**
 * Items of `patch` merged onto the items of `base` with the same `key` value, in Kubernetes' order: the patch's
 * items in their order, each item only in `base` placed before the first patch item that `base` holds after it
 * (or that `base` does not hold). So base `[A,B,C]` + patch `[C,D,A]` is `[B,C,D,A]`.
 */
function mergeByKey(base: readonly Json[], patch: readonly Json[], key: string, keys: MergeKeys): Json[] {
  const idOf = (v: Json): Json => (isObject(v) ? v[key] : undefined);
  const baseAt = (v: Json): number => {
    const id = idOf(v);
    return id === undefined ? -1 : base.findIndex((b) => idOf(b) === id);
  };
  const patched = patch.map((item) => {
    const at = baseAt(item);
    return { at, item: at < 0 ? item : strategicMergePatch(base[at], item, keys, "[]") };
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
