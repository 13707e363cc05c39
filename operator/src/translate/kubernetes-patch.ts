/**
 * An EnvoyProxy's `patch` of a rendered object (Deployment, DaemonSet, Service, HorizontalPodAutoscaler,
 * PodDisruptionBudget), as Envoy Gateway applies it: a JSON merge patch, or Kubernetes' strategic merge patch with
 * the patch merge keys of the object's kind (merge-patch.ts). Used by the renderer (constructs/gateway-proxy.ts) and
 * by the translator's boundary checks on skeletons (envoy-proxy.ts), so both judge the same result.
 */
import type { KubernetesPatchSpec } from "../resources/envoy-proxy";
import { jsonMergePatch, strategicMergePatch, type MergeKeys } from "./merge-patch";

/** Kubernetes' merge keys of a Container's keyed lists, inside a keyed list's item (`[]`, see MergeKeys). */
export const CONTAINER_ITEM_KEYS: MergeKeys = {
  "[].env": "name",
  "[].ports": "containerPort",
  "[].volumeMounts": "mountPath",
  "[].volumeDevices": "devicePath",
};

/** Kubernetes' merge keys of a PodSpec's keyed lists (its `patchMergeKey` tags) at `at`, and of their items. */
function podSpecKeys(at: string): Record<string, string> {
  return {
    [`${at}.containers`]: "name",
    [`${at}.initContainers`]: "name",
    [`${at}.ephemeralContainers`]: "name",
    [`${at}.volumes`]: "name",
    [`${at}.imagePullSecrets`]: "name",
    [`${at}.topologySpreadConstraints`]: "topologyKey",
    [`${at}.hostAliases`]: "ip",
    ...CONTAINER_ITEM_KEYS,
  };
}

const WORKLOAD_KEYS: MergeKeys = podSpecKeys("spec.template.spec");

/** The merge keys of each kind the proxies' EnvoyProxy may patch; a kind not listed has no keyed list. */
const KEYS_BY_KIND: Readonly<Record<string, MergeKeys>> = {
  Deployment: WORKLOAD_KEYS,
  DaemonSet: WORKLOAD_KEYS,
  Service: { "spec.ports": "port" },
};

/** `manifest` with an EnvoyProxy patch applied (StrategicMerge by default), by its `kind`'s merge keys. */
export function applyPatch<T>(manifest: T, patch: KubernetesPatchSpec | undefined): T {
  if (!patch) return manifest;
  if (patch.type === "JSONMerge") return jsonMergePatch(manifest, patch.value) as T;
  const kind = (manifest as { kind?: unknown }).kind;
  const keys = (typeof kind === "string" ? KEYS_BY_KIND[kind] : undefined) ?? {};
  return strategicMergePatch(manifest, patch.value, keys) as T;
}

/** A container environment variable as an EnvoyProxy's `container.env` gives it. */
type EnvVar = { readonly name: string } & Readonly<Record<string, unknown>>;

/**
 * The Envoy container's environment: `ours`, each replaced whole by the user's variable of the same name, then the
 * user's other variables in their order (Envoy Gateway's container env: a user variable replaces, it does not merge).
 */
export function containerEnv(ours: readonly EnvVar[], user: readonly EnvVar[] | undefined): EnvVar[] {
  const out = [...ours];
  for (const v of user ?? []) {
    const at = out.findIndex((o) => o.name === v.name);
    if (at >= 0) out[at] = v;
    else out.push(v);
  }
  return out;
}
