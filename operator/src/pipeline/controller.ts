/**
 * Kubernetes mode: Kubernetes provider → translate → xDS cache → delta ADS server on every replica; on the
 * leader only, the rendered proxy objects are applied (and pruned) and statuses written (only on change).
 * The proxies' Deployments and DaemonSets are watched too, so Gateway Programmed follows their availability.
 * With the EnvoyGateway configuration's `rateLimit`, every replica also serves the global rate limit service
 * (the chart's `envoy-ratelimit`) its configuration over SotW xDS, from each pass. Every replica also fetches
 * the EnvoyExtensionPolicies' Wasm modules and serves them to the proxies (port 18002, {@link controllerWasmCache}).
 */
import type { Server } from "node:http";
import {
  combineLatest,
  EMPTY,
  filter,
  map,
  merge,
  scan,
  startWith,
  Subject,
  tap,
  type Observable,
  type Subscription,
} from "rxjs";
import { containerBindPorts, renderInfraChecked } from "../../../constructs/from-snapshot";
import { PROXY_RESERVED_PORTS, PROXY_SDS_DIR } from "../../../constructs/gateway-proxy";
import { proxyOwnersByGateway, type RenderOptions, type RenderOutcome } from "../../../constructs/render";
import { labelValue, proxyOwnerKey, proxyOwnerKeyOfLabels, type ProxyOwner } from "../../../constructs/names";
import { xdsServerCredentials } from "../certgen/certgen";
import { xdsServiceHost } from "../config/controller-defaults";
import { oidcHmacSecretOf } from "../certgen/oidc-hmac";
import { xdsSdsSources } from "../infra/bootstrap";
import { InfraApplier, MANAGED_SELECTOR, type ApplyResult } from "../infra/kubernetes/applier";
import { withInfraProblems } from "../infra/kubernetes/infra-problems";
import { mergesGateways } from "../translate/envoy-proxy";
import { LeaseElection } from "../leader/lease-election";
import type { ComponentLoggers, LogComponent, Logger } from "../log";
import type { ExtensionApiGates } from "../translate/extension-gates";
import { KubeClient, loadKubeConfig } from "../provider/kubernetes/client";
import { kubernetesSnapshots, type KubernetesProviderOptions } from "../provider/kubernetes/kubernetes-provider";
import { newReflectorStats, reflect, type ReflectorEvent, type ReflectorStats } from "../provider/kubernetes/reflector";
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { Service } from "../resources/core";
import type { KubeObject } from "../resources/meta";
import { allPolicies, type ResourceSnapshot } from "../resources/snapshot";
import { DEFAULT_CONTROLLER_NAME } from "../resources/envoy-gateway";
import { withInfraStatus, type ProxyObservation } from "../status/gateway-infra-status";
import { DEFAULT_COUNT_QUIET_MS, StatusWriter, type StatusWriterStats } from "../status/status-writer";
import type { StatusUpdate } from "../translate/conditions";
import { XdsCache } from "../xds/cache/snapshot-cache";
import { RateLimitXdsServer } from "../xds/ratelimit/server";
import { XdsServer, type StartOptions } from "../xds/server";
import type { XdsServerOptions } from "../xds/server/types";
import { PipelineHealth, type Readiness } from "./health";
import { startHealthProbeServer } from "./health-server";
import { metricsRegistry, startMetricsServer } from "./metrics-server";
import type { OtelSinkConfig } from "../config/envoy-gateway-telemetry";
import { startMetricSinks, type MetricSinks } from "../metrics/otel-sinks";
import type { Tracer } from "@opentelemetry/api";
import { inStage, PassTrace, STAGES } from "../traces/pass-trace";
import { ControlPlaneMetrics, passEnd } from "../metrics/control-plane";
import { ProxyCertIssuer } from "./proxy-certs";
import { ProxyTokenAuth } from "./xds-token-auth";
import type { BackendSettings } from "../translate/backend-endpoints";
import type { RateLimitServiceSettings } from "../translate/policies/backend-traffic";
import type { TranslateOptions } from "../translate/translate";
import { NackGuard } from "./nack-bisect";
import { withoutSuspects } from "./nack-suspects";
import { translateAndPublish, type PassResult, type PublishStages } from "./translate-step";
import { OidcDiscovery } from "./oidc-discovery";
import { ControllerExtensions } from "./controller-extension";
import type { ExtensionManagerConfig } from "../config/envoy-gateway-extension";
import { WasmCache, wasmOption } from "./wasm-cache";
import { concatConflate } from "../streams/conflate";
import type { WasmMetrics } from "../metrics/control-plane";
import { DEFAULT_WASM_SERVER_PORT } from "./wasm-server";
import { kubernetesRateLimit } from "./kubernetes-ratelimit";
import type { RouteLayout } from "../xds/translate/vhds";

export { kubernetesRateLimit };

/** Port of the rate limit xDS server (Envoy Gateway's), which the `envoy-ratelimit` Deployment dials. */
export const RATE_LIMIT_XDS_PORT = 18001;

/** EnvoyExtensionPolicy `wasm` in Kubernetes: where the module cache lives and where its server listens. */
export interface ControllerWasmOptions {
  /** Folder of the module cache (Envoy Gateway's `/var/lib/eg/wasm`). */
  readonly cacheDir: string;
  /** Bind address of the module server, `host:port`. @default 0.0.0.0:18002 */
  readonly listen?: string;
  /**
   * The server's base URL as the proxies reach it. @default `https://envoy-gateway.<namespace>.svc.cluster.local:18002`
   * with the proxies' mTLS, else `http://` and the same name (Envoy Gateway's Service and port)
   */
  readonly servingBase?: string;
}

/** What {@link controllerWasmCache} builds from. */
export interface ControllerWasmCacheOptions {
  /** Where modules are cached and served from. */
  readonly wasm: ControllerWasmOptions;
  /** The control plane's namespace (the `envoy-gateway` Service's, in the serving URL). */
  readonly namespace: string;
  /** Folder of the controller's certificate and CA (`--xds-cert-dir`). @default none: plain HTTP */
  readonly certDir?: string | undefined;
  /** Whether the proxies have xDS client certificates (HTTPS needs them). */
  readonly proxiesHaveCertificates: boolean;
  /** Logger of the cache. */
  readonly log: Logger;
  /** Wasm metrics. @default none */
  readonly metrics?: WasmMetrics;
}

/**
 * The Kubernetes controller's Wasm module cache, as Envoy Gateway runs it: every replica fetches the modules
 * itself and serves them on port 18002 of the `envoy-gateway` Service; with a certificate folder and proxies
 * that have xDS client certificates, over HTTPS requiring those certificates (the proxies' `wasm_cluster`
 * presents its xDS certificate and checks the Service's name in the controller's certificate), else HTTP.
 */
export function controllerWasmCache(opts: ControllerWasmCacheOptions): WasmCache {
  const { wasm, namespace, certDir, proxiesHaveCertificates, log, metrics } = opts;
  const tls = certDir !== undefined && proxiesHaveCertificates;
  const listen = wasm.listen ?? `0.0.0.0:${DEFAULT_WASM_SERVER_PORT}`;
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  const port = Number(listen.slice(at + 1));
  const service = xdsServiceHost(namespace);
  const servingBase = wasm.servingBase ?? `${tls ? "https" : "http"}://${service}:${DEFAULT_WASM_SERVER_PORT}`;
  const serverName = new URL(servingBase).hostname;
  return new WasmCache({
    dir: wasm.cacheDir,
    host,
    port,
    servingBase,
    ...(tls
      ? {
          tls: { certDir },
          servingTls: {
            sni: serverName,
            subjectAltNames: [{ type: "Hostname", value: serverName }],
            sdsFiles: xdsSdsSources(PROXY_SDS_DIR),
          },
        }
      : {}),
    log: (level, message, fields) => log(level, message, fields),
    ...(metrics ? { metrics } : {}),
  });
}

/** Controller settings. */
export interface ControllerOptions {
  /**
   * The xDS gRPC server's settings (EnvoyGateway `xdsServer`): connection age and grace, largest request.
   * @default the XdsServer's (no connection age, 4 MiB)
   */
  readonly xdsServer?: Pick<XdsServerOptions, "maxConnectionAgeMs" | "maxConnectionAgeGraceMs" | "maxRequestBytes">;
  /** Kubeconfig file; the default chain (KUBECONFIG, ~/.kube/config, in-cluster) when absent. */
  readonly kubeconfig?: string;
  /** Namespace of the controller and of the proxies it creates. */
  readonly namespace: string;
  /** GatewayClass controller name. */
  readonly controllerName: string;
  /** This replica's identity for leader election (the pod name). */
  readonly identity: string;
  /** How route configurations reach Envoy (ADR 0008, 0020, 0031, 0032). @default `EGTS_ROUTE_LAYOUT`, else scoped */
  readonly routeLayout?: RouteLayout;
  /** xDS server bind address, `host:port`. @default 0.0.0.0:18000 */
  readonly xdsListen?: string;
  /** How the proxies render (image, the xDS address they dial, TLS secret). */
  readonly render: RenderOptions;
  /**
   * Watch scope (EnvoyGateway `provider.kubernetes.watch`); with one, `namespace` is always watched too, as
   * Envoy Gateway does. @default every namespace
   */
  readonly watch?: Pick<KubernetesProviderOptions, "namespaces" | "namespaceSelector">;
  /** The mounted `envoy-gateway` Secret (ca.crt, tls.crt, tls.key): serve xDS over mTLS. @default plaintext */
  readonly xdsCertDir?: string;
  /** Backend settings from the EnvoyGateway configuration. @default Backend disabled */
  readonly backends?: BackendSettings;
  /** Port of /healthz, /readyz and /metrics. @default 19001 */
  readonly metricsPort?: number;
  /**
   * Port of `/healthz` and `/readyz` alone, on every address (Envoy Gateway's probe port, 8081, where its chart's
   * probes point; `egts controller --health-probe-port`). @default none: only the metrics port answers them
   */
  readonly healthProbePort?: number;
  /** EnvoyGateway `telemetry.metrics.prometheus.disable`: no `/metrics` (the health endpoints stay). @default false */
  readonly prometheusDisabled?: boolean;
  /** EnvoyGateway `telemetry.metrics.sinks`: the `/metrics` families pushed to these collectors too. @default none */
  readonly metricSinks?: readonly OtelSinkConfig[];
  /** EnvoyGateway `telemetry.traces`: each pass's spans start here. @default no spans */
  readonly tracer?: Tracer;
  /** Lease timings (EnvoyGateway `provider.kubernetes.leaderElection`; tests shorten them). */
  readonly lease?: { readonly durationMs?: number; readonly retryMs?: number; readonly renewDeadlineMs?: number };
  /** `leaderElection.disable`: no Lease; this replica always leads. @default false */
  readonly leaderElectionDisabled?: boolean;
  /** Envoy Gateway's `extensionApis` switches (other than Backend). @default every gated kind off */
  readonly extensionApis?: ExtensionApiGates;
  /**
   * The global rate limit service (the EnvoyGateway configuration's `rateLimit`), as the proxies call it
   * ({@link kubernetesRateLimit}); with it, the controller serves the service's configuration over xDS on
   * `rateLimitXdsListen`. @default none: BackendTrafficPolicy `rateLimit.global` is refused, as in Envoy Gateway
   */
  readonly rateLimit?: RateLimitServiceSettings;
  /** Bind address of the rate limit xDS server, `host:port` (mTLS with `xdsCertDir`). @default 0.0.0.0:18001 */
  readonly rateLimitXdsListen?: string;
  /**
   * EnvoyExtensionPolicy `wasm`: the module cache and server ({@link controllerWasmCache}). @default none: every
   * `wasm` entry is refused ("wasm cache is not initialized")
   */
  readonly wasm?: ControllerWasmOptions;
  /** A logger per component (EnvoyGateway `logging.level`). @default `logger` for every component */
  readonly componentLogger?: ComponentLoggers;
  /** How long a snapshot may wait for its pass before `/readyz` reports the pipeline stuck. @default 60000 */
  readonly stuckAfterMs?: number;
  /** The extension servers, in order (EnvoyGateway `extensionManager` / `extensionManagers`). @default none */
  readonly extensionManagers?: readonly ExtensionManagerConfig[] | undefined;
  /** TEST ONLY: extension hook call deadline and retry delay. */
  readonly extensionTimings?: { readonly timeoutMs?: number; readonly retryMs?: number };
  /** TEST ONLY: called before each translation; a throw stands for a translator bug (injected fault). */
  readonly beforeTranslate?: (snapshot: ResourceSnapshot) => void;
  /** Logger. */
  readonly logger: Logger;
}

/** What one pass did. */
export interface ControllerPass {
  /** Translation outcome. */
  readonly pass: PassResult;
  /** Whether this replica led during the pass (applied infra and wrote status). */
  readonly leader: boolean;
  /** The applier's result (leader only). */
  readonly applied?: ApplyResult;
  /** Proxies the renderer refused this pass (leader only; each reported on its Gateways). */
  readonly renderProblems?: number;
}

/** A proxy workload as watched: a Deployment or a DaemonSet. */
type Workload = KubeObject & { status?: { availableReplicas?: number; numberAvailable?: number } };
/** The proxies' workloads (in our namespace, or every Gateway's in GatewayNamespace mode), by `Kind/namespace/name`. */
type Workloads = ReadonlyMap<string, Workload>;
/** One pass's inputs. */
type PassInput = readonly [snapshot: ResourceSnapshot, workloads: Workloads, leader: boolean];
/** A job of the serialized pipeline: a pass, or the bisection of a NACK (see nack-bisect.ts). */
interface Job {
  readonly kind: "pass" | "nack";
  /** The pass's inputs (for a NACK: the last pass's). */
  readonly input: PassInput;
  /** The node that NACKed. */
  readonly nodeId?: string;
  /** Where it is in the input: see {@link InputMark}. */
  readonly mark: InputMark;
}
/** How far the input had come when a job arrived: a newer pass is on its way once either count grew. */
interface InputMark {
  /** The job's number, in arrival order (`Controller.jobsArrived`). */
  readonly seq: number;
  /** The provider's changes seen so far, all in the job's snapshot (`Controller.changesSeen`). */
  readonly changes: number;
}
/** What a leader's pass leaves to the effects lane (see `Controller.leaderEffects`). */
interface LeaderEffects {
  readonly pass: PassResult;
  readonly snapshot: ResourceSnapshot;
  readonly workloads: Workloads;
  /** Where the job that ran the pass was in the input. */
  readonly mark: InputMark;
  /** The pass's spans, ended once its effects are done. */
  readonly trace?: PassTrace;
}
/** The workload kinds a proxy runs as. */
const WORKLOAD_KINDS = [
  { kind: "Deployment", resource: "deployments" },
  { kind: "DaemonSet", resource: "daemonsets" },
] as const;

/** A running controller. */
export class Controller {
  /** The xDS cache. */
  readonly cache = new XdsCache();
  /** The delta ADS server. */
  readonly server: XdsServer;
  /** The API client. */
  readonly client: KubeClient;
  /** Leader election. */
  readonly election: LeaseElection;
  /** Status writer (its stats count writes). */
  readonly statusWriter: StatusWriter;
  /** Asks the provider for a snapshot after status-only changes (a status write to retry). */
  private readonly passRequests = new Subject<void>();
  /** Infra applier. */
  readonly applier: InfraApplier;
  /** The rate limit services' xDS server (with `rateLimit` only). */
  readonly rateLimitServer?: RateLimitXdsServer;
  /** Issues each proxy's xDS client certificate Secret (mTLS only). */
  readonly proxyCerts?: ProxyCertIssuer;
  private readonly passes = new Subject<ControllerPass>();
  /** Every pass's outcome. */
  readonly passes$: Observable<ControllerPass> = this.passes.asObservable();
  private sub?: Subscription;
  /** The leader passes' effects, waiting for their lane. */
  private readonly effects = new Subject<LeaderEffects>();
  private effectsSub?: Subscription;
  private port = 0;
  private rateLimitPort = 0;
  private metrics?: Server;
  private metricSinks?: MetricSinks;
  /** The spans of the pass running now (passes run one at a time), with `tracer`. */
  private passTrace?: PassTrace;
  private metricsBound = 0;
  private healthProbe?: Server;
  private healthProbeBound = 0;
  private latestSnapshot?: ResourceSnapshot;
  private readonly health: PipelineHealth;
  private lastInfra: readonly ProxyInfraIr[] = [];
  /** GatewayNamespace mode: the proxies' service-account tokens, checked on every xDS stream. */
  private readonly tokenAuth?: ProxyTokenAuth;
  private certTimer?: NodeJS.Timeout;
  private readonly infraTotals = { applied: 0, unchanged: 0, pruned: 0, failed: 0, refused: 0 };
  /** What the reflectors (every watched kind, and the proxies' Deployments) did, together. */
  readonly reflectorStats: ReflectorStats = newReflectorStats();
  /** Routes Envoy rejected: quarantine and bisection. */
  readonly nackGuard: NackGuard;
  /** Envoy Gateway's control-plane metrics and the runtime's (served on `/metrics`). */
  readonly controlPlane = new ControlPlaneMetrics();
  private lastInput?: PassInput;
  /** Jobs that arrived so far. */
  private jobsArrived = 0;
  /** Changes the provider saw so far (before its debounce: some may not be in a job yet). */
  private changesSeen = 0;
  /** OpenID Provider discovery for the OIDC SecurityPolicies (outside translation: it fetches). */
  private readonly discovery: OidcDiscovery;
  /** The extension servers' stage (controller-extension.ts). */
  readonly extensions: ControllerExtensions;
  /** Wasm modules of the EnvoyExtensionPolicies (outside translation: it fetches and serves them). */
  readonly wasm?: WasmCache;

  constructor(private readonly opts: ControllerOptions) {
    this.discovery = new OidcDiscovery({
      ...(opts.backends ? { backends: opts.backends } : {}),
      log: (level, message, fields) => this.log("gateway-api")(level, message, fields),
    });
    const log = (c: LogComponent): Logger => opts.componentLogger?.(c) ?? opts.logger;
    this.extensions = new ControllerExtensions({
      managers: opts.extensionManagers,
      namespace: opts.namespace,
      logger: log("xds-translator"),
      timings: opts.extensionTimings,
    });
    if (opts.wasm) {
      const proxiesHaveCertificates = Boolean(opts.render.xds.tlsSecretName);
      this.wasm = controllerWasmCache({
        wasm: opts.wasm,
        namespace: opts.namespace,
        certDir: opts.xdsCertDir,
        proxiesHaveCertificates,
        log: log("gateway-api"),
        metrics: this.controlPlane,
      });
    }
    this.health = new PipelineHealth(opts.stuckAfterMs);
    this.client = new KubeClient(loadKubeConfig(opts.kubeconfig));
    this.server = new XdsServer(this.cache, { logger: log("xds-server"), ...opts.xdsServer });
    if (opts.rateLimit) this.rateLimitServer = new RateLimitXdsServer({ logger: log("global-ratelimit") });
    this.election = new LeaseElection(this.client, {
      namespace: opts.namespace,
      identity: opts.identity,
      log: log("provider"),
      ...(opts.lease?.durationMs ? { leaseDurationMs: opts.lease.durationMs } : {}),
      ...(opts.lease?.retryMs ? { retryPeriodMs: opts.lease.retryMs } : {}),
      ...(opts.lease?.renewDeadlineMs ? { renewDeadlineMs: opts.lease.renewDeadlineMs } : {}),
      ...(opts.leaderElectionDisabled ? { disabled: true } : {}),
    });
    const metrics = this.controlPlane;
    this.controlPlane.watchXds(this.cache.changes$, this.server.events$);
    this.statusWriter = new StatusWriter(this.client, {
      controllerName: opts.controllerName,
      log: log("gateway-api"),
      metrics,
      countQuietMs: DEFAULT_COUNT_QUIET_MS,
    });
    this.applier = new InfraApplier(this.client, {
      namespace: opts.namespace,
      ...(opts.render.gatewayNamespace ? { everyNamespace: true } : {}),
      log: log("infrastructure"),
      metrics,
    });
    if (opts.xdsCertDir && opts.render.xds.tlsSecretName) {
      const certs = {
        namespace: opts.namespace,
        ...(opts.render.gatewayNamespace ? { gatewayNamespace: true } : {}),
        certDir: opts.xdsCertDir,
        log: log("infrastructure"),
      };
      this.proxyCerts = new ProxyCertIssuer(this.client, certs);
    }
    this.tokenAuth = ProxyTokenAuth.of(this.client, opts.render.xds.tokenAudience);
    this.nackGuard = new NackGuard({
      changes$: this.cache.changes$,
      events$: this.server.events$,
      logger: log("xds-translator"),
      resend: (nodeId, typeUrl, names) => this.server.resend(nodeId, typeUrl, names),
    });
  }

  /** The logger of `component` (EnvoyGateway `logging.level`). */
  private log(component: LogComponent): Logger {
    return this.opts.componentLogger?.(component) ?? this.opts.logger;
  }

  /** The bound xDS port. */
  get xdsPort(): number {
    return this.port;
  }

  /** The bound port of the rate limit xDS server (0 without `rateLimit`). */
  get rateLimitXdsPort(): number {
    return this.rateLimitPort;
  }

  /** Whether passes complete (what `/readyz` answers). */
  readiness(): Readiness {
    return this.health.readiness();
  }

  /** The latest provider snapshot (the admin server's `/api/config_dump`), once one arrived. */
  get snapshot(): ResourceSnapshot | undefined {
    return this.latestSnapshot;
  }

  /** The bound metrics port. */
  get metricsPort(): number {
    return this.metricsBound;
  }

  /** The bound health probe port (0 without `healthProbePort`). */
  get healthProbePort(): number {
    return this.healthProbeBound;
  }

  /** Starts the xDS server, the election and the watches. */
  async start(): Promise<void> {
    const certDir = this.opts.xdsCertDir;
    this.port = await this.server.start(this.opts.xdsListen ?? "0.0.0.0:18000", this.xdsStartOptions());
    // The rate limit services present the `envoy-rate-limit` certificate, signed by the same CA.
    this.rateLimitPort =
      (await this.rateLimitServer?.start(
        this.opts.rateLimitXdsListen ?? `0.0.0.0:${RATE_LIMIT_XDS_PORT}`,
        certDir ? xdsServerCredentials(certDir) : undefined,
      )) ?? 0;
    const source = {
      xds: () => this.server.stats(),
      status: () => ({ ...this.statusWriter.stats }),
      infra: () => ({ ...this.infraTotals }),
      leader: () => this.election.isLeader,
      ready: () => this.health.readiness(),
      registry: this.controlPlane.registry,
      prometheusDisabled: this.opts.prometheusDisabled === true,
    };
    const registry = metricsRegistry(source);
    const metrics = await startMetricsServer(this.opts.metricsPort ?? 19001, source, "0.0.0.0", registry);
    this.metricSinks = startMetricSinks(registry, this.opts.metricSinks ?? []);
    this.metrics = metrics.server;
    this.metricsBound = metrics.port;
    if (this.opts.healthProbePort !== undefined) {
      const probe = await startHealthProbeServer(this.opts.healthProbePort, () => this.health.readiness());
      this.healthProbe = probe.server;
      this.healthProbeBound = probe.port;
    }
    this.election.start();
    // Proxy certificates are re-issued within 5 s of a new CA in the mounted Secret (certgen re-run), and
    // checked hourly for renewal (a third of their lifetime left), even when nothing else changes.
    this.certTimer = setInterval(() => {
      if (this.election.isLeader) void this.proxyCerts?.syncIfDue(this.lastInfra, 3_600_000).catch(() => undefined);
    }, 5_000);
    this.certTimer.unref();
    const kinds = await this.extensions.watchedKinds(this.client, this.log("provider"));
    this.statusWriter.addKinds(this.extensions.statusKinds); // extension-owned policies get their status too
    const snapshots = kubernetesSnapshots(this.client, {
      controllerName: this.opts.controllerName,
      passRequests: this.passRequests,
      suppressStatusOnly: () => this.election.isLeader,
      onChange: () => this.changesSeen++,
      log: this.log("provider"),
      stats: this.reflectorStats,
      kinds,
      ...this.opts.watch,
      ...(this.opts.watch?.namespaces?.length || this.opts.watch?.namespaceSelector
        ? { ownNamespace: this.opts.namespace }
        : {}),
    });
    const leader = this.election.leader$.pipe(
      map((isLeader) => {
        if (isLeader) this.applier.reset(); // a new leader applies everything once
        return isLeader;
      }),
    );
    const inputs = combineLatest([snapshots, this.workloads(), leader]).pipe(
      tap(([snapshot]) => {
        this.latestSnapshot = snapshot;
        this.health.snapshotArrived();
        this.controlPlane.providerPublished();
      }),
    );
    // The leader's API calls of a pass run beside the next pass (which publishes meanwhile), one pass's at a time.
    this.effectsSub = this.effects
      .pipe(
        concatConflate((e: LeaderEffects) => this.guardedEffects(e), {
          supersedes: () => true,
          onDrop: (e) => {
            e.trace?.end();
            this.passed({ pass: e.pass, leader: true });
          },
        }),
      )
      .subscribe((p) => this.passed(p));
    this.sub = this.jobs(inputs)
      .pipe(
        tap(() => this.controlPlane.queued()),
        // A pass waiting in the queue is pointless once a newer one is queued (passes are level-based): run
        // only the latest snapshot after the pass in progress, not each one that arrived meanwhile.
        concatConflate((job: Job) => this.guardedPass(job), {
          supersedes: (newer, queued) => newer.kind === "pass" && queued.kind === "pass",
          onDrop: () => this.controlPlane.superseded(),
        }),
      )
      .subscribe({
        next: (p) => p && this.passed(p),
        error: (err: Error) => {
          this.health.passFailed(new Error(`the controller pipeline stopped: ${err.message}`));
          this.opts.logger("error", "controller pipeline stopped", { error: err.message });
        },
      });
  }

  /** A pass is done (a leader's: with its effects, or dropped from their lane): counted and reported. */
  private passed(p: ControllerPass): void {
    if (p.applied)
      for (const k of ["applied", "unchanged", "pruned", "failed", "refused"] as const)
        this.infraTotals[k] += p.applied[k];
    this.passes.next(p);
  }

  /** Stops everything; the leader releases its lease. */
  async stop(): Promise<void> {
    this.sub?.unsubscribe();
    this.effectsSub?.unsubscribe();
    await this.election.stop();
    await this.shutdown();
  }

  /**
   * TEST ONLY: simulates a crashed replica: the watches, the election and the servers stop, but the lease
   * is NOT released (see {@link LeaseElection.abandon}), so another replica takes over only once it expires.
   */
  async abandon(): Promise<void> {
    this.sub?.unsubscribe();
    this.effectsSub?.unsubscribe();
    await this.election.abandon();
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.certTimer);
    this.statusWriter.close();
    this.nackGuard.close();
    this.discovery.close();
    this.extensions.close();
    await this.wasm?.close();
    await this.server.stop();
    await this.rateLimitServer?.stop();
    for (const server of [this.metrics, this.healthProbe]) {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
    this.metrics = undefined;
    this.healthProbe = undefined;
    await this.metricSinks?.shutdown();
    this.metricSinks = undefined;
    this.passes.complete();
  }

  /**
   * The proxies' Deployments and DaemonSets (ours by label) in our namespace, or in every namespace in
   * GatewayNamespace mode, by `Kind/namespace/name`.
   */
  private workloads(): Observable<Workloads> {
    const selector = encodeURIComponent(MANAGED_SELECTOR);
    const scope = this.opts.render.gatewayNamespace ? "" : `namespaces/${this.opts.namespace}/`;
    const key = (kind: string, o: KubeObject): string => `${kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    const watches = WORKLOAD_KINDS.map(({ kind, resource }) =>
      reflect(this.client, `/apis/apps/v1/${scope}${resource}?labelSelector=${selector}`, {
        log: this.log("provider"),
        stats: this.reflectorStats,
        stamp: { apiVersion: "apps/v1", kind },
      }).pipe(
        scan((acc: Map<string, Workload>, e: ReflectorEvent) => {
          if (e.type === "sync") {
            acc.clear();
            for (const o of e.items) acc.set(key(kind, o), o);
          } else if (e.type === "upsert") acc.set(key(kind, e.object), e.object);
          else acc.delete(key(kind, e.object));
          return acc;
        }, new Map<string, Workload>()),
        startWith(new Map<string, Workload>()),
      ),
    );
    return combineLatest(watches).pipe(map((maps) => new Map(maps.flatMap((m) => [...m]))));
  }

  /** Passes, NACK bisections and listener failures, in one queue. */
  private jobs(inputs: Observable<PassInput>): Observable<Job> {
    return merge(
      inputs.pipe(map((input): Job => ({ kind: "pass", input, mark: this.nextMark() }))),
      this.nackGuard.nacks$.pipe(
        map((nodeId): Job | undefined =>
          this.lastInput ? { kind: "nack", input: this.lastInput, nodeId, mark: this.nextMark() } : undefined,
        ),
        filter((job): job is Job => job !== undefined),
      ),
      // Envoy's listener failures changed (the last pass again, for its statuses), or an OpenID Provider's
      // discovery, an extension server's kinds, a Wasm module or a node's Envoy older than 1.38 did (the last pass
      // again, with it).
      merge(
        this.nackGuard.listenerChanges$,
        this.discovery.changes$,
        this.extensions.changes$,
        this.wasm?.changes$ ?? EMPTY,
        this.server.olderEnvoys.changes$,
      ).pipe(
        map((): Job | undefined =>
          this.lastInput ? { kind: "pass", input: this.lastInput, mark: this.nextMark() } : undefined,
        ),
        filter((job): job is Job => job !== undefined),
      ),
    );
  }

  /** A new job's {@link InputMark}. */
  private nextMark(): InputMark {
    return { seq: ++this.jobsArrived, changes: this.changesSeen };
  }

  /** Whether a pass newer than the one of the job at `mark` is on its way. */
  private newerPass(mark: InputMark): boolean {
    return this.jobsArrived > mark.seq || this.changesSeen > mark.changes;
  }

  /**
   * One job that never rejects: an exception (a translator bug) is logged and reported by `/readyz`, the
   * previous configuration keeps serving, and the stream goes on with the next snapshot.
   */
  private async guardedPass(job: Job): Promise<ControllerPass | undefined> {
    const end = this.controlPlane.passStarted();
    const tracer = this.opts.tracer;
    this.passTrace = tracer && PassTrace.start(tracer, job.nodeId !== undefined ? "nack" : job.kind);
    try {
      const p = await this.run(job);
      this.passTrace?.end();
      this.passTrace = undefined;
      this.health.passSucceeded();
      end(passEnd(p.pass));
      return p.leader ? undefined : p; // a leader's reaches passes$ from the effects lane
    } catch (err) {
      this.passTrace?.end(err);
      this.passTrace = undefined;
      end(undefined);
      this.health.passFailed(err);
      this.log("gateway-api")("error", "translation pass failed, keeping the last good configuration", {
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }

  /**
   * Runs a pass; for a NACK, first bisects the last pass's routes (trials publish xDS only), then runs
   * that pass again with the culprits quarantined (its statuses report them).
   */
  private async run(job: Job): Promise<ControllerPass> {
    if (job.kind === "pass") this.lastInput = job.input;
    const input = this.lastInput ?? job.input;
    if (job.nodeId !== undefined) {
      const [snapshot] = input;
      const bind = containerBindPorts(snapshot, this.opts.render.useListenerPortAsContainerPort === true);
      await this.nackGuard.bisect(job.nodeId, snapshot, (exclude) =>
        translateAndPublish(
          withoutSuspects(snapshot, exclude),
          this.cache,
          this.translateOptions(snapshot),
          bind,
          this.publishStages(),
        ),
      );
    }
    return this.handle(input, job.mark);
  }

  /** The translator's options, the same for passes and bisection trials. */
  private translateOptions(snapshot: ResourceSnapshot): TranslateOptions {
    const hmac = oidcHmacSecretOf(snapshot, this.opts.namespace);
    return {
      controllerName: this.opts.controllerName,
      controllerNamespace: this.opts.namespace,
      ...(hmac ? { oidcHmacSecret: hmac } : {}),
      backends: this.opts.backends,
      ...(this.opts.extensionApis ? { extensionApis: this.opts.extensionApis } : {}),
      ...(this.opts.rateLimit ? { rateLimit: this.opts.rateLimit } : {}),
      reservedPorts: PROXY_RESERVED_PORTS,
      oidcDiscovery: this.discovery.results(),
      ...this.extensions.translateOptions(snapshot),
      ...(this.wasm ? wasmOption(this.wasm) : {}),
    };
  }

  /** The stages between building and publishing (the extension server's hooks), and the pass's spans. */
  private publishStages(): PublishStages {
    return {
      ...this.extensions.stages,
      ...(this.passTrace ? { trace: this.passTrace } : {}),
      ...(this.opts.routeLayout ? { routeLayout: this.opts.routeLayout } : {}),
      olderEnvoys: this.server.olderEnvoys,
    };
  }

  /**
   * A pass's xDS part: translate and publish, on every replica. On the leader, the rest (infra apply, proxy
   * certificates, status writes: API calls) goes to the effects lane ({@link leaderEffects}), so the next pass
   * publishes without waiting for them; its whole outcome reaches `passes$` from there.
   */
  private async handle([snapshot, workloads, leader]: PassInput, mark: InputMark): Promise<ControllerPass> {
    this.opts.beforeTranslate?.(snapshot);
    await inStage(this.passTrace, STAGES.prepare, () => this.prepareFetches(snapshot));
    const bind = containerBindPorts(snapshot, this.opts.render.useListenerPortAsContainerPort === true);
    const filtered = this.nackGuard.filter(snapshot);
    const pass = this.nackGuard.track(snapshot, () =>
      translateAndPublish(filtered, this.cache, this.translateOptions(filtered), bind, this.publishStages()),
    );
    for (const r of pass.result.rejected) this.log("gateway-api")("warn", `invalid object left out: ${r.message}`);
    for (const bad of pass.invalid)
      this.log("xds-translator")("error", "internal: invalid IR not published", {
        gateway: bad.name,
        problems: bad.problems,
      });
    this.serveRateLimit(pass);
    this.recordServiceAccounts(pass.result.infraIr, snapshot);
    if (!leader) return { pass, leader };
    this.effects.next({ pass, snapshot, workloads, mark, ...(this.passTrace ? { trace: this.passTrace } : {}) });
    this.passTrace = undefined; // the effects lane ends it
    return { pass, leader };
  }

  /**
   * One leader pass's effects that never rejects: a failure is logged and reported by `/readyz`, and the lane
   * goes on with the next pass's. Ends the pass's spans.
   */
  private async guardedEffects(e: LeaderEffects): Promise<ControllerPass> {
    try {
      const { done, statusWrites } = await this.leaderEffects(e);
      void statusWrites.then(
        () => e.trace?.end(),
        (err: unknown) => e.trace?.end(err),
      );
      return done;
    } catch (err) {
      e.trace?.end(err);
      this.health.passFailed(err);
      this.log("gateway-api")("error", "pass effects failed (infra apply, statuses)", {
        error: err instanceof Error ? err.message : String(err),
      });
      return { pass: e.pass, leader: true };
    }
  }

  /**
   * The leader's part of a pass, after its xDS publish: the proxies' objects applied (and pruned), their
   * certificates, and the statuses written (`statusWrites`: the lane does not wait for them). Runs in its own
   * lane, one at a time, in pass order; one waiting there is dropped when a newer pass's arrives (all of it is
   * level-based: the newer pass covers it).
   */
  private async leaderEffects({
    pass,
    snapshot,
    workloads,
    mark,
    trace,
  }: LeaderEffects): Promise<{ done: ControllerPass; statusWrites: Promise<void> }> {
    const rendered = this.render(pass.result.infraIr, snapshot);
    for (const p of rendered.problems) this.log("infrastructure")("warn", "proxy not rendered", { ...p });
    let applied: ApplyResult | undefined;
    try {
      const protectedOwners = existingOwners(snapshot, this.opts.controllerName);
      applied = await this.controlPlane.infrastructure(() =>
        inStage(trace, STAGES.infrastructure, () => this.applier.reconcile(rendered.manifests, { protectedOwners })),
      );
    } catch (err) {
      this.log("infrastructure")("error", "infra apply failed", { error: (err as Error).message });
    }
    this.lastInfra = pass.result.infraIr;
    try {
      await this.proxyCerts?.sync(pass.result.infraIr);
    } catch (err) {
      this.log("infrastructure")("error", "proxy certificates failed", { error: (err as Error).message });
    }
    const owners = proxyOwnersByGateway(pass.result.infraIr);
    const objects = this.proxyObjects(snapshot, workloads);
    const observed = withInfraStatus(pass.result.statuses, (ns, name) =>
      this.observe(objects, owners.get(`${ns}/${name}`) ?? { kind: "Gateway", namespace: ns, name }),
    );
    const refused = [...(applied?.conflicts ?? []), ...(applied?.failures ?? [])];
    const statuses = withInfraProblems(observed, rendered.problems, refused, (gw) => {
      const owner = owners.get(gw);
      return owner && proxyOwnerKey(owner);
    });
    const controller = this.opts.controllerName ?? DEFAULT_CONTROLLER_NAME;
    // Envoy's word last: listeners it could not bind (Programmed=False), routes it rejected (Accepted=False).
    // Not awaited: the next pass's effects start while these writes are in flight (the writer keeps each
    // object's writes in order), so a newer Gateway status never waits for an older pass's route writes.
    const statusWrites = inStage(trace, STAGES.status, () =>
      this.writeStatuses(this.nackGuard.statuses(statuses, snapshot, controller), snapshot, mark),
    );
    const done = { pass, leader: true, ...(applied ? { applied } : {}), renderProblems: rendered.problems.length };
    return { done, statusWrites };
  }

  /**
   * Writes the statuses. One skipped as behind, refused (409) or failed is retried by a later pass: status-only
   * watch events start none (kubernetes-provider.ts), so this asks for one. While a newer job is on its way
   * (input arrived after the pass's at `mark`), changed statuses may be held for it (ADR 0029).
   */
  private async writeStatuses(
    updates: readonly StatusUpdate[],
    snapshot: ResourceSnapshot,
    mark: InputMark,
  ): Promise<void> {
    // The watch events that arrived during the pass are read once the event loop polls (after this pass's
    // promise chain): read them first, so that `newerPass` knows of them.
    await new Promise((resolve) => setImmediate(resolve));
    const before = retriesOf(this.statusWriter.stats);
    await this.statusWriter.write(updates, liveObjects(snapshot), { newerPass: () => this.newerPass(mark) });
    if (retriesOf(this.statusWriter.stats) > before) this.passRequests.next();
  }

  /** How the xDS server authenticates the proxies: mTLS with a certificate folder, and (GatewayNamespace) tokens. */
  private xdsStartOptions(): StartOptions {
    const certDir = this.opts.xdsCertDir;
    return {
      ...(certDir ? { credentials: xdsServerCredentials(certDir) } : {}),
      ...(this.tokenAuth ? { authorizeNode: this.tokenAuth.authorizer() } : {}),
    };
  }

  /** GatewayNamespace mode: which ServiceAccount each node's proxies run as, for the xDS token check. */
  private recordServiceAccounts(infra: readonly ProxyInfraIr[], snapshot: ResourceSnapshot): void {
    this.tokenAuth?.update(infra, snapshot, { ...this.opts.render, namespace: this.opts.namespace });
  }

  /** What translation needs from outside: OpenID Providers' discovery and the Wasm modules of `snapshot`. */
  private async prepareFetches(snapshot: ResourceSnapshot): Promise<void> {
    await this.discovery.prepare(snapshot);
    // The serving paths' salt is the OIDC HMAC secret, as Envoy Gateway's: the same path on every replica.
    if (this.wasm) await this.wasm.prepare(snapshot, oidcHmacSecretOf(snapshot, this.opts.namespace));
  }

  /**
   * Serves the pass's global rate limits to the rate limit services (every replica, as the proxies' xDS); an
   * invalid set is logged and the services keep the last one.
   */
  private serveRateLimit(pass: PassResult): void {
    if (!this.rateLimitServer) return;
    try {
      this.rateLimitServer.serve(pass.result.rateLimitIr);
    } catch (err) {
      this.log("global-ratelimit")("error", "rate limit configuration not served", { error: (err as Error).message });
    }
  }

  /**
   * The manifests of every proxy that renders, with EnvoyProxy settings resolved from the Gateway or its
   * GatewayClass (constructs/from-snapshot.ts, shared with `cdk8s synth`), and a problem per proxy that does not.
   */
  render(infra: readonly ProxyInfraIr[], snapshot: ResourceSnapshot): RenderOutcome {
    return renderInfraChecked(infra, snapshot, { ...this.opts.render, namespace: this.opts.namespace });
  }

  /** Whether `o` is in the namespace its proxy objects go to: ours, or (GatewayNamespace) its Gateway's. */
  private inProxyNamespace(o: KubeObject): boolean {
    if (!this.opts.render.gatewayNamespace) return o.metadata.namespace === this.opts.namespace;
    const owner = proxyOwnerKeyOfLabels(o.metadata.labels);
    return owner !== undefined && owner.split("/")[1] === labelValue(o.metadata.namespace ?? "");
  }

  /**
   * The proxies' Services and workloads (in our namespace, or their Gateway's in GatewayNamespace mode), by owner ({@link proxyOwnerKey}), found by their
   * selector labels, not by name, because an EnvoyProxy may rename the Service, Deployment or DaemonSet.
   * Built once per pass: a lookup per Gateway then.
   */
  private proxyObjects(snapshot: ResourceSnapshot, workloads: Workloads): ProxyObjects {
    const services = snapshot.services
      .filter((svc) => this.inProxyNamespace(svc))
      .map((svc): [string, Service] => [svc.metadata.name, svc]);
    const ownWorkloads = [...workloads].filter(([, w]) => this.inProxyNamespace(w));
    return { services: indexByOwner(services), workloads: indexByOwner(ownWorkloads) };
  }

  /**
   * The proxies serving a Gateway: its own, or its GatewayClass's merged ones (`mergeGateways`), whose Service
   * address every Gateway of the class reports.
   */
  private observe(objects: ProxyObjects, owner: ProxyOwner): ProxyObservation {
    const key = proxyOwnerKey(owner);
    const service = objects.services.get(key)?.[1];
    const entry = objects.workloads.get(key);
    const status = entry?.[1].status;
    return {
      ...(service ? { service } : {}),
      availableReplicas: status?.availableReplicas ?? status?.numberAvailable ?? 0,
      workload: entry
        ? `${entry[0].split("/")[0]} ${entry[1].metadata.namespace ?? ""}/${entry[1].metadata.name}`
        : `of ${ownerText(owner)}`,
    };
  }
}

/** The proxies' objects of one pass, by owner key: each `[key, object]`. */
interface ProxyObjects {
  readonly services: ReadonlyMap<string, readonly [string, Service]>;
  readonly workloads: ReadonlyMap<string, readonly [string, Workload]>;
}

/** `[key, object]` entries by the owner their labels name; for an owner with several, the first by key. */
function indexByOwner<T extends KubeObject>(
  entries: Iterable<readonly [string, T]>,
): Map<string, readonly [string, T]> {
  const out = new Map<string, readonly [string, T]>();
  for (const entry of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const owner = proxyOwnerKeyOfLabels(entry[1].metadata.labels);
    if (owner !== undefined && !out.has(owner)) out.set(owner, entry);
  }
  return out;
}

function ownerText(owner: ProxyOwner): string {
  return owner.kind === "Gateway" ? `Gateway ${owner.namespace}/${owner.name}` : `GatewayClass ${owner.name}`;
}

/**
 * The proxy owners of every Gateway of our classes that exists: prune keeps their objects even when this pass
 * renders none for them (their EnvoyProxy became invalid, their render failed), until the Gateway is deleted
 * or leaves our classes.
 */
function existingOwners(s: ResourceSnapshot, controllerName: string): Set<string> {
  const ours = new Set(
    s.gatewayClasses.filter((c) => c.spec.controllerName === controllerName).map((c) => c.metadata.name),
  );
  const out = new Set<string>();
  for (const g of s.gateways) {
    const cls = g.spec.gatewayClassName;
    if (!ours.has(cls)) continue;
    const ns = g.metadata.namespace ?? "";
    out.add(
      proxyOwnerKey(
        mergesGateways(s, cls)
          ? { kind: "GatewayClass", name: cls }
          : { kind: "Gateway", namespace: ns, name: g.metadata.name },
      ),
    );
  }
  return out;
}

/** Every object of the snapshot (the status writer compares against their live status). */
/** The status writes a later pass must retry (skipped as behind, refused with a conflict, failed), so far. */
function retriesOf(stats: StatusWriterStats): number {
  return stats.behind + stats.conflicts + stats.errors;
}

function liveObjects(s: ResourceSnapshot): KubeObject[] {
  return [
    ...s.unknown, // extension-owned policies (first: an object of ours with the same kind/namespace/name wins)
    ...s.gatewayClasses,
    ...s.gateways,
    ...s.httpRoutes,
    ...(s.grpcRoutes ?? []),
    ...s.tlsRoutes,
    ...s.tcpRoutes,
    ...s.udpRoutes,
    ...(s.listenerSets ?? []),
    ...s.backendTLSPolicies,
    ...s.backends,
    ...allPolicies(s),
  ];
}
