/**
 * The rate limit xDS server: serves the global rate limit configuration (RateLimitConfig, one per domain) to
 * every connected rate limit service over state-of-the-world ADS
 * (`envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources`), which is what
 * envoyproxy/ratelimit's `CONFIG_TYPE=GRPC_XDS_SOTW` client speaks. Envoy Gateway serves the same on its own
 * port, 18001, next to the proxies' xDS.
 *
 * Every change of the set is a new version (a counter, like Envoy Gateway's snapshot version) pushed whole to
 * every stream; an unchanged set is not pushed again. A NACK is logged and reported as an event; the service
 * keeps running its last good configuration, and a service connecting later is sent the newest version that
 * no service rejected (the last good one) rather than one known to be rejected.
 */
import * as grpc from "@grpc/grpc-js";
import { createHash } from "node:crypto";
import { Observable, Subject } from "rxjs";
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
} from "../../../../proto/gen/envoy/service/discovery/v3/discovery";
import { pack } from "../../../../proto/any";
import { bindGrpcServer, shutdownGrpcServer } from "../server/grpc-bind";
import { AggregatedDiscoveryServiceDefinition } from "../server/service";
import { jsonLogger, type XdsLogger } from "../server/types";
import { validateRateLimitIr, type GlobalRateLimitIr } from "../../ir/ratelimit-ir";
import { RateLimitConfigType, type RateLimitConfig } from "./rls-conf";
import { SotwStream, type ConfigVersion, type RateLimitXdsEvent } from "./sotw-stream";
import { buildRateLimitConfigs } from "./translate";

/** Options of {@link RateLimitXdsServer}. */
export interface RateLimitXdsServerOptions {
  /** Logger. @default JSON lines on stderr at info and above */
  readonly logger?: XdsLogger;
}

/** One connected service, as {@link RateLimitXdsServer.clients} reports it. */
export interface RateLimitClient {
  /** Its node id. */
  readonly nodeId: string;
  /** Stream id. */
  readonly streamId: number;
  /** The version it acknowledged last; absent before its first ACK. */
  readonly ackedVersion?: string;
}

/** The SotW ADS server of the rate limit services. */
export class RateLimitXdsServer {
  private server: grpc.Server | undefined;
  private readonly streams = new Set<SotwStream>();
  private readonly events = new Subject<RateLimitXdsEvent>();
  private readonly log: XdsLogger;
  private nextStreamId = 0;
  private versionCounter = 0;
  private current: (ConfigVersion & { readonly hash: string }) | undefined;
  private lastGood: ConfigVersion | undefined;
  private readonly rejected = new Set<string>();

  /** connect, disconnect, sent, ack and nack of every stream. */
  readonly events$: Observable<RateLimitXdsEvent> = this.events.asObservable();

  /** Creates a server; nothing listens until {@link start}. */
  constructor(opts: RateLimitXdsServerOptions = {}) {
    this.log = opts.logger ?? jsonLogger("info");
  }

  /** The newest version set (undefined before the first {@link update}). */
  get version(): string | undefined {
    return this.current?.version;
  }

  /**
   * Replaces the served set and pushes it to every service; returns its version. A set equal (byte for
   * byte) to the current one keeps the current version and is not pushed.
   */
  update(configs: readonly RateLimitConfig[]): string {
    const resources = configs.map((c) => pack(RateLimitConfigType, c));
    const hash = createHash("sha256");
    for (const r of resources) hash.update(String(r.value.length)).update(":").update(r.value);
    const digest = hash.digest("hex");
    if (this.current && this.current.hash === digest) return this.current.version;
    this.versionCounter++;
    const v = { version: String(this.versionCounter), resources, domains: configs.map((c) => c.domain), hash: digest };
    this.current = v;
    for (const s of this.streams) s.push(v);
    return v.version;
  }

  /**
   * Serves the configuration of `ir` (see {@link update}); returns the version. An invalid IR is refused and
   * the services keep the current configuration.
   * @throws Error listing the IR's problems.
   */
  serve(ir: GlobalRateLimitIr): string {
    const problems = validateRateLimitIr(ir);
    if (problems.length > 0) throw new Error(`invalid global rate limit IR: ${problems.join("; ")}`);
    return this.update(buildRateLimitConfigs(ir));
  }

  /** Connected services and what they acknowledged. */
  clients(): RateLimitClient[] {
    return [...this.streams]
      .filter((s) => s.nodeId !== "")
      .map((s) => ({
        nodeId: s.nodeId,
        streamId: s.id,
        ...(s.ackedVersion !== undefined ? { ackedVersion: s.ackedVersion } : {}),
      }));
  }

  /**
   * Binds `address` ("host:port"; port 0 picks one) and resolves with the bound port. Plaintext unless given
   * credentials (Envoy Gateway: mTLS, TLS 1.3, client certificate required).
   */
  start(
    address: string,
    credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
  ): Promise<number> {
    if (this.server) return Promise.reject(new Error("ratelimit xds server already started"));
    const server = new grpc.Server({ "grpc.max_send_message_length": -1 });
    server.addService(AggregatedDiscoveryServiceDefinition, {
      streamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) =>
        this.onStream(call),
      deltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) =>
        call.emit("error", {
          code: grpc.status.UNIMPLEMENTED,
          details: "the rate limit xDS server speaks state-of-the-world ADS (StreamAggregatedResources) only",
        }),
    });
    this.server = server;
    return bindGrpcServer(server, address, credentials, { logger: this.log, what: "ratelimit xds server" }).catch(
      (err: unknown) => {
        this.server = undefined;
        throw err;
      },
    );
  }

  /** Ends every stream and shuts down, forcing after `graceMs`; events$ completes (a stopped server is not restarted). */
  async stop(graceMs = 2000): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of [...this.streams]) s.end();
    if (server) await shutdownGrpcServer(server, graceMs);
    this.events.complete();
  }

  private onStream(call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    const stream = new SotwStream(++this.nextStreamId, call, {
      log: this.log,
      initial: () => this.initialVersion(),
      emit: (e) => this.events.next(e),
      acked: (version) => this.onAck(version),
      nacked: (version) => this.rejected.add(version),
      closed: (s) => this.streams.delete(s),
    });
    this.streams.add(stream);
  }

  /** The newest version unless a service rejected it; then the last good one (if any). */
  private initialVersion(): ConfigVersion | undefined {
    if (this.current && this.rejected.has(this.current.version)) return this.lastGood;
    return this.current;
  }

  private onAck(version: string): void {
    if (this.current?.version === version) {
      this.lastGood = this.current;
      // Older rejections can no longer be chosen; keep the set small.
      this.rejected.clear();
    }
  }
}
