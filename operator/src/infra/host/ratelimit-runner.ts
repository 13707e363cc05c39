/**
 * The global rate limit service of standalone mode: our rate limit xDS server (on loopback) plus one rate
 * limit service process (envoyproxy/ratelimit) that fetches its configuration from it and counts in the Redis
 * of the EnvoyGateway configuration's `rateLimit.backend.redis.url`. start() / update(ir) / stop(); the proxies'
 * ratelimit filter points at {@link HostRateLimitService.grpcAddress}.
 *
 * Plaintext on loopback. Envoy Gateway uses mTLS on both legs (the service's gRPC API and its xDS client, with
 * the `envoy-rate-limit` certificate from certgen, `GRPC_SERVER_USE_TLS` and `CONFIG_GRPC_XDS_SERVER_USE_TLS`);
 * that, `redis.urlRef`, `redis.tls` and the service's telemetry are not carried over here and are refused by
 * {@link hostRateLimitSettings}.
 */
import type { RateLimitConfig as EnvoyGatewayRateLimit } from "../../config/envoy-gateway-ratelimit";
import type { GlobalRateLimitIr } from "../../ir/ratelimit-ir";
import { RateLimitXdsServer } from "../../xds/ratelimit/server";
import type { XdsLogger } from "../../xds/server/types";
import { RateLimitProcess, type RateLimitOutput } from "./ratelimit-process";

/** What the host service needs from the EnvoyGateway `rateLimit` section. */
export interface HostRateLimitSettings {
  /** Redis `host:port`. */
  readonly redisUrl: string;
}

/**
 * The host settings of an EnvoyGateway `rateLimit` section.
 * @throws Error naming each field standalone mode cannot honour (never ignored silently).
 */
export function hostRateLimitSettings(cfg: EnvoyGatewayRateLimit): HostRateLimitSettings {
  const unsupported: string[] = [];
  const redis = cfg.backend.redis;
  if (redis.urlRef) unsupported.push("rateLimit.backend.redis.urlRef (standalone mode reads no Secrets; use url)");
  if (redis.tls) unsupported.push("rateLimit.backend.redis.tls");
  if (cfg.telemetry.tracing) unsupported.push("rateLimit.telemetry.tracing");
  if (unsupported.length > 0 || redis.url === undefined)
    throw new Error(`the standalone rate limit service does not support ${unsupported.join(", ") || "a missing url"}`);
  return { redisUrl: redis.url };
}

/** Options of {@link HostRateLimitService}. */
export interface HostRateLimitOptions extends HostRateLimitSettings {
  /** The ratelimit binary (findRatelimit). */
  readonly binary: string;
  /** The port of the service's gRPC API on 127.0.0.1. */
  readonly grpcPort: number;
  /** The port of our rate limit xDS server on 127.0.0.1. @default 0 (any) */
  readonly xdsPort?: number;
  /** Logger of the xDS server. */
  readonly logger?: XdsLogger;
  /** The service's output. @default "inherit" */
  readonly output?: RateLimitOutput;
  /** The service's LOG_LEVEL. @default "warn" */
  readonly logLevel?: string;
}

/** Our rate limit xDS server and the rate limit service it configures. */
export class HostRateLimitService {
  /** The xDS server (events$ reports ACKs and NACKs). */
  readonly xds: RateLimitXdsServer;
  private process: RateLimitProcess | undefined;
  private xdsPort = 0;

  /** Nothing runs until {@link start}. */
  constructor(private readonly opts: HostRateLimitOptions) {
    this.xds = new RateLimitXdsServer(opts.logger ? { logger: opts.logger } : {});
  }

  /** `127.0.0.1:<port>` of the service's gRPC API, for the proxies' ratelimit cluster. */
  get grpcAddress(): string {
    return `127.0.0.1:${this.opts.grpcPort}`;
  }

  /** `127.0.0.1:<port>` of our xDS server (after start). */
  get xdsAddress(): string {
    return `127.0.0.1:${this.xdsPort}`;
  }

  /** The service process (after start). */
  get service(): RateLimitProcess | undefined {
    return this.process;
  }

  /** Starts the xDS server, then the service; resolves once the service listens. */
  async start(): Promise<void> {
    this.xdsPort = await this.xds.start(`127.0.0.1:${this.opts.xdsPort ?? 0}`);
    this.process = new RateLimitProcess({
      binary: this.opts.binary,
      redisUrl: this.opts.redisUrl,
      xdsAddress: this.xdsAddress,
      grpcPort: this.opts.grpcPort,
      ...(this.opts.output !== undefined ? { output: this.opts.output } : {}),
      ...(this.opts.logLevel !== undefined ? { logLevel: this.opts.logLevel } : {}),
    });
    await this.process.start();
  }

  /**
   * Serves `ir` to the service; returns the xDS version. An invalid IR is refused (the service keeps the
   * current configuration).
   * @throws Error listing the IR's problems.
   */
  update(ir: GlobalRateLimitIr): string {
    return this.xds.serve(ir);
  }

  /** Stops the service, then the xDS server. */
  async stop(): Promise<void> {
    await this.process?.stop();
    await this.xds.stop();
  }
}
