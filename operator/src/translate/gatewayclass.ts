/** GatewayClass: accept the classes whose controllerName is ours. */
import { ENVOY_GATEWAY_GROUP } from "../resources/envoy-gateway";
import type { GatewayClass } from "../resources/gateway-api";
import type { UnservedKind } from "../resources/snapshot";
import type { Condition } from "../resources/meta";
import { condition, CondType, Reason, type StatusUpdate } from "./conditions";
import { envoyProxyProblem, type EnvoyProxies } from "./envoy-proxy";
import { classMergeTypeWarning, MERGE_TYPE_UNUSED_REASON } from "./envoy-proxy-unused";
import { GATEWAY_API_VERSION, supportedFeatures } from "./features";

/**
 * Why a class's parametersRef is unusable, if so: it must name an EnvoyProxy (gateway.envoyproxy.io) with a
 * namespace, and that EnvoyProxy must exist (`envoyProxies` is keyed `namespace/name`) and be renderable.
 */
function invalidParameters(gc: GatewayClass, envoyProxies: EnvoyProxies): string | undefined {
  const ref = gc.spec.parametersRef;
  if (!ref) return undefined;
  if (ref.group !== ENVOY_GATEWAY_GROUP || ref.kind !== "EnvoyProxy") {
    return `parametersRef ${ref.group || "core"}/${ref.kind} ${ref.name} is not supported; refer to a ${ENVOY_GATEWAY_GROUP} EnvoyProxy or remove it`;
  }
  if (!ref.namespace) return `parametersRef to EnvoyProxy ${ref.name} needs a namespace (EnvoyProxy is namespaced)`;
  const key = `${ref.namespace}/${ref.name}`;
  if (!envoyProxies.has(key)) {
    return `EnvoyProxy ${key} named in parametersRef does not exist; create it or remove parametersRef`;
  }
  const problem = envoyProxyProblem(envoyProxies.get(key), "GatewayClass");
  return problem ? `EnvoyProxy ${key} named in parametersRef is invalid: ${problem}` : undefined;
}

/** A Warning=True condition when the class's EnvoyProxy sets a `mergeType` that has nothing to merge onto. */
function mergeTypeWarning(gc: GatewayClass, envoyProxies: EnvoyProxies): Condition[] {
  const ref = gc.spec.parametersRef;
  const key = `${ref?.namespace ?? ""}/${ref?.name ?? ""}`;
  const message = ref ? classMergeTypeWarning(key, envoyProxies.get(key)) : undefined;
  const gen = gc.metadata.generation;
  return message ? [condition(CondType.Warning, true, MERGE_TYPE_UNUSED_REASON, message, gen)] : [];
}

/**
 * The SupportedVersion condition: False UnsupportedVersion naming every kind whose installed CRD serves only
 * versions egts does not read (the spec asks for the detected and the supported versions in the message).
 * Standalone has no CRDs to inspect: the resources are read as Gateway API GATEWAY_API_VERSION.
 */
function supportedVersion(unserved: readonly UnservedKind[], gen: number | undefined): Condition {
  if (unserved.length === 0) {
    const message = `Gateway API ${GATEWAY_API_VERSION} is supported`;
    return condition(CondType.SupportedVersion, true, Reason.SupportedVersion, message, gen);
  }
  const found = unserved.map((u) => `${u.kind} is served as ${u.served.join(", ")}, egts reads ${u.apiVersion}`);
  const message = `${found.join("; ")}: install the Gateway API ${GATEWAY_API_VERSION} CRDs; until then these kinds are not read`;
  return condition(CondType.SupportedVersion, false, Reason.UnsupportedVersion, message, gen);
}

/**
 * Returns the names of the classes we manage and accept, and their statuses. A class whose parametersRef is
 * unusable is Accepted=False InvalidParameters, and its Gateways are not served until that is fixed.
 */
export function processGatewayClasses(
  classes: readonly GatewayClass[],
  controllerName: string,
  envoyProxies: EnvoyProxies = new Map(),
  unserved: readonly UnservedKind[] = [],
): { accepted: Set<string>; statuses: StatusUpdate[] } {
  const accepted = new Set<string>();
  const statuses: StatusUpdate[] = [];
  for (const gc of [...classes].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  )) {
    if (gc.spec?.controllerName !== controllerName) continue;
    const gen = gc.metadata.generation;
    const invalid = invalidParameters(gc, envoyProxies);
    if (!invalid) accepted.add(gc.metadata.name);
    statuses.push({
      apiVersion: gc.apiVersion,
      kind: "GatewayClass",
      name: gc.metadata.name,
      status: {
        conditions: [
          invalid
            ? condition(CondType.Accepted, false, Reason.InvalidParameters, invalid, gen)
            : condition(CondType.Accepted, true, Reason.Accepted, "Valid GatewayClass", gen),
          supportedVersion(unserved, gen),
          ...(invalid ? [] : mergeTypeWarning(gc, envoyProxies)),
        ],
        ...(invalid ? {} : { supportedFeatures: supportedFeatures() }),
      },
    });
  }
  return { accepted, statuses };
}
