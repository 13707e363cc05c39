/**
 * The delta ADS server: serves {@link XdsCache} node snapshots to Envoy over
 * `envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources`.
 */
import * as grpc from "@grpc/grpc-js";
import { Observable, Subject, Subscription } from "rxjs";
import {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
} from "../../../../proto/gen/envoy/service/discovery/v3/discovery";
import type { XdsCache } from "../cache/snapshot-cache";
import { bindGrpcServer, shutdownGrpcServer } from "./grpc-bind";
import { nodeIdsOfSubjectAltName } from "./identity";
import { AggregatedDiscoveryServiceDefinition, VirtualHostDiscoveryServiceDefinition } from "./service";
import { DeltaStream, type StreamContext, type SyncPhase } from "./stream";
import { VHDS_ROUTE_CONFIGURATION_HEADER } from "../translate/vhds";
import { TypeUrl } from "../types";
import type { StreamAccess } from "./stream";
import { OlderEnvoys } from "./older-envoys";
import type { NodeAuthorizer } from "./token-auth";
import {
  CounterName,
  TypeStats,
  XdsEvent,
  XdsLogger,
  XdsServerOptions,
  XdsStateSizes,
  XdsStats,
  emptyTypeStats,
  jsonLogger,
  shortName,
  zeroCounters,
} from "./types";

/** Extra options for {@link XdsServer.start}. */
export interface StartOptions {
  /** Server credentials (mTLS); insecure when omitted. */
  credentials?: grpc.ServerCredentials;
  /**
   * Serve a node only to a client whose verified certificate grants its node id (identity.ts); other
   * streams end with PERMISSION_DENIED. @default true with credentials, false without
   */
  requireNodeIdentity?: boolean;
  /**
   * Also decides on each stream's node id from its request metadata (service-account tokens in GatewayNamespace
   * mode, token-auth.ts); a refused stream ends with the refusal's status. @default no such check
   */
  authorizeNode?: NodeAuthorizer;
}

/** Delta ADS server over grpc-js. */
export class XdsServer {
  private server: grpc.Server | undefined;
  private cacheSub: Subscription | undefined;
  private nextStreamId = 0;
  private readonly streams = new Set<DeltaStream>();
  private readonly vhdsStreams = new WeakSet<DeltaStream>();
  private readonly byNode = new Map<string, Set<DeltaStream>>();
  private totals: TypeStats = emptyTypeStats();
  private perNode = new Map<string, TypeStats>();
  private readonly events = new Subject<XdsEvent>();
  private readonly log: XdsLogger;
  private readonly ctx: StreamContext;
  private readonly maxRequestBytes: number;
  private readonly connectionAge: { maxConnectionAgeMs?: number; maxConnectionAgeGraceMs?: number };
  private requireIdentity = false;
  private authorizeNode: NodeAuthorizer | undefined;
  private refusedStreams = 0;
  private progressWaiters: Array<() => void> = [];

  /** Stream events: connect, disconnect, sent, ack, nack. */
  readonly events$: Observable<XdsEvent> = this.events.asObservable();
  /** Nodes with a connected Envoy older than 1.38, which the pipelines lay out inline (older-envoys.ts). */
  readonly olderEnvoys: OlderEnvoys;

  /** Creates a server for `cache`; nothing listens until {@link start}. */
  constructor(
    private readonly cache: XdsCache,
    opts: XdsServerOptions = {},
  ) {
    this.log = opts.logger ?? jsonLogger("info");
    this.maxRequestBytes = opts.maxRequestBytes ?? 4 * 1024 * 1024;
    this.connectionAge = {
      ...(opts.maxConnectionAgeMs !== undefined ? { maxConnectionAgeMs: opts.maxConnectionAgeMs } : {}),
      ...(opts.maxConnectionAgeGraceMs !== undefined ? { maxConnectionAgeGraceMs: opts.maxConnectionAgeGraceMs } : {}),
    };
    const ackTimeoutMs = opts.ackTimeoutMs ?? 5000;
    this.olderEnvoys = new OlderEnvoys(this.log, ackTimeoutMs);
    this.ctx = {
      cache,
      log: this.log,
      ackTimeoutMs,
      edsSubscribeWaitMs: opts.edsSubscribeWaitMs ?? 2000,
      maxNamesPerType: opts.maxNamesPerType ?? 100_000,
      maxTypesPerStream: opts.maxTypesPerStream ?? 32,
      register: (s): void => this.register(s),
      unregister: (s): void => this.unregister(s),
      emit: (e): void => this.events.next(e),
      count: (nodeId, typeUrl, counter, n): void => this.count(nodeId, typeUrl, counter, n),
      refused: (): void => void this.refusedStreams++,
      gate: (stream, phase, version): Promise<void> => this.gate(stream, phase, version),
      admit: (s, build): Promise<void> | undefined =>
        this.olderEnvoys.connected(s.nodeId, s.id, build, isScoped(cache, s.nodeId)),
      progressed: (): void => {
        const waiters = this.progressWaiters;
        this.progressWaiters = [];
        for (const w of waiters) w();
      },
    };
  }

  /** Binds `address` ("host:port", port 0 picks one), starts serving and resolves with the bound port. */
  start(address: string, opts: StartOptions = {}): Promise<number> {
    if (this.server) return Promise.reject(new Error("xds server already started"));
    this.requireIdentity = opts.requireNodeIdentity ?? opts.credentials !== undefined;
    this.authorizeNode = opts.authorizeNode;
    const server = new grpc.Server({
      "grpc.max_receive_message_length": this.maxRequestBytes,
      "grpc.max_send_message_length": -1,
      ...(this.connectionAge.maxConnectionAgeMs !== undefined
        ? { "grpc.max_connection_age_ms": this.connectionAge.maxConnectionAgeMs }
        : {}),
      ...(this.connectionAge.maxConnectionAgeGraceMs !== undefined
        ? { "grpc.max_connection_age_grace_ms": this.connectionAge.maxConnectionAgeGraceMs }
        : {}),
    });
    server.addService(AggregatedDiscoveryServiceDefinition, {
      deltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) =>
        this.onDeltaStream(call, false),
      streamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
        this.log("warn", "state-of-the-world ADS is not supported; configure Envoy with DELTA_GRPC", {});
        call.emit("error", {
          code: grpc.status.UNIMPLEMENTED,
          details: "StreamAggregatedResources is not implemented; use DeltaAggregatedResources",
        });
      },
    });
    server.addService(VirtualHostDiscoveryServiceDefinition, {
      deltaVirtualHosts: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) =>
        this.onDeltaStream(call, true),
    });
    this.server = server;
    this.cacheSub = this.cache.changes$.subscribe(({ nodeId }) => {
      const streams = this.byNode.get(nodeId);
      if (streams) for (const s of streams) s.requestSync();
      else if (!this.cache.getNode(nodeId)) this.perNode.delete(nodeId);
    });
    const credentials = opts.credentials ?? grpc.ServerCredentials.createInsecure();
    return bindGrpcServer(server, address, credentials, { logger: this.log, what: "xds server" }).catch(
      (err: unknown) => {
        this.server = undefined;
        this.cacheSub?.unsubscribe();
        this.cacheSub = undefined;
        throw err;
      },
    );
  }

  /** Ends all streams, then shuts down gracefully, forcing after `graceMs` (default 2000). */
  async stop(graceMs = 2000): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.cacheSub?.unsubscribe();
    this.cacheSub = undefined;
    this.olderEnvoys.release();
    for (const s of [...this.streams]) s.end();
    if (server) await shutdownGrpcServer(server, graceMs);
  }

  /** A copy of the counters: totals, per node and open streams. */
  stats(): XdsStats {
    const copy = (t: TypeStats): TypeStats => {
      const out: TypeStats = {};
      for (const [k, v] of Object.entries(t)) out[k] = { ...v };
      return out;
    };
    const nodes: Record<string, TypeStats> = {};
    for (const [id, t] of this.perNode) nodes[id] = copy(t);
    const nodeStreams: Record<string, number> = {};
    for (const [id, set] of this.byNode) nodeStreams[id] = set.size;
    return { streams: this.streams.size, types: copy(this.totals), nodes, nodeStreams, refused: this.refusedStreams };
  }

  /** Sizes of the internal per-stream and per-node state; back to the baseline once streams are gone. */
  stateSizes(): XdsStateSizes {
    let names = 0;
    for (const s of this.streams) names += s.nameCount;
    return {
      streams: this.streams.size,
      nodesWithStreams: this.byNode.size,
      nodeCounters: this.perNode.size,
      names,
    };
  }

  /** Zeroes all counters (tests measure one step at a time). */
  resetStats(): void {
    this.totals = emptyTypeStats();
    this.perNode = new Map();
  }

  /** Sends the named resources of a type again to every stream of a node (see {@link DeltaStream.resend}). */
  resend(nodeId: string, typeUrl: string, names: readonly string[]): void {
    for (const s of this.byNode.get(nodeId) ?? []) s.resend(typeUrl, names);
  }

  /** Open streams of a node (for tests and debugging). */
  streamsOf(nodeId: string): readonly DeltaStream[] {
    return [...(this.byNode.get(nodeId) ?? [])];
  }

  private onDeltaStream(
    call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>,
    vhds: boolean,
  ): void {
    const authorize = this.authorizeNode;
    const access: StreamAccess = {
      ...(this.requireIdentity
        ? { grantedNodeIds: nodeIdsOfSubjectAltName(call.getAuthContext()?.sslPeerCertificate?.subjectaltname) }
        : {}),
      ...(authorize ? { authorize: (nodeId: string) => authorize(nodeId, call.metadata) } : {}),
    };
    const rc = vhds ? call.metadata.get(VHDS_ROUTE_CONFIGURATION_HEADER)[0] : undefined;
    const stream = new DeltaStream(
      ++this.nextStreamId,
      call,
      this.ctx,
      access,
      typeof rc === "string" ? Buffer.from(rc, "base64url").toString("utf8") : undefined,
    );
    if (vhds) this.vhdsStreams.add(stream);
    this.streams.add(stream);
  }

  /**
   * Keeps ADR 0002's order across a node's ADS and VHDS streams (Envoy fetches virtual hosts on streams of their
   * own): a VHDS stream pushes the virtual hosts of snapshot `version` once every ADS stream of the node pushed that
   * snapshot's clusters, endpoints, listeners and route configurations; an ADS stream removes what that snapshot
   * dropped once every VHDS stream stopped sending virtual hosts that use it. Each wait is bounded by the ACK timeout
   * (a stream that never gets there, e.g. a newer sync took over, does not hold the others).
   */
  private async gate(stream: DeltaStream, phase: SyncPhase, version: number): Promise<void> {
    const vhds = this.vhdsStreams.has(stream);
    if (vhds !== (phase === "upserts")) return;
    const others = (): DeltaStream[] =>
      [...(this.byNode.get(stream.nodeId) ?? [])].filter(
        (s) => s !== stream && !s.isClosed && this.vhdsStreams.has(s) !== vhds,
      );
    const done = vhds
      ? (): boolean => others().every((s) => s.upsertedVersion >= version || s.workingVersion > version)
      : (): boolean => others().every((s) => s.syncedVersion >= version || s.workingVersion > version);
    const deadline = Date.now() + this.ctx.ackTimeoutMs;
    while (!done() && !stream.isClosed) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.log("info", "xds: ADS and VHDS streams out of step; continuing", { node: stream.nodeId, phase, version });
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, Math.min(left, 250));
        function wake(): void {
          clearTimeout(timer);
          resolve();
        }
        this.progressWaiters.push(wake);
      });
    }
  }

  private register(s: DeltaStream): void {
    let set = this.byNode.get(s.nodeId);
    if (!set) this.byNode.set(s.nodeId, (set = new Set()));
    set.add(s);
    if (!this.perNode.has(s.nodeId)) this.perNode.set(s.nodeId, emptyTypeStats());
  }

  private unregister(s: DeltaStream): void {
    this.streams.delete(s);
    const set = this.byNode.get(s.nodeId);
    if (!set) return;
    set.delete(s);
    this.olderEnvoys.disconnected(s.nodeId, s.id);
    if (set.size === 0) {
      this.byNode.delete(s.nodeId);
      if (!this.cache.getNode(s.nodeId)) this.perNode.delete(s.nodeId);
    }
  }

  private count(nodeId: string, typeUrl: string, counter: CounterName, n: number): void {
    if (n === 0) return;
    const key = shortName(typeUrl);
    const total = (this.totals[key] ??= zeroCounters());
    total[counter] += n;
    let node = this.perNode.get(nodeId);
    if (!node) this.perNode.set(nodeId, (node = emptyTypeStats()));
    const c = (node[key] ??= zeroCounters());
    c[counter] += n;
  }
}

/** Whether `node` is published with scoped routes now. */
function isScoped(cache: XdsCache, node: string): boolean {
  return (cache.getNode(node)?.resources.get(TypeUrl.ScopedRoute)?.size ?? 0) > 0;
}
