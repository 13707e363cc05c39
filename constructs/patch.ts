/**
 * The two patch kinds EnvoyProxy accepts on rendered objects: JSON merge patch (RFC 7386) and a
 * strategic merge patch with Kubernetes' merge keys for the lists that matter in a pod template.
 */
import type { KubernetesPatchSpec } from "../operator/src/resources/envoy-proxy";

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge key by key, `null` deletes, anything else (lists too) replaces. */
export function jsonMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = jsonMergePatch(out[key], value);
  }
  return out;
}

/** Lists that merge item by item on a key, as Kubernetes' strategic merge does. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: "name",
  initContainers: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  env: "name",
  ports: "containerPort",
  imagePullSecrets: "name",
};

function mergeList(key: string, target: Json, patch: Json[]): Json[] {
  const mergeKey = MERGE_KEYS[key];
  if (!mergeKey || !Array.isArray(target)) return patch;
  const out = [...target];
  for (const item of patch) {
    const id = isObject(item) ? item[mergeKey] : undefined;
    const at = id === undefined ? -1 : out.findIndex((t) => isObject(t) && t[mergeKey] === id);
    if (at >= 0) out[at] = strategicMergePatch(out[at], item);
    else out.push(item);
  }
  return out;
}

/**
 * A strategic merge patch: like a JSON merge patch, except that lists with a merge key (containers by
 * name, ports by containerPort, …) merge item by item instead of being replaced.
 */
export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (Array.isArray(value)) out[key] = mergeList(key, out[key], value);
    else out[key] = strategicMergePatch(out[key], value);
  }
  return out;
}

/** Applies an EnvoyProxy patch (StrategicMerge by default) to a rendered manifest. */
export function applyPatch<T>(manifest: T, patch: KubernetesPatchSpec | undefined): T {
  if (!patch) return manifest;
  const merge = patch.type === "JSONMerge" ? jsonMergePatch : strategicMergePatch;
  return merge(manifest, patch.value) as T;
}
