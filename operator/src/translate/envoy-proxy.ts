/**
 * Which EnvoyProxy customises a Gateway's proxies. Pure: the controller's render and `cdk8s synth`
 * (constructs/synth.ts) both resolve it here, so a preview shows what the controller applies.
 */
import { accessLogProblems } from "./access-log";
import { telemetryProblems } from "./telemetry";
import { envoyProxyUnimplementedProblems } from "./envoy-proxy-fields";
import { filterOrderProblems } from "./filter-order";
import { proxyRuntimeProblems } from "./proxy-runtime";
import { listenProblems } from "./proxy-listen";
import { backendTlsProblems } from "./envoy-proxy-backend-tls";
import { geoIpProblems } from "./geoip-provider";
import { mergeBackendsProblems } from "./merge-backends";
import { routingTypeProblems } from "./routing-type";
import { luaValidationProblems } from "./policies/extension-lua";
import { effectiveGatewaySpec, mergeTypeProblems } from "./envoy-proxy-merge";
import { clusterStatNameProblems } from "./telemetry/cluster-stat-name";
import { envoyVersionProblems } from "./envoy-version";
import { applyPatch, containerEnv } from "./kubernetes-patch";
import { envoyLifecycle, shutdownManagerContainer } from "../../../constructs/shutdown-manager";
import {
  CONTAINER_SECURITY_CONTEXT,
  objectIdentityViolations,
  POD_SECURITY_CONTEXT,
  POD_SPEC_FIELDS,
  podViolations,
  satelliteViolations,
  showValue,
  TMP_MOUNT,
  TMP_VOLUME,
  type EnvoyProxyOrigin,
  type OwnPod,
  type Violation,
  workloadSelectorViolations,
} from "../../../constructs/proxy-policy";
import type {
  EnvoyProxy,
  EnvoyProxyKubernetesProvider,
  KubernetesContainerSpec,
  KubernetesPatchSpec,
  KubernetesPodSpec,
} from "../resources/envoy-proxy";
import type { Gateway } from "../resources/gateway-api";
import type { ResourceSnapshot } from "../resources/snapshot";
import type { DynamicModuleFileIr, ProxyInfraIr } from "../ir/infra-ir";

export type { EnvoyProxyOrigin } from "../../../constructs/proxy-policy";

/**
 * The EnvoyProxy for a Gateway: its own `infrastructure.parametersRef` (same namespace), else its
 * GatewayClass's `parametersRef`. Objects of kind EnvoyProxy reach the snapshot as unknown kinds.
 */
export function envoyProxyFor(s: ResourceSnapshot, ns: string, name: string): EnvoyProxy["spec"] | undefined {
  return envoyProxyOf(s, ns, name)?.spec;
}

/** The EnvoyProxy in effect for a Gateway, who wrote it, and the class's spec it was merged onto, if it was. */
export interface EffectiveEnvoyProxy {
  /** The spec in effect: the Gateway's own (merged onto its class's when its `mergeType` says so), else the class's. */
  readonly spec: EnvoyProxy["spec"];
  /** Who wrote it: the Gateway (a tenant; a merged spec too) or its class. */
  readonly origin: EnvoyProxyOrigin;
  /** The class's (trusted) spec the Gateway's was merged onto (envoy-proxy-merge.ts); absent when not merged. */
  readonly base?: EnvoyProxy["spec"];
  /** Why the Gateway's could not be merged onto the class's (`spec` is then the Gateway's own, not served). */
  readonly mergeError?: string;
}

/**
 * The EnvoyProxy in effect for a Gateway, as {@link envoyProxyFor}, and who wrote it: the Gateway or its class.
 * A Gateway's own EnvoyProxy with `mergeType` StrategicMerge or JSONMerge is merged onto its class's (`base`).
 * Under a class with `mergeGateways`, the class's, whatever the Gateway names.
 */
export function envoyProxyOf(s: ResourceSnapshot, ns: string, name: string): EffectiveEnvoyProxy | undefined {
  const gateway = s.gateways.find((g) => g.metadata.namespace === ns && g.metadata.name === name);
  if (!gateway) return undefined;
  const classSpec = classEnvoyProxy(s, gateway.spec.gatewayClassName);
  // A class that merges its Gateways runs them all on its proxies, with its EnvoyProxy alone: the Gateway's own
  // is not read (as in Envoy Gateway); its Gateway says so (envoy-proxy-unused.ts).
  if (gateway.spec.infrastructure?.parametersRef?.kind === "EnvoyProxy" && classSpec?.mergeGateways !== true) {
    const own = gatewayOwnEnvoyProxy(s, gateway);
    if (!own?.spec) return undefined;
    const merged = effectiveGatewaySpec(own, classSpec);
    if ("error" in merged) return { spec: own.spec, origin: "Gateway", mergeError: merged.error };
    const spec = merged.spec;
    return spec === own.spec ? { spec, origin: "Gateway" } : { spec, origin: "Gateway", base: classSpec };
  }
  return classSpec ? { spec: classSpec, origin: "GatewayClass" } : undefined;
}

/** The EnvoyProxy a Gateway's `infrastructure.parametersRef` names (in its namespace), if it exists. */
export function gatewayOwnEnvoyProxy(s: ResourceSnapshot, gateway: Gateway): EnvoyProxy | undefined {
  const ref = gateway.spec.infrastructure?.parametersRef;
  if (ref?.kind !== "EnvoyProxy") return undefined;
  const ns = gateway.metadata.namespace;
  return s.unknown.find(
    (o): o is EnvoyProxy => o.kind === "EnvoyProxy" && o.metadata.name === ref.name && o.metadata.namespace === ns,
  );
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
 * maxUnavailable), or settings beyond what its `origin` may set (docs/adr/0003-envoyproxy-privilege-boundary.md):
 * a Gateway's own EnvoyProxy (a tenant's) may not weaken the proxy pod's isolation, name objects, pick the
 * image or reach the controller's namespace's Secrets; no EnvoyProxy's patch may change an object's kind,
 * apiVersion, name, namespace, owner references or our labels, or the pod's ServiceAccount. Patches are
 * judged by their result on the rendered object, not by their text. The class or Gateway that refers to it is
 * then InvalidParameters with this message, and the renderer (constructs/gateway-proxy.ts) refuses it too.
 * Fields egts does not act on are refused the same way, each named (translate/envoy-proxy-fields.ts), and so are
 * runtime settings Envoy could not start with (translate/proxy-runtime.ts).
 * Access log settings we do not implement are refused the same way (translate/access-log.ts), and so is a
 * `filterOrder` or `geoIP` Envoy Gateway's CRD would not admit (translate/filter-order.ts, translate/geoip-provider.ts).
 * `base`: `spec` is a Gateway's EnvoyProxy merged onto this class's (trusted) spec (envoy-proxy-merge.ts); the
 * merged spec is judged as the Gateway's, except for what the class's spec alone already sets.
 */
export function envoyProxyProblem(
  spec: EnvoyProxy["spec"] | undefined,
  origin: EnvoyProxyOrigin,
  base?: EnvoyProxy["spec"],
): string | undefined {
  const xdsProblems = [
    ...mergeTypeProblems(spec),
    ...envoyProxyUnimplementedProblems(spec),
    ...accessLogProblems(spec),
    ...telemetryProblems(spec),
    ...filterOrderProblems(spec),
    ...geoIpProblems(spec),
    ...proxyRuntimeProblems(spec),
    ...listenProblems(spec),
    ...backendTlsProblems(spec),
    ...mergeBackendsProblems(spec),
    ...routingTypeProblems(spec),
    ...luaValidationProblems(spec),
    ...clusterStatNameProblems(spec),
    ...envoyVersionProblems(spec),
  ];
  if (xdsProblems.length > 0) return xdsProblems.join("; ");
  const k = spec?.provider?.kubernetes;
  if (!k) return undefined;
  const contradiction = contradictionOf(k);
  if (contradiction) return contradiction;
  const trusted = origin === "GatewayClass";
  const baseK = base?.provider?.kubernetes;
  const trustedProblems = new Set(!trusted && baseK ? boundaryProblems(baseK, false) : []);
  const problems = boundaryProblems(k, trusted).filter((p) => !trustedProblems.has(p));
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/** Settings of `provider.kubernetes` that contradict each other. */
function contradictionOf(k: EnvoyProxyKubernetesProvider): string | undefined {
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

const FIELD_PREFIX = "spec.provider.kubernetes.";
const TENANT_ONLY = "is not allowed in a Gateway's EnvoyProxy (only in its GatewayClass's)";

/** One violation as a message: the EnvoyProxy field (or the patch that caused it), the value and why. */
function describe(at: string, v: Violation, viaPatch: boolean): string {
  const scope = v.always ? "is not allowed in any EnvoyProxy" : TENANT_ONLY;
  return viaPatch
    ? `${FIELD_PREFIX}${at}.patch sets ${v.field} to ${showValue(v.value)}, which ${scope}: ${v.why}`
    : `${FIELD_PREFIX}${at}.${envoyProxyField(v.field)} (${showValue(v.value)}) ${scope}: ${v.why}`;
}

/**
 * A violation's field (named in the rendered pod's terms: `pod.…`, `container.…`) as the EnvoyProxy field that set
 * it: the pod's init containers come from `envoyDeployment.initContainers`, not from under `pod`.
 */
function envoyProxyField(podField: string): string {
  return podField.startsWith("pod.initContainers[") ? podField.slice("pod.".length) : podField;
}

/** Violations of a patched object, minus those its unpatched form already has (reported as fields). */
function patchProblems(at: string, before: Violation[], after: Violation[]): string[] {
  const known = new Set(before.map((v) => v.field));
  return after.filter((v) => !known.has(v.field)).map((v) => describe(at, v, true));
}

/** Every setting of `provider.kubernetes` beyond what a trusted (class) or untrusted (Gateway) EnvoyProxy may set. */
function boundaryProblems(k: EnvoyProxyKubernetesProvider, trusted: boolean): string[] {
  const out = trusted ? [] : tenantFieldProblems(k);
  const at = k.envoyDaemonSet ? "envoyDaemonSet" : "envoyDeployment";
  const w = k.envoyDaemonSet ?? k.envoyDeployment ?? {};
  const own = skeletonOwnPod(k);
  const before = workloadSkeleton(at === "envoyDaemonSet" ? "DaemonSet" : "Deployment", w, own);
  const beforeV = podViolations(podSpecOf(before), own, trusted);
  out.push(...beforeV.map((v) => describe(at, v, false)));
  if (w.patch) {
    const after = applyPatch(before, w.patch);
    const fixed = [...objectIdentityViolations(before, after), ...workloadSelectorViolations(before, after)];
    out.push(...fixed.map((v) => describe(at, v, true)));
    out.push(...patchProblems(at, beforeV, podViolations(podSpecOf(after), own, trusted)));
  }
  const satellites: readonly [string, string, KubernetesPatchSpec | undefined][] = [
    ["envoyService", "Service", k.envoyService?.patch],
    ["envoyHpa", "HorizontalPodAutoscaler", k.envoyHpa?.patch],
    ["envoyPDB", "PodDisruptionBudget", k.envoyPDB?.patch],
  ];
  for (const [field, kind, patch] of satellites) {
    if (!patch) continue;
    const sBefore = satelliteSkeleton(kind);
    const sAfter = applyPatch(sBefore, patch);
    const vs = [
      ...objectIdentityViolations(sBefore, sAfter),
      ...(trusted ? [] : satelliteViolations(kind, sBefore, sAfter)),
    ];
    out.push(...vs.map((v) => describe(field, v, true)));
  }
  return out;
}

/** The key of a violation of a rendered object in {@link classOnlySettings}: the pod's, or a satellite kind's. */
export function violationKey(kind: "pod" | string, v: Violation): string {
  return `${kind}|${v.field}|${showValue(v.value)}`;
}

/**
 * What a GatewayClass's spec sets that only a class may (the violations a Gateway's own would have, keyed by
 * {@link violationKey}): a Gateway's EnvoyProxy merged onto it (`mergeType`) carries them without being refused for
 * them; the renderer's guard (constructs/gateway-proxy.ts) leaves them out, as {@link envoyProxyProblem} does.
 */
export function classOnlySettings(base: EnvoyProxy["spec"] | undefined): Set<string> {
  const k = base?.provider?.kubernetes;
  const out = new Set<string>();
  if (!k) return out;
  const w = k.envoyDaemonSet ?? k.envoyDeployment ?? {};
  const own = skeletonOwnPod(k);
  const before = workloadSkeleton(k.envoyDaemonSet ? "DaemonSet" : "Deployment", w, own);
  const after = w.patch ? applyPatch(before, w.patch) : before;
  for (const v of podViolations(podSpecOf(after), own, false)) out.add(violationKey("pod", v));
  const satellites: readonly [string, KubernetesPatchSpec | undefined][] = [
    ["Service", k.envoyService?.patch],
    ["HorizontalPodAutoscaler", k.envoyHpa?.patch],
    ["PodDisruptionBudget", k.envoyPDB?.patch],
  ];
  for (const [kind, patch] of satellites) {
    if (!patch) continue;
    const sBefore = satelliteSkeleton(kind);
    for (const v of satelliteViolations(kind, sBefore, applyPatch(sBefore, patch))) out.add(violationKey(kind, v));
  }
  return out;
}

/** Fields a Gateway's EnvoyProxy may not set at all: object names and image pull Secrets. */
function tenantFieldProblems(k: EnvoyProxyKubernetesProvider): string[] {
  const out: string[] = [];
  const names: readonly [string, string | undefined][] = [
    ["envoyDeployment.name", k.envoyDeployment?.name],
    ["envoyDaemonSet.name", k.envoyDaemonSet?.name],
    ["envoyService.name", k.envoyService?.name],
    ["envoyServiceAccount.name", k.envoyServiceAccount?.name],
  ];
  const why = "the proxies' objects live in the controller's namespace and are named after their Gateway";
  for (const [field, value] of names) {
    if (value !== undefined) out.push(describe(field.split(".")[0] ?? "", { field: "name", value, why }, false));
  }
  for (const at of ["envoyDeployment", "envoyDaemonSet"] as const) {
    const secrets = k[at]?.pod?.imagePullSecrets;
    if (secrets !== undefined) {
      const v = {
        field: "pod.imagePullSecrets",
        value: secrets,
        why: "they name Secrets of the controller's namespace",
      };
      out.push(describe(at, v, false));
    }
  }
  return out;
}

/** Stands for values the renderer fills in (names, image, args): a patch that changes one is seen. */
const RENDERED = "<rendered>";
const SKELETON_LABELS = { "app.kubernetes.io/managed-by": "envoy-gateway", "app.kubernetes.io/component": "proxy" };
const SKELETON_METADATA = {
  name: RENDERED,
  namespace: RENDERED,
  labels: SKELETON_LABELS,
  ownerReferences: [{ apiVersion: RENDERED, kind: "GatewayClass", name: RENDERED, uid: RENDERED }],
};

/** What the renderer gives every pod of its own (see constructs/gateway-proxy.ts). */
function skeletonOwnPod(k: EnvoyProxyKubernetesProvider): OwnPod {
  return {
    serviceAccountName: k.envoyServiceAccount?.name ?? RENDERED,
    volumes: [{ name: "bootstrap", configMap: { name: RENDERED } }, TMP_VOLUME],
    container: { name: "envoy", image: RENDERED, args: [RENDERED], lifecycle: envoyLifecycle() },
    sidecars: [shutdownManagerContainer(RENDERED, undefined)],
  };
}

/** A Deployment or DaemonSet as the renderer builds it from the EnvoyProxy's pod and container settings. */
function workloadSkeleton(
  kind: string,
  w: { pod?: KubernetesPodSpec; container?: KubernetesContainerSpec; initContainers?: readonly unknown[] },
  own: OwnPod,
): Record<string, unknown> {
  const pod = w.pod ?? {};
  const c = w.container ?? {};
  const container = {
    name: own.container.name,
    image: c.image ?? own.container.image,
    args: own.container.args,
    lifecycle: own.container.lifecycle,
    env: containerEnv([], c.env),
    securityContext: { ...CONTAINER_SECURITY_CONTEXT, ...c.securityContext },
    volumeMounts: [TMP_MOUNT, ...(c.volumeMounts ?? [])],
  };
  const spec = {
    serviceAccountName: own.serviceAccountName,
    automountServiceAccountToken: false,
    securityContext: { ...POD_SECURITY_CONTEXT, ...pod.securityContext },
    ...(w.initContainers?.length ? { initContainers: w.initContainers } : {}),
    containers: [container, ...(own.sidecars ?? [])],
    volumes: [...own.volumes, ...(pod.volumes ?? [])],
    ...Object.fromEntries(POD_SPEC_FIELDS.filter((f) => pod[f] !== undefined).map((f) => [f, pod[f]])),
  };
  const template = { metadata: { labels: { ...SKELETON_LABELS, "app.kubernetes.io/name": "envoy" } }, spec };
  return { apiVersion: "apps/v1", kind, metadata: SKELETON_METADATA, spec: { selector: RENDERED, template } };
}

/** A Service, HPA or PDB skeleton: identity, and the fields that point at the proxies. */
function satelliteSkeleton(kind: string): Record<string, unknown> {
  const apiVersion = kind === "Service" ? "v1" : kind === "PodDisruptionBudget" ? "policy/v1" : "autoscaling/v2";
  const spec = { selector: { ...SKELETON_LABELS }, scaleTargetRef: { kind: "Deployment", name: RENDERED } };
  return { apiVersion, kind, metadata: SKELETON_METADATA, spec };
}

function podSpecOf(workload: unknown): Readonly<Record<string, unknown>> {
  const spec = (workload as { spec?: { template?: { spec?: Record<string, unknown> } } }).spec;
  return spec?.template?.spec ?? {};
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

/**
 * The proxy with the local dynamic modules of its EnvoyProxy (`dynamicModules` entries of source Local with an
 * absolute path; the others are refused where a policy uses them), or itself when there are none.
 */
export function withDynamicModuleFiles(p: ProxyInfraIr, spec: EnvoyProxy["spec"] | undefined): ProxyInfraIr {
  const files: DynamicModuleFileIr[] = [];
  for (const e of spec?.dynamicModules ?? []) {
    const path = e.source?.local?.path;
    if ((e.source?.type ?? "Local") === "Local" && typeof path === "string" && path.startsWith("/"))
      files.push({ name: e.name, path });
  }
  return files.length > 0 ? { ...p, dynamicModules: files } : p;
}
