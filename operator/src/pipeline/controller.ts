/**
 * Kubernetes mode: Kubernetes provider → translate → xDS cache → delta ADS server on every replica; on the
 * leader only, the rendered proxy objects are applied (and pruned) and statuses written (only on change).
 * The proxies' Deployments and DaemonSets are watched too, so Gateway Programmed follows their availability.
 */
import type { Server } from "node:http";
import {
  combineLatest,
  concatMap,
  filter,
  from,
  map,
  merge,
  scan,
  startWith,
  Subject,
  type Observable,
  type Subscription,
} from "rxjs";
import { containerBindPorts, renderInfra } from "../../../constructs/from-snapshot";
import { proxyOwnersByGateway, type Manifest, type RenderOptions } from "../../../constructs/render";
import { proxyOwnerKey, proxyOwnerKeyOfLabels, type ProxyOwner } from "../../../constructs/names";
import { xdsServerCredentials } from "../certgen/certgen";
import { InfraApplier, MANAGED_SELECTOR, type ApplyResult } from "../infra/kubernetes/applier";
import { LeaseElection } from "../leader/lease-election";
import type { Logger } from "../log";
import { KubeClient, loadKubeConfig } from "../provider/kubernetes/client";
import { kubernetesSnapshots, type KubernetesProviderOptions } from "../provider/kubernetes/kubernetes-provider";
import { newReflectorStats, reflect, type ReflectorEvent, type ReflectorStats } from "../provider/kubernetes/reflector";
import type { ProxyInfraIr } from "../ir/infra-ir";
import type { Service } from "../resources/core";
import type { KubeObject } from "../resources/meta";
import type { ResourceSnapshot } from "../resources/snapshot";
import { DEFAULT_CONTROLLER_NAME } from "../resources/envoy-gateway";
import { withInfraStatus, type ProxyObservation } from "../status/gateway-infra-status";
import { StatusWriter } from "../status/status-writer";
import { XdsCache } from "../xds/cache/snapshot-cache";
import { XdsServer } from "../xds/server";
import { startMetricsServer } from "./metrics-server";
import { NackGuard, withoutRoutes } from "./nack-bisect";
import { translateAndPublish, type PassResult } from "./translate-step";

/** Controller settings. */
export interface ControllerOptions {
  /** Kubeconfig file; the default chain (KUBECONFIG, ~/.kube/config, in-cluster) when absent. */
  readonly kubeconfig?: string;
  /** Namespace of the controller and of the proxies it creates. */
  readonly namespace: string;
  /** GatewayClass controller name. */
  readonly controllerName: string;
  /** This replica's identity for leader election (the pod name). */
  readonly identity: string;
  /** xDS server bind address, `host:port`. @default 0.0.0.0:18000 */
  readonly xdsListen?: string;
  /** How the proxies render (image, the xDS address they dial, TLS secret). */
  readonly render: RenderOptions;
  /** Watch scope. */
  readonly watch?: Pick<KubernetesProviderOptions, "namespaces" | "namespaceSelector">;
  /** The mounted `envoy-gateway` Secret (ca.crt, tls.crt, tls.key): serve xDS over mTLS. @default plaintext */
  readonly xdsCertDir?: string;
  /** Port of /healthz, /readyz and /metrics. @default 19001 */
  readonly metricsPort?: number;
  /** Lease timings (tests shorten them). */
  readonly lease?: { readonly durationMs?: number; readonly retryMs?: number; readonly renewDeadlineMs?: number };
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
}

/** A proxy workload as watched: a Deployment or a DaemonSet. */
type Workload = KubeObject & { status?: { availableReplicas?: number; numberAvailable?: number } };
/** The proxies' workloads in our namespace, by `Kind/name`. */
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
  /** Infra applier. */
  readonly applier: InfraApplier;
  private readonly passes = new Subject<ControllerPass>();
  /** Every pass's outcome. */
  readonly passes$: Observable<ControllerPass> = this.passes.asObservable();
  private sub?: Subscription;
  private port = 0;
  private metrics?: Server;
  private metricsBound = 0;
  private ready = false;
  private readonly infraTotals = { applied: 0, unchanged: 0, pruned: 0, failed: 0 };
  /** What the reflectors (every watched kind, and the proxies' Deployments) did, together. */
  readonly reflectorStats: ReflectorStats = newReflectorStats();
  /** Routes Envoy rejected: quarantine and bisection. */
  readonly nackGuard: NackGuard;
  private lastInput?: PassInput;

  constructor(private readonly opts: ControllerOptions) {
    this.client = new KubeClient(loadKubeConfig(opts.kubeconfig));
    this.server = new XdsServer(this.cache, { logger: opts.logger });
    this.election = new LeaseElection(this.client, {
      namespace: opts.namespace,
      identity: opts.identity,
      log: opts.logger,
      ...(opts.lease?.durationMs ? { leaseDurationMs: opts.lease.durationMs } : {}),
      ...(opts.lease?.retryMs ? { retryPeriodMs: opts.lease.retryMs } : {}),
      ...(opts.lease?.renewDeadlineMs ? { renewDeadlineMs: opts.lease.renewDeadlineMs } : {}),
    });
    this.statusWriter = new StatusWriter(this.client, { controllerName: opts.controllerName, log: opts.logger });
    this.applier = new InfraApplier(this.client, { namespace: opts.namespace, log: opts.logger });
    this.nackGuard = new NackGuard({
      changes$: this.cache.changes$,
      events$: this.server.events$,
      logger: opts.logger,
    });
  }

  /** The bound xDS port. */
  get xdsPort(): number {
    return this.port;
  }

  /** The bound metrics port. */
  get metricsPort(): number {
    return this.metricsBound;
  }

  /** Starts the xDS server, the election and the watches. */
  async start(): Promise<void> {
    const certDir = this.opts.xdsCertDir;
    this.port = await this.server.start(
      this.opts.xdsListen ?? "0.0.0.0:18000",
      certDir ? { credentials: xdsServerCredentials(certDir) } : {},
    );
    const metrics = await startMetricsServer(this.opts.metricsPort ?? 19001, {
      xds: () => this.server.stats(),
      status: () => ({ ...this.statusWriter.stats }),
      infra: () => ({ ...this.infraTotals }),
      leader: () => this.election.isLeader,
      ready: () => this.ready,
    });
    this.metrics = metrics.server;
    this.metricsBound = metrics.port;
    this.election.start();
    const snapshots = kubernetesSnapshots(this.client, {
      controllerName: this.opts.controllerName,
      log: this.opts.logger,
      stats: this.reflectorStats,
      ...this.opts.watch,
    });
    const leader = this.election.leader$.pipe(
      map((isLeader) => {
        if (isLeader) this.applier.reset(); // a new leader applies everything once
        return isLeader;
      }),
    );
    this.sub = this.jobs(combineLatest([snapshots, this.workloads(), leader]))
      .pipe(concatMap((job) => from(this.run(job))))
      .subscribe({
        next: (p) => {
          this.ready = true;
          if (p.applied)
            for (const k of ["applied", "unchanged", "pruned", "failed"] as const) this.infraTotals[k] += p.applied[k];
          this.passes.next(p);
        },
        error: (err: Error) => this.opts.logger("error", "controller pipeline stopped", { error: err.message }),
      });
  }

  /** Stops everything; the leader releases its lease. */
  async stop(): Promise<void> {
    this.sub?.unsubscribe();
    await this.election.stop();
    await this.shutdown();
  }

  /**
   * TEST ONLY: simulates a crashed replica: the watches, the election and the servers stop, but the lease
   * is NOT released (see {@link LeaseElection.abandon}), so another replica takes over only once it expires.
   */
  async abandon(): Promise<void> {
    this.sub?.unsubscribe();
    await this.election.abandon();
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    await this.server.stop();
    const metrics = this.metrics;
    this.metrics = undefined;
    await new Promise<void>((resolve) => (metrics ? metrics.close(() => resolve()) : resolve()));
    this.passes.complete();
  }

  /** The proxies' Deployments and DaemonSets in our namespace (ours by label), by `Kind/name`. */
  private workloads(): Observable<Workloads> {
    const selector = encodeURIComponent(MANAGED_SELECTOR);
    const watches = WORKLOAD_KINDS.map(({ kind, resource }) =>
      reflect(this.client, `/apis/apps/v1/namespaces/${this.opts.namespace}/${resource}?labelSelector=${selector}`, {
        log: this.opts.logger,
        stats: this.reflectorStats,
        stamp: { apiVersion: "apps/v1", kind },
      }).pipe(
        scan((acc: Map<string, Workload>, e: ReflectorEvent) => {
          if (e.type === "sync") {
            acc.clear();
            for (const o of e.items) acc.set(`${kind}/${o.metadata.name}`, o);
          } else if (e.type === "upsert") acc.set(`${kind}/${e.object.metadata.name}`, e.object);
          else acc.delete(`${kind}/${e.object.metadata.name}`);
          return acc;
        }, new Map<string, Workload>()),
        startWith(new Map<string, Workload>()),
      ),
    );
    return combineLatest(watches).pipe(map((maps) => new Map(maps.flatMap((m) => [...m]))));
  }

  /** Passes and NACK bisections, in one queue. */
  private jobs(inputs: Observable<PassInput>): Observable<Job> {
    return merge(
      inputs.pipe(map((input): Job => ({ kind: "pass", input }))),
      this.nackGuard.nacks$.pipe(
        map((nodeId): Job | undefined =>
          this.lastInput ? { kind: "nack", input: this.lastInput, nodeId } : undefined,
        ),
        filter((job): job is Job => job !== undefined),
      ),
    );
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
      const opts = { controllerName: this.opts.controllerName };
      await this.nackGuard.bisect(job.nodeId, snapshot, (exclude) =>
        translateAndPublish(withoutRoutes(snapshot, exclude), this.cache, opts, bind),
      );
    }
    return this.handle(...input);
  }

  private async handle(snapshot: ResourceSnapshot, workloads: Workloads, leader: boolean): Promise<ControllerPass> {
    const bind = containerBindPorts(snapshot, this.opts.render.useListenerPortAsContainerPort === true);
    const filtered = this.nackGuard.filter(snapshot);
    const opts = { controllerName: this.opts.controllerName };
    const pass = this.nackGuard.track(snapshot, () => translateAndPublish(filtered, this.cache, opts, bind));
    if (!leader) return { pass, leader };
    let applied: ApplyResult | undefined;
    try {
      applied = await this.applier.reconcile(this.render(pass.result.infraIr, snapshot));
    } catch (err) {
      this.opts.logger("error", "infra apply failed", { error: (err as Error).message });
    }
    const owners = proxyOwnersByGateway(pass.result.infraIr);
    const objects = this.proxyObjects(snapshot, workloads);
    const statuses = withInfraStatus(pass.result.statuses, (ns, name) =>
      this.observe(objects, owners.get(`${ns}/${name}`) ?? { kind: "Gateway", namespace: ns, name }),
    );
    const controller = this.opts.controllerName ?? DEFAULT_CONTROLLER_NAME;
    const quarantined = this.nackGuard.quarantine.statuses(snapshot, controller);
    await this.statusWriter.write([...statuses, ...quarantined], liveObjects(snapshot));
    return { pass, leader, ...(applied ? { applied } : {}) };
  }

  /**
   * The manifests of every proxy, with EnvoyProxy settings resolved from the Gateway or its GatewayClass
   * (constructs/from-snapshot.ts, shared with `cdk8s synth`).
   */
  render(infra: readonly ProxyInfraIr[], snapshot: ResourceSnapshot): Manifest[] {
    return renderInfra(infra, snapshot, { ...this.opts.render, namespace: this.opts.namespace });
  }

  /**
   * The proxies' Services (in our namespace) and workloads, by owner ({@link proxyOwnerKey}), found by their
   * selector labels, not by name, because an EnvoyProxy may rename the Service, Deployment or DaemonSet.
   * Built once per pass: a lookup per Gateway then.
   */
  private proxyObjects(snapshot: ResourceSnapshot, workloads: Workloads): ProxyObjects {
    const services = snapshot.services
      .filter((svc) => svc.metadata.namespace === this.opts.namespace)
      .map((svc): [string, Service] => [svc.metadata.name, svc]);
    return { services: indexByOwner(services), workloads: indexByOwner(workloads) };
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
      workload: entry ? `${entry[0]} ${this.opts.namespace}/${entry[1].metadata.name}` : `of ${ownerText(owner)}`,
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

/** Every object of the snapshot (the status writer compares against their live status). */
function liveObjects(s: ResourceSnapshot): KubeObject[] {
  return [
    ...s.gatewayClasses,
    ...s.gateways,
    ...s.httpRoutes,
    ...(s.grpcRoutes ?? []),
    ...s.tlsRoutes,
    ...s.tcpRoutes,
    ...s.udpRoutes,
    ...(s.listenerSets ?? []),
    ...s.backendTLSPolicies,
  ];
}
