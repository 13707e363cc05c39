/**
 * EnvoyProxy `mergeType` (docs/adr/0015-envoyproxy-merge-type.md): a Gateway's own EnvoyProxy
 * (`infrastructure.parametersRef`) that sets `StrategicMerge` or `JSONMerge` is merged onto its GatewayClass's
 * EnvoyProxy instead of replacing it, as in Envoy Gateway. Unset or `Replace`: the Gateway's replaces the class's;
 * no class EnvoyProxy: the Gateway's as it is. On a class's EnvoyProxy the field has nothing to merge onto (egts has
 * no EnvoyGateway-wide default EnvoyProxy) and changes nothing. Pure; the merged spec of one pair of specs is
 * computed once (by object identity), so every caller (translation, infra render, bootstrap, status) sees the
 * same object and {@link mergedEnvoyProxyOwner} can name it.
 */
import type { EnvoyProxy } from "../resources/envoy-proxy";
import { CONTAINER_ITEM_KEYS } from "./kubernetes-patch";
import { jsonMergePatch, strategicMergePatch, type MergeKeys } from "./merge-patch";

/** Envoy Gateway's `MergeType` values (its CRD's enum). */
export const ENVOY_PROXY_MERGE_TYPES = ["Replace", "StrategicMerge", "JSONMerge"] as const;

type Spec = EnvoyProxy["spec"];

/**
 * The lists of EnvoyProxy that merge item by item under StrategicMerge (Envoy Gateway's `patchMergeKey` tags on
 * its pod and container types, and Kubernetes' on a Container, for `initContainers` items); every other list is
 * replaced.
 */
const ENVOY_PROXY_MERGE_KEYS: MergeKeys = (() => {
  const keys: Record<string, string> = {
    "provider.kubernetes.envoyDeployment.initContainers": "name",
    ...CONTAINER_ITEM_KEYS,
  };
  for (const at of ["envoyDeployment", "envoyDaemonSet"]) {
    const w = `provider.kubernetes.${at}`;
    keys[`${w}.pod.volumes`] = "name";
    keys[`${w}.pod.imagePullSecrets`] = "name";
    keys[`${w}.pod.topologySpreadConstraints`] = "topologyKey";
    keys[`${w}.container.env`] = "name";
    keys[`${w}.container.volumeMounts`] = "mountPath";
  }
  return keys;
})();

/** Why `spec.mergeType` is unusable, if it is: a value outside Envoy Gateway's enum. */
export function mergeTypeProblems(spec: Spec | undefined): string[] {
  const t = spec?.mergeType;
  if (t === undefined || (ENVOY_PROXY_MERGE_TYPES as readonly unknown[]).includes(t)) return [];
  return [`spec.mergeType: ${JSON.stringify(t)} is not one of ${ENVOY_PROXY_MERGE_TYPES.join(", ")}`];
}

/** Whether a Gateway's EnvoyProxy is merged onto its class's rather than replacing it. */
export function mergesOntoClass(spec: Spec | undefined): boolean {
  return spec?.mergeType === "StrategicMerge" || spec?.mergeType === "JSONMerge";
}

/** The objects of EnvoyProxy whose `patch.value` is a free-form patch document (a Kubernetes JSON value). */
const PATCHED = ["envoyDeployment", "envoyDaemonSet", "envoyService", "envoyHpa", "envoyPDB"] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Why a StrategicMerge of `override` onto `base` fails, if it does: a strategic merge reads the types of what it
 * merges, and a `patch.value` has none, so where both set the same key of a patch document to an object or a list
 * it cannot merge them (Envoy Gateway fails there too: "unable to find api field in struct JSON").
 */
function strategicMergeFailure(base: Spec, override: Spec): string | undefined {
  const bk = base.provider?.kubernetes as Record<string, { patch?: { value?: unknown } } | undefined> | undefined;
  const ok = override.provider?.kubernetes as typeof bk;
  for (const at of PATCHED) {
    const b = bk?.[at]?.patch?.value;
    const o = ok?.[at]?.patch?.value;
    if (!isObject(b) || !isObject(o)) continue;
    const composite = (v: unknown): boolean => typeof v === "object" && v !== null;
    const both = Object.keys(o).filter((k) => composite(b[k]) && composite(o[k]));
    if (both.length > 0) {
      const fields = both.map((k) => `spec.provider.kubernetes.${at}.patch.value.${k}`).join(", ");
      return `${fields}: set by both EnvoyProxies, and a StrategicMerge cannot merge inside a patch document; use JSONMerge or set it in one of them`;
    }
  }
  return undefined;
}

/** The outcome of merging a Gateway's EnvoyProxy onto its class's: the merged spec, or why it could not be. */
export type MergeOutcome = { readonly spec: Spec } | { readonly error: string };

/**
 * `override` merged onto `base` the way `override.mergeType` says: JSONMerge is RFC 7386 (objects merge key by key,
 * `null` deletes a key, lists are replaced); StrategicMerge is Kubernetes' strategic merge over EnvoyProxy's types
 * (the same, except the keyed lists of ENVOY_PROXY_MERGE_KEYS merge item by item, and a patch document's objects
 * cannot merge). Any other `mergeType` is not a merge: `override` as it is.
 */
export function mergeEnvoyProxySpecs(base: Spec, override: Spec): MergeOutcome {
  if (override.mergeType === "JSONMerge") return { spec: jsonMergePatch(base, override) as Spec };
  if (override.mergeType !== "StrategicMerge") return { spec: override };
  const error = strategicMergeFailure(base, override);
  return error ? { error } : { spec: strategicMergePatch(base, override, ENVOY_PROXY_MERGE_KEYS) as Spec };
}

/** Merge outcomes by the Gateway's spec, then the class's; and the EnvoyProxy each merged spec is named after. */
const outcomes = new WeakMap<Spec, WeakMap<Spec, MergeOutcome>>();
const mergedOwners = new WeakMap<Spec, EnvoyProxy>();

/**
 * The spec in effect for a Gateway whose own EnvoyProxy is `own` under a class whose EnvoyProxy is `cls`: the
 * merge when `own` sets StrategicMerge or JSONMerge and `cls` exists, else `own.spec`. The same pair of objects
 * gives the same outcome object. A merged spec is named after `own` (Envoy Gateway's merged EnvoyProxy keeps the
 * Gateway's EnvoyProxy's name and namespace).
 */
export function effectiveGatewaySpec(own: EnvoyProxy, cls: Spec | undefined): MergeOutcome {
  // A class spec that is not an object (files are not schema-checked) is refused with its class: nothing to merge.
  if (!isObject(cls) || !mergesOntoClass(own.spec)) return { spec: own.spec };
  let byClass = outcomes.get(own.spec);
  if (!byClass) outcomes.set(own.spec, (byClass = new WeakMap()));
  let outcome = byClass.get(cls);
  if (!outcome) {
    outcome = mergeEnvoyProxySpecs(cls, own.spec);
    byClass.set(cls, outcome);
    if ("spec" in outcome) mergedOwners.set(outcome.spec, { ...own, spec: outcome.spec });
  }
  return outcome;
}

/** The EnvoyProxy a merged spec of {@link effectiveGatewaySpec} is named after (with the merged spec). */
export function mergedEnvoyProxyOwner(spec: Spec): EnvoyProxy | undefined {
  return mergedOwners.get(spec);
}
