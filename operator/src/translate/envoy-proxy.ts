/**
 * Which EnvoyProxy customises a Gateway's proxies. Pure: the controller's render and `cdk8s synth`
 * (constructs/synth.ts) both resolve it here, so a preview shows what the controller applies.
 */
import type { EnvoyProxy } from "../resources/envoy-proxy";
import type { ResourceSnapshot } from "../resources/snapshot";

/**
 * The EnvoyProxy for a Gateway: its own `infrastructure.parametersRef` (same namespace), else its
 * GatewayClass's `parametersRef`. Objects of kind EnvoyProxy reach the snapshot as unknown kinds.
 */
export function envoyProxyFor(s: ResourceSnapshot, ns: string, name: string): EnvoyProxy["spec"] | undefined {
  const gateway = s.gateways.find((g) => g.metadata.namespace === ns && g.metadata.name === name);
  if (!gateway) return undefined;
  const proxies = s.unknown.filter((o): o is EnvoyProxy => o.kind === "EnvoyProxy");
  const find = (refNs: string | undefined, refName: string): EnvoyProxy | undefined =>
    proxies.find((p) => p.metadata.name === refName && p.metadata.namespace === refNs);
  const infraRef = (gateway.spec as { infrastructure?: { parametersRef?: { kind: string; name: string } } })
    .infrastructure?.parametersRef;
  if (infraRef?.kind === "EnvoyProxy") return find(ns, infraRef.name)?.spec;
  return classEnvoyProxy(s, gateway.spec.gatewayClassName);
}

/** The EnvoyProxy a GatewayClass's `parametersRef` names, if it exists. */
export function classEnvoyProxy(s: ResourceSnapshot, className: string): EnvoyProxy["spec"] | undefined {
  const ref = s.gatewayClasses.find((c) => c.metadata.name === className)?.spec.parametersRef;
  if (ref?.kind !== "EnvoyProxy") return undefined;
  const proxy = s.unknown.find(
    (o): o is EnvoyProxy =>
      o.kind === "EnvoyProxy" && o.metadata.name === ref.name && o.metadata.namespace === ref.namespace,
  );
  return proxy?.spec;
}

/**
 * The EnvoyProxy of the proxies behind an xDS node: a Gateway's node is named `namespace/name`, the merged
 * proxies of a class (`mergeGateways`) are named after the class.
 */
export function envoyProxyForNode(s: ResourceSnapshot, node: string): EnvoyProxy["spec"] | undefined {
  const slash = node.indexOf("/");
  return slash < 0 ? classEnvoyProxy(s, node) : envoyProxyFor(s, node.slice(0, slash), node.slice(slash + 1));
}

/**
 * Whether every Gateway of the class runs on one shared set of proxies: its GatewayClass's EnvoyProxy sets
 * `mergeGateways: true` (a Gateway's own EnvoyProxy cannot opt in or out, as in Envoy Gateway).
 */
export function mergesGateways(s: ResourceSnapshot, className: string): boolean {
  return classEnvoyProxy(s, className)?.mergeGateways === true;
}

/**
 * Why an EnvoyProxy cannot be rendered, if so: settings that contradict each other (a Deployment and a
 * DaemonSet; an HPA for a DaemonSet; HPA minReplicas above maxReplicas; a PDB with both minAvailable and
 * maxUnavailable). The class or Gateway that refers to it is then InvalidParameters with this message, and
 * the renderer (constructs/gateway-proxy.ts) refuses it too.
 */
export function envoyProxyProblem(spec: EnvoyProxy["spec"] | undefined): string | undefined {
  const k = spec?.provider?.kubernetes;
  if (!k) return undefined;
  if (k.envoyDeployment && k.envoyDaemonSet) return "it sets both envoyDeployment and envoyDaemonSet; choose one";
  if (k.envoyDaemonSet && k.envoyHpa) return "envoyHpa scales a Deployment, and it sets envoyDaemonSet";
  const hpa = k.envoyHpa;
  if (hpa && (hpa.minReplicas ?? 1) > hpa.maxReplicas) {
    return `envoyHpa.minReplicas (${hpa.minReplicas ?? 1}) is greater than maxReplicas (${hpa.maxReplicas})`;
  }
  const pdb = k.envoyPDB;
  if (pdb && pdb.minAvailable !== undefined && pdb.maxUnavailable !== undefined) {
    return "envoyPDB sets both minAvailable and maxUnavailable; a PodDisruptionBudget takes one";
  }
  return undefined;
}

/** EnvoyProxy specs by `namespace/name`. */
export type EnvoyProxies = ReadonlyMap<string, EnvoyProxy["spec"]>;

/** The EnvoyProxies of a snapshot, by `namespace/name`. */
export function envoyProxiesByKey(s: ResourceSnapshot): Map<string, EnvoyProxy["spec"]> {
  const out = new Map<string, EnvoyProxy["spec"]>();
  for (const o of s.unknown) {
    if (o.kind === "EnvoyProxy") out.set(`${o.metadata.namespace ?? ""}/${o.metadata.name}`, (o as EnvoyProxy).spec);
  }
  return out;
}
