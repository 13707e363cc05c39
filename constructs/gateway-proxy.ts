/**
 * `GatewayProxy`: the Kubernetes objects that run one Gateway's Envoy proxies (or a GatewayClass's, with
 * `mergeGateways`): ServiceAccount, ConfigMap with the bootstrap, Deployment or DaemonSet, Service, and
 * optionally an HPA and a PDB. Rendering is pure: no I/O, same props → same manifests.
 */
import { createHash } from "node:crypto";
import { ApiObject } from "cdk8s";
import { Construct } from "constructs";
import {
  buildBootstrap,
  STATS_PATH,
  statsCompressionOf,
  statsMatchesOf,
  xdsSdsFiles,
  type XdsTlsFiles,
} from "../operator/src/infra/bootstrap";
import { proxyBootstrap } from "../operator/src/infra/bootstrap-custom";
import { XDS_TOKEN_SDS_FILE, xdsTokenSdsFile, type XdsTokenFiles } from "../operator/src/infra/bootstrap-xds-token";
import { proxyArgs } from "../operator/src/infra/proxy-args";
import type { ProxyRuntimeIr } from "../operator/src/ir/infra-ir";
import type { MetricSinkIr } from "../operator/src/ir/telemetry-ir";
import { proxyRuntimeFor } from "../operator/src/translate/proxy-runtime";
import { applyPatch, containerEnv } from "../operator/src/translate/kubernetes-patch";
import { classOnlySettings, envoyProxyProblem, violationKey } from "../operator/src/translate/envoy-proxy";
import type {
  EnvoyProxyKubernetesProvider,
  EnvoyProxySpec,
  KubernetesContainerSpec,
  KubernetesDaemonSetSpec,
  KubernetesDeploymentSpec,
  KubernetesHorizontalPodAutoscalerSpec,
  KubernetesPatchSpec,
  KubernetesPodDisruptionBudgetSpec,
  KubernetesPodSpec,
  KubernetesServiceSpec,
} from "../operator/src/resources/envoy-proxy";
import { objectLabels, ownerAnnotations, selectorLabels, type ProxyOwner } from "./names";
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
} from "./proxy-policy";
import {
  DEFAULT_SHUTDOWN_MANAGER_IMAGE,
  envoyLifecycle,
  shutdownManagerContainer,
  terminationGraceSeconds,
} from "./shutdown-manager";

/** Envoy's admin port, on loopback inside the pod. */
export const ENVOY_ADMIN_PORT = 19000;
/** The readiness listener's port (`GET /ready`). */
export const ENVOY_READINESS_PORT = 19003;
/**
 * The stats listener's port (`GET /stats/prometheus` only), container port `metrics`, as Envoy Gateway's
 * proxies. It is the controller's default metrics port too, which is fine: each runs in a pod of its own (a
 * controller on the same host network as a proxy needs another one, `--metrics-port`).
 */
export const ENVOY_STATS_PORT = 19001;
/** Pod annotations Prometheus's Kubernetes discovery scrapes by (Envoy Gateway's). */
export const SCRAPE_ANNOTATIONS: Readonly<Record<string, string>> = {
  "prometheus.io/path": STATS_PATH,
  "prometheus.io/port": String(ENVOY_STATS_PORT),
  "prometheus.io/scrape": "true",
};
/** Envoy Gateway's drain time when the EnvoyProxy sets no `shutdown.drainTimeout`, in seconds. */
export const DEFAULT_DRAIN_SECONDS = 60;
/** The ports every proxy pod binds itself, with what binds them: no Gateway listener may use them. */
export const PROXY_RESERVED_PORTS: ReadonlyMap<number, string> = new Map([
  [ENVOY_ADMIN_PORT, "Envoy's admin interface"],
  [ENVOY_STATS_PORT, "the proxy's stats listener (/stats/prometheus)"],
  [ENVOY_READINESS_PORT, "the proxy's readiness listener (/ready)"],
]);
/** Default namespace of the controller and of the proxies it creates. */
export const DEFAULT_CONTROLLER_NAMESPACE = "envoy-gateway-system";
/**
 * Pod template annotation with the SHA-256 of the bootstrap ConfigMap's data: a bootstrap change changes the pod
 * template, so the proxies re-roll (Envoy reads its bootstrap only when it starts; Envoy Gateway's proxies get it in
 * their arguments, to the same effect).
 */
export const BOOTSTRAP_HASH_ANNOTATION = "egts.io/bootstrap-hash";
/** Where the bootstrap ConfigMap is mounted. */
export const BOOTSTRAP_PATH = "/config/envoy.json";
/** Where the proxies' SDS files (their xDS client certificate and CA, bootstrap.ts xdsSdsFiles) are. */
export const PROXY_SDS_DIR = BOOTSTRAP_PATH.slice(0, BOOTSTRAP_PATH.lastIndexOf("/"));
/** Where the xDS client certificate Secret is mounted. */
export const XDS_CERTS_DIR = "/certs";
/** Where the projected service-account token for the xDS server is mounted (Envoy Gateway's path). */
export const XDS_TOKEN_DIR = "/var/run/secrets/token";
/** The projected token's lifetime; the kubelet rotates it at 80 % of it. */
export const XDS_TOKEN_EXPIRATION_SECONDS = 3600;

/** One port the proxies serve: the Service port and the container port Envoy binds. */
export interface ProxyPort {
  /** Port name (at most 15 characters), e.g. `http-80`. */
  readonly name: string;
  /** Service port: the Gateway listener's port. */
  readonly port: number;
  /** Port Envoy listens on in the container. */
  readonly containerPort: number;
  /** Transport protocol. */
  readonly protocol: "TCP" | "UDP";
}

/** One object `GatewayProxy.add` renders. */
interface ObjectToAdd {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Everything but apiVersion, kind and metadata. */
  readonly body: Record<string, unknown>;
  /** The EnvoyProxy patch for this object. */
  readonly patch?: KubernetesPatchSpec;
  /** Labels and annotations of this object only. */
  readonly metadata?: ExtraMetadata;
  /** For a Deployment or DaemonSet: what its pods keep of their own, checked after the patch. */
  readonly own?: OwnPod;
}

/** Labels and annotations added to one object. */
interface ExtraMetadata {
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Properties of a `GatewayProxy`. */
export interface GatewayProxyProps {
  /** The Gateway (or merged GatewayClass) these proxies serve. */
  readonly owner: ProxyOwner;
  /** Base name of every object, e.g. `envoy-default-eg-1a2b3c4d`. */
  readonly name: string;
  /** Envoy node id the control plane serves this proxy's config under. */
  readonly nodeId: string;
  /** Ports to expose. */
  readonly ports: readonly ProxyPort[];
  /** Namespace of the objects. @default envoy-gateway-system */
  readonly namespace?: string;
  /** Envoy image, unless EnvoyProxy sets one. */
  readonly image: string;
  /** The controller's image, which the shutdown-manager container runs. @default ghcr.io/egts/controller:<version> */
  readonly shutdownManagerImage?: string;
  /** The xDS server the proxies connect to. */
  readonly xds: {
    /** Host name or IP. */
    readonly host: string;
    /** Port. @default 18000 */
    readonly port?: number;
    /** Secret (tls.crt, tls.key, ca.crt) with the proxies' xDS client certificate; plaintext when absent. */
    readonly tlsSecretName?: string;
    /** Name the xDS server's certificate carries. @default host */
    readonly serverName?: string;
    /**
     * Audience of a projected service-account token the proxies present to the xDS server on every stream
     * (GatewayNamespace mode, as Envoy Gateway); the server checks it with a TokenReview. @default no token
     */
    readonly tokenAudience?: string;
  };
  /** Gateway `spec.infrastructure` labels and annotations, put on every object. @default none */
  readonly infrastructure?: {
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  /** The EnvoyProxy in effect (Gateway's parametersRef, else the GatewayClass's). @default none */
  readonly envoyProxy?: EnvoyProxySpec;
  /**
   * Who wrote `envoyProxy`: the GatewayClass's (the cluster operator's, trusted) or the Gateway's own (a
   * tenant's, held to docs/adr/0003-envoyproxy-privilege-boundary.md). @default GatewayClass
   */
  readonly envoyProxyOrigin?: EnvoyProxyOrigin;
  /**
   * The GatewayClass's (trusted) spec a Gateway's `envoyProxy` was merged onto (EnvoyProxy `mergeType`): what it
   * sets alone is not held against the Gateway. @default not merged
   */
  readonly envoyProxyBase?: EnvoyProxySpec;
  /**
   * The OpenTelemetry stat sinks of the bootstrap, as the translator resolved them (their backends' endpoints: the
   * EnvoyProxy spec alone does not say where a sink is). @default none
   */
  readonly metricSinks?: readonly MetricSinkIr[];
  /**
   * Owner of every object: the Gateway's GatewayClass (cluster-scoped; a namespaced owner in another
   * namespace is not allowed), so deleting the class garbage-collects its proxies. @default none
   */
  readonly ownerReference?: OwnerReference;
}

/** A metav1.OwnerReference. */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

const DEFAULT_RESOURCES = { requests: { cpu: "100m", memory: "512Mi" } };

/**
 * The container port Envoy binds for a listener port: ports below 1024 move up by 10000 because Envoy
 * runs as a non-root user without NET_BIND_SERVICE (the Service still exposes the listener's port).
 */
export function containerPortFor(port: number): number {
  return port < 1024 ? port + 10000 : port;
}

/**
 * Whether a proxy binds its listeners on their own ports instead of {@link containerPortFor}: its EnvoyProxy
 * sets `useListenerPortAsContainerPort`, or the controller does for every proxy (`always`).
 */
export function keepsListenerPorts(envoyProxy: EnvoyProxySpec | undefined, always: boolean): boolean {
  return always || envoyProxy?.provider?.kubernetes?.useListenerPortAsContainerPort === true;
}

/** Rejects port lists no Service would accept, with a message quoting the values. */
function validatePorts(ports: readonly ProxyPort[]): void {
  const seen = new Set<string>();
  for (const p of ports) {
    if (p.name.length > 15) throw new Error(`port name "${p.name}" is longer than 15 characters`);
    const key = `${p.protocol}/${p.port}`;
    if (seen.has(key)) throw new Error(`port ${key} is listed twice`);
    seen.add(key);
  }
}

/** The keys of `o` among `keys` that are set. */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (o[key] !== undefined) out[key] = o[key];
  return out;
}

/** `o` without its undefined values. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The Kubernetes objects of one Gateway's proxies. */
export class GatewayProxy extends Construct {
  /** Namespace of the rendered objects. */
  readonly namespace: string;
  /** `provider.kubernetes` of the EnvoyProxy, or empty. */
  private readonly k8s: EnvoyProxyKubernetesProvider;
  /** SHA-256 of the bootstrap ConfigMap's data ({@link BOOTSTRAP_HASH_ANNOTATION}). */
  private readonly bootstrapHash: string = "";
  /** What the class's spec a Gateway's was merged onto sets that only a class may (envoyProxyBase). */
  private readonly classOnly: ReadonlySet<string>;
  /** Who wrote the EnvoyProxy. */
  private get origin(): EnvoyProxyOrigin {
    return this.props.envoyProxyOrigin ?? "GatewayClass";
  }

  constructor(
    scope: Construct,
    id: string,
    private readonly props: GatewayProxyProps,
  ) {
    super(scope, id);
    this.k8s = props.envoyProxy?.provider?.kubernetes ?? {};
    validatePorts(props.ports);
    // The translator makes such a Gateway (or class) InvalidParameters; this is the renderer's own guard.
    const problem = envoyProxyProblem(props.envoyProxy, this.origin, props.envoyProxyBase);
    this.classOnly = classOnlySettings(props.envoyProxyBase);
    if (problem) throw new Error(`EnvoyProxy: ${problem}`);
    this.namespace = props.namespace ?? DEFAULT_CONTROLLER_NAMESPACE;
    const saName = this.serviceAccountName();
    this.add("service-account", { apiVersion: "v1", kind: "ServiceAccount", name: saName, body: {} });
    const tls = this.xdsTlsFiles();
    // With mTLS, the SDS files that make Envoy reload its xDS certificate when the Secret volume changes.
    const token = this.xdsTokenFiles();
    const data = {
      "envoy.json": this.bootstrapJson(),
      ...(tls ? xdsSdsFiles(tls) : {}),
      ...(token ? { [XDS_TOKEN_SDS_FILE]: xdsTokenSdsFile(token.tokenFile) } : {}),
    };
    this.bootstrapHash = createHash("sha256").update(JSON.stringify(data)).digest("hex");
    this.add("config", { apiVersion: "v1", kind: "ConfigMap", name: props.name, body: { data } });
    if (this.k8s.envoyDaemonSet) this.addDaemonSet(this.k8s.envoyDaemonSet);
    else this.addDeployment(this.k8s.envoyDeployment ?? {});
    this.addService(this.k8s.envoyService);
    if (this.k8s.envoyHpa) this.addHpa(this.k8s.envoyHpa);
    if (this.k8s.envoyPDB) this.addPdb(this.k8s.envoyPDB);
  }

  private addDaemonSet(d: KubernetesDaemonSetSpec): void {
    const spec = defined({
      updateStrategy: d.strategy,
      selector: { matchLabels: selectorLabels(this.props.owner) },
      template: this.podTemplate(d),
    });
    const name = d.name ?? this.props.name;
    const own = this.ownPod();
    this.add("daemonset", { apiVersion: "apps/v1", kind: "DaemonSet", name, body: { spec }, patch: d.patch, own });
  }

  private addDeployment(d: KubernetesDeploymentSpec): void {
    const spec = defined({
      replicas: this.k8s.envoyHpa ? undefined : (d.replicas ?? 1), // the HPA owns the count
      strategy: d.strategy,
      selector: { matchLabels: selectorLabels(this.props.owner) },
      template: this.podTemplate(d),
    });
    const name = d.name ?? this.props.name;
    const own = this.ownPod();
    this.add("deployment", { apiVersion: "apps/v1", kind: "Deployment", name, body: { spec }, patch: d.patch, own });
  }

  private addHpa(hpa: KubernetesHorizontalPodAutoscalerSpec): void {
    const cpu80 = { type: "Utilization", averageUtilization: 80 };
    const target = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: this.k8s.envoyDeployment?.name ?? this.props.name,
    };
    const spec = defined({
      scaleTargetRef: target,
      minReplicas: hpa.minReplicas ?? 1,
      maxReplicas: hpa.maxReplicas,
      metrics: hpa.metrics ?? [{ type: "Resource", resource: { name: "cpu", target: cpu80 } }],
      behavior: hpa.behavior,
    });
    const kind = "HorizontalPodAutoscaler";
    const name = hpa.name ?? this.props.name;
    this.add("hpa", { apiVersion: "autoscaling/v2", kind, name, body: { spec }, patch: hpa.patch });
  }

  private addPdb(pdb: KubernetesPodDisruptionBudgetSpec): void {
    const spec = defined({
      selector: { matchLabels: selectorLabels(this.props.owner) },
      minAvailable: pdb.minAvailable,
      maxUnavailable: pdb.maxUnavailable,
    });
    const kind = "PodDisruptionBudget";
    const name = pdb.name ?? this.props.name;
    this.add("pdb", { apiVersion: "policy/v1", kind, name, body: { spec }, patch: pdb.patch });
  }

  /** The mounted xDS client certificate (delivered to Envoy over file-based SDS), or undefined for plaintext. */
  private xdsTlsFiles(): XdsTlsFiles | undefined {
    const { xds } = this.props;
    if (!xds.tlsSecretName) return undefined;
    return {
      certFile: `${XDS_CERTS_DIR}/tls.crt`,
      keyFile: `${XDS_CERTS_DIR}/tls.key`,
      caFile: `${XDS_CERTS_DIR}/ca.crt`,
      serverName: xds.serverName ?? xds.host,
      sdsDir: PROXY_SDS_DIR,
    };
  }

  /** The projected service-account token and its SDS file, or undefined when the proxies present none. */
  private xdsTokenFiles(): XdsTokenFiles | undefined {
    if (this.props.xds.tokenAudience === undefined) return undefined;
    return { tokenFile: `${XDS_TOKEN_DIR}/sa-token`, sdsPath: `${PROXY_SDS_DIR}/${XDS_TOKEN_SDS_FILE}` };
  }

  /** The bootstrap the pods start from, as pretty JSON. */
  private bootstrapJson(): string {
    const { xds, nodeId } = this.props;
    const xdsTls = this.xdsTlsFiles();
    const xdsToken = this.xdsTokenFiles();
    const bootstrap = buildBootstrap({
      nodeId,
      xdsHost: xds.host,
      xdsPort: xds.port ?? 18000,
      adminPort: ENVOY_ADMIN_PORT,
      readinessPort: ENVOY_READINESS_PORT,
      ...(this.prometheus() ? { statsPort: ENVOY_STATS_PORT } : {}),
      ...(xdsTls ? { xdsTls } : {}),
      ...(xdsToken ? { xdsToken } : {}),
      ...statsMatchesOf(this.runtime()),
      ...statsCompressionOf(this.runtime()),
      ...(this.props.envoyProxy?.ipFamily ? { ipFamily: this.props.envoyProxy.ipFamily } : {}),
      ...(this.props.metricSinks?.length ? { metricSinks: this.props.metricSinks } : {}),
    });
    const custom = proxyBootstrap(bootstrap, this.runtime());
    if ("problem" in custom) throw new Error(`EnvoyProxy bootstrap of ${nodeId}: ${custom.problem}`);
    return `${JSON.stringify(custom.bootstrap, null, 2)}\n`;
  }

  /** Metadata shared by every object: our labels, then the Gateway's infrastructure labels/annotations. */
  private metadata(name: string, extra?: ExtraMetadata): Record<string, unknown> {
    const infra = this.props.infrastructure;
    const labels = { ...infra?.labels, ...extra?.labels, ...objectLabels(this.props.owner) };
    const annotations = { ...infra?.annotations, ...extra?.annotations, ...ownerAnnotations(this.props.owner) };
    const owner = this.props.ownerReference;
    return {
      name,
      namespace: this.namespace,
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(owner ? { ownerReferences: [{ ...owner, blockOwnerDeletion: false }] } : {}),
    };
  }

  /** Adds one object, patched last with the EnvoyProxy patch for it. */
  private add(id: string, o: ObjectToAdd): void {
    const metadata = this.metadata(o.name, o.metadata);
    const rendered = { apiVersion: o.apiVersion, kind: o.kind, metadata, ...o.body };
    const manifest = applyPatch(rendered, o.patch);
    this.check(o, rendered, manifest);
    new ApiObject(this, id, manifest as ConstructorParameters<typeof ApiObject>[2]);
  }

  /**
   * The renderer's guard on the patched result (the translator judged the same settings on a skeleton):
   * identity and labels for every EnvoyProxy, the whole boundary for a Gateway's own.
   */
  private check(o: ObjectToAdd, rendered: Record<string, unknown>, patched: Record<string, unknown>): void {
    const trusted = this.origin === "GatewayClass";
    const found: Violation[] = [...objectIdentityViolations(rendered, patched)];
    // Merged onto the class's (mergeType): what the class's spec alone sets is the class's, not the tenant's.
    const classOnly = this.classOnly;
    const tenants = (kind: string, vs: Violation[]): Violation[] =>
      vs.filter((x) => !classOnly.has(violationKey(kind, x)));
    if (o.own) {
      found.push(...workloadSelectorViolations(rendered, patched));
      found.push(...tenants("pod", podViolations(podSpecOf(patched), o.own, trusted)));
    } else if (!trusted) found.push(...tenants(o.kind, satelliteViolations(o.kind, rendered, patched)));
    const v = found[0];
    if (v) {
      throw new Error(
        `EnvoyProxy (${this.origin}'s): the ${o.kind} ${o.name} would set ${v.field} to ${showValue(v.value)}: ${v.why}`,
      );
    }
  }

  private podTemplate(workload: {
    pod?: KubernetesPodSpec;
    container?: KubernetesContainerSpec;
    initContainers?: KubernetesDeploymentSpec["initContainers"];
  }): Record<string, unknown> {
    const pod = workload.pod ?? {};
    // Envoy Gateway's managed-by label on the pods too (not in the selector, which cannot change).
    const labels = { ...this.props.infrastructure?.labels, ...pod.labels, ...objectLabels(this.props.owner) };
    // Envoy Gateway's scrape annotations first, so the Gateway's and the EnvoyProxy's may override them.
    const scrape = this.prometheus() ? SCRAPE_ANNOTATIONS : {};
    const annotations = {
      ...scrape,
      ...this.props.infrastructure?.annotations,
      ...pod.annotations,
      [BOOTSTRAP_HASH_ANNOTATION]: this.bootstrapHash,
    };
    const volumes: Record<string, unknown>[] = [{ name: "bootstrap", configMap: { name: this.props.name } }];
    const mounts: Record<string, unknown>[] = [{ name: "bootstrap", mountPath: "/config", readOnly: true }];
    if (this.props.xds.tlsSecretName) {
      volumes.push({ name: "xds-certs", secret: { secretName: this.props.xds.tlsSecretName } });
      mounts.push({ name: "xds-certs", mountPath: XDS_CERTS_DIR, readOnly: true });
    }
    const audience = this.props.xds.tokenAudience;
    if (audience !== undefined) {
      // Not the API server's token (automountServiceAccountToken stays false): one only the xDS server accepts.
      const token = { audience, expirationSeconds: XDS_TOKEN_EXPIRATION_SECONDS, path: "sa-token" };
      volumes.push({ name: "sa-token", projected: { sources: [{ serviceAccountToken: token }] } });
      mounts.push({ name: "sa-token", mountPath: XDS_TOKEN_DIR, readOnly: true });
    }
    volumes.push({ ...TMP_VOLUME }); // the root filesystem is read-only
    mounts.push({ ...TMP_MOUNT });
    const podSpec = {
      serviceAccountName: this.serviceAccountName(),
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: terminationGraceSeconds(this.runtime()),
      securityContext: { ...POD_SECURITY_CONTEXT, ...pod.securityContext },
      ...(workload.initContainers?.length ? { initContainers: workload.initContainers } : {}),
      containers: [this.envoyContainer(workload.container ?? {}, mounts), this.shutdownManager()],
      volumes: [...volumes, ...(pod.volumes ?? [])],
      ...pick(pod, POD_SPEC_FIELDS),
    };
    return { metadata: { labels, annotations }, spec: podSpec };
  }

  /** The proxies' ServiceAccount: derived from the Gateway, or the class's EnvoyProxy's name for it. */
  private serviceAccountName(): string {
    return this.k8s.envoyServiceAccount?.name ?? this.props.name;
  }

  /** What every proxy pod keeps of its own, whatever the EnvoyProxy's patch says. */
  private ownPod(): OwnPod {
    const tmpl = this.podTemplate({}) as { spec: { volumes: Record<string, unknown>[] } };
    return {
      serviceAccountName: this.serviceAccountName(),
      volumes: tmpl.spec.volumes,
      container: { name: "envoy", image: this.props.image, args: this.envoyArgs(), lifecycle: envoyLifecycle() },
      sidecars: [this.shutdownManager()],
    };
  }

  /** The shutdown-manager container (constructs/shutdown-manager.ts). */
  private shutdownManager(): Record<string, unknown> {
    return shutdownManagerContainer(this.props.shutdownManagerImage ?? DEFAULT_SHUTDOWN_MANAGER_IMAGE, this.runtime());
  }

  /** Envoy's arguments: the bootstrap, then the EnvoyProxy's settings (Envoy Gateway's defaults: warn, 60 s drain). */
  private envoyArgs(): string[] {
    return proxyArgs(["--config-path", BOOTSTRAP_PATH], this.runtime(), {
      logLevel: "warn",
      drainTimeSeconds: DEFAULT_DRAIN_SECONDS,
    });
  }

  /** The runtime settings of the EnvoyProxy (undefined: defaults). */
  private runtime(): ProxyRuntimeIr | undefined {
    return proxyRuntimeFor(this.props.envoyProxy);
  }

  /** Whether the proxies serve Prometheus stats on {@link ENVOY_STATS_PORT} (unless the EnvoyProxy disables it). */
  private prometheus(): boolean {
    return this.runtime()?.prometheusDisabled !== true;
  }

  private envoyContainer(c: KubernetesContainerSpec, mounts: Record<string, unknown>[]): Record<string, unknown> {
    const args = this.envoyArgs();
    const ports = [
      ...this.props.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol })),
      ...(this.prometheus() ? [{ name: "metrics", containerPort: ENVOY_STATS_PORT, protocol: "TCP" }] : []),
      { name: "readiness", containerPort: ENVOY_READINESS_PORT, protocol: "TCP" },
    ];
    const ours = [
      { name: "ENVOY_POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "ENVOY_POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ];
    return {
      name: "envoy",
      image: envoyImage(c, this.props.image),
      imagePullPolicy: "IfNotPresent",
      args,
      // A user variable of the same name replaces ours (as in Envoy Gateway).
      env: containerEnv(ours, c.env),
      ports,
      resources: c.resources ?? DEFAULT_RESOURCES,
      readinessProbe: {
        httpGet: { path: "/ready", port: ENVOY_READINESS_PORT, scheme: "HTTP" },
        periodSeconds: 5,
        failureThreshold: 1,
      },
      lifecycle: envoyLifecycle(),
      securityContext: { ...CONTAINER_SECURITY_CONTEXT, ...c.securityContext },
      volumeMounts: [...mounts, ...(c.volumeMounts ?? [])],
    };
  }

  private addService(s: KubernetesServiceSpec | undefined): void {
    const type = s?.type ?? "LoadBalancer";
    const spec = {
      type,
      selector: selectorLabels(this.props.owner),
      ports: this.props.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.containerPort,
        protocol: p.protocol,
      })),
      ...(type !== "ClusterIP" ? { externalTrafficPolicy: s?.externalTrafficPolicy ?? "Local" } : {}),
      ...pick(s ?? {}, [
        "loadBalancerClass",
        "allocateLoadBalancerNodePorts",
        "loadBalancerSourceRanges",
        "loadBalancerIP",
      ]),
      ...serviceFamilies(this.props.envoyProxy?.ipFamily),
    };
    const name = s?.name ?? this.props.name;
    const metadata = { labels: s?.labels, annotations: s?.annotations };
    this.add("service", { apiVersion: "v1", kind: "Service", name, body: { spec }, patch: s?.patch, metadata });
  }
}

/**
 * The Service's IP families for EnvoyProxy `ipFamily`, as Envoy Gateway sets them: IPv6 single-stack, or IPv4 and
 * IPv6 with RequireDualStack; IPv4 leaves Kubernetes' default (single-stack, the cluster's primary family).
 */
function serviceFamilies(family: EnvoyProxySpec["ipFamily"]): Record<string, unknown> {
  if (family === "IPv6") return { ipFamilies: ["IPv6"], ipFamilyPolicy: "SingleStack" };
  if (family === "DualStack") return { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "RequireDualStack" };
  return {};
}

/**
 * The Envoy image for the container settings, as Envoy Gateway resolves it: `imageRepository` with the default
 * image's tag (and digest), else `image`, else the default image.
 */
export function envoyImage(c: KubernetesContainerSpec, defaultImage: string): string {
  if (!c.imageRepository) return c.image ?? defaultImage;
  const at = defaultImage.indexOf("@");
  const name = at >= 0 ? defaultImage.slice(0, at) : defaultImage;
  const digest = at >= 0 ? defaultImage.slice(at) : "";
  const colon = name.lastIndexOf(":");
  const tag = colon > name.lastIndexOf("/") ? name.slice(colon) : "";
  return `${c.imageRepository}${tag}${digest}`;
}

/** The pod template spec of a rendered Deployment or DaemonSet. */
function podSpecOf(workload: Record<string, unknown>): Readonly<Record<string, unknown>> {
  const spec = (workload as { spec?: { template?: { spec?: Record<string, unknown> } } }).spec;
  return spec?.template?.spec ?? {};
}
