/**
 * The EnvoyProxy privilege boundary (docs/adr/0003-envoyproxy-privilege-boundary.md): the hardened defaults of
 * every proxy pod, and the checks of a rendered (and patched) object that say what an EnvoyProxy may not make
 * the proxies do. A Gateway's own EnvoyProxy (its tenant's) gets every check; the GatewayClass's (the cluster
 * operator's) only the ones that keep one proxy's objects its own: identity, labels and ServiceAccount. Pure.
 */

/** Free-form manifest JSON. */
type Obj = Readonly<Record<string, unknown>>;

/** Who wrote the EnvoyProxy in effect: the cluster operator (GatewayClass) or a tenant (Gateway). */
export type EnvoyProxyOrigin = "GatewayClass" | "Gateway";

/** Security context of every proxy pod, unless the EnvoyProxy overrides a field (within the boundary). */
export const POD_SECURITY_CONTEXT: Obj = {
  runAsUser: 65532,
  runAsGroup: 65532,
  runAsNonRoot: true,
  fsGroup: 65532,
  seccompProfile: { type: "RuntimeDefault" },
};

/** Security context of the Envoy container, unless the EnvoyProxy overrides a field (within the boundary). */
export const CONTAINER_SECURITY_CONTEXT: Obj = {
  allowPrivilegeEscalation: false,
  privileged: false,
  capabilities: { drop: ["ALL"] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
};

/** The writable scratch folder Envoy gets, since its root filesystem is read-only. */
export const TMP_VOLUME: Obj = { name: "tmp", emptyDir: { sizeLimit: "64Mi" } };
/** Where {@link TMP_VOLUME} is mounted. */
export const TMP_MOUNT: Obj = { name: "tmp", mountPath: "/tmp" };

/** One thing an object may not do, found by a check. */
export interface Violation {
  /** The field, relative to the EnvoyProxy's workload settings (`pod.hostNetwork`, `container.image`, …). */
  readonly field: string;
  /** The offending value. */
  readonly value: unknown;
  /** Why it is refused. */
  readonly why: string;
  /** True when no EnvoyProxy may do it, not even the GatewayClass's. */
  readonly always?: boolean;
}

/** What a proxy pod must keep of its own: the ServiceAccount, volumes, and the Envoy container's program. */
export interface OwnPod {
  /** The proxies' ServiceAccount. */
  readonly serviceAccountName: string;
  /** The volumes the renderer adds (bootstrap, xDS certificates, tmp). */
  readonly volumes: readonly Obj[];
  /** The Envoy container: its name, image, args and lifecycle (its preStop waits for the drain). */
  readonly container: {
    readonly name: string;
    readonly image?: unknown;
    readonly args?: unknown;
    readonly lifecycle?: unknown;
  };
  /** The other containers the renderer adds (the shutdown manager), each kept exactly as rendered. @default none */
  readonly sidecars?: readonly Obj[];
}

function obj(v: unknown): Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(obj) : [];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The EnvoyProxy `pod` fields the renderer copies into the pod spec as they are (and the translator's skeleton). */
export const POD_SPEC_FIELDS = [
  "affinity",
  "tolerations",
  "nodeSelector",
  "topologySpreadConstraints",
  "imagePullSecrets",
  "priorityClassName",
] as const;

/** Volume sources a tenant may add: none of them reaches a Secret, a node path or another namespace's data. */
const TENANT_VOLUME_SOURCES = new Set(["emptyDir", "downwardAPI"]);

/**
 * What a pod template spec (as rendered and patched) does that its EnvoyProxy may not make it do. The
 * ServiceAccount rules hold for every EnvoyProxy; the rest only for a Gateway's (`trusted` false).
 */
export function podViolations(spec: Obj, own: OwnPod, trusted: boolean): Violation[] {
  const out: Violation[] = [];
  const why = "the proxies run as their own ServiceAccount, so they never hold another identity's token";
  if (spec.serviceAccountName !== own.serviceAccountName) {
    out.push({ field: "pod.serviceAccountName", value: spec.serviceAccountName, why, always: true });
  }
  if (spec.serviceAccount !== undefined && spec.serviceAccount !== own.serviceAccountName) {
    out.push({ field: "pod.serviceAccount", value: spec.serviceAccount, why, always: true });
  }
  if (trusted) return out;
  out.push(...podLevelViolations(spec), ...podSecurityViolations(obj(spec.securityContext)));
  out.push(...volumeViolations(list(spec.volumes), own));
  out.push(...containerViolations(spec, own));
  out.push(...classVolumeMountViolations(spec, own));
  return out;
}

/**
 * Mounts into the Envoy container of a volume a tenant may not add (hostPath, Secret, ConfigMap, projected, PVC).
 * A tenant's spec alone cannot have one (volumeViolations refuses the volume); a spec merged onto its class's
 * (docs/adr/0015-envoyproxy-merge-type.md) can, since the class's volume is the class's: mounting it into Envoy,
 * at a path and with options the class did not choose, would hand the node's files or the controller namespace's
 * data to Envoy, where tenant-written configuration (a file access log sink, a Lua filter) reads and writes them.
 * So each such mount is a violation whose value is the whole mount: only a mount the class's spec itself makes,
 * unchanged, is the class's (classOnlySettings) and passes.
 */
function classVolumeMountViolations(spec: Obj, own: OwnPod): Violation[] {
  const envoy = list(spec.containers).find((c) => c.name === own.container.name);
  const out: Violation[] = [];
  for (const m of list(envoy?.volumeMounts)) {
    const v = list(spec.volumes).find((x) => x.name === m.name);
    if (!v || own.volumes.some((o) => o.name === v.name && same(o, v))) continue;
    const sources = Object.keys(v).filter((k) => k !== "name");
    if (sources.length === 1 && TENANT_VOLUME_SOURCES.has(sources[0] ?? "")) continue;
    const why = `it mounts volume ${String(v.name)} (${sources.join(", ")}) into Envoy, which only the GatewayClass's EnvoyProxy may do (the volume reaches the node or the controller's namespace)`;
    out.push({ field: `container.volumeMounts[${String(m.mountPath)}]`, value: m, why });
  }
  return out;
}

/** Pod fields a tenant may not set: host namespaces, token automount, node and scheduling privileges. */
function podLevelViolations(spec: Obj): Violation[] {
  const out: Violation[] = [];
  for (const f of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (spec[f] === true) out.push({ field: `pod.${f}`, value: true, why: "the proxy shares the node's namespaces" });
  }
  if (spec.automountServiceAccountToken !== false) {
    const why = "the proxies need no Kubernetes API token";
    out.push({ field: "pod.automountServiceAccountToken", value: spec.automountServiceAccountToken ?? null, why });
  }
  const scheduling: readonly [string, string][] = [
    ["nodeName", "it bypasses the scheduler and its taints"],
    ["priorityClassName", "it can preempt other workloads"],
    ["runtimeClassName", "the runtime is the cluster operator's choice"],
  ];
  for (const [f, why] of scheduling) if (spec[f] !== undefined) out.push({ field: `pod.${f}`, value: spec[f], why });
  // One violation per container, valued by the whole container: a merged spec that changes a class's init
  // container (its command, image or mounts) is then not the class's setting (classOnlySettings) and is refused.
  for (const f of ["initContainers", "ephemeralContainers"]) {
    for (const c of list(spec[f])) {
      out.push({ field: `pod.${f}[${String(c.name)}]`, value: c, why: "only the Envoy container runs" });
    }
  }
  return out;
}

/** Pod security context fields a tenant may not weaken. */
function podSecurityViolations(sc: Obj): Violation[] {
  const out = identityViolations(sc, "pod.securityContext");
  if (sc.runAsNonRoot !== true) {
    out.push({
      field: "pod.securityContext.runAsNonRoot",
      value: sc.runAsNonRoot ?? null,
      why: "Envoy runs as non-root",
    });
  }
  if (sc.sysctls !== undefined)
    out.push({ field: "pod.securityContext.sysctls", value: sc.sysctls, why: "sysctls are node settings" });
  return out;
}

/** User, seccomp, SELinux, AppArmor and Windows host-process settings a tenant may not weaken. */
function identityViolations(sc: Obj, at: string): Violation[] {
  const out: Violation[] = [];
  for (const f of ["runAsUser", "runAsGroup"]) {
    if (sc[f] === 0) out.push({ field: `${at}.${f}`, value: 0, why: "Envoy runs as non-root" });
  }
  const seccomp = obj(sc.seccompProfile).type;
  if (seccomp !== undefined && seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
    out.push({ field: `${at}.seccompProfile.type`, value: seccomp, why: "the proxy keeps a seccomp profile" });
  }
  if (obj(sc.appArmorProfile).type === "Unconfined") {
    out.push({ field: `${at}.appArmorProfile.type`, value: "Unconfined", why: "the proxy keeps its AppArmor profile" });
  }
  if (sc.seLinuxOptions !== undefined) {
    out.push({ field: `${at}.seLinuxOptions`, value: sc.seLinuxOptions, why: "SELinux labels are the operator's" });
  }
  if (obj(sc.windowsOptions).hostProcess === true) {
    out.push({
      field: `${at}.windowsOptions.hostProcess`,
      value: true,
      why: "the proxy runs on the node as a host process",
    });
  }
  return out;
}

/** Volumes a tenant may add: emptyDir and downwardAPI only; the renderer's own volumes stay as rendered. */
function volumeViolations(volumes: readonly Obj[], own: OwnPod): Violation[] {
  const out: Violation[] = [];
  for (const v of volumes) {
    const mine = own.volumes.find((o) => o.name === v.name);
    if (mine && same(mine, v)) continue;
    const sources = Object.keys(v).filter((k) => k !== "name");
    if (!mine && sources.length === 1 && TENANT_VOLUME_SOURCES.has(sources[0] ?? "")) continue;
    const why = mine
      ? "it is one of the proxy's own volumes, which stay as the controller renders them"
      : "only emptyDir and downwardAPI volumes may be added (hostPath, Secret, ConfigMap, projected and PVC volumes reach the node or the controller's namespace)";
    out.push({ field: `pod.volumes[${String(v.name)}]`, value: sources, why });
  }
  return out;
}

/**
 * The containers: only Envoy and the renderer's sidecars (kept as rendered), Envoy running its own program with
 * its own preStop hook and its security context intact.
 */
function containerViolations(spec: Obj, own: OwnPod): Violation[] {
  const out: Violation[] = [];
  const containers = list(spec.containers);
  const names = containers.map((c) => c.name);
  const sidecars = own.sidecars ?? [];
  const ours = [own.container.name, ...sidecars.map((c) => c.name)];
  if (!same(names, ours)) {
    // Another container is shown whole: a merged spec that changes a class's extra container is not the class's.
    const value = containers.map((c) => (ours.includes(c.name) ? c.name : c));
    out.push({ field: "pod.containers", value, why: "only the Envoy container and its shutdown manager run" });
  }
  for (const sidecar of sidecars) {
    const found = containers.find((c) => c.name === sidecar.name);
    if (found && !same(found, sidecar)) {
      const why = "the shutdown manager runs the controller's image and arguments, as rendered";
      out.push({ field: `pod.containers[${String(sidecar.name)}]`, value: found, why });
    }
  }
  const envoy = containers.find((c) => c.name === own.container.name);
  if (!envoy) return out;
  for (const f of ["image", "args", "command", "lifecycle"] as const) {
    if (!same(envoy[f], own.container[f as "image" | "args" | "lifecycle"])) {
      out.push({
        field: `container.${f}`,
        value: envoy[f] ?? null,
        why: "the proxy runs the controller's Envoy image and arguments",
      });
    }
  }
  for (const p of list(envoy.ports)) {
    if (p.hostPort !== undefined)
      out.push({ field: "container.ports.hostPort", value: p.hostPort, why: "host ports bind on the node" });
  }
  out.push(...containerSecurityViolations(obj(envoy.securityContext), obj(spec.securityContext)));
  out.push(...mountAndEnvViolations(envoy));
  return out;
}

/** The Envoy container's security context, read together with the pod's for runAsNonRoot. */
function containerSecurityViolations(sc: Obj, podSc: Obj): Violation[] {
  const at = "container.securityContext";
  const out = identityViolations(sc, at);
  if (sc.privileged === true)
    out.push({ field: `${at}.privileged`, value: true, why: "a privileged proxy owns the node" });
  if (sc.allowPrivilegeEscalation !== false) {
    const value = sc.allowPrivilegeEscalation ?? null;
    out.push({ field: `${at}.allowPrivilegeEscalation`, value, why: "the proxy never gains privileges" });
  }
  const caps = obj(sc.capabilities);
  if (Array.isArray(caps.add) && caps.add.length > 0) {
    out.push({ field: `${at}.capabilities.add`, value: caps.add, why: "the proxy runs without Linux capabilities" });
  }
  if (!(Array.isArray(caps.drop) && caps.drop.includes("ALL"))) {
    out.push({ field: `${at}.capabilities.drop`, value: caps.drop ?? null, why: "the proxy drops ALL capabilities" });
  }
  out.push(...filesystemViolations(sc, podSc));
  return out;
}

/** Non-root, a read-only root filesystem and the default /proc mask. */
function filesystemViolations(sc: Obj, podSc: Obj): Violation[] {
  const at = "container.securityContext";
  const out: Violation[] = [];
  if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) {
    out.push({ field: `${at}.runAsNonRoot`, value: sc.runAsNonRoot ?? null, why: "Envoy runs as non-root" });
  }
  if (sc.readOnlyRootFilesystem !== true) {
    const value = sc.readOnlyRootFilesystem ?? null;
    out.push({ field: `${at}.readOnlyRootFilesystem`, value, why: "the proxy's root filesystem is read-only" });
  }
  if (sc.procMount !== undefined && sc.procMount !== "Default") {
    out.push({ field: `${at}.procMount`, value: sc.procMount, why: "the proxy keeps the default /proc mask" });
  }
  return out;
}

/** Mounts may not propagate to the node; environment variables may not read Secrets or ConfigMaps. */
function mountAndEnvViolations(envoy: Obj): Violation[] {
  const out: Violation[] = [];
  for (const m of list(envoy.volumeMounts)) {
    if (m.mountPropagation !== undefined && m.mountPropagation !== "None") {
      const why = "mount propagation shares mounts with the node";
      out.push({
        field: `container.volumeMounts[${String(m.mountPath)}].mountPropagation`,
        value: m.mountPropagation,
        why,
      });
    }
  }
  const why = "the proxies live in the controller's namespace: its Secrets and ConfigMaps are not the tenant's";
  for (const e of list(envoy.env)) {
    const from = obj(e.valueFrom);
    if (from.secretKeyRef !== undefined || from.configMapKeyRef !== undefined) {
      out.push({ field: `container.env[${String(e.name)}].valueFrom`, value: Object.keys(from), why });
    }
  }
  if (envoy.envFrom !== undefined)
    out.push({ field: "container.envFrom", value: list(envoy.envFrom).map((e) => Object.keys(e)), why });
  return out;
}

/** What an object's patch may never change, for any EnvoyProxy: which object it is and who owns it. */
export function objectIdentityViolations(before: Obj, after: Obj): Violation[] {
  const out: Violation[] = [];
  const why = "a patch cannot change which object it is or who owns it";
  for (const f of ["apiVersion", "kind"]) {
    if (!same(before[f], after[f])) out.push({ field: f, value: after[f] ?? null, why, always: true });
  }
  const bm = obj(before.metadata);
  const am = obj(after.metadata);
  for (const f of ["name", "namespace", "ownerReferences"]) {
    if (!same(bm[f], am[f])) out.push({ field: `metadata.${f}`, value: am[f] ?? null, why, always: true });
  }
  const labels = obj(am.labels);
  for (const [k, v] of Object.entries(obj(bm.labels))) {
    if (isReservedLabel(k)) {
      if (labels[k] !== v) {
        const lwhy = "the controller finds, selects and prunes its objects by this label";
        out.push({ field: `metadata.labels[${k}]`, value: labels[k] ?? null, why: lwhy, always: true });
      }
    }
  }
  return out;
}

/**
 * What a Deployment's or DaemonSet's patch may never change, for any EnvoyProxy: its selector and the pod
 * template's reserved labels, which decide which Services send traffic to the pods (a changed selector could
 * make a proxy pod an endpoint of the controller's own Service).
 */
export function workloadSelectorViolations(before: Obj, after: Obj): Violation[] {
  const out: Violation[] = [];
  const b = obj(before.spec);
  const a = obj(after.spec);
  const why = "Services find the proxy pods (and no other) by these labels";
  if (!same(b.selector, a.selector)) out.push({ field: "spec.selector", value: a.selector ?? null, why, always: true });
  const bl = obj(obj(obj(b.template).metadata).labels);
  const al = obj(obj(obj(a.template).metadata).labels);
  for (const [k, v] of Object.entries(bl)) {
    if (isReservedLabel(k) && al[k] !== v) {
      out.push({ field: `spec.template.metadata.labels[${k}]`, value: al[k] ?? null, why, always: true });
    }
  }
  for (const k of Object.keys(al)) {
    if (isReservedLabel(k) && !(k in bl)) {
      out.push({ field: `spec.template.metadata.labels[${k}]`, value: al[k], why, always: true });
    }
  }
  return out;
}

/** Labels under the prefixes the controller and the Helm chart select by. */
function isReservedLabel(key: string): boolean {
  return key.startsWith("app.kubernetes.io/") || key.startsWith("gateway.envoyproxy.io/");
}

/**
 * What a Service, HPA or PDB (as rendered and patched) does that a Gateway's EnvoyProxy may not make it do:
 * select other pods, scale another workload, or publish external IPs.
 */
export function satelliteViolations(kind: string, before: Obj, after: Obj): Violation[] {
  const b = obj(before.spec);
  const a = obj(after.spec);
  const out: Violation[] = [];
  const keep: Readonly<Record<string, readonly string[]>> = {
    Service: ["selector"],
    HorizontalPodAutoscaler: ["scaleTargetRef"],
    PodDisruptionBudget: ["selector"],
  };
  for (const f of keep[kind] ?? []) {
    if (!same(b[f], a[f]))
      out.push({ field: `spec.${f}`, value: a[f] ?? null, why: "it would act on another Gateway's proxies" });
  }
  if (kind === "Service") {
    if (a.externalIPs !== undefined)
      out.push({
        field: "spec.externalIPs",
        value: a.externalIPs,
        why: "external IPs intercept cluster traffic (CVE-2020-8554)",
      });
    if (a.type === "ExternalName")
      out.push({ field: "spec.type", value: a.type, why: "the Service fronts the proxies" });
  }
  return out;
}

/** `v` as short JSON for a message. */
export function showValue(v: unknown): string {
  const text = JSON.stringify(v) ?? "null";
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
