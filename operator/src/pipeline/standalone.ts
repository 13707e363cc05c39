/**
 * Standalone mode: file provider → translate → xDS cache → delta ADS server, and the host runner
 * starting one Envoy per Gateway. Bad input never stops the pipeline: errors are logged with file and
 * line and the last good configuration keeps serving.
 */
import { join } from "node:path";
import { EMPTY, Subject, map, merge, tap, type Observable, type Subscription } from "rxjs";
import { formatInputError, type InputError } from "../provider/file/parse";
import { watchDirectory, type ProviderEvent, type ReadTiming } from "../provider/file/file-provider";
import { concatConflate } from "../streams/conflate";
import type { ComponentLoggers, LogComponent, Logger } from "../log";
import type { ExtensionApiGates } from "../translate/extension-gates";
import { xdsServerCredentials } from "../certgen/certgen";
import { standaloneOidcHmacSecret } from "../certgen/oidc-hmac";
import { HostRunner, type EnvoyOutput } from "../infra/host/host-runner";
import { XdsCache } from "../xds/cache/snapshot-cache";
import { isLoopbackListen, XdsServer } from "../xds/server";
import type { XdsServerOptions } from "../xds/server/types";
import { PipelineHealth, type Readiness } from "./health";
import type { ResourceSnapshot } from "../resources/snapshot";
import { DEFAULT_CONTROLLER_NAME } from "../resources/envoy-gateway";
import { NackGuard, type BisectResult } from "./nack-bisect";
import { localAddressesFor } from "./local-addresses";
import { withoutSuspects } from "./nack-suspects";
import { StatusLog } from "./status-log";
import type { BackendSettings } from "../translate/backend-endpoints";
import { OidcDiscovery } from "./oidc-discovery";
import { WasmCache, wasmOption } from "./wasm-cache";
import { translateAndPublish, type PassResult, type PublishStages } from "./translate-step";
import type { RouteLayout } from "../xds/translate/vhds";
import { EnvoyPatchValidator } from "./patch-validation";
import { HostRateLimitService, type HostRateLimitSettings } from "../infra/host/ratelimit-runner";
import type { ExtensionManagerConfig } from "../config/envoy-gateway-extension";
import {
  createExtensionStage,
  extensionKindsOption,
  ownedExtensionKinds,
  type ExtensionStage,
} from "./extension-stage";
import { DEFAULT_CONTROLLER_NAMESPACE } from "../translate/translate";
import type { HookStats } from "./extension-hooks";
import { ControlPlaneMetrics, passEnd as passEndOf, type PassEnd } from "../metrics/control-plane";
import { metricsRegistry, startMetricsServer } from "./metrics-server";
import type { OtelSinkConfig } from "../config/envoy-gateway-telemetry";
import { startMetricSinks, type MetricSinks } from "../metrics/otel-sinks";
import type { Tracer } from "@opentelemetry/api";
import { inStage, PassTrace, STAGES } from "../traces/pass-trace";
import type { Server } from "node:http";

/** Standalone settings. */
export interface StandaloneOptions {
  /**
   * How route configurations reach Envoy (ADR 0008, 0020, 0031, 0032). @default `EGTS_ROUTE_LAYOUT`, else scoped
   */
  readonly routeLayout?: RouteLayout;
  /**
   * The xDS gRPC server's settings (EnvoyGateway `xdsServer`): connection age and grace, largest request.
   * @default the XdsServer's (no connection age, 4 MiB)
   */
  readonly xdsServer?: Pick<XdsServerOptions, "maxConnectionAgeMs" | "maxConnectionAgeGraceMs" | "maxRequestBytes">;
  /** Folder of Gateway API YAML. */
  readonly configDir: string;
  /** Envoy binary; undefined runs no proxies (xDS only). */
  readonly envoyBin?: string;
  /** xDS server bind host. @default "127.0.0.1" */
  readonly xdsHost?: string;
  /** xDS server port (0 = any free port). @default 18000 */
  readonly xdsPort?: number;
  /** Address Envoy listeners bind to. @default "127.0.0.1" */
  readonly listenAddress?: string;
  /** GatewayClass controller name. */
  readonly controllerName?: string;
  /** Folder for bootstraps. */
  readonly stateDir: string;
  /** Envoy's log level. @default "warn" */
  readonly envoyLogLevel?: string;
  /** Where Envoy's output goes (a function gets each stdout line: the access log). @default "inherit" */
  readonly envoyOutput?: EnvoyOutput;
  /** A certificate folder from `egts certgen --local`: serve xDS over mTLS. @default plaintext */
  readonly xdsCertDir?: string;
  /** Backend settings from the EnvoyGateway configuration. @default Backend disabled */
  readonly backends?: BackendSettings;
  /** Envoy Gateway's `extensionApis` switches (other than Backend). @default every gated kind off */
  readonly extensionApis?: ExtensionApiGates;
  /** A logger per component (EnvoyGateway `logging.level`). @default `logger` for every component */
  readonly componentLogger?: ComponentLoggers;
  /** TEST ONLY: called before each translation; a throw stands for a translator bug (injected fault). */
  readonly beforeTranslate?: (snapshot: ProviderSnapshot) => void;
  /** How long a snapshot may wait for its pass before {@link StandaloneGateway.readiness} reports it stuck. */
  readonly stuckAfterMs?: number;
  /** How often listeners Envoy could not bind (port in use) are sent again. @default 30000 */
  readonly listenerRetryMs?: number;
  /**
   * The global rate limit service to run on this host (the EnvoyGateway configuration's `rateLimit`): the
   * ratelimit binary, the Redis URL, how the proxies call it, and the port of its gRPC API. Absent: none runs and
   * BackendTrafficPolicy `rateLimit.global` is refused.
   */
  readonly rateLimit?: StandaloneRateLimit;
  /**
   * The extension servers whose hooks modify each translation, in order (EnvoyGateway `extensionManager` or
   * `extensionManagers`). @default none
   */
  readonly extensionManagers?: readonly ExtensionManagerConfig[];
  /** TEST ONLY: deadline of one extension hook call, and how long after a failure hooks are called again. */
  readonly extensionTimings?: { readonly timeoutMs?: number; readonly retryMs?: number };
  /**
   * EnvoyExtensionPolicy `wasm`: the disk cache of fetched modules and the port of the module server Envoy fetches
   * them from (on 127.0.0.1, started when a policy first needs a module).
   * @default cache in `<stateDir>/wasm`, port 18002 (Envoy Gateway's)
   */
  readonly wasm?: { readonly cacheDir?: string; readonly port?: number };
  /**
   * Serve `/healthz`, `/readyz` and `/metrics` (Envoy Gateway's control-plane metrics, metrics-server.ts) on
   * `host:port` (Envoy Gateway: 0.0.0.0:19001; 0 = any free port); `prometheusDisabled` is the EnvoyGateway
   * configuration's `telemetry.metrics.prometheus.disable` (no `/metrics`). @default no metrics endpoint
   */
  readonly metrics?: { readonly port: number; readonly host?: string; readonly prometheusDisabled?: boolean };
  /**
   * The EnvoyGateway configuration's `telemetry.metrics.sinks`: the same metric families pushed to these
   * OpenTelemetry collectors (with or without `metrics`). @default none
   */
  readonly metricSinks?: readonly OtelSinkConfig[];
  /** The EnvoyGateway configuration's `telemetry.traces`: each pass's spans start here. @default no spans */
  readonly tracer?: Tracer;
  /**
   * Port of each proxy's Prometheus stats listener (`/stats/prometheus` only, on `listenAddress`), as in
   * Kubernetes; one host has one such port, so with several proxies the first takes it and the others any free
   * port (each proxy's is logged, "envoy serving"). @default 19001
   */
  readonly proxyStatsPort?: number;
  /** Logger. */
  readonly logger: Logger;
}

/** The host rate limit service of a standalone gateway. */
export interface StandaloneRateLimit extends HostRateLimitSettings {
  /** The ratelimit binary (findRatelimit). */
  readonly binary: string;
  /** Port of the service's gRPC API on 127.0.0.1. */
  readonly grpcPort: number;
  /** `rateLimit.timeout` in milliseconds. */
  readonly timeoutMs: number;
  /** `rateLimit.failClosed`. */
  readonly failClosed: boolean;
}

/** A snapshot as the file provider gives it. */
type ProviderSnapshot = Extract<ProviderEvent, { kind: "snapshot" }>["snapshot"];

/**
 * When the input of a published pass changed and was read (the file provider's {@link ReadTiming}), and when the pass
 * ran: taken off the queue, and done (statuses recorded). `performance.now()` times.
 */
export interface PassTiming extends Partial<ReadTiming> {
  readonly passStartedAt: number;
  readonly passEndedAt: number;
}

/** What happened in one pass of the pipeline. */
export type PipelineEvent =
  | { readonly kind: "published"; readonly pass: PassResult; readonly timing?: PassTiming }
  | { readonly kind: "input-error"; readonly errors: readonly InputError[] }
  | { readonly kind: "failed"; readonly error: Error }
  | ({ readonly kind: "quarantined" } & BisectResult)
  /** Envoy's listener failures changed (listener-nack.ts): statuses recorded again. */
  | { readonly kind: "listener-status" };

/** A NACK to bisect, queued behind the provider's snapshots. */
interface NackJob {
  readonly kind: "nack";
  readonly nodeId: string;
}

/**
 * Envoy's listener failures changed, or an OpenID Provider's discovery, a Wasm module or a node's Envoy older than 1.38
 * (older-envoys.ts) did: translate the last snapshot again.
 */
interface ListenersJob {
  readonly kind: "listeners";
}

/** A running standalone gateway. */
export class StandaloneGateway {
  /** The xDS cache. */
  readonly cache = new XdsCache();
  /** The delta ADS server. */
  readonly server: XdsServer;
  /** Host-run Envoys (absent without an Envoy binary). */
  readonly runner?: HostRunner;
  /** Latest statuses. */
  readonly statuses: StatusLog;
  private readonly events = new Subject<PipelineEvent>();
  /** Every pass's outcome. */
  readonly events$: Observable<PipelineEvent> = this.events.asObservable();
  private sub?: Subscription;
  private port = 0;
  private last?: PipelineEvent;
  private stopping = false;
  private readonly stopped = new Subject<void>();
  private pass: Promise<unknown> = Promise.resolve();
  private warnings = "";
  private readonly health: PipelineHealth;
  /** Routes Envoy rejected: quarantine and bisection. */
  readonly nackGuard: NackGuard;
  /** The global rate limit service (when `rateLimit` is configured), after start. */
  rateLimit?: HostRateLimitService;
  private lastSnapshot?: ResourceSnapshot;
  /** OpenID Provider discovery for the OIDC SecurityPolicies (outside translation: it fetches). */
  private readonly discovery: OidcDiscovery;
  /** Wasm modules of the EnvoyExtensionPolicies (outside translation: it fetches and serves them). */
  private readonly wasm: WasmCache;
  /** The HMAC secret of SecurityPolicy OIDC cookies (made once in the state folder), after start. */
  private oidcHmacSecret?: Buffer;
  /** The extension servers' clients and hook stage (with `extensionManagers`). */
  private readonly extension?: ExtensionStage;
  /** Envoy's check of EnvoyPatchPolicy results before they are sent (with an Envoy binary). */
  private readonly patchCheck?: EnvoyPatchValidator;
  /** The control-plane metrics (with `metrics`). */
  readonly metrics?: ControlPlaneMetrics;
  private metricsServer?: { readonly server: Server; readonly port: number };
  private metricSinks?: MetricSinks;
  /** The spans of the job running now (jobs run one at a time), with `tracer`. */
  private passTrace?: PassTrace;

  constructor(private readonly opts: StandaloneOptions) {
    this.metrics = newMetrics(opts);
    this.discovery = new OidcDiscovery({
      ...(opts.backends ? { backends: opts.backends } : {}),
      log: (level, message, fields) => this.log("gateway-api")(level, message, fields),
    });
    this.wasm = new WasmCache({
      dir: opts.wasm?.cacheDir ?? join(opts.stateDir, "wasm"),
      host: "127.0.0.1",
      ...(opts.wasm?.port !== undefined ? { port: opts.wasm.port } : {}),
      log: (level, message, fields) => this.log("gateway-api")(level, message, fields),
      metrics: this.metrics,
    });
    if (opts.envoyBin) {
      this.patchCheck = new EnvoyPatchValidator({ envoyBin: opts.envoyBin, logger: this.log("gateway-api") });
    }
    this.server = new XdsServer(this.cache, {
      logger: opts.componentLogger?.("xds-server") ?? opts.logger,
      ...opts.xdsServer,
    });
    if (opts.extensionManagers?.length) {
      // TLS material comes from the latest snapshot's Secrets.
      this.extension = createExtensionStage({
        managers: opts.extensionManagers,
        secrets: () => this.lastSnapshot?.secrets ?? [],
        namespace: DEFAULT_CONTROLLER_NAMESPACE,
        logger: this.log("xds-translator"),
        ...(opts.extensionTimings ? { timings: opts.extensionTimings } : {}),
      });
    }
    this.statuses = new StatusLog(opts.componentLogger?.("gateway-api") ?? opts.logger, this.metrics);
    this.health = new PipelineHealth(opts.stuckAfterMs);
    this.nackGuard = new NackGuard({
      changes$: this.cache.changes$,
      events$: this.server.events$,
      logger: opts.logger,
      resend: (nodeId, typeUrl, names) => this.server.resend(nodeId, typeUrl, names),
      ...(opts.listenerRetryMs ? { listenerRetryMs: opts.listenerRetryMs } : {}),
    });
  }

  /** The extension servers' hook counters (with `extensionManagers`). */
  get extensionStats(): HookStats | undefined {
    return this.extension?.hooks.stats;
  }

  /** When the extension server's hooks answered (or are due again): the last snapshot is translated again. */
  private hookChanges(): Observable<void> {
    return this.extension?.hooks.changes$ ?? EMPTY;
  }

  /** Whether passes complete: not ready before the first, after a failed one, or when one is stuck. */
  readiness(): Readiness {
    return this.health.readiness();
  }

  /** The bound xDS port. */
  get xdsPort(): number {
    return this.port;
  }

  /** The bound port of `/metrics` (0 without `metrics`). */
  get metricsPort(): number {
    return this.metricsServer?.port ?? 0;
  }

  /** The most recent pass's outcome. */
  get lastEvent(): PipelineEvent | undefined {
    return this.last;
  }

  /**
   * Starts the xDS server, then the provider and the proxies; resolves after the first pass (or when
   * stop() is called meanwhile).
   */
  async start(): Promise<void> {
    const host = this.opts.xdsHost ?? "127.0.0.1";
    const certDir = this.opts.xdsCertDir;
    if (!certDir) {
      if (!isLoopbackListen(`${host}:0`)) {
        throw new Error(`plaintext xDS may only listen on loopback (got ${host}); pass a certificate folder for mTLS`);
      }
      this.opts.logger("info", "xds is plaintext and listens on loopback only; use --xds-cert-dir for mTLS", {
        host,
      });
    }
    this.port = await this.server.start(
      `${host}:${this.opts.xdsPort ?? 18000}`,
      certDir ? { credentials: xdsServerCredentials(certDir) } : {},
    );
    if (this.stopping) return this.server.stop(0); // stop() came while the server was starting
    this.metricsServer = await this.serveMetrics();
    this.oidcHmacSecret = standaloneOidcHmacSecret(this.opts.stateDir);
    const rl = this.opts.rateLimit;
    if (rl) {
      // The service's output goes where Envoy's goes (a line collector gets none of it: it is not an access log).
      const output = this.opts.envoyOutput === "inherit" || this.opts.envoyOutput === undefined ? "inherit" : "ignore";
      this.rateLimit = new HostRateLimitService({ ...rl, output, logger: this.log("global-ratelimit") });
      await this.rateLimit.start();
      this.log("global-ratelimit")("info", "rate limit service running", {
        grpc: this.rateLimit.grpcAddress,
        pid: this.rateLimit.service?.pid,
      });
    }
    if (this.opts.envoyBin) {
      (this as { runner?: HostRunner }).runner = new HostRunner({
        envoyBin: this.opts.envoyBin,
        xdsHost: host,
        xdsPort: this.port,
        stateDir: this.opts.stateDir,
        logLevel: this.opts.envoyLogLevel,
        envoyOutput: this.opts.envoyOutput,
        ...(certDir ? { xdsCerts: { certDir } } : {}),
        ...this.statsListener(),
      });
      this.runner?.events$.subscribe((e) =>
        this.log("infrastructure")(e.kind === "exited" ? "warn" : "info", `envoy ${e.kind}`, {
          gateway: e.name,
          pid: e.pid,
          detail: e.detail,
          admin: e.admin,
          stats: e.stats,
        }),
      );
    }
    const first = new Promise<void>((resolve) => {
      const s = merge(this.events$, this.stopped).subscribe(() => {
        resolve();
        queueMicrotask(() => s.unsubscribe());
      });
    });
    const nacks = this.nackGuard.nacks$.pipe(map((nodeId): NackJob => ({ kind: "nack", nodeId })));
    const listeners = merge(
      this.nackGuard.listenerChanges$,
      this.discovery.changes$,
      this.wasm.changes$,
      this.patchChecks$(),
      this.hookChanges(),
      this.server.olderEnvoys.changes$,
    ).pipe(map((): ListenersJob => ({ kind: "listeners" })));
    const extensionKinds = ownedExtensionKinds(this.opts.extensionManagers);
    const files = watchDirectory(this.opts.configDir, { extensionKinds }).pipe(
      tap(() => {
        this.health.snapshotArrived();
        this.metrics?.providerPublished();
      }),
    );
    this.sub = merge(files, nacks, listeners)
      .pipe(
        tap(() => this.metrics?.queued()),
        // One job at a time; a snapshot waiting behind the pass in progress is dropped when a newer one comes (passes
        // are level-based: the newer snapshot is the whole folder), so a burst of changes costs one more pass, not one each.
        concatConflate((e) => (this.pass = this.measuredJob(e)), {
          supersedes,
          onDrop: () => this.metrics?.superseded(),
        }),
      )
      .subscribe({
        next: (e) => {
          this.last = e;
          this.events.next(e);
        },
        error: (err: Error) => this.log("provider")("error", "file provider stopped", { error: err.message }),
      });
    await first;
  }

  /** Where the proxies' stats listeners bind: the listen address, on `proxyStatsPort` (19001 unless set). */
  private statsListener(): { statsHost: string; statsPort?: number } {
    const port = this.opts.proxyStatsPort;
    return { statsHost: this.opts.listenAddress ?? "127.0.0.1", ...(port !== undefined ? { statsPort: port } : {}) };
  }

  /** Ends of Envoy's checks of patched resources (another pass publishes them). */
  private patchChecks$(): Observable<void> {
    return this.patchCheck?.changes$ ?? EMPTY;
  }

  /** The `/metrics` endpoint (with `metrics`), with the pipeline's readiness, and the metric sinks' exports. */
  private async serveMetrics(): Promise<{ server: Server; port: number } | undefined> {
    const where = this.opts.metrics;
    const metrics = this.metrics;
    if (!metrics) return undefined;
    metrics.watchXds(this.cache.changes$, this.server.events$);
    const source = {
      xds: () => this.server.stats(),
      status: () => ({}),
      infra: () => ({}),
      leader: () => true,
      ready: () => this.health.readiness(),
      registry: metrics.registry,
      prometheusDisabled: where?.prometheusDisabled === true,
    };
    const registry = metricsRegistry(source);
    this.metricSinks = startMetricSinks(registry, this.opts.metricSinks ?? []);
    return where ? startMetricsServer(where.port, source, where.host ?? "127.0.0.1", registry) : undefined;
  }

  /** {@link job}, measured as Envoy Gateway's gateway-api runner handling provider resources. */
  private async measuredJob(e: ProviderEvent | NackJob | ListenersJob): Promise<PipelineEvent> {
    const passStartedAt = performance.now();
    const end = this.metrics?.passStarted();
    const tracer = this.opts.tracer;
    this.passTrace =
      tracer && PassTrace.start(tracer, e.kind === "snapshot" || e.kind === "error" ? "provider-resources" : e.kind);
    const event = await this.job(e);
    this.passTrace?.end(event.kind === "failed" ? event.error : undefined);
    this.passTrace = undefined;
    end?.(passEnd(event));
    if (event.kind !== "published" || e.kind !== "snapshot") return event;
    return { ...event, timing: { ...e.timing, passStartedAt, passEndedAt: performance.now() } };
  }

  /** Runs one queued job: a provider event, a NACK to bisect, or listener failures to put in status. */
  private job(e: ProviderEvent | NackJob | ListenersJob): Promise<PipelineEvent> {
    if (e.kind === "nack") return this.bisect(e.nodeId);
    if (e.kind === "listeners") return this.recordStatuses();
    return this.guardedHandle(e);
  }

  /**
   * Envoy's listener failures changed: translates the last snapshot again (the cache does not change) to
   * record statuses with them. Never rejects (a rejection would end the pipeline's stream).
   */
  private async recordStatuses(): Promise<PipelineEvent> {
    const snapshot = this.lastSnapshot;
    try {
      if (snapshot) this.publish(snapshot, this.nackGuard.quarantine.excluded(snapshot));
      return { kind: "listener-status" };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.opts.logger("error", "translation failed, keeping the last good configuration", { error: error.message });
      return { kind: "failed", error };
    }
  }

  /** {@link handle}, never rejecting: a failure is a "failed" event and the stream goes on. */
  private async guardedHandle(e: ProviderEvent): Promise<PipelineEvent> {
    let event: PipelineEvent;
    try {
      event = await this.handle(e);
    } catch (err) {
      event = { kind: "failed", error: err instanceof Error ? err : new Error(String(err)) };
    }
    if (event.kind === "failed") this.health.passFailed(event.error);
    else this.health.passSucceeded();
    return event;
  }

  private async handle(e: ProviderEvent): Promise<PipelineEvent> {
    if (e.kind === "error") {
      for (const err of e.errors)
        this.log("provider")("error", `invalid input, keeping the last good configuration: ${formatInputError(err)}`);
      return { kind: "input-error", errors: e.errors };
    }
    this.logWarnings(e.warnings);
    try {
      this.opts.beforeTranslate?.(e.snapshot);
      this.lastSnapshot = e.snapshot;
      await inStage(this.passTrace, STAGES.prepare, async () => {
        await this.discovery.prepare(e.snapshot);
        await this.wasm.prepare(e.snapshot);
      });
      const exclude = this.nackGuard.quarantine.excluded(e.snapshot);
      // Statuses wait for Envoy's verdict on patched resources (no Programmed=Unknown flash): recorded below.
      let pass = this.nackGuard.track(e.snapshot, () => this.publish(e.snapshot, exclude, false));
      let record = pass.patchesPending.length === 0;
      if (!record && this.patchCheck) {
        // Envoy is checking patched resources: wait for its verdict and publish them (or not) in this same pass.
        await this.patchCheck.settled();
        pass = this.nackGuard.track(e.snapshot, () => this.publish(e.snapshot, exclude, false));
        record = true;
      }
      // The xDS streams send what setNode changed on the next turns of the event loop: let them run before the
      // statuses are recorded (ADR 0026), so the status work does not delay the update to Envoy.
      await new Promise((resolve) => setImmediate(resolve));
      if (record) this.recordPass(pass, e.snapshot);
      const runner = this.runner;
      if (!this.stopping && runner) await this.measureInfra(() => runner.reconcile(pass.result.infraIr));
      this.log("gateway-api")("debug", "translated", { ms: pass.ms.toFixed(1), gateways: pass.result.xdsIr.length });
      return { kind: "published", pass };
    } catch (err) {
      this.opts.logger("error", "translation failed, keeping the last good configuration", {
        error: (err as Error).message,
      });
      return { kind: "failed", error: err as Error };
    }
  }

  /** Runs the host runner's reconcile, timed as Envoy Gateway's infrastructure runner (with `metrics`). */
  private measureInfra<T>(work: () => Promise<T>): Promise<T> {
    const traced = (): Promise<T> => inStage(this.passTrace, STAGES.infrastructure, work);
    return this.metrics ? this.metrics.infrastructure(traced) : traced();
  }

  /** The logger of `component` (EnvoyGateway `logging.level`). */
  private log(component: LogComponent): Logger {
    return this.opts.componentLogger?.(component) ?? this.opts.logger;
  }

  /** Logs the provider's warnings (duplicates, vanished files) when they differ from the last pass's. */
  private logWarnings(warnings: readonly InputError[]): void {
    const text = warnings.map(formatInputError).join("\n");
    if (text === this.warnings) return;
    this.warnings = text;
    for (const w of warnings) this.log("provider")("warn", formatInputError(w));
  }

  /**
   * Translates `snapshot` without the `exclude`d routes, publishes it and records the statuses: always, never (a
   * trial), or unless Envoy is still checking patched resources (the caller publishes again after the verdict).
   */
  private publish(
    snapshot: ResourceSnapshot,
    exclude: ReadonlySet<string>,
    record: boolean | "unless-pending" = true,
  ): PassResult {
    const pass = translateAndPublish(
      withoutSuspects(snapshot, exclude),
      this.cache,
      {
        controllerName: this.opts.controllerName,
        listenAddress: this.opts.listenAddress ?? "127.0.0.1",
        localAddresses: localAddressesFor(snapshot),
        sharedHost: true, // one Envoy per Gateway, all on this host: a port is held by one Gateway
        ...(this.oidcHmacSecret ? { oidcHmacSecret: this.oidcHmacSecret } : {}),
        ...(this.opts.backends ? { backends: this.opts.backends } : {}),
        ...(this.opts.extensionApis ? { extensionApis: this.opts.extensionApis } : {}),
        oidcDiscovery: this.discovery.results(),
        ...extensionKindsOption(this.opts.extensionManagers),
        ...wasmOption(this.wasm),
        ...(this.opts.rateLimit
          ? {
              rateLimit: {
                host: "127.0.0.1",
                port: this.opts.rateLimit.grpcPort,
                timeoutMs: this.opts.rateLimit.timeoutMs,
                failClosed: this.opts.rateLimit.failClosed,
              },
            }
          : {}),
      },
      undefined,
      this.publishStages(),
    );
    for (const r of pass.result.rejected) this.log("gateway-api")("warn", `invalid object left out: ${r.message}`);
    for (const bad of pass.invalid)
      this.opts.logger("error", "internal: invalid IR not published", { gateway: bad.name, problems: bad.problems });
    if (record === true || (record === "unless-pending" && pass.patchesPending.length === 0))
      this.recordPass(pass, snapshot);
    return pass;
  }

  /** Records the statuses of a published pass of `snapshot`, and updates the rate limit service with it. */
  private recordPass(pass: PassResult, snapshot: ResourceSnapshot): void {
    const controller = this.opts.controllerName ?? DEFAULT_CONTROLLER_NAME;
    inStage(this.passTrace, STAGES.status, () =>
      this.statuses.apply(this.nackGuard.statuses(pass.result.statuses, snapshot, controller)),
    );
    // Every recorded pass (a file change, a listener-status pass, NACK bisection's final one) updates the
    // rate limit service, so its descriptors match the routes Envoy actually has (quarantined ones left out).
    this.rateLimit?.update(pass.result.rateLimitIr);
  }

  /** The stages between building and publishing: the extension server's hooks, Envoy's check of patches. */
  private publishStages(): PublishStages {
    return {
      ...(this.extension ? { hooks: this.extension.hooks } : {}),
      ...(this.patchCheck ? { checker: this.patchCheck } : {}),
      ...(this.passTrace ? { trace: this.passTrace } : {}),
      ...(this.opts.routeLayout ? { routeLayout: this.opts.routeLayout } : {}),
      olderEnvoys: this.server.olderEnvoys,
    };
  }

  /**
   * Envoy NACKed an update: finds the routes it rejects by publishing the last snapshot with some routes
   * left out (see nack-bisect.ts), quarantines them with Envoy's error on their status, and publishes the rest.
   */
  private async bisect(nodeId: string): Promise<PipelineEvent> {
    const snapshot = this.lastSnapshot;
    if (!snapshot) return { kind: "quarantined", nodeId, culprits: [], trials: 0, suspects: [] };
    const r = await this.nackGuard.bisect(nodeId, snapshot, async (exclude, final) => {
      // A trial's patched resources Envoy has not checked yet: published once its verdict is in (patch-validation.ts).
      const pass = this.publish(snapshot, exclude, final && "unless-pending");
      if (pass.patchesPending.length === 0 || !this.patchCheck) return;
      await this.patchCheck.settled();
      this.publish(snapshot, exclude, final);
    });
    return { kind: "quarantined", ...r };
  }

  /**
   * Stops the provider, the proxies and the server, within about 3 s however things stand: a pass in
   * progress gets 1 s to finish (it starts no proxy once stopping), proxies get SIGTERM and SIGKILL after
   * 1 s (Envoy exits at once on SIGTERM; only a hung one needs the SIGKILL), the server 1 s to close its
   * streams.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.next();
    this.nackGuard.close();
    this.discovery.close();
    this.patchCheck?.close();
    this.sub?.unsubscribe();
    await this.wasm.close();
    await Promise.race([this.pass, new Promise((r) => setTimeout(r, 1000).unref())]);
    await this.runner?.stop(1000);
    await this.rateLimit?.stop();
    await this.server.stop(1000);
    const metrics = this.metricsServer?.server;
    await new Promise<void>((resolve) => (metrics ? metrics.close(() => resolve()) : resolve()));
    await this.metricSinks?.shutdown(1000);
    this.extension?.close();
    this.events.complete();
  }
}

/**
 * Whether a job waiting in the queue is pointless once `newer` is queued: a provider snapshot covers older snapshots
 * and listener-status jobs (its pass records statuses too), a listener-status job older ones. Error events (each is
 * logged) and NACK bisections are never dropped.
 */
function supersedes(
  newer: ProviderEvent | NackJob | ListenersJob,
  queued: ProviderEvent | NackJob | ListenersJob,
): boolean {
  if (newer.kind === "snapshot") return queued.kind === "snapshot" || queued.kind === "listeners";
  return newer.kind === "listeners" && queued.kind === "listeners";
}

/** The control-plane metrics of a gateway that serves them (`metrics`) or pushes them (`metricSinks`). */
function newMetrics(opts: StandaloneOptions): ControlPlaneMetrics | undefined {
  return opts.metrics || (opts.metricSinks?.length ?? 0) > 0 ? new ControlPlaneMetrics() : undefined;
}

/** What a job's event tells the metrics: nothing published but for a pass; `undefined` for a caught exception. */
function passEnd(event: PipelineEvent): PassEnd | undefined {
  if (event.kind === "failed") return undefined;
  return event.kind === "published"
    ? passEndOf(event.pass)
    : { xdsIr: 0, infraIr: 0, snapshots: 0, snapshotFailures: 0 };
}
