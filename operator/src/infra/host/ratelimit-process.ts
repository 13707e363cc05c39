/**
 * One rate limit service process (envoyproxy/ratelimit) on this machine, configured as Envoy Gateway
 * configures its rate limit Deployment (internal/infrastructure/kubernetes/ratelimit): configuration over
 * state-of-the-world xDS from our control plane (`CONFIG_TYPE=GRPC_XDS_SOTW`), counters in Redis over TCP,
 * no statsd. It is restarted with exponential backoff when it exits, and stop() leaves nothing behind (where
 * util-linux `setpriv` exists the process also dies with its parent).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { Subject, type Observable } from "rxjs";
import { env as egtsEnv } from "../../config/env";

/** Where the service's output goes: inherited, dropped, or each line (stdout and stderr) to a function. */
export type RateLimitOutput = "inherit" | "ignore" | ((line: string) => void);

/** Settings of one rate limit service process. */
export interface RateLimitProcessOptions {
  /** The ratelimit binary (findRatelimit). */
  readonly binary: string;
  /** Redis `host:port` (EnvoyGateway `rateLimit.backend.redis.url`). */
  readonly redisUrl: string;
  /** Our rate limit xDS server, `host:port`. */
  readonly xdsAddress: string;
  /** The port of its gRPC API (envoy.service.ratelimit.v3.RateLimitService), on `host`. */
  readonly grpcPort: number;
  /** The address it listens on. @default "127.0.0.1" */
  readonly host?: string;
  /** Its xDS node id. @default "envoy-ratelimit" (Envoy Gateway's) */
  readonly nodeId?: string;
  /** LOG_LEVEL. @default "warn" */
  readonly logLevel?: string;
  /** Its output. @default "inherit" */
  readonly output?: RateLimitOutput;
  /** First restart delay; doubles up to 5 s. @default 200 */
  readonly restartBackoffMs?: number;
  /**
   * First xDS reconnect delay after the stream to our server broke (XDS_CLIENT_BACKOFF_INITIAL_INTERVAL; the
   * service's default is 10 s, long for a control plane restarting on the same machine). @default 1000
   */
  readonly xdsRetryMs?: number;
}

/** Something that happened to the process. */
export interface RateLimitProcessEvent {
  /** started, exited (unexpectedly; a restart follows), stopped (by us). */
  readonly kind: "started" | "exited" | "stopped";
  /** Process id. */
  readonly pid?: number;
  /** Exit code or signal, or the spawn error. */
  readonly detail?: string;
}

/** Envoy Gateway's node id for the rate limit service (ratelimit.InfraName). */
export const RATELIMIT_NODE_ID = "envoy-ratelimit";

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));

/** The environment of the service: Envoy Gateway's variables, with loopback addresses and our ports. */
export function rateLimitEnv(o: RateLimitProcessOptions): Record<string, string> {
  const host = o.host ?? "127.0.0.1";
  const retry = o.xdsRetryMs ?? 1000;
  return {
    CONFIG_TYPE: "GRPC_XDS_SOTW",
    CONFIG_GRPC_XDS_SERVER_URL: o.xdsAddress,
    CONFIG_GRPC_XDS_NODE_ID: o.nodeId ?? RATELIMIT_NODE_ID,
    CONFIG_GRPC_XDS_SERVER_CONNECT_RETRY_INTERVAL: `${retry}ms`,
    XDS_CLIENT_BACKOFF_INITIAL_INTERVAL: `${retry}ms`,
    XDS_CLIENT_BACKOFF_MAX_INTERVAL: "10s",
    FORCE_START_WITHOUT_INITIAL_CONFIG: "true",
    BACKEND_TYPE: "redis",
    REDIS_SOCKET_TYPE: "tcp",
    REDIS_URL: o.redisUrl,
    USE_STATSD: "false",
    LOG_LEVEL: o.logLevel ?? "warn",
    LOG_FORMAT: "json",
    GRPC_HOST: host,
    GRPC_PORT: String(o.grpcPort),
    // Its HTTP API (/healthcheck, /json) and debug listener are not used here: any free port.
    HOST: host,
    PORT: "0",
    DEBUG_HOST: host,
    DEBUG_PORT: "0",
  };
}

/** Runs and supervises one rate limit service process. */
export class RateLimitProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly events = new Subject<RateLimitProcessEvent>();
  /** Lifecycle events. */
  readonly events$: Observable<RateLimitProcessEvent> = this.events.asObservable();

  /** Nothing runs until {@link start}. */
  constructor(private readonly opts: RateLimitProcessOptions) {}

  /** `host:port` of its gRPC API. */
  get grpcAddress(): string {
    return `${this.opts.host ?? "127.0.0.1"}:${this.opts.grpcPort}`;
  }

  /** The running process id, if any. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process; resolves once its gRPC port accepts connections (or rejects after `timeoutMs`). */
  async start(timeoutMs = 10_000): Promise<void> {
    this.stopping = false;
    this.spawn();
    await this.ready(timeoutMs);
  }

  /** Resolves once its gRPC port accepts a TCP connection. */
  async ready(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await canConnect(this.opts.host ?? "127.0.0.1", this.opts.grpcPort)) return;
      if (Date.now() > deadline)
        throw new Error(`the rate limit service did not listen on ${this.grpcAddress} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops the process: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(kill);
    }
    this.child = undefined;
    this.events.next({ kind: "stopped", pid: child?.pid });
  }

  private spawn(): void {
    const env = { PATH: egtsEnv().path.join(":"), ...rateLimitEnv(this.opts) };
    const [cmd, argv] = SETPRIV
      ? [SETPRIV, ["--pdeathsig", "SIGKILL", "--", this.opts.binary]]
      : [this.opts.binary, []];
    const out = this.opts.output ?? "inherit";
    const child = spawn(cmd, argv, {
      env,
      stdio: typeof out === "function" ? ["ignore", "pipe", "pipe"] : ["ignore", out, out],
    });
    if (typeof out === "function") {
      if (child.stdout) createInterface({ input: child.stdout }).on("line", out);
      if (child.stderr) createInterface({ input: child.stderr }).on("line", out);
    }
    this.child = child;
    this.startedAt = Date.now();
    this.events.next({ kind: "started", pid: child.pid });
    child.on("exit", (code, signal) => this.onExit(child, code, signal));
    child.on("error", (err) => this.events.next({ kind: "exited", pid: child.pid, detail: err.message }));
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.stopping) return;
    this.events.next({ kind: "exited", pid: child.pid, detail: signal ? `signal ${signal}` : `code ${code}` });
    // A process that ran for a while gets a fresh backoff.
    if (Date.now() - this.startedAt > 30_000) this.restarts = 0;
    const delay = Math.min(5000, (this.opts.restartBackoffMs ?? 200) * 2 ** this.restarts);
    this.restarts++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopping) this.spawn();
    }, delay);
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
